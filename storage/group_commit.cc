// The writer thread: group commit of appends.
//
// The writer drains whatever is queued (whole requests, up to max_group_events), resolves duplicates
// (within the group, then the recent-ids cache, then one MultiGet on the dedup CF), assigns contiguous seqs,
// and writes ONE WriteBatch holding the events, their dedup entries, the group's quarantine entries and the
// new log head. Under kSync the batch is written with sync=true, so the whole group shares one WAL fsync.
// Only after the write returns are seqs consumed, the caches updated and the callbacks run; a failed write
// leaves nothing visible and every request of the group gets the error.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/bytes.h"
#include "storage/keys.h"
#include "storage/rocks_status.h"
#include "storage/rocks_storage.h"

namespace tally {

namespace keys = storage_keys;

void RocksStorage::WriterLoop() {
  std::vector<Request> group;
  while (true) {
    group.clear();
    TakeGroup(&group);
    if (group.empty()) return;  // stopping, and the queue is drained
    CommitGroup(group);
  }
}

void RocksStorage::TakeGroup(std::vector<Request>* group) {
  std::unique_lock<std::mutex> lock(queue_mu_);
  work_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
  size_t events = 0;
  while (!queue_.empty() && (group->empty() || events + queue_.front().events.size() <= options_.max_group_events)) {
    events += queue_.front().events.size();
    group->push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  queued_events_ -= events;
  lock.unlock();
  space_cv_.notify_all();
}

void RocksStorage::CommitGroup(std::vector<Request>& group) {
  if (needs_recovery_) RecoverAfterFailedWrite();
  const uint64_t head = head_.load(std::memory_order_relaxed);
  uint64_t next = head + 1;
  Status status = ResolveDuplicates(group);
  if (status.ok()) status = BuildBatch(group, &next);
  if (status.ok()) status = WriteGroup();
  if (!status.ok()) {
    quarantine_book_.Abort();
    FailGroup(group, status);
    return;
  }
  quarantine_book_.Commit();
  FinishGroup(group, next - 1);
}

Status RocksStorage::ResolveDuplicates(std::vector<Request>& group) {
  size_t total = 0;
  for (const Request& r : group) total += r.events.size();
  if (slots_.size() < total) slots_.resize(total);
  size_t table = 16;
  while (table < 2 * total) table <<= 1;
  first_seen_.assign(table, UINT32_MAX);
  lookup_keys_.clear();
  lookup_slots_.clear();
  size_t i = 0;
  for (const Request& r : group) {
    for (size_t k = 0; k < r.events.size(); ++k) {
      Slot& slot = slots_[i];
      slot.key = r.events.dedup_key(k);
      slot.hash = std::hash<std::string_view>()(slot.key);
      slot.found = false;
      slot.first = FirstSeen(i);
      if (slot.first == i) {
        if (std::optional<uint64_t> seq = recent_.Find(slot.key, slot.hash)) {
          slot.found = true;
          slot.seq = *seq;
        } else {
          lookup_slots_.push_back(static_cast<uint32_t>(i));
        }
      }
      ++i;
    }
  }
  std::sort(lookup_slots_.begin(), lookup_slots_.end(),
            [this](uint32_t a, uint32_t b) { return slots_[a].key < slots_[b].key; });
  for (uint32_t s : lookup_slots_) lookup_keys_.emplace_back(slots_[s].key);
  return LookupCommitted();
}

// The first slot of this group with slot i's key (i itself when new), via linear probing in first_seen_.
size_t RocksStorage::FirstSeen(size_t i) {
  const Slot& slot = slots_[i];
  const size_t mask = first_seen_.size() - 1;
  for (size_t pos = slot.hash & mask;; pos = (pos + 1) & mask) {
    const uint32_t other = first_seen_[pos];
    if (other == UINT32_MAX) {
      first_seen_[pos] = static_cast<uint32_t>(i);
      return i;
    }
    if (slots_[other].hash == slot.hash && slots_[other].key == slot.key) return other;
  }
}

// In pieces of 32 keys, RocksDB's own MultiGet batch size: a call with more keys allocates (and faults in)
// per-key bookkeeping on the heap, where a piece's fits on the stack; RocksDB splits a larger call into pieces
// of 32 anyway. The keys are in order (ResolveDuplicates sorted them), so RocksDB need not sort each piece.
Status RocksStorage::LookupCommitted() {
  constexpr size_t kPiece = 32;
  const size_t n = lookup_keys_.size();
  for (size_t begin = 0; begin < n; begin += kPiece) {
    const size_t count = std::min(kPiece, n - begin);
    rocksdb::PinnableSlice values[kPiece];
    rocksdb::Status statuses[kPiece];
    db_->MultiGet(rocksdb::ReadOptions(), dedup_, count, lookup_keys_.data() + begin, values, statuses,
                  /*sorted_input=*/true);
    for (size_t k = 0; k < count; ++k) {
      if (statuses[k].IsNotFound()) continue;
      if (!statuses[k].ok()) return FromRocks(statuses[k], "dedup lookup");
      if (values[k].size() != 8) return Status(Code::kCorruption, "dedup entry with a bad value");
      Slot& slot = slots_[lookup_slots_[begin + k]];
      slot.found = true;
      slot.seq = GetBigEndian64(values[k].ToStringView());
    }
  }
  return Status::Ok();
}

Status RocksStorage::BuildBatch(std::vector<Request>& group, uint64_t* next_seq) {
  batch_.Clear();
  const uint64_t first = *next_seq;
  char seq_key[8];
  rocksdb::Status s;
  size_t i = 0;
  for (Request& r : group) {
    for (size_t k = 0; k < r.events.size(); ++k) {
      Slot& slot = slots_[i];
      slot.duplicate = slot.first != i || slot.found;
      if (slot.first != i) slot.seq = slots_[slot.first].seq;
      if (!slot.duplicate) {
        slot.seq = (*next_seq)++;
        keys::EncodeSeq(slot.seq, seq_key);
        const rocksdb::Slice key(seq_key, 8);
        s = batch_.Put(events_, key, r.events.value(k));
        if (!s.ok()) return FromRocks(s, "build append batch");
      }
      ++i;
    }
    for (const QuarantineEntry& reject : r.rejects) {
      Status q = quarantine_book_.Stage(reject, &batch_);
      if (!q.ok()) return q;
    }
  }
  if (Status d = PutDedupEntries(); !d.ok()) return d;
  if (*next_seq != first) {
    keys::EncodeSeq(*next_seq - 1, seq_key);
    s = batch_.Put(meta_, keys::kLogHeadKey, rocksdb::Slice(seq_key, 8));
  }
  return FromRocks(s, "build append batch");
}

// Dedup entries go into the batch in key order: the memtable's skip list then continues each insert from the
// previous one instead of searching from the top (the keys themselves arrive in random order). The group's new
// events are exactly the looked-up slots that the dedup CF did not hold, already in key order.
Status RocksStorage::PutDedupEntries() {
  char seq_key[8];
  for (uint32_t i : lookup_slots_) {
    if (slots_[i].found) continue;
    keys::EncodeSeq(slots_[i].seq, seq_key);
    rocksdb::Status s = batch_.Put(dedup_, slots_[i].key, rocksdb::Slice(seq_key, 8));
    if (!s.ok()) return FromRocks(s, "build append batch");
  }
  return Status::Ok();
}

Status RocksStorage::WriteGroup() {
  if (batch_.Count() == 0) return Status::Ok();  // only duplicates: their originals are already durable
  rocksdb::WriteOptions wo;
  wo.sync = options_.durability == Durability::kSync;
  rocksdb::Status s = db_->Write(wo, &batch_);
  if (!s.ok()) {
    needs_recovery_ = true;
    wal_failed_.store(true, std::memory_order_release);
    spdlog::error("storage: group write failed: {}", s.ToString());
    return FromRocks(s, "append");
  }
  // RocksDB accepts writes again only once its background error is cleared — by our Resume() or, for a full
  // disk, by its own recovery once space is free (Resume() then answers Busy). Either way writing works again.
  if (needs_recovery_) {
    needs_recovery_ = false;
    wal_failed_.store(false, std::memory_order_release);
  }
  if (wo.sync)
    counters_.fsyncs.fetch_add(1, std::memory_order_relaxed);
  else
    unsynced_.store(true, std::memory_order_relaxed);
  return Status::Ok();
}

void RocksStorage::FinishGroup(std::vector<Request>& group, uint64_t head) {
  const bool advanced = head != head_.load(std::memory_order_relaxed);
  head_.store(head, std::memory_order_release);
  counters_.groups.fetch_add(1, std::memory_order_relaxed);
  size_t i = 0;
  for (Request& r : group) {
    AppendResult result;
    result.outcomes.resize(r.events.size());
    for (EventOutcome& outcome : result.outcomes) {
      Slot& slot = slots_[i++];
      outcome.duplicate = slot.duplicate;
      outcome.seq = slot.seq;
      if (slot.duplicate) continue;
      if (result.first_seq == 0) result.first_seq = slot.seq;
      result.last_seq = slot.seq;
      ++result.accepted;
      recent_.Insert(slot.key, slot.hash, slot.seq);
    }
    // Counters move before the callback so a caller that saw its ack also sees it counted.
    counters_.requests.fetch_add(1, std::memory_order_relaxed);
    counters_.events.fetch_add(result.accepted, std::memory_order_relaxed);
    counters_.duplicates.fetch_add(r.events.size() - result.accepted, std::memory_order_relaxed);
    counters_.quarantined.fetch_add(r.rejects.size(), std::memory_order_relaxed);
    r.done(std::move(result));
  }
  if (advanced && listener_) listener_(head);
}

void RocksStorage::FailGroup(std::vector<Request>& group, const Status& status) {
  counters_.failed_groups.fetch_add(1, std::memory_order_relaxed);
  for (Request& r : group) {
    AppendResult result;
    result.status = status;
    r.done(std::move(result));
  }
}

// After a failed WAL write RocksDB stops accepting writes (paranoid_checks) until resumed. Resume() flushes
// the memtables and moves to a new WAL, so a record that reached the old WAL file but failed its fsync can
// never be replayed later with seqs handed out again. RocksDB's own background auto-resume is disabled
// (rocks_open.cc) so that recovery happens here, before the next group, on the one thread that assigns seqs.
// Errors RocksDB deems unrecoverable (a plain IO error on the WAL) keep failing every later write until the
// process restarts; then RocksDB replays the WAL, and an unacknowledged group may or may not reappear — whole,
// with its dedup entries and log head, since it was one WriteBatch.
void RocksStorage::RecoverAfterFailedWrite() {
  rocksdb::Status s = db_->Resume();
  if (s.ok()) {
    needs_recovery_ = false;
    wal_failed_.store(false, std::memory_order_release);
    spdlog::info("storage: resumed writing after a failed write");
  } else {
    spdlog::error("storage: cannot resume writing (a restart recovers from the WAL): {}", s.ToString());
  }
}

void RocksStorage::SyncerLoop() {
  std::unique_lock<std::mutex> lock(sync_mu_);
  const auto interval = std::chrono::milliseconds(std::max(1, options_.async_sync_interval_ms));
  while (!sync_stop_) {
    sync_cv_.wait_for(lock, interval, [this] { return sync_stop_; });
    if (sync_stop_ || !unsynced_.exchange(false, std::memory_order_relaxed)) continue;
    if (wal_failed_.load(std::memory_order_acquire)) continue;  // syncing a failed WAL writer is not allowed
    lock.unlock();
    rocksdb::Status s = db_->SyncWAL();
    lock.lock();
    if (s.ok())
      counters_.fsyncs.fetch_add(1, std::memory_order_relaxed);
    else
      spdlog::error("storage: interval WAL sync failed: {}", s.ToString());
  }
}

}  // namespace tally
