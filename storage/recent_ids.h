// RecentIds: a direct-mapped cache from dedup key to seq of recently appended events, so that producer
// retries (the usual source of duplicates) are answered without a RocksDB lookup. Writer-thread only.
//
// Each key hashes to one slot; a newer key simply overwrites the slot (no eviction bookkeeping, no node
// allocations: a slot's string buffer is reused). A hit compares the full key, so it is always a true
// duplicate; only committed events are inserted. A miss says nothing (the caller asks RocksDB).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tally {

class RecentIds {
 public:
  // capacity is rounded up to a power of two; 0 disables the cache.
  explicit RecentIds(size_t capacity);

  // hash: std::hash<std::string_view> of key (the writer computes it once per event).
  std::optional<uint64_t> Find(std::string_view key, size_t hash) const;
  void Insert(std::string_view key, size_t hash, uint64_t seq);

 private:
  struct Slot {
    size_t hash = 0;   // the key's hash, compared first: a miss then never reads the key's bytes (another cache
                       // miss; keys of one store share their first bytes)
    uint64_t seq = 0;  // 0: empty (seqs start at 1)
    std::string key;
  };
  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

}  // namespace tally
