// Storage: the one RocksDB instance behind tally — the append-only event log, the dedup index, the quarantine
// and the view state of every processor. Nothing outside storage/ sees RocksDB types except through the
// optional Env hook used by fault-injection tests.
//
// Column families, key layouts, the durability rule and failure handling are documented in docs/storage.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/event.h"
#include "core/status.h"
#include "core/time.h"
#include "storage/encoded_events.h"

namespace rocksdb {
class Env;
}

namespace tally {

enum class Durability {
  kSync,   // ack after the group's WAL write is fsynced
  kAsync,  // ack after the write; the WAL is fsynced every async_sync_interval_ms
};

struct StorageOptions {
  std::string path;
  Durability durability = Durability::kSync;
  int async_sync_interval_ms = 100;
  size_t quarantine_capacity = 10'000;  // newest N kept per quarantine; older ones dropped and counted
  size_t max_group_events = 65'536;     // cap on events folded into one group commit
  // Backpressure: Append blocks (TryAppend answers kUnavailable) while more than this many events wait in the
  // writer's queue. A single request larger than the limit is still admitted once the queue is empty.
  size_t max_queue_events = 262'144;
  rocksdb::Env* env = nullptr;  // nullptr: the default Env. Tests pass a fault-injecting one.
  bool create_if_missing = true;
  // Tuned for `tally replay`, which rebuilds views with no server and no queries: RocksDB compacts the view
  // state less often (see rocks_open.cc). Not for a serving directory.
  bool offline_rebuild = false;
};

// What happened to one event of an append.
struct EventOutcome {
  bool duplicate = false;
  uint64_t seq = 0;  // the assigned sequence, or the original's when duplicate
};

struct AppendResult {
  Status status;                       // not ok: nothing of this request was appended
  std::vector<EventOutcome> outcomes;  // one per event, in request order
  uint64_t first_seq = 0;              // 0 when nothing was accepted
  uint64_t last_seq = 0;
  size_t accepted = 0;
};

// Counters for /metrics. Monotonic since Open; read without locks, so fields may be from slightly different
// instants.
struct StorageStats {
  uint64_t groups_committed = 0;    // successful group-commit writes
  uint64_t requests_committed = 0;  // Append requests acknowledged with ok
  uint64_t events_appended = 0;
  uint64_t duplicates = 0;
  uint64_t quarantined = 0;    // rejects written to a quarantine
  uint64_t fsyncs = 0;         // synced group writes + interval WAL syncs (state commits never sync)
  uint64_t failed_groups = 0;  // group writes that failed (every request of the group got the error)
  uint64_t queued_events = 0;  // events waiting for the writer right now
  // True while appends fail because the last group write failed and RocksDB has not resumed (for /healthz).
  // It stays true until a restart when RocksDB deems the error unrecoverable (docs/storage.md).
  bool writes_failing = false;
  uint64_t rocksdb_snapshots = 0;  // RocksDB snapshots held right now; tally takes none (rocks_storage.cc)
};

// A rejected input kept for inspection (CONTRACT §1.3). store_id empty = the global (admin) quarantine.
struct QuarantineEntry {
  std::string store_id;
  TimeMs received_at = 0;
  Code code = Code::kMalformed;
  std::string message;
  std::string raw;  // capped at 64 KiB by the caller
};

struct QuarantinePage {
  std::vector<QuarantineEntry> entries;  // newest first
  std::optional<std::string> next_cursor;
  uint64_t dropped = 0;  // how many this quarantine dropped over its lifetime
};

// A read view of view state. Storage::Snapshot()'s is consistent (one instant, whatever commits follow);
// Storage::CommittedState()'s reads the latest commit. Thread-compatible; cheap to create.
class StateSnapshot {
 public:
  virtual ~StateSnapshot() = default;
  // The committed offset of `view` as of this snapshot (0 if never committed).
  virtual uint64_t Offset(std::string_view view) const = 0;
  virtual Result<std::optional<std::string>> Get(std::string_view key) const = 0;
  // Calls fn(key, value) for keys in [start, end) in key order until fn returns false.
  virtual Status Scan(std::string_view start, std::string_view end,
                      const std::function<bool(std::string_view, std::string_view)>& fn) const = 0;
};

// One atomic commit of view state: rows, deletions and offsets land together or not at all.
struct StateWrite {
  std::vector<std::pair<std::string, std::string>> puts;
  std::vector<std::string> deletes;
  std::vector<std::pair<std::string, std::string>> delete_ranges;  // [begin, end)
  std::vector<std::pair<std::string, uint64_t>> offsets;           // view name -> new offset
};

// A run of the log: (seq, event) in log order.
using EventChunk = std::vector<std::pair<uint64_t, Event>>;

// A forward read of the log, for a caller that reads a long run of it in pieces (the runner's round of chunks):
// each Read continues where the last one stopped, without seeking and re-reading ahead again.
class LogCursor {
 public:
  virtual ~LogCursor() = default;
  // Reads up to max_events more events into out (cleared first), in log order. Empty: the cursor has passed
  // the log head as it was when the cursor was made (later appends are for a new cursor).
  virtual Status Read(size_t max_events, EventChunk* out) = 0;
  // Reads on like Read, but may answer with a chunk other readers of the same log share (SharedLog,
  // shared_log.h) instead of a copy: *events points either at *scratch, filled as Read fills out, or at a
  // read-only shared chunk that *keep holds alive until the next call. This default always reads into scratch.
  virtual Status ReadChunk(size_t max_events, EventChunk* scratch, std::shared_ptr<const EventChunk>* keep,
                           const EventChunk** events) {
    keep->reset();
    *events = scratch;
    return Read(max_events, scratch);
  }
};

class Storage {
 public:
  virtual ~Storage() = default;

