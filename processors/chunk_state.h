// ChunkState: the FoldState a processor sees while the runner folds one chunk into one view generation. It is a
// thin view of the runner's RowStore (row_store.h) under the generation's key prefix: reads and writes are one
// look-up there. A key the store does not hold is read from the committed state in the chunk's storage snapshot
// — unless the runner's WrittenKeys filter proves it was never written (written_keys.h) — and kept in the store.
// Writes stay in the store (dirty) until the runner commits or abandons the chunk.
//
// Threading: owned and used by the runner thread only.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "processors/processor.h"
#include "processors/row_store.h"
#include "processors/written_keys.h"
#include "storage/storage.h"

namespace tally {

class ChunkState final : public FoldState {
 public:
  // snapshot: the committed state as of the chunk's start. rows: the runner's store. prefix: the generation's
  // key prefix (view_keys.h). written: the runner's filter when it vouches for this generation, else nullptr;
  // the chunk's puts are then added to it before the commit. snapshot and rows must outlive this object.
  ChunkState(const StateSnapshot* snapshot, RowStore* rows, std::string prefix, WrittenKeys* written)
      : snapshot_(snapshot), rows_(rows), prefix_size_(prefix.size()), written_(written), key_(std::move(prefix)) {}

  std::optional<std::string_view> Get(std::string_view key) override;
  void Put(std::string_view key, std::string value) override;
  void Delete(std::string_view key) override;
  // In place: edit changes the store's own copy of the row, so a large row is never copied.
  void Update(std::string_view key, const std::function<void(std::optional<std::string>&)>& edit) override;

  // The first storage error a read hit (the chunk must then not be committed).
  const Status& status() const { return status_; }

 private:
  std::string_view Absolute(std::string_view key);
  bool IsLast(std::string_view key) const;
  // The row of `key`, read from storage if the store does not hold it; kMissing when that read failed.
  RowStore::Handle Load(std::string_view key);

  const StateSnapshot* snapshot_;
  RowStore* rows_;
  size_t prefix_size_;
  WrittenKeys* written_;
  // The prefix, then the relative key of the last access: key_[0, key_size_) is its absolute key (one buffer
  // that only grows, no string per call).
  std::string key_;
  size_t key_size_ = 0;
  // The row of the last access: processors mostly Put the key they just read, which then needs no hashing or
  // look-up. Valid for the whole chunk (row_store.h: a row used by the chunk stays put).
  RowStore::Handle last_ = RowStore::kMissing;
  Status status_;
};

}  // namespace tally
