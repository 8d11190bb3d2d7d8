// RocksStorage: the RocksDB implementation of Storage (storage/storage.h). Private to storage/.
//
// Threads: one writer thread owns sequence assignment, dedup and the quarantine bookkeeping and does every
// event-log write (group commit, group_commit.cc); under Durability::kAsync a syncer thread fsyncs the WAL
// every async_sync_interval_ms. Reads (ReadEvents, FindEvent, quarantine, snapshots) and CommitState run on
// the caller's thread straight against RocksDB. The only lock is queue_mu_, held just to enqueue/dequeue.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/quarantine_book.h"
#include "storage/recent_ids.h"
#include "storage/storage.h"

namespace tally {

class RocksStorage final : public Storage {
 public:
  // Use Storage::Open.
  RocksStorage(const StorageOptions& options, std::unique_ptr<rocksdb::DB> db,
               std::vector<rocksdb::ColumnFamilyHandle*> handles, uint64_t head);
  ~RocksStorage() override;

  void AppendEncoded(EncodedEvents events, std::vector<QuarantineEntry> rejects,
                     std::function<void(AppendResult)> done) override;
  Status TryAppendEncoded(EncodedEvents&& events, std::vector<QuarantineEntry>&& rejects,
                          std::function<void(AppendResult)>&& done) override;
  uint64_t LogHead() const override { return head_.load(std::memory_order_acquire); }
  void SetAppendListener(std::function<void(uint64_t head)> listener) override;
  Status ReadEvents(uint64_t from, size_t max_events, std::vector<std::pair<uint64_t, Event>>* out) override;
  std::unique_ptr<LogCursor> ReadLog(uint64_t from) override;
  Result<std::optional<uint64_t>> FindEvent(std::string_view store_id, std::string_view event_id) override;
  Result<QuarantinePage> ReadQuarantine(std::string_view store_id, size_t limit,
                                        std::optional<std::string_view> cursor) override;
  std::unique_ptr<StateSnapshot> Snapshot() override;
  std::unique_ptr<StateSnapshot> CommittedState() override;
  Status CommitState(const StateWrite& write) override;
  Status Close() override;
  std::vector<std::pair<std::string, uint64_t>> SizesByColumnFamily() override;
  std::vector<std::pair<std::string, uint64_t>> MemoryUsage() override;
  StorageStats Stats() const override;

 private:
  struct Request {
    EncodedEvents events;
    std::vector<QuarantineEntry> rejects;
    std::function<void(AppendResult)> done;
  };
  // Per-event scratch of one group, reused across groups to avoid allocations.
  struct Slot {
    std::string_view key;  // dedup key, in its request's events (valid for the group)
    size_t hash = 0;       // std::hash of key
    size_t first = 0;      // index of the first slot in the group with the same key
    bool found = false;    // a committed original exists
    uint64_t seq = 0;      // assigned seq, or the original's
    bool duplicate = false;
  };

  // group_commit.cc: the writer thread.
  void WriterLoop();
  void TakeGroup(std::vector<Request>* group);
  void CommitGroup(std::vector<Request>& group);
  Status ResolveDuplicates(std::vector<Request>& group);
  size_t FirstSeen(size_t i);
  Status LookupCommitted();
  Status BuildBatch(std::vector<Request>& group, uint64_t* next_seq);
  Status PutDedupEntries();
  Status WriteGroup();
  void FinishGroup(std::vector<Request>& group, uint64_t head);
  void FailGroup(std::vector<Request>& group, const Status& status);
  void RecoverAfterFailedWrite();
  std::unique_ptr<rocksdb::WriteBatch> TakeStateBatch(size_t bytes);
  void KeepStateBatch(std::unique_ptr<rocksdb::WriteBatch> batch);
  void SyncerLoop();

  bool Admit(size_t events, bool block, std::unique_lock<std::mutex>& lock);
  void Enqueue(Request request, std::unique_lock<std::mutex>& lock);

  const StorageOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // owned; destroyed in Close
  rocksdb::ColumnFamilyHandle* events_;
  rocksdb::ColumnFamilyHandle* dedup_;
  rocksdb::ColumnFamilyHandle* quarantine_;
  rocksdb::ColumnFamilyHandle* state_;
  rocksdb::ColumnFamilyHandle* meta_;

  std::atomic<uint64_t> head_;
  std::function<void(uint64_t)> listener_;

  // Queue (guarded by queue_mu_).
  std::mutex queue_mu_;
  std::condition_variable work_cv_;   // writer waits for requests
  std::condition_variable space_cv_;  // blocked appenders wait for room
  std::deque<Request> queue_;
  std::atomic<size_t> queued_events_{0};  // written under queue_mu_, read lock-free by Stats()
  bool stopping_ = false;
  bool closed_ = false;
  std::mutex close_mu_;

  // Writer-thread state.
  std::vector<Slot> slots_;
  std::vector<uint32_t> first_seen_;  // open-addressing table of slot indexes: in-group duplicate detection
  // Slots whose keys the group must look up in the dedup CF (first in the group, not recently seen), in key
  // order: the MultiGet is told its keys are sorted, and the new ones' dedup entries go into the batch in the
  // same order.
  std::vector<uint32_t> lookup_slots_;
  std::vector<rocksdb::Slice> lookup_keys_;
  rocksdb::WriteBatch batch_;
  RecentIds recent_;
  QuarantineBook quarantine_book_;
  bool needs_recovery_ = false;
  std::atomic<bool> wal_failed_{false};  // a WAL write failed and RocksDB has not resumed yet

  // CommitState's WriteBatches, kept for the next commit (CommitState may run on several threads: tally replay's
  // engines): a round's batch is megabytes, and a fresh one each commit was allocated and faulted in again.
  std::mutex state_batches_mu_;
  std::vector<std::unique_ptr<rocksdb::WriteBatch>> state_batches_;

  // Syncer (kAsync).
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  bool sync_stop_ = false;
  std::atomic<bool> unsynced_{false};

  std::thread writer_;
  std::thread syncer_;

  struct Counters {
    std::atomic<uint64_t> groups{0}, requests{0}, events{0}, duplicates{0}, quarantined{0}, fsyncs{0}, failed_groups{0};
  };
  mutable Counters counters_;
};

}  // namespace tally
