#include "processors/engine.h"

#include "processors/view_keys.h"

namespace tally {

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
