// ViewEngine: the processors layer's facade. Owns every registered processor (registry.cc) and the runner
// that folds the log into them, and hands queries a consistent read of one view's serving generation.
//
// Lifecycle: Open (loads offsets and generations) → either StartLive (background tail, for `tally serve`)
// or CatchUp (synchronous, for `tally import`, `tally replay`, `tally query`) → Stop or destruction.
// Threading: every method is thread-safe. The storage must outlive the engine.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "processors/processor.h"
#include "processors/runner.h"
#include "processors/view_reader.h"
#include "storage/storage.h"

namespace tally {

// Every view tally folds, in registration order (registry.cc: add a line there to add a view).
std::vector<std::unique_ptr<Processor>> MakeAllProcessors();

// One query's consistent window onto one view: a storage snapshot and the reader of the generation that
// was serving in it. Movable; the reader stays valid as long as this object lives.
struct ViewRead {
  std::unique_ptr<StateSnapshot> snapshot;
  ViewReader reader;
};

struct EngineOptions {
  RunnerOptions runner;
};

class ViewEngine {
 public:
  // processors: empty means MakeAllProcessors(). Before the runner loads anything, each view's recorded state
  // layout (view_keys.h ViewLayoutKey) is compared with its processor's layout_version(): a view written in
  // another layout is reset in one commit (all its generations dropped, a fresh empty serving generation at
  // offset 0, any rebuild cancelled) and is then refolded from the log like a newly added view. Until it catches
  // up, its queries answer from the partial fold (as_of_seq and /v1/admin/status show how far it is).
  static Result<std::unique_ptr<ViewEngine>> Open(Storage* storage, EngineOptions options = {},
                                                  std::vector<std::unique_ptr<Processor>> processors = {});
  ~ViewEngine();

  void StartLive() { runner_->Start(); }
  void Stop() { runner_->Stop(); }
  Status CatchUp(const ProgressFn& progress = nullptr) { return runner_->CatchUp(progress); }
  // "all" or a view name; kNotFound for an unknown view. See Runner::Rebuild.
  Status Rebuild(std::string_view view) { return runner_->Rebuild(view); }
  // Waits until `view` (empty: every view) has folded seq; kUnavailable after timeout, kNotFound for an
  // unknown view.
  Status WaitFor(std::string_view view, uint64_t seq, std::chrono::milliseconds timeout) const;
  std::vector<ViewStatus> GetStatus() const { return runner_->GetStatus(); }
  uint64_t LogHead() const { return storage_->LogHead(); }
  bool HasView(std::string_view view) const { return runner_->HasView(view); }
  // See Runner::ServingVersion: a cheap version of `view` for answer caches; false for an unknown view.
  bool ServingVersion(std::string_view view, uint32_t* generation, uint64_t* offset) const {
    return runner_->ServingVersion(view, generation, offset);
  }
  std::vector<std::string> ViewNames() const;

  // A snapshot of `view`'s serving generation; as_of_seq is its offset in that snapshot.
  Result<ViewRead> Read(std::string_view view) const;

  Storage* storage() const { return storage_; }

 private:
  ViewEngine(Storage* storage, std::vector<std::unique_ptr<Processor>> processors, EngineOptions options);

  Storage* storage_;
  std::vector<std::unique_ptr<Processor>> processors_;
  std::unique_ptr<Runner> runner_;
};

}  // namespace tally
