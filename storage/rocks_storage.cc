// RocksStorage: the request queue (backpressure) and every read path; view-state commits.
#include "storage/rocks_storage.h"

#include <algorithm>
#include <charconv>
#include <vector>

#include "core/bytes.h"
#include "core/event_codec.h"
#include "storage/keys.h"
#include "storage/rocks_status.h"

namespace tally {
namespace {

namespace keys = storage_keys;

Status Closed() { return Status(Code::kUnavailable, "storage is closed"); }

// Seeks `it` to `key` and answers the value stored at exactly that key; nullopt when the seek lands elsewhere
// (absent) or fails (see it.status()). The slice lives until the iterator moves.
std::optional<rocksdb::Slice> SeekExact(rocksdb::Iterator& it, const rocksdb::Slice& key) {
  it.Seek(key);
  if (it.Valid() && it.key() == key) return it.value();
  return std::nullopt;
}

// Neither read view below takes a RocksDB snapshot. Releasing one makes RocksDB mark every bottommost SST
// file written before it for a rewrite that only zeroes its sequence numbers (a "BottommostFiles" compaction):
// the log, whose files are otherwise moved down the levels untouched, would be compressed and written twice
// (docs/performance.md, fix 25). A process that never releases a snapshot never marks a file.

// The latest committed state and offsets, read without pinning an instant. Consistent only for the state's one
// writer (the runner, and the engine before it starts), whose own commits are the only changes.
class LatestState final : public StateSnapshot {
 public:
  LatestState(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* state, rocksdb::ColumnFamilyHandle* meta)
      : db_(db), state_(state), meta_(meta) {}

  uint64_t Offset(std::string_view view) const override {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta_, keys::MetaKey(keys::kOffsetPrefix, view), &value);
    return s.ok() && value.size() == 8 ? GetBigEndian64(value) : 0;
  }

  Result<std::optional<std::string>> Get(std::string_view key) const override {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), state_, rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return FromRocks(s, "read view state");
    return std::optional<std::string>(std::move(value));
  }

  // An empty `end` scans to the end of the keyspace.
  Status Scan(std::string_view start, std::string_view end,
              const std::function<bool(std::string_view, std::string_view)>& fn) const override {
    rocksdb::ReadOptions ro;
    rocksdb::Slice upper(end.data(), end.size());
    if (!end.empty()) ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, state_));
    for (it->Seek(rocksdb::Slice(start.data(), start.size())); it->Valid(); it->Next()) {
      if (!fn(it->key().ToStringView(), it->value().ToStringView())) break;
    }
    return FromRocks(it->status(), "scan view state");
  }

 private:
  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* state_;
  rocksdb::ColumnFamilyHandle* meta_;
};

// A consistent read view of the state and meta CFs for readers beside the writer (queries): three iterators
// made by one NewIterators call, which read the same instant — each pins the memtables and files it needs,
// which is RocksDB's implicit snapshot. Point reads seek the `get_` iterator, scans walk `scan_`, so a scan's
// callback may Get but not Scan again.
class PinnedState final : public StateSnapshot {
 public:
  PinnedState(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* state, rocksdb::ColumnFamilyHandle* meta) {
    std::vector<rocksdb::Iterator*> its;
    status_ = FromRocks(db->NewIterators(rocksdb::ReadOptions(), {state, state, meta}, &its), "open state snapshot");
    if (!status_.ok()) return;
    get_.reset(its[0]);
    scan_.reset(its[1]);
    meta_.reset(its[2]);
  }

  uint64_t Offset(std::string_view view) const override {
    if (!status_.ok()) return 0;
    std::optional<rocksdb::Slice> value = SeekExact(*meta_, keys::MetaKey(keys::kOffsetPrefix, view));
    return value && value->size() == 8 ? GetBigEndian64(value->ToStringView()) : 0;
  }

  Result<std::optional<std::string>> Get(std::string_view key) const override {
    if (!status_.ok()) return status_;
    if (std::optional<rocksdb::Slice> value = SeekExact(*get_, rocksdb::Slice(key.data(), key.size()))) {
      return std::optional<std::string>(value->ToString());
    }
    if (!get_->status().ok()) return FromRocks(get_->status(), "read view state");
    return std::optional<std::string>();
  }

