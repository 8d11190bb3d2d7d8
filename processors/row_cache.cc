#include "processors/row_cache.h"

namespace tally {

const std::optional<std::string>* RowCache::Find(std::string_view key) {
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);  // no allocation; iterators stay valid
  return &it->second->value;
}

void RowCache::Insert(std::string_view key, const std::optional<std::string>& value) {
  if (capacity_ == 0) return;
  Put(std::string(key), std::optional<std::string>(value));
}

void RowCache::Committed(StateWrite& write) {
  if (capacity_ == 0) return;
  if (!write.delete_ranges.empty()) {
    Clear();
    return;
  }
  for (auto& [key, value] : write.puts) Put(std::move(key), std::move(value));
  for (std::string& key : write.deletes) Put(std::move(key), std::nullopt);
}

void RowCache::Update(std::string_view key, std::optional<std::string>&& value) {
  auto it = index_.find(key);
  if (it == index_.end()) return;
  Node& node = *it->second;
  bytes_ -= Cost(node);
  node.value = std::move(value);
  bytes_ += Cost(node);
  lru_.splice(lru_.begin(), lru_, it->second);
  EvictToFit();
}

void RowCache::Put(std::string&& key, std::optional<std::string>&& value) {
  auto it = index_.find(key);
  if (it != index_.end()) {
    Update(key, std::move(value));
    return;
  }
  lru_.push_front(Node{std::move(key), std::move(value)});
  index_.emplace(lru_.front().key, lru_.begin());
  bytes_ += Cost(lru_.front());
  EvictToFit();
}

void RowCache::EvictToFit() {
  while (bytes_ > capacity_ && !lru_.empty()) {
    Node& last = lru_.back();
    bytes_ -= Cost(last);
    index_.erase(last.key);
    lru_.pop_back();
  }
}

void RowCache::Clear() {
  index_.clear();
  lru_.clear();
  bytes_ = 0;
}

}  // namespace tally
