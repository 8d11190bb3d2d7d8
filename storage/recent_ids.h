// RecentIds: a bounded map from dedup key to seq of recently appended events, so that producer retries (the
// common source of duplicates) are answered without a RocksDB lookup. Writer-thread only (not thread-safe).
// Only committed events are inserted, so a hit is always a true duplicate; a miss says nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tally {

class RecentIds {
 public:
  explicit RecentIds(size_t capacity);

  std::optional<uint64_t> Find(std::string_view key) const;
  // Takes the key's buffer; evicts the oldest entry when full (FIFO: retries come soon after the original).
  void Insert(std::string&& key, uint64_t seq);

 private:
  // Map keys view into ring_ slots, which never move (ring_ is sized once), so the map holds no copies.
  std::vector<std::string> ring_;
  size_t next_ = 0;
  std::unordered_map<std::string_view, uint64_t> map_;
};

}  // namespace tally
