// QuarantineBook: the writer thread's bookkeeping of every quarantine (per store, "" = global): the id range
// [oldest, next) of the entries on disk and the lifetime dropped count. It stages a group's rejects into the
// group's WriteBatch (new entry, deletes of entries beyond capacity, the new dropped count) and applies the
// in-memory change only when the batch committed, so a failed write leaves the book as it was.
// Writer-thread only.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "core/status.h"
#include "storage/storage.h"

namespace tally {

// Value of a quarantine entry: I64 received_at, U8 code, Str message, Str raw (core/bytes.h ValueWriter).
std::string EncodeQuarantineValue(const QuarantineEntry& entry);
bool DecodeQuarantineValue(std::string_view value, QuarantineEntry* entry);

class QuarantineBook {
 public:
  QuarantineBook(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* quarantine, rocksdb::ColumnFamilyHandle* meta,
                 size_t capacity)
      : db_(db), quarantine_(quarantine), meta_(meta), capacity_(capacity) {}

  // Adds the entry's puts/deletes to batch. May read the quarantine's bounds from disk the first time a store
  // is seen.
  Status Stage(const QuarantineEntry& entry, rocksdb::WriteBatch* batch);
  // The staged changes became durable / were abandoned.
  void Commit();
  void Abort();

 private:
  struct Bounds {
    uint64_t oldest = 1;  // first id on disk (== next when empty)
    uint64_t next = 1;
    uint64_t dropped = 0;
  };
  Status Load(const std::string& store, Bounds* bounds);
  Bounds* Staged(const std::string& store, Status* status);

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* quarantine_;
  rocksdb::ColumnFamilyHandle* meta_;
  size_t capacity_;
  std::unordered_map<std::string, Bounds> committed_;
  std::unordered_map<std::string, Bounds> staged_;  // this group's working copies
};

}  // namespace tally