  // An empty `end` scans to the end of the keyspace.
  Status Scan(std::string_view start, std::string_view end,
              const std::function<bool(std::string_view, std::string_view)>& fn) const override {
    if (!status_.ok()) return status_;
    if (scanning_) return Status(Code::kInternal, "a scan of a state snapshot started inside another");
    scanning_ = true;
    const rocksdb::Slice upper(end.data(), end.size());
    for (scan_->Seek(rocksdb::Slice(start.data(), start.size())); scan_->Valid(); scan_->Next()) {
      if (!end.empty() && scan_->key().compare(upper) >= 0) break;
      if (!fn(scan_->key().ToStringView(), scan_->value().ToStringView())) break;
    }
    scanning_ = false;
    return FromRocks(scan_->status(), "scan view state");
  }

 private:
  Status status_;
  std::unique_ptr<rocksdb::Iterator> get_, scan_, meta_;
  mutable bool scanning_ = false;
};

std::optional<uint64_t> ParseCursor(std::string_view cursor) {
  uint64_t id = 0;
  auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + cursor.size(), id);
  if (ec != std::errc() || end != cursor.data() + cursor.size() || id == 0) return std::nullopt;
  return id;
}

}  // namespace

// --- Queue -------------------------------------------------------------------------------------------------

bool RocksStorage::Admit(size_t events, bool block, std::unique_lock<std::mutex>& lock) {
  auto has_room = [&] {
    const size_t queued = queued_events_.load(std::memory_order_relaxed);
    return queued == 0 || queued + events <= options_.max_queue_events;
  };
  if (block) space_cv_.wait(lock, [&] { return stopping_ || has_room(); });
  return !stopping_ && has_room();
}

void RocksStorage::Enqueue(Request request, std::unique_lock<std::mutex>& lock) {
  queued_events_.fetch_add(request.events.size(), std::memory_order_relaxed);
  queue_.push_back(std::move(request));
  lock.unlock();
  work_cv_.notify_one();
}

void RocksStorage::AppendEncoded(EncodedEvents events, std::vector<QuarantineEntry> rejects,
                                 std::function<void(AppendResult)> done) {
  std::unique_lock<std::mutex> lock(queue_mu_);
  if (!Admit(events.size(), /*block=*/true, lock)) {
    lock.unlock();
    AppendResult result;
    result.status = Closed();
    done(std::move(result));
    return;
  }
  Enqueue(Request{std::move(events), std::move(rejects), std::move(done)}, lock);
}

Status RocksStorage::TryAppendEncoded(EncodedEvents&& events, std::vector<QuarantineEntry>&& rejects,
                                      std::function<void(AppendResult)>&& done) {
  std::unique_lock<std::mutex> lock(queue_mu_);
  if (stopping_) return Closed();
  if (!Admit(events.size(), /*block=*/false, lock)) {
    return Status(Code::kUnavailable, "the append queue is full; retry later");
  }
  Enqueue(Request{std::move(events), std::move(rejects), std::move(done)}, lock);
  return Status::Ok();
}

void RocksStorage::SetAppendListener(std::function<void(uint64_t head)> listener) { listener_ = std::move(listener); }

// --- Reads -------------------------------------------------------------------------------------------------

namespace {

// One iterator over the events CF for the cursor's life, bounded by the head at its creation: only events whose
// group commit completed. A log scan reads each block once, so it stays out of the block cache the view
// state's reads need, and reads ahead in large steps (a replay walks the whole log in order).
class RocksLogCursor final : public LogCursor {
 public:
  RocksLogCursor(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* events, uint64_t from, uint64_t head) {
    from = std::max<uint64_t>(from, 1);
    if (from > head) return;  // nothing to read: no iterator at all
    char lower[8];
    keys::EncodeSeq(from, lower);
    keys::EncodeSeq(head + 1, upper_);
    upper_slice_ = rocksdb::Slice(upper_, sizeof upper_);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice_;
    ro.fill_cache = false;
    ro.readahead_size = 2 << 20;
    it_.reset(db->NewIterator(ro, events));
    it_->Seek(rocksdb::Slice(lower, sizeof lower));
  }

