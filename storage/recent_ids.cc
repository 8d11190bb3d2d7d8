#include "storage/recent_ids.h"

#include <utility>

namespace tally {

RecentIds::RecentIds(size_t capacity) : ring_(capacity) { map_.reserve(capacity); }

std::optional<uint64_t> RecentIds::Find(std::string_view key) const {
  auto it = map_.find(key);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

void RecentIds::Insert(std::string&& key, uint64_t seq) {
  if (ring_.empty()) return;
  std::string& slot = ring_[next_];
  if (!slot.empty()) {
    // Only erase when the map's entry still views this slot (a key is inserted once: the writer never
    // appends the same key twice, but be defensive about equal keys in two slots).
    auto it = map_.find(slot);
    if (it != map_.end() && it->first.data() == slot.data()) map_.erase(it);
  }
  slot = std::move(key);
  next_ = (next_ + 1) % ring_.size();
  map_.insert_or_assign(std::string_view(slot), seq);
}

}  // namespace tally
