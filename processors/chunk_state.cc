#include "processors/chunk_state.h"

namespace tally {

ChunkState::Entry& ChunkState::Load(std::string_view key) {
  auto it = entries_.find(key);
  if (it != entries_.end()) return it->second;
  Entry entry;
  scratch_.resize(prefix_.size());
  scratch_.append(key);
  if (written_ == nullptr || written_->MayContain(scratch_)) {
    auto stored = snapshot_->Get(scratch_);
    if (stored.ok()) {
      entry.value = std::move(stored.value());
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

void ChunkState::DrainInto(StateWrite* write) {
  for (auto& [key, entry] : entries_) {
    if (!entry.dirty) continue;
    if (entry.value) {
      write->puts.emplace_back(prefix_ + key, std::move(*entry.value));
      if (written_ != nullptr) written_->Add(write->puts.back().first);
    } else {
      write->deletes.push_back(prefix_ + key);
    }
  }
  entries_.clear();
}

}  // namespace tally
