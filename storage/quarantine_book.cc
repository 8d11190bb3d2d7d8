#include "storage/quarantine_book.h"

#include <memory>

#include "core/bytes.h"
#include "storage/keys.h"
#include "storage/rocks_status.h"

namespace tally {

namespace keys = storage_keys;

std::string EncodeQuarantineValue(const QuarantineEntry& entry) {
  ValueWriter w;
  w.I64(entry.received_at).U8(static_cast<uint8_t>(entry.code)).Str(entry.message).Str(entry.raw);
  return w.Take();
}

bool DecodeQuarantineValue(std::string_view value, QuarantineEntry* entry) {
  ValueReader r(value);
  entry->received_at = r.I64();
  entry->code = static_cast<Code>(r.U8());
  entry->message = r.Str();
  entry->raw = r.Str();
  return r.ok() && r.done();
}

Status QuarantineBook::Load(const std::string& store, Bounds* bounds) {
  const std::string prefix = keys::QuarantinePrefix(store);
  const std::string upper = keys::QuarantineKey(store, UINT64_MAX);
  rocksdb::ReadOptions ro;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, quarantine_));
  it->Seek(prefix);
  if (it->Valid() && it->key().starts_with(prefix)) {
    bounds->oldest = GetBigEndian64(std::string_view(it->key().data() + prefix.size(), 8));
    it->SeekForPrev(upper);
    bounds->next = GetBigEndian64(std::string_view(it->key().data() + prefix.size(), 8)) + 1;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "load quarantine bounds");
  std::string dropped;
  rocksdb::Status s = db_->Get(ro, meta_, keys::MetaKey(keys::kQuarantineDroppedPrefix, store), &dropped);
  if (s.ok() && dropped.size() == 8) bounds->dropped = GetBigEndian64(dropped);
  else if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "load quarantine dropped count");
  return Status::Ok();
}

QuarantineBook::Bounds* QuarantineBook::Staged(const std::string& store, Status* status) {
  auto staged = staged_.find(store);
  if (staged != staged_.end()) return &staged->second;
  auto committed = committed_.find(store);
  Bounds bounds;
  if (committed != committed_.end()) {
    bounds = committed->second;
  } else {
    *status = Load(store, &bounds);
    if (!status->ok()) return nullptr;
  }
  return &staged_.emplace(store, bounds).first->second;
}

Status QuarantineBook::Stage(const QuarantineEntry& entry, rocksdb::WriteBatch* batch) {
  // A store id with a NUL byte would break the key prefix scheme; such input belongs to the global one anyway.
  const std::string store = entry.store_id.find('\0') == std::string::npos ? entry.store_id : std::string();
  Status status;
  Bounds* b = Staged(store, &status);
  if (b == nullptr) return status;
  rocksdb::Status s;
  if (capacity_ == 0) {
    ++b->dropped;
  } else {
    s = batch->Put(quarantine_, keys::QuarantineKey(store, b->next++), EncodeQuarantineValue(entry));
    // Keep only the newest capacity_: point deletes (not range tombstones) keep later scans cheap.
    while (s.ok() && b->next - b->oldest > capacity_) {
      s = batch->Delete(quarantine_, keys::QuarantineKey(store, b->oldest++));
      ++b->dropped;
    }
  }
  if (s.ok() && b->dropped > 0) {
    s = batch->Put(meta_, keys::MetaKey(keys::kQuarantineDroppedPrefix, store), BigEndianKey64(b->dropped));
  }
  return FromRocks(s, "stage quarantine entry");
}

void QuarantineBook::Commit() {
  for (auto& [store, bounds] : staged_) committed_[store] = bounds;
  staged_.clear();
}

void QuarantineBook::Abort() { staged_.clear(); }

}  // namespace tally
