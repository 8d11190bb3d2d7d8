// Runner: folds the event log into every view, exactly once.
//
// Each view has a serving generation (what queries read) and, during a rebuild, a building generation folded
// from seq 1 into a fresh key prefix. The runner reads the log in chunks (RunnerOptions::chunk_events), folds
// each chunk into every view that has not seen it yet in one pass, and commits the round's rows (up to
// RunnerOptions::catch_up_chunks chunks) together with the new offsets in ONE StateWrite: after
// a crash it resumes from the committed offsets, so nothing is applied twice or skipped. The live tail and a
// rebuild (or offline replay) are the same code path; they are just two lanes of views at different offsets,
// folded in alternating rounds so a rebuild never stalls the live views. When a building generation reaches
// the serving offset, the same commit swaps the generation pointer and deletes the old generation's range
// (open query snapshots still see it).
//
// Rows stay in memory across rounds in one RowStore (row_store.h): the committed rows most recently used
// (RunnerOptions::row_cache_bytes) and the round's uncommitted ones. A round that does not commit (a failed
// read or commit, the before_commit hook) erases its uncommitted rows, so the next read goes back to storage.
//
// Threading: the public methods are thread-safe. Folding happens on one thread at a time: the background
// thread (Start) or a caller of CatchUp.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/status.h"
#include "processors/processor.h"
#include "processors/row_store.h"
#include "processors/written_keys.h"
#include "storage/storage.h"

namespace tally {

struct RunnerOptions {
  size_t chunk_events = 4096;
  // Chunks folded per commit at most: by the live edge when it is behind the head (full-speed ingest), and by a
  // rebuild or a view behind the live edge while the edge has nothing to fold (replay, an idle server; while
  // it has, they fold as many per commit as the edge's last round did). Fewer commits write fewer rows; the
  // cost is up to this many chunks' rows held dirty in memory (row_store.h), and answers and a Rebuild request
  // waiting that long. 1: commit every chunk.
  size_t catch_up_chunks = 8;
  // Bytes of the filter of keys written into generations the runner saw start empty (written_keys.h); reads of
  // keys it has never seen skip RocksDB. 0 turns it off.
  size_t written_keys_bytes = WrittenKeys::kDefaultBytes;
  // Bytes of committed rows kept across chunks (row_store.h), so hot rows are not re-read from RocksDB by every
  // chunk. 0: only the rows of the chunk being folded are held.
  size_t row_cache_bytes = RowStore::kDefaultBytes;
  // Test hook, called before each commit of folded rows with the round's last seq: returning false drops the
  // round uncommitted (as a crash would) and the fold stops with kUnavailable.
  std::function<bool(uint64_t last_seq)> before_commit;
};

struct ViewStatus {
  std::string name;
  uint64_t offset = 0;          // the serving generation's committed offset
  uint64_t lag = 0;             // log head - offset
  bool rebuilding = false;      // a building generation, or nothing folded yet of a non-empty log
  uint64_t rebuild_offset = 0;  // the building generation's offset, when rebuilding
};

// Called during CatchUp with (folded, target): how far the slowest lane is and where it is going.
using ProgressFn = std::function<void(uint64_t done, uint64_t target)>;

class Runner {
 public:
  // storage and processors must outlive the runner.
  Runner(Storage* storage, std::vector<Processor*> processors, RunnerOptions options = {});
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Loads each view's generations and offsets (resuming an unfinished rebuild). Call once, before the rest.
  Status Open();
  // Starts the background thread that folds whatever the append listener reports. Installs the storage's
  // append listener (storage has one listener; the runner takes it).
  void Start();
  // Stops the background thread after its current chunk. Idempotent.
  void Stop();

  // Folds on the calling thread until every lane (rebuilds included) reaches the log head as of the call.
  Status CatchUp(const ProgressFn& progress = nullptr);
  // Starts rebuilding `view` ("all" for every view) into a new generation. kNotFound for an unknown view.
  // A view already rebuilding keeps its rebuild; a view at offset 0 is folding from the start already and gets
  // no second generation. The fold itself happens in CatchUp or the background thread.
  Status Rebuild(std::string_view view);
  // Waits until `view`'s serving offset reaches seq (empty view: every view). false on timeout.
  bool WaitFor(std::string_view view, uint64_t seq, std::chrono::milliseconds timeout);
  std::vector<ViewStatus> GetStatus() const;
  bool HasView(std::string_view view) const;
  // `view`'s serving generation and committed offset as of the last commit (one mutex, no storage read);
  // false for an unknown view. It only moves forward, and a commit is in storage before it shows here, so a
  // snapshot taken after this call is at least this version.
  bool ServingVersion(std::string_view view, uint32_t* generation, uint64_t* offset) const;

 private:
  struct View;
  struct LaneMember;
  enum class Lane { kLive, kBuilding };

  struct WakeSignal;

  Status CatchUpTo(uint64_t target, const ProgressFn& progress);
  Result<size_t> FoldRound(Lane lane, uint64_t target, uint64_t low, uint64_t high, size_t chunks);
  void OpenStates(Lane lane, std::vector<LaneMember>& members, const StateSnapshot* snapshot);
  Status CommitRound(Lane lane, std::vector<LaneMember>& members, uint64_t last_seq);
  Status SwapCaughtUpRebuilds();
  Status StartRebuildLocked(size_t index);
  void TrackEmptyGeneration(const std::string& view, uint32_t generation);
  Status CommitChunk(StateWrite& write, uint64_t last_seq);
  Status CommitControl(const StateWrite& write);
  uint64_t SlowestOffset() const;
  void BackgroundLoop();

  Storage* storage_;
  RunnerOptions options_;

  std::mutex fold_mu_;  // held while folding or changing generations; serialises CatchUp and the thread
  // Guards the offsets and generations in views_ for readers on other threads (the folding thread, holding
  // fold_mu_, is the only writer and reads them without it).
  mutable std::mutex mu_;
  std::condition_variable progress_cv_;  // a commit advanced some offset
  std::vector<View> views_;
  WrittenKeys written_;  // used under fold_mu_ only
  RowStore rows_;        // used under fold_mu_ only
  // A round's current chunk of the log, under fold_mu_ only. Kept between rounds: a chunk's vector is a few
  // MiB, and a fresh one each round cost a page fault per 4 KiB (~15 % of a replay's page faults).
  EventChunk chunk_;
  // A round's rows and offsets on their way to storage, under fold_mu_ only. Kept between rounds for the same
  // reason: its puts vector is ~1 MiB for a round of 18 K rows, and growing a fresh one faulted in every page.
  StateWrite round_write_;
  // Shared with the storage's append listener, which may outlive the runner.
  std::shared_ptr<WakeSignal> wake_;
  std::thread thread_;
};

}  // namespace tally
