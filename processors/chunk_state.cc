#include "processors/chunk_state.h"

namespace tally {

ChunkState::Entry& ChunkState::Load(std::string_view key) {
  auto it = entries_.find(key);
  if (it != entries_.end()) return it->second;
  Entry entry;
  scratch_.resize(prefix_.size());
  scratch_.append(key);
  if (const std::optional<std::string>* cached = rows_ != nullptr ? rows_->Find(scratch_) : nullptr) {
    entry.value = *cached;
  } else if (written_ == nullptr || written_->MayContain(scratch_)) {
    auto stored = snapshot_->Get(scratch_);
    if (stored.ok()) {
      entry.value = std::move(stored.value());
      if (rows_ != nullptr) rows_->Insert(scratch_, entry.value);
    } else if (status_.ok()) {
      status_ = stored.status();
    }
  }
  return entries_.emplace(std::string(key), std::move(entry)).first->second;
}

std::optional<std::string> ChunkState::Get(std::string_view key) { return Load(key).value; }

void ChunkState::Put(std::string_view key, std::string value) {
  auto it = entries_.find(key);
  if (it == entries_.end()) it = entries_.emplace(std::string(key), Entry{}).first;
  it->second.value = std::move(value);
  it->second.dirty = true;
}

void ChunkState::Delete(std::string_view key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) it = entries_.emplace(std::string(key), Entry{}).first;
  it->second.value.reset();
  it->second.dirty = true;
}

// One allocation per absolute key (prefix_ + key allocated twice: the copy of the prefix, then the append).
std::string ChunkState::AbsoluteKey(std::string_view key) const {
  std::string absolute;
  absolute.reserve(prefix_.size() + key.size());
  absolute.append(prefix_).append(key);
  return absolute;
}

void ChunkState::DrainInto(StateWrite* write) {
  write->puts.reserve(write->puts.size() + entries_.size());
  for (auto& [key, entry] : entries_) {
    if (!entry.dirty) continue;
    if (entry.value) {
      write->puts.emplace_back(AbsoluteKey(key), std::move(*entry.value));
      if (written_ != nullptr) written_->Add(write->puts.back().first);
    } else {
      write->deletes.push_back(AbsoluteKey(key));
    }
  }
  entries_.clear();
}

}  // namespace tally