  // Opens (creating if allowed) the data directory and checks its format version.
  static Result<std::unique_ptr<Storage>> Open(const StorageOptions& options);

  // --- Event log ------------------------------------------------------------------------------------------
  // Appends validated events and quarantines rejects. Thread-safe; concurrent callers are grouped into one
  // WriteBatch and one WAL fsync (group commit). Within the request and against everything ever appended,
  // an event whose (store_id, event_id) was seen before is a duplicate: not appended, reported with the
  // original's seq. `done` runs exactly once, on the writer thread, after the write is durable under the
  // configured durability (or with a failed status, in which case nothing of the request is visible and no
  // seq is consumed). Duplicates' originals are durable when `done` runs. `done` must not block.
  // Backpressure: blocks the caller while the writer's queue holds more than max_queue_events (use TryAppend
  // where blocking is not allowed, e.g. on an io_context thread). After Close, `done` runs at once on the
  // calling thread with kUnavailable.
  // The events arrive encoded (encoded_events.h), by the caller's thread; Append(std::vector<Event>) encodes
  // them first.
  virtual void AppendEncoded(EncodedEvents events, std::vector<QuarantineEntry> rejects,
                             std::function<void(AppendResult)> done) = 0;
  void Append(const std::vector<Event>& events, std::vector<QuarantineEntry> rejects,
              std::function<void(AppendResult)> done) {
    AppendEncoded(EncodedEvents(events), std::move(rejects), std::move(done));
  }
  // Like Append, but never blocks: when the queue is over max_queue_events it returns kUnavailable, leaves
  // the arguments untouched and never calls `done`. After Close it also returns kUnavailable. On ok, `done`
  // runs as for Append.
  virtual Status TryAppendEncoded(EncodedEvents&& events, std::vector<QuarantineEntry>&& rejects,
                                  std::function<void(AppendResult)>&& done) = 0;
  Status TryAppend(const std::vector<Event>& events, std::vector<QuarantineEntry>&& rejects,
                   std::function<void(AppendResult)>&& done) {
    return TryAppendEncoded(EncodedEvents(events), std::move(rejects), std::move(done));
  }
  // Blocking convenience wrapper around Append.
  AppendResult AppendAndWait(const std::vector<Event>& events, std::vector<QuarantineEntry> rejects = {});

  // The highest sequence whose write has completed (durable under the durability mode).
  virtual uint64_t LogHead() const = 0;
  // Calls listener(head) on the writer thread after each group commit that advanced the head, after the
  // group's `done` callbacks. One listener; set it before the first Append. Must not block.
  virtual void SetAppendListener(std::function<void(uint64_t head)> listener) = 0;

  // Reads up to max_events events with seq >= from, in log order, into out (cleared first).
  virtual Status ReadEvents(uint64_t from, size_t max_events, std::vector<std::pair<uint64_t, Event>>* out) = 0;
  // A cursor over the events with seq >= from, up to the log head as of this call. The cursor must not outlive
  // the storage. This default reads through ReadEvents, one call per Read.
  virtual std::unique_ptr<LogCursor> ReadLog(uint64_t from);
  // The seq of the first copy of (store_id, event_id), if any.
  virtual Result<std::optional<uint64_t>> FindEvent(std::string_view store_id, std::string_view event_id) = 0;

  // --- Quarantine -----------------------------------------------------------------------------------------
  // store_id empty: the global quarantine. cursor: from a previous page's next_cursor.
  virtual Result<QuarantinePage> ReadQuarantine(std::string_view store_id, size_t limit,
                                                std::optional<std::string_view> cursor) = 0;

  // --- View state -----------------------------------------------------------------------------------------
  // A consistent view of the state and offsets as of this call, for readers beside the state's writer (queries).
  // A Scan's callback may Get from the same snapshot but not Scan it again.
  virtual std::unique_ptr<StateSnapshot> Snapshot() = 0;
  // The latest committed state, read without pinning an instant: consistent only for the state's one writer
  // (the runner; the engine before the runner starts), whose own commits are the only changes. Cheaper to read
  // point keys through than Snapshot() (filters skip files without the key).
  virtual std::unique_ptr<StateSnapshot> CommittedState() { return Snapshot(); }
  // Atomic (one WriteBatch) but never fsynced, under either durability: a power loss may roll view state back
  // to an earlier commit — rows and offsets together — and the runner folds the lost chunks again from the log.
  virtual Status CommitState(const StateWrite& write) = 0;

  // --- Lifecycle ------------------------------------------------------------------------------------------
  // Finishes queued appends, fsyncs the WAL and stops the writer. Appends after Close fail with kUnavailable;
  // reads after Close fail with kUnavailable too, but Close must not race with reads or live snapshots (stop
  // the readers first). Idempotent; the destructor calls it.
  virtual Status Close() = 0;
  // Approximate on-disk sizes per column family, for /metrics.
  virtual std::vector<std::pair<std::string, uint64_t>> SizesByColumnFamily() = 0;
  // Memory the store holds right now, by component (bytes), for /metrics: what a resident-set budget is
  // spent on. Empty when the implementation cannot tell.
  virtual std::vector<std::pair<std::string, uint64_t>> MemoryUsage() { return {}; }
  virtual StorageStats Stats() const = 0;
};

}  // namespace tally
