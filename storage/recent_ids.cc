#include "storage/recent_ids.h"

namespace tally {

RecentIds::RecentIds(size_t capacity) {
  if (capacity == 0) return;
  size_t size = 1;
  while (size < capacity) size <<= 1;
  slots_.resize(size);
  mask_ = size - 1;
}

std::optional<uint64_t> RecentIds::Find(std::string_view key, size_t hash) const {
  if (slots_.empty()) return std::nullopt;
  const Slot& slot = slots_[hash & mask_];
  if (slot.seq == 0 || slot.hash != hash || slot.key != key) return std::nullopt;
  return slot.seq;
}

void RecentIds::Insert(std::string_view key, size_t hash, uint64_t seq) {
  if (slots_.empty()) return;
  Slot& slot = slots_[hash & mask_];
  slot.hash = hash;
  slot.key.assign(key.data(), key.size());  // reuses the slot's buffer once warm
  slot.seq = seq;
}

}  // namespace tally
