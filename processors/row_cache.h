// RowCache: the committed view-state rows the runner wrote or read recently, kept across chunks so a hot row (a
// day's counters, a busy conversation, this hour's row, a customer's month) is not read back through RocksDB at
// the start of every chunk. Keys are absolute (generation prefix included), values are the committed bytes, or
// "absent". Every committed row is admitted (moved out of the commit, no copy): rows written by one chunk are
// exactly the ones the next chunk is most likely to read.
//
// Exactness: an entry always equals the committed state. Entries come from reads of the committed state (a
// chunk's snapshot, which holds exactly what the runner last committed: nothing else writes view state) or from
// a commit that succeeded, whose puts and deletes replace them. A commit that fails clears the cache; a commit
// with range deletions (a rebuild starting, a generation swap) clears it too. A chunk dropped before its commit
// changes nothing here: its writes never reach the cache.
//
// Memory: at most `bytes` (default 32 MiB) of keys, values and per-entry overhead; the least recently used
// entries go first. Threading: none; the runner uses it under its fold mutex only.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "storage/storage.h"

namespace tally {

class RowCache {
 public:
  static constexpr size_t kDefaultBytes = 32 << 20;
  explicit RowCache(size_t bytes = kDefaultBytes) : capacity_(bytes) {}

  // The committed value of `key` (nullopt inside: known absent), or nullptr when not cached. The pointer is
  // valid until the next non-const call.
  const std::optional<std::string>* Find(std::string_view key);
  // Records a value read from the committed state.
  void Insert(std::string_view key, const std::optional<std::string>& value);
  // After `write` committed: its rows and deletions become cache entries (keys and values moved out of write,
  // which is spent afterwards). Range deletions clear everything.
  void Committed(StateWrite& write);
  void Clear();

  size_t bytes() const { return bytes_; }
  size_t entries() const { return index_.size(); }

 private:
  struct Node {
    std::string key;
    std::optional<std::string> value;
  };
  static size_t Cost(const Node& node) {
    return node.key.size() + (node.value ? node.value->size() : 0) + kOverhead;
  }
  static constexpr size_t kOverhead = 128;  // list and hash nodes, string headers

  void Put(std::string&& key, std::optional<std::string>&& value);
  void Update(std::string_view key, std::optional<std::string>&& value);  // no-op when not cached
  void EvictToFit();

  size_t capacity_;
  size_t bytes_ = 0;
  std::list<Node> lru_;  // most recently used first
  std::unordered_map<std::string_view, std::list<Node>::iterator> index_;  // views into lru_'s keys
};

}  // namespace tally
