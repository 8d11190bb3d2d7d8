#include "processors/engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "processors/view_keys.h"

namespace tally {
namespace {

std::string EncodeLayout(uint32_t layout) { return ValueWriter().U64(layout).Take(); }

struct StoredLayout {
  std::optional<uint32_t> layout;  // nullopt: the view has no state yet
  bool recorded = false;           // the layout key exists
};

// The layout `view`'s rows were written with: the stored record; layout 1 for a view with state from before
// layouts were recorded (a control record or a committed offset). A malformed record reads as 0, which no
// processor has, so the view is rebuilt.
Result<StoredLayout> ReadLayout(const StateSnapshot& snapshot, std::string_view view) {
  auto stored = snapshot.Get(ViewLayoutKey(view));
  if (!stored.ok()) return stored.status();
  if (stored.value()) {
    ValueReader in(*stored.value());
    uint64_t layout = in.U64();
    bool valid = in.ok() && in.done() && layout <= UINT32_MAX;
    return StoredLayout{valid ? static_cast<uint32_t>(layout) : 0, true};
  }
  auto control = snapshot.Get(ViewControlKey(view));
  if (!control.ok()) return control.status();
  if (control.value() || snapshot.Offset(view) != 0) return StoredLayout{1, false};
  return StoredLayout{};
}

// Drops every generation of a view written in another layout, in one commit: a fresh serving generation at offset
// 0 (the runner folds it from the log like a newly added view), no rebuild, and the new layout recorded. Queries
// meanwhile answer from the partial refold, with its offset as as_of_seq.
Status ResetView(Storage& storage, const StateSnapshot& snapshot, std::string_view view, uint32_t from, uint32_t to) {
  auto control_value = snapshot.Get(ViewControlKey(view));
  if (!control_value.ok()) return control_value.status();
  ViewControl control = control_value.value() ? DecodeViewControl(*control_value.value()) : ViewControl{};
  ViewControl fresh{std::max(control.serving, control.building) + 1, 0};
  StateWrite write;
  // Generations 1 .. fresh: the serving and the building one, and whatever an older process left in between or
  // under the new number.
  write.delete_ranges.emplace_back(ViewGenerationPrefix(view, 1), ViewGenerationPrefix(view, fresh.serving + 1));
  write.puts.emplace_back(ViewControlKey(view), EncodeViewControl(fresh));
  write.puts.emplace_back(ViewLayoutKey(view), EncodeLayout(to));
  write.offsets.emplace_back(std::string(view), 0);
  write.offsets.emplace_back(RebuildOffsetName(view), 0);
  if (Status committed = storage.CommitState(write); !committed.ok()) return committed;
  spdlog::info("view {}: state layout {} -> {}, rebuilding from the log", view, from, to);
  return Status::Ok();
}

// Before the runner loads offsets and generations: every view's state must be in its processor's layout. Views
// without a layout record (new, or from before records existed) get one.
Status CheckLayouts(Storage& storage, const std::vector<std::unique_ptr<Processor>>& processors) {
  auto snapshot = storage.CommittedState();  // before the runner starts: the engine is the only writer
  StateWrite records;
  for (const auto& p : processors) {
    auto stored = ReadLayout(*snapshot, p->name());
    if (!stored.ok()) return stored.status();
    uint32_t current = p->layout_version();
    if (stored->layout && *stored->layout != current) {
      if (Status reset = ResetView(storage, *snapshot, p->name(), *stored->layout, current); !reset.ok()) return reset;
    } else if (!stored->recorded) {
      records.puts.emplace_back(ViewLayoutKey(p->name()), EncodeLayout(current));
    }
  }
  return records.puts.empty() ? Status::Ok() : storage.CommitState(records);
}

}  // namespace

ViewEngine::ViewEngine(Storage* storage, std::vector<std::unique_ptr<Processor>> processors, EngineOptions options)
    : storage_(storage), processors_(std::move(processors)) {
  std::vector<Processor*> raw;
  for (auto& p : processors_) raw.push_back(p.get());
  runner_ = std::make_unique<Runner>(storage_, std::move(raw), std::move(options.runner));
}

ViewEngine::~ViewEngine() { runner_->Stop(); }

Result<std::unique_ptr<ViewEngine>> ViewEngine::Open(Storage* storage, EngineOptions options,
                                                     std::vector<std::unique_ptr<Processor>> processors) {
  if (processors.empty()) processors = MakeAllProcessors();
  if (Status checked = CheckLayouts(*storage, processors); !checked.ok()) return checked;
  std::unique_ptr<ViewEngine> engine(new ViewEngine(storage, std::move(processors), std::move(options)));
  if (Status opened = engine->runner_->Open(); !opened.ok()) return opened;
  return engine;
}

Status ViewEngine::WaitFor(std::string_view view, uint64_t seq, std::chrono::milliseconds timeout) const {
  if (!view.empty() && !HasView(view)) return Status(Code::kNotFound, "no view named " + std::string(view));
  if (runner_->WaitFor(view, seq, timeout)) return Status::Ok();
  std::string name = view.empty() ? "(all)" : std::string(view);
  return Status(Code::kUnavailable, "view " + name + " has not reached seq " + std::to_string(seq) + " yet (min_seq)");
}

std::vector<std::string> ViewEngine::ViewNames() const {
  std::vector<std::string> names;
  for (const auto& p : processors_) names.emplace_back(p->name());
  return names;
}

Result<ViewRead> ViewEngine::Read(std::string_view view) const {
  if (!HasView(view)) return Status(Code::kNotFound, "no view named " + std::string(view));
  auto snapshot = storage_->Snapshot();
  auto control_value = snapshot->Get(ViewControlKey(view));
  if (!control_value.ok()) return control_value.status();
  ViewControl control = control_value.value() ? DecodeViewControl(*control_value.value()) : ViewControl{};
  uint64_t offset = snapshot->Offset(view);
  ViewReader reader(snapshot.get(), ViewGenerationPrefix(view, control.serving), offset);
  return ViewRead{std::move(snapshot), std::move(reader)};
}

}  // namespace tally
