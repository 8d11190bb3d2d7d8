// RowStore: the runner's one in-memory copy of view-state rows, kept across chunks. Each row is keyed once (its
// absolute key: generation prefix + the processor's key) and holds either its committed value — read from
// storage, or written by a commit that succeeded — or, while a chunk is being folded, the chunk's newer value
// (a *dirty* row). A processor's Get/Put/Delete (through ChunkState) is one hash look-up here; only a row the
// store does not hold is read from storage. There is no second per-chunk map and no copy into a cache after the
// commit: the dirty rows' keys and values are moved into the chunk's StateWrite and back once it committed.
// A "chunk" here is whatever the runner commits at once: one round, of one or more log chunks.
//
// Exactness: a clean row always equals the committed state (nothing but the runner writes view state). A dirty
// row is ahead of it until its chunk commits; if the chunk is dropped or its commit fails, Abandon erases every
// dirty row, so the next read goes back to storage. Range deletions (a rebuild starting, a generation swap) are
// committed only between chunks, when no row is dirty; the runner then calls Clear.
//
// Memory: clean rows cost their key and value bytes plus kRowOverhead each; beyond `clean_bytes` (default
// 32 MiB) the least recently used clean rows are evicted, at chunk granularity: a row used by the chunk being
// folded is never evicted before that chunk ends, so the store holds at most max(clean_bytes, one chunk's
// rows). Dirty rows are bounded by one chunk. With clean_bytes 0 nothing survives its chunk. The row records
// (~100 bytes each, keys and values apart) and the hash table keep their high-water size until Clear. The records
// live in blocks of kBlockRows that never move: the store grows by one block, without copying (and faulting in
// again) every record it holds, as a doubling array would.
//
// Threading: none; the runner uses it under its fold mutex only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "processors/key_hash.h"
#include "processors/written_keys.h"
#include "storage/storage.h"

namespace tally {

class RowStore {
 public:
  static constexpr size_t kDefaultBytes = 32 << 20;
  // Bookkeeping charged per clean row on top of its key and value: the row record, two hash slots (the table
  // is at most half full) and the allocator's share of the key and value buffers.
  static constexpr size_t kRowOverhead = 128;

  explicit RowStore(size_t clean_bytes = kDefaultBytes);

  // The hash every look-up needs (HashKey, key_hash.h); compute it once per key and pass it to Find and
  // AddClean (and to the WrittenKeys filter).
  static uint64_t Hash(std::string_view key) { return HashKey(key); }

  // A row's place in the store, valid until the chunk ends (Committed, Abandon or Clear): a row the chunk has
  // used is not evicted before that. kMissing: the store does not hold the key.
  using Handle = uint32_t;
  static constexpr Handle kMissing = UINT32_MAX;

  // The row of `key`, or kMissing. Marks the row used by this chunk.
  Handle Find(std::string_view key, uint64_t hash);
  // The row's current value (nullopt: absent). The reference is valid until the next non-const call.
  const std::optional<std::string>& Value(Handle row) const { return At(row).value; }
  // Records the committed value of a key the store does not hold (just read from storage, or proven absent).
  Handle AddClean(std::string_view key, uint64_t hash, std::optional<std::string> value);
  // Chunk writes, by key or by a handle from this chunk. track: the key's generation is vouched for by the
  // runner's WrittenKeys filter, so the key must be added to it before the commit (TakeDirty does that).
  Handle Put(std::string_view key, std::string value, bool track);
  void PutAt(Handle row, std::string value, bool track);
  Handle Delete(std::string_view key);
  void DeleteAt(Handle row);
  // The row's value, to be changed in place by the caller before any other call (nullopt left: a deletion).
  std::optional<std::string>& Edit(Handle row, bool track);

  // Moves every dirty row that changes the committed state into `write` (keys and values moved, not copied) and
  // adds the tracked puts' keys to `written`. Until Committed or Abandon the store must not be used otherwise.
  void TakeDirty(StateWrite* write, WrittenKeys* written);
  // `write` (the one TakeDirty filled) is committed: the rows take their keys and values back (write is spent)
  // and turn clean. Ends the chunk.
  void Committed(StateWrite& write);
  // The chunk will not be committed (dropped, a read failed, the commit failed): every dirty row is erased,
  // whether TakeDirty ran or not. Ends the chunk.
  void Abandon();
  // Forgets every row. Only between chunks (no row dirty).
  void Clear();

  size_t clean_bytes() const { return clean_bytes_; }
  size_t rows() const { return live_rows_; }
  size_t dirty_rows() const { return dirty_.size(); }

 private:
  enum class Known : uint8_t { kUnknown, kAbsent, kPresent };  // what the store knows of the committed row
  static constexpr uint32_t kNone = UINT32_MAX;
  struct Row {
    std::string key;
    std::optional<std::string> value;
    uint64_t hash = 0;
    uint32_t prev = kNone, next = kNone;  // LRU neighbours (clean rows only)
    uint32_t chunk = 0;                   // the last chunk that used the row
    Known committed = Known::kUnknown;
    bool dirty = false;
    bool track = false;
  };
  struct Slot {
    uint32_t hash;  // the low half of the row's hash: its home slot, and a filter before comparing keys
    uint32_t row;   // index + 1; 0: empty
  };

  static constexpr uint32_t kBlockShift = 12;
  static constexpr uint32_t kBlockRows = 1u << kBlockShift;

  Row& At(uint32_t index) { return blocks_[index >> kBlockShift][index & (kBlockRows - 1)]; }
  const Row& At(uint32_t index) const { return blocks_[index >> kBlockShift][index & (kBlockRows - 1)]; }
  uint32_t Lookup(std::string_view key, uint64_t hash) const;  // row index or kNone
  uint32_t Insert(std::string_view key, uint64_t hash);        // a new row, neither clean nor dirty yet
  Handle Writable(std::string_view key);
  void MakeDirty(uint32_t index);
  void Erase(uint32_t index);
  void Grow();
  void LinkFront(uint32_t index);
  void Unlink(uint32_t index);
  void Touch(uint32_t index);
  void EvictToFit();
  void EndChunk();
  static size_t Cost(const Row& row) { return row.key.size() + (row.value ? row.value->size() : 0) + kRowOverhead; }

  size_t capacity_;
  size_t clean_bytes_ = 0;
  size_t live_rows_ = 0;
  uint32_t chunk_ = 1;
  std::vector<Slot> slots_;                     // open addressing, linear probing, backward-shift deletion
  std::vector<std::unique_ptr<Row[]>> blocks_;  // row i is At(i); indices are stable while a row lives
  uint32_t row_count_ = 0;                      // rows ever made since Clear (live + free_)
  std::vector<uint32_t> free_;                  // erased row indices, reused first
  std::vector<uint32_t> dirty_;                 // rows made dirty by the chunk being folded
  std::vector<uint32_t> taken_;                 // TakeDirty's rows, in write order: puts first, then deletes
  size_t first_put_ = 0, first_delete_ = 0;     // where TakeDirty started in write->puts / write->deletes
  uint32_t head_ = kNone, tail_ = kNone;        // clean rows, most recently used first
};

}  // namespace tally
