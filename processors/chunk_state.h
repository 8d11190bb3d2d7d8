// ChunkState: the FoldState a processor sees while the runner folds one chunk. Reads go to the chunk's own
// writes first, then to a cache of earlier reads (misses included), then to the runner's cross-chunk RowCache
// of committed rows (row_cache.h), then — unless the runner's WrittenKeys filter proves the key was never
// written (written_keys.h) — to the committed state in a storage snapshot. Writes stay in memory until the runner drains them into the chunk's single StateWrite. Memory is
// bounded by the number of distinct keys one chunk touches; everything else lives in RocksDB.
//
// Threading: owned and used by the runner thread only.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"
#include "processors/processor.h"
#include "processors/row_cache.h"
#include "processors/written_keys.h"
#include "storage/storage.h"

namespace tally {

class ChunkState final : public FoldState {
 public:
  // snapshot: the committed state as of the chunk's start; must outlive this object. prefix: the generation's
  // key prefix (view_keys.h). written: the runner's filter when it tracks this generation, else nullptr; the
  // chunk's puts are added to it when drained, before the commit. rows: the runner's cache of committed rows
  // (nullptr: none); values read from the snapshot are added to it.
  ChunkState(const StateSnapshot* snapshot, std::string prefix, WrittenKeys* written = nullptr,
             RowCache* rows = nullptr)
      : snapshot_(snapshot), prefix_(std::move(prefix)), written_(written), rows_(rows), scratch_(prefix_) {}

  std::optional<std::string> Get(std::string_view key) override;
  void Put(std::string_view key, std::string value) override;
  void Delete(std::string_view key) override;

  // The first storage error a read hit (the chunk must then not be committed).
  const Status& status() const { return status_; }
  // Moves the dirty entries, with absolute keys, into write.
  void DrainInto(StateWrite* write);

 private:
  struct Entry {
    std::optional<std::string> value;  // nullopt: absent (never written or deleted)
    bool dirty = false;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  Entry& Load(std::string_view key);
  std::string AbsoluteKey(std::string_view key) const;

  const StateSnapshot* snapshot_;
  std::string prefix_;
  WrittenKeys* written_;
  RowCache* rows_;
  std::string scratch_;  // prefix_ + the key being read (one buffer instead of a string per read)
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries_;
  Status status_;
};

}  // namespace tally
