// `tally replay`: rebuilds one view (or all) offline from the whole log, through the same runner and the
// same generation swap as a live rebuild, with a progress bar when stderr is a terminal.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "processors/engine.h"
#include "storage/storage.h"
#include "tools/command.h"

namespace tally::tools {
namespace {

struct ReplayFlags {
  std::string data;
  std::string view = "all";
};

// Redraws one terminal line at most ~10 times a second.
class ProgressBar {
 public:
  void Update(uint64_t done, uint64_t target) {
    auto now = std::chrono::steady_clock::now();
    if (done < target && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    constexpr int kWidth = 40;
    int filled = target == 0 ? kWidth : static_cast<int>(kWidth * static_cast<double>(done) / static_cast<double>(target));
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r[%s] %3d%% %llu/%llu events", bar.c_str(), target == 0 ? 100 : filled * 100 / kWidth,
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(target));
    std::fflush(stderr);
  }

 private:
  std::chrono::steady_clock::time_point last_{};
};

int RunReplay(const ReplayFlags& f) {
  std::unique_ptr<Storage> storage = OpenExistingData(f.data);
  if (!storage) return 1;
  auto engine = ViewEngine::Open(storage.get());
  if (!engine.ok()) {
    std::fprintf(stderr, "error: %s\n", engine.status().ToString().c_str());
    return 1;
  }
  if (Status started = (*engine)->Rebuild(f.view); !started.ok()) {
    std::fprintf(stderr, "error: %s\n", started.ToString().c_str());
    return started.code() == Code::kNotFound ? 2 : 1;
  }
  auto begin = std::chrono::steady_clock::now();
  ProgressBar bar;
  bool tty = isatty(STDERR_FILENO) != 0;
  Status done = (*engine)->CatchUp(tty ? ProgressFn([&](uint64_t d, uint64_t t) { bar.Update(d, t); }) : nullptr);
  if (tty) std::fprintf(stderr, "\n");
  if (!done.ok()) {
    std::fprintf(stderr, "error: %s\n", done.ToString().c_str());
    return 1;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  uint64_t head = (*engine)->LogHead();
  std::printf("replayed %llu events into %s in %.2f s (%.0f events/s)\n", static_cast<unsigned long long>(head),
              f.view.c_str(), seconds, seconds > 0 ? static_cast<double>(head) / seconds : 0.0);
  engine->reset();
  if (Status closed = storage->Close(); !closed.ok()) {
    std::fprintf(stderr, "error: %s\n", closed.ToString().c_str());
    return 1;
  }
  return 0;
}

const CommandRegistrar kRegistrar([](CLI::App& root) {
  static ReplayFlags flags;
  CLI::App* sub = root.add_subcommand("replay", "Rebuild views offline from the whole event log");
  sub->add_option("--data", flags.data, "Data directory")->required();
  sub->add_option("--view", flags.view, "View to rebuild, or all")->capture_default_str();
  return Command{sub, [] { return RunReplay(flags); }};
});

}  // namespace
}  // namespace tally::tools