  Status Read(size_t max_events, std::vector<std::pair<uint64_t, Event>>* out) override {
    if (!it_) {
      out->clear();
      return Status::Ok();
    }
    // Events are decoded over the ones out already holds (a chunk vector reused round after round), so their
    // strings' buffers are reused rather than freed and allocated again.
    size_t n = 0;
    for (; it_->Valid() && n < max_events; it_->Next(), ++n) {
      if (n == out->size()) out->emplace_back();
      auto& [seq, event] = (*out)[n];
      seq = GetBigEndian64(it_->key().ToStringView());
      if (Status s = DecodeStoredEvent(it_->value().ToStringView(), &event); !s.ok()) {
        Status corrupt(Code::kCorruption, "event " + std::to_string(seq) + ": " + s.message());
        out->resize(n);
        return corrupt;
      }
    }
    out->resize(n);
    return FromRocks(it_->status(), "read events");
  }

 private:
  char upper_[8];  // the iterator's upper bound points here
  rocksdb::Slice upper_slice_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

}  // namespace

std::unique_ptr<LogCursor> RocksStorage::ReadLog(uint64_t from) {
  if (!db_) return Storage::ReadLog(from);  // its reads answer "closed"
  return std::make_unique<RocksLogCursor>(db_.get(), events_, from, LogHead());
}

Status RocksStorage::ReadEvents(uint64_t from, size_t max_events, std::vector<std::pair<uint64_t, Event>>* out) {
  out->clear();
  if (!db_) return Closed();
  if (max_events == 0) return Status::Ok();
  const uint64_t head = LogHead();
  if (from > head) return Status::Ok();
  out->reserve(std::min<uint64_t>(max_events, head - std::max<uint64_t>(from, 1) + 1));
  return RocksLogCursor(db_.get(), events_, from, head).Read(max_events, out);
}

Result<std::optional<uint64_t>> RocksStorage::FindEvent(std::string_view store_id, std::string_view event_id) {
  if (!db_) return Closed();
  rocksdb::PinnableSlice value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), dedup_, keys::DedupKey(store_id, event_id), &value);
  if (s.IsNotFound()) return std::optional<uint64_t>();
  if (!s.ok()) return FromRocks(s, "find event");
  if (value.size() != 8) return Status(Code::kCorruption, "dedup entry with a bad value");
  return std::optional<uint64_t>(GetBigEndian64(value.ToStringView()));
}

Result<QuarantinePage> RocksStorage::ReadQuarantine(std::string_view store_id, size_t limit,
                                                    std::optional<std::string_view> cursor) {
  if (!db_) return Closed();
  uint64_t start = UINT64_MAX;
  if (cursor) {
    std::optional<uint64_t> id = ParseCursor(*cursor);
    if (!id) return Status(Code::kBadParameter, "cursor: not a cursor this server returned");
    start = *id;
  }
  const std::string prefix = keys::QuarantinePrefix(store_id);
  // Entries and the dropped count from one instant: two iterators of one NewIterators call (no RocksDB
  // snapshot, see LatestState above). No iterate_lower_bound: the options are shared with the meta iterator;
  // the walk back stops at the prefix instead.
  std::vector<rocksdb::Iterator*> its;
  if (Status opened =
          FromRocks(db_->NewIterators(rocksdb::ReadOptions(), {quarantine_, meta_}, &its), "read quarantine");
      !opened.ok()) {
    return opened;
  }
  std::unique_ptr<rocksdb::Iterator> it(its[0]);
  std::unique_ptr<rocksdb::Iterator> meta(its[1]);
  QuarantinePage page;
  for (it->SeekForPrev(keys::QuarantineKey(store_id, start)); it->Valid(); it->Prev()) {
    if (!it->key().starts_with(prefix)) break;
    const uint64_t id = GetBigEndian64(it->key().ToStringView().substr(prefix.size()));
    if (page.entries.size() == limit) {
      page.next_cursor = std::to_string(id);
      break;
    }
    QuarantineEntry& entry = page.entries.emplace_back();
    entry.store_id = std::string(store_id);
    if (!DecodeQuarantineValue(it->value().ToStringView(), &entry)) {
      return Status(Code::kCorruption, "undecodable quarantine entry " + std::to_string(id));
    }
  }
  Status status = FromRocks(it->status(), "read quarantine");
  std::optional<rocksdb::Slice> dropped = SeekExact(*meta, keys::MetaKey(keys::kQuarantineDroppedPrefix, store_id));
  if (dropped && dropped->size() == 8)
    page.dropped = GetBigEndian64(dropped->ToStringView());
  else if (!meta->status().ok() && status.ok())
    status = FromRocks(meta->status(), "read quarantine dropped count");
  if (!status.ok()) return status;
  return page;
}

