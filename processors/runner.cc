#include "processors/runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>

#include "core/thread_name.h"
#include "processors/chunk_state.h"
#include "processors/view_keys.h"

namespace tally {

struct Runner::View {
  Processor* processor;
  std::string name;
  ViewControl control;
  uint64_t serving_offset = 0;
  uint64_t building_offset = 0;
};

struct Runner::LaneMember {
  size_t index;
  uint64_t offset;
  std::unique_ptr<ChunkState> state;
};

// The append listener runs on the storage's writer thread and must not block: it only flips a flag.
struct Runner::WakeSignal {
  std::mutex mu;
  std::condition_variable cv;
  bool wake = false;
  bool stop = false;
  void Notify() {
    {
      std::lock_guard lock(mu);
      wake = true;
    }
    cv.notify_one();
  }
};

Runner::Runner(Storage* storage, std::vector<Processor*> processors, RunnerOptions options)
    : storage_(storage),
      options_(std::move(options)),
      written_(options_.written_keys_bytes),
      rows_(options_.row_cache_bytes),
      wake_(std::make_shared<WakeSignal>()) {
  for (Processor* p : processors) views_.push_back(View{p, std::string(p->name()), {}, 0, 0});
  if (options_.chunk_events == 0) options_.chunk_events = 1;
}

Runner::~Runner() { Stop(); }

Status Runner::Open() {
  std::lock_guard fold(fold_mu_);
  auto snapshot = storage_->CommittedState();  // the runner is the state's one writer
  std::lock_guard lock(mu_);
  for (View& view : views_) {
    auto control = snapshot->Get(ViewControlKey(view.name));
    if (!control.ok()) return control.status();
    view.control = control.value() ? DecodeViewControl(*control.value()) : ViewControl{};
    view.serving_offset = snapshot->Offset(view.name);
    view.building_offset = view.control.building ? snapshot->Offset(RebuildOffsetName(view.name)) : 0;
    // Nothing was ever committed at offset 0 (rows and offsets land together), so such a generation is empty.
    if (view.serving_offset == 0) TrackEmptyGeneration(view.name, view.control.serving);
    if (view.control.building && view.building_offset == 0) TrackEmptyGeneration(view.name, view.control.building);
    if (view.control.building) {
      spdlog::info("view {}: resuming rebuild of generation {} at seq {}", view.name, view.control.building,
                   view.building_offset);
    }
  }
  return Status::Ok();
}

void Runner::Start() {
  if (thread_.joinable()) return;
  std::weak_ptr<WakeSignal> weak = wake_;
  storage_->SetAppendListener([weak](uint64_t) {
    if (auto signal = weak.lock()) signal->Notify();
  });
  wake_->Notify();  // fold whatever arrived before the listener was installed
  thread_ = std::thread([this] {
    NameThisThread("tally-runner");
    BackgroundLoop();
  });
}

void Runner::Stop() {
  {
    std::lock_guard lock(wake_->mu);
    wake_->stop = true;
  }
  wake_->cv.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Runner::BackgroundLoop() {
  for (;;) {
    {
      std::unique_lock lock(wake_->mu);
      wake_->cv.wait(lock, [&] { return wake_->stop || wake_->wake; });
      if (wake_->stop) return;
      wake_->wake = false;
    }
    Status status = CatchUpTo(storage_->LogHead(), nullptr);
    if (!status.ok()) {
      // Nothing was committed for the failed chunk; retry after a pause rather than spin on a sick disk.
      spdlog::error("view fold failed, retrying in 1s: {}", status.ToString());
      std::unique_lock lock(wake_->mu);
      wake_->cv.wait_for(lock, std::chrono::seconds(1), [&] { return wake_->stop; });
      wake_->wake = true;
    }
  }
}

Status Runner::CatchUp(const ProgressFn& progress) { return CatchUpTo(storage_->LogHead(), progress); }

// fold_mu_ is taken per round, not for the whole catch-up, so a Rebuild request from another thread waits
// for one round at most, even during a long backlog.
Status Runner::CatchUpTo(uint64_t target, const ProgressFn& progress) {
  for (;;) {
    std::lock_guard fold(fold_mu_);
    // Views at the live edge fold new events first; a view far behind (e.g. one just added) catches up in
    // its own chunks instead of holding the others back.
    uint64_t edge = 0;
    for (const View& view : views_) edge = std::max(edge, view.serving_offset);
    // A round folds up to catch_up_chunks chunks and commits them once: fewer commits write fewer rows (a row
    // changed by several chunks is written once). The live edge stops at the head as of this call, so at the
    // edge a round is the few events that arrived; only an edge behind by more than a chunk (a burst, full-speed
    // ingest) folds longer rounds — which is what lets it catch up. While the edge has events, the lanes
    // nobody waits on (laggards, a rebuild) fold as many chunks per round as the edge just did: the edge never
    // waits behind more than its own round, and a rebuild keeps half the fold while the edge is busy.
    const size_t most = std::max<size_t>(1, options_.catch_up_chunks);
    auto live = FoldRound(Lane::kLive, target, edge, UINT64_MAX, most);
    if (!live.ok()) return live.status();
    const size_t chunks = live.value() != 0 ? live.value() : most;
    auto laggards = FoldRound(Lane::kLive, target, 0, edge, chunks);
    if (!laggards.ok()) return laggards.status();
    auto building = FoldRound(Lane::kBuilding, target, 0, UINT64_MAX, chunks);
    if (!building.ok()) return building.status();
    if (Status swapped = SwapCaughtUpRebuilds(); !swapped.ok()) return swapped;
    if (progress) progress(std::min(SlowestOffset(), target), target);
    if (!live.value() && !laggards.value() && !building.value()) return Status::Ok();
  }
}

void Runner::TrackEmptyGeneration(const std::string& view, uint32_t generation) {
  if (options_.written_keys_bytes != 0) written_.Track(ViewGenerationPrefix(view, generation));
}

uint64_t Runner::SlowestOffset() const {
  uint64_t slowest = UINT64_MAX;
  for (const View& view : views_) {
    slowest = std::min(slowest, view.control.building ? view.building_offset : view.serving_offset);
  }
  return slowest == UINT64_MAX ? 0 : slowest;
}

// Folds up to `chunks` chunks of the log into the lane's views whose offset is in [low, high) and behind target,
// and commits them once. Returns how many chunks it folded (0: nothing to fold).
Result<size_t> Runner::FoldRound(Lane lane, uint64_t target, uint64_t low, uint64_t high, size_t chunks) {
  std::vector<LaneMember> members;
  uint64_t from = UINT64_MAX;
  for (size_t i = 0; i < views_.size(); ++i) {
    const View& view = views_[i];
    if (lane == Lane::kBuilding && view.control.building == 0) continue;
    uint64_t offset = lane == Lane::kLive ? view.serving_offset : view.building_offset;
    if (offset >= target || offset < low || offset >= high) continue;
    members.push_back(LaneMember{i, offset, nullptr});
    from = std::min(from, offset + 1);
  }
  if (members.empty()) return size_t{0};
  // The committed state, no snapshot needed: the runner is its one writer and commits only at the round's end.
  auto snapshot = storage_->CommittedState();
  OpenStates(lane, members, snapshot.get());
  uint64_t last_seq = 0;
  size_t folded = 0;
  // One cursor for the round: its chunks are read as one scan, not one seek and read-ahead each. A chunk is
  // read into chunk_, or is one that other readers of the log share (SharedLog, `tally replay --threads`).
  std::unique_ptr<LogCursor> log = storage_->ReadLog(from);
  std::shared_ptr<const EventChunk> shared;
  for (size_t chunk = 0; chunk < chunks; ++chunk) {
    const EventChunk* read_into = &chunk_;
    Status read = log->ReadChunk(options_.chunk_events, &chunk_, &shared, &read_into);
    const EventChunk& events = *read_into;
    if (read.ok() && events.empty() && chunk == 0) {
      read = Status(Code::kInternal, "log has no event at seq " + std::to_string(from));
    }
    if (!read.ok()) {
      rows_.Abandon();
      return read;
    }
    if (events.empty()) break;
    for (const auto& [seq, event] : events) {
      for (LaneMember& m : members) {
        if (m.offset < seq) views_[m.index].processor->Apply(seq, event, *m.state);
      }
    }
    last_seq = events.back().first;
    ++folded;
    if (last_seq >= target || events.size() < options_.chunk_events) break;
  }
  if (Status committed = CommitRound(lane, members, last_seq); !committed.ok()) return committed;
  return folded;
}

void Runner::OpenStates(Lane lane, std::vector<LaneMember>& members, const StateSnapshot* snapshot) {
  for (LaneMember& m : members) {
    const View& view = views_[m.index];
    uint32_t generation = lane == Lane::kLive ? view.control.serving : view.control.building;
    std::string prefix = ViewGenerationPrefix(view.name, generation);
    WrittenKeys* written = written_.Tracks(prefix) ? &written_ : nullptr;
    m.state = std::make_unique<ChunkState>(snapshot, &rows_, std::move(prefix), written);
  }
}

// The round's rows and the members' new offsets, in one commit; then the offsets become visible.
Status Runner::CommitRound(Lane lane, std::vector<LaneMember>& members, uint64_t last_seq) {
  for (LaneMember& m : members) {
    if (!m.state->status().ok()) {
      rows_.Abandon();
      return m.state->status();
    }
  }
  StateWrite& write = round_write_;
  write.puts.clear();  // the keys and values went back to the rows (or died with them) after the last commit
  write.deletes.clear();
  write.delete_ranges.clear();
  write.offsets.clear();
  rows_.TakeDirty(&write, &written_);
  for (LaneMember& m : members) {
    // A member already past this round (a view just swapped in from a rebuild that read further ahead) keeps
    // its offset: moving it back would fold those events twice.
    if (m.offset >= last_seq) continue;
    const std::string& name = views_[m.index].name;
    write.offsets.emplace_back(lane == Lane::kLive ? name : RebuildOffsetName(name), last_seq);
  }
  spdlog::debug("round to seq {}: {} puts, {} deletes", last_seq, write.puts.size(), write.deletes.size());
  if (Status committed = CommitChunk(write, last_seq); !committed.ok()) return committed;
  {
    std::lock_guard lock(mu_);
    for (LaneMember& m : members) {
      View& view = views_[m.index];
      uint64_t& offset = lane == Lane::kLive ? view.serving_offset : view.building_offset;
      offset = std::max(offset, last_seq);
    }
  }
  progress_cv_.notify_all();
  return Status::Ok();
}

// The chunk's dirty rows turn clean only once they are committed; a chunk dropped or failed leaves nothing of
// itself in the row store. A failed commit's outcome is not known, so the clean rows go too.
Status Runner::CommitChunk(StateWrite& write, uint64_t last_seq) {
  if (options_.before_commit && !options_.before_commit(last_seq)) {
    rows_.Abandon();
    return Status(Code::kUnavailable, "chunk dropped before commit (test hook)");
  }
  Status committed = storage_->CommitState(write);
  if (committed.ok()) {
    rows_.Committed(write);
  } else {
    rows_.Abandon();
    rows_.Clear();
  }
  return committed;
}

// Commits that change generations (range deletions, control records) happen between chunks. The deleted
// ranges' rows may be held, so the store forgets everything, whatever the outcome.
Status Runner::CommitControl(const StateWrite& write) {
  Status committed = storage_->CommitState(write);
  rows_.Clear();
  return committed;
}

// A building generation that has reached the serving offset takes over, in one commit: the generation
// pointer, the serving offset and the deletion of the old generation's range land together.
Status Runner::SwapCaughtUpRebuilds() {
  StateWrite write;
  std::vector<size_t> swapped;
  for (size_t i = 0; i < views_.size(); ++i) {
    const View& view = views_[i];
    if (view.control.building == 0 || view.building_offset < view.serving_offset) continue;
    ViewControl next{view.control.building, 0};
    write.puts.emplace_back(ViewControlKey(view.name), EncodeViewControl(next));
    write.offsets.emplace_back(view.name, view.building_offset);
    write.offsets.emplace_back(RebuildOffsetName(view.name), 0);
    write.delete_ranges.emplace_back(ViewGenerationPrefix(view.name, view.control.serving),
                                     ViewGenerationPrefix(view.name, view.control.serving + 1));
    swapped.push_back(i);
  }
  if (swapped.empty()) return Status::Ok();
  if (Status committed = CommitControl(write); !committed.ok()) return committed;
  {
    std::lock_guard lock(mu_);
    for (size_t i : swapped) {
      View& view = views_[i];
      spdlog::info("view {}: generation {} caught up at seq {}, now serving", view.name, view.control.building,
                   view.building_offset);
      written_.Untrack(ViewGenerationPrefix(view.name, view.control.serving));  // its range is deleted
      view.control = ViewControl{view.control.building, 0};
      view.serving_offset = view.building_offset;
      view.building_offset = 0;
    }
  }
  progress_cv_.notify_all();
  return Status::Ok();
}

Status Runner::Rebuild(std::string_view name) {
  std::lock_guard fold(fold_mu_);
  bool found = false;
  for (size_t i = 0; i < views_.size(); ++i) {
    if (name != "all" && views_[i].name != name) continue;
    found = true;
    if (views_[i].control.building != 0) continue;
    // A view that has folded nothing yet (new, or reset for a new layout) serves an empty generation that is
    // being folded from seq 1 already: that fold is the rebuild. A second generation would fold every event
    // again until the swap.
    if (views_[i].serving_offset == 0) continue;
    if (Status started = StartRebuildLocked(i); !started.ok()) return started;
  }
  if (!found) return Status(Code::kNotFound, "no view named " + std::string(name));
  wake_->Notify();
  return Status::Ok();
}

Status Runner::StartRebuildLocked(size_t index) {
  View& view = views_[index];
  uint32_t generation = view.control.serving + 1;
  StateWrite write;
  write.puts.emplace_back(ViewControlKey(view.name), EncodeViewControl({view.control.serving, generation}));
  // A fresh generation must start empty, whatever an older process may have left under that number.
  write.delete_ranges.emplace_back(ViewGenerationPrefix(view.name, generation),
                                   ViewGenerationPrefix(view.name, generation + 1));
  write.offsets.emplace_back(RebuildOffsetName(view.name), 0);
  if (Status committed = CommitControl(write); !committed.ok()) return committed;
  TrackEmptyGeneration(view.name, generation);
  std::lock_guard lock(mu_);
  view.control.building = generation;
  view.building_offset = 0;
  spdlog::info("view {}: rebuilding into generation {}", view.name, generation);
  return Status::Ok();
}

bool Runner::WaitFor(std::string_view name, uint64_t seq, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return progress_cv_.wait_for(lock, timeout, [&] {
    for (const View& view : views_) {
      if ((name.empty() || view.name == name) && view.serving_offset < seq) return false;
    }
    return true;
  });
}

std::vector<ViewStatus> Runner::GetStatus() const {
  uint64_t head = storage_->LogHead();
  std::lock_guard lock(mu_);
  std::vector<ViewStatus> out;
  for (const View& view : views_) {
    uint64_t lag = head > view.serving_offset ? head - view.serving_offset : 0;
    // A view that has folded nothing of a non-empty log is being built from seq 1 in its serving generation.
    bool from_scratch = view.serving_offset == 0 && lag > 0;
    out.push_back(ViewStatus{view.name, view.serving_offset, lag, view.control.building != 0 || from_scratch,
                             view.building_offset});
  }
  return out;
}

bool Runner::ServingVersion(std::string_view name, uint32_t* generation, uint64_t* offset) const {
  std::lock_guard lock(mu_);
  for (const View& view : views_) {
    if (view.name != name) continue;
    *generation = view.control.serving;
    *offset = view.serving_offset;
    return true;
  }
  return false;
}

bool Runner::HasView(std::string_view name) const {
  return std::any_of(views_.begin(), views_.end(), [&](const View& v) { return v.name == name; });
}

}  // namespace tally