// --- View state --------------------------------------------------------------------------------------------

std::unique_ptr<StateSnapshot> RocksStorage::Snapshot() {
  return std::make_unique<PinnedState>(db_.get(), state_, meta_);
}

std::unique_ptr<StateSnapshot> RocksStorage::CommittedState() {
  return std::make_unique<LatestState>(db_.get(), state_, meta_);
}

// A spare batch from an earlier commit (its buffer keeps its size; a larger round grows it), or a new one sized
// `bytes`; see state_batches_.
std::unique_ptr<rocksdb::WriteBatch> RocksStorage::TakeStateBatch(size_t bytes) {
  {
    std::lock_guard lock(state_batches_mu_);
    if (!state_batches_.empty()) {
      std::unique_ptr<rocksdb::WriteBatch> batch = std::move(state_batches_.back());
      state_batches_.pop_back();
      batch->Clear();
      return batch;
    }
  }
  return std::make_unique<rocksdb::WriteBatch>(bytes);
}

// Keeps up to kMaxKeptBatches (one per thread committing at once: the server's runner, tally replay's engines),
// none that held more than kMaxKeptBatchBytes (a 32-chunk replay round of loadgen's mix: 5.6 MB) — so what is
// kept stays bounded whatever a single commit held.
void RocksStorage::KeepStateBatch(std::unique_ptr<rocksdb::WriteBatch> batch) {
  constexpr size_t kMaxKeptBatchBytes = 32 << 20;
  constexpr size_t kMaxKeptBatches = 4;
  if (batch->GetDataSize() > kMaxKeptBatchBytes) return;
  std::lock_guard lock(state_batches_mu_);
  if (state_batches_.size() < kMaxKeptBatches) state_batches_.push_back(std::move(batch));
}

Status RocksStorage::CommitState(const StateWrite& write) {
  if (!db_) return Closed();
  // Sized up front (a record is the bytes plus at most ~16 of tag, column family and lengths): a round's batch
  // is megabytes, and growing it by doubling copied it and faulted in twice its size.
  size_t bytes = 64;
  for (const auto& [key, value] : write.puts) bytes += key.size() + value.size() + 16;
  for (const auto& key : write.deletes) bytes += key.size() + 16;
  for (const auto& [begin, end] : write.delete_ranges) bytes += begin.size() + end.size() + 16;
  for (const auto& [view, offset] : write.offsets) bytes += view.size() + 40;
  std::unique_ptr<rocksdb::WriteBatch> batch = TakeStateBatch(bytes);
  rocksdb::Status s;
  // Rows go into the batch in key order: the memtable's skip list then starts each insert from where the
  // previous one ended instead of searching from the top, which halved the instructions of these commits
  // (the runner's rows arrive in hash order). Stable, so a key put twice keeps its last value.
  std::vector<const std::pair<std::string, std::string>*> puts;
  puts.reserve(write.puts.size());
  for (const auto& put : write.puts) puts.push_back(&put);
  std::stable_sort(puts.begin(), puts.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  for (const auto* put : puts)
    if (s.ok()) s = batch->Put(state_, put->first, put->second);
  for (const auto& key : write.deletes)
    if (s.ok()) s = batch->Delete(state_, key);
  for (const auto& [begin, end] : write.delete_ranges)
    if (s.ok()) s = batch->DeleteRange(state_, begin, end);
  for (const auto& [view, offset] : write.offsets) {
    if (s.ok()) s = batch->Put(meta_, keys::MetaKey(keys::kOffsetPrefix, view), BigEndianKey64(offset));
  }
  if (!s.ok()) return FromRocks(s, "build state commit");
  // Never fsynced, whatever the durability: view state is rebuildable from the log, and rows and offsets are
  // one WriteBatch, so losing the unsynced tail of the WAL (power loss) only rolls views back to an earlier
  // consistent commit, from which the runner folds again. The events a commit covers were durable before the
  // runner could read them (LogHead), so an offset can never survive beyond its events; the next synced group
  // write (or the async syncer, or Close) makes the commit durable along with it.
  rocksdb::WriteOptions wo;
  wo.sync = false;
  s = db_->Write(wo, batch.get());
  KeepStateBatch(std::move(batch));
  if (!s.ok()) return FromRocks(s, "commit view state");
  unsynced_.store(true, std::memory_order_relaxed);
  return Status::Ok();
}

}  // namespace tally
