// `tally replay`: rebuilds one view (or all) offline from the whole log, through the same runner and the
// same generation swap as a live rebuild, with a progress bar when stderr is a terminal.
//
// Views are independent folds of the same log, so `all` rebuilds them on --threads threads (default: one per
// core): the views are split into groups of about equal cost (timed on the log's first chunk), and each group
// is rebuilt by its own engine on its own thread — own runner, row cache and commits; RocksDB takes the
// concurrent commits. The log is read and decoded once for all of them (SharedLog, storage/shared_log.h): a
// thread folds the chunks another one read. Memory: one runner's caches per thread, and a window of a few
// shared chunks. The directory is opened for an offline rebuild (StorageOptions::offline_rebuild): RocksDB
// compacts the view state less often than under `tally serve`.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/thread_name.h"
#include "processors/engine.h"
#include "processors/memory_fold_state.h"
#include "storage/shared_log.h"
#include "storage/storage.h"
#include "tools/command.h"

namespace tally::tools {
namespace {

struct ReplayFlags {
  std::string data;
  std::string view = "all";
  unsigned threads = 0;  // 0: one per core
  // Log chunks folded per commit (RunnerOptions::catch_up_chunks). The server's runner commits every 8 chunks so
  // that queries and the live edge never wait long; offline nobody waits, and a longer round writes each hot row
  // once for more events: 32 replayed ~9 % faster with ~16 % less CPU than 8, for ~30 MiB more peak RSS
  // (docs/performance.md, fix 30).
  size_t round_chunks = 32;
};

// Redraws one terminal line at most ~10 times a second.
class ProgressBar {
 public:
  void Update(uint64_t done, uint64_t target) {
    auto now = std::chrono::steady_clock::now();
    if (done < target && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    constexpr int kWidth = 40;
    int filled =
        target == 0 ? kWidth : static_cast<int>(kWidth * static_cast<double>(done) / static_cast<double>(target));
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r[%s] %3d%% %llu/%llu events", bar.c_str(), target == 0 ? 100 : filled * 100 / kWidth,
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(target));
    std::fflush(stderr);
  }

 private:
  std::chrono::steady_clock::time_point last_{};
};

// Rebuilds `view` ("all" or one name) with one engine over `processors`; progress reports (done, target).
Status Rebuild(Storage* storage, std::vector<std::unique_ptr<Processor>> processors, const std::string& view,
               size_t round_chunks, const ProgressFn& progress) {
  EngineOptions options;
  options.runner.catch_up_chunks = round_chunks;
  auto engine = ViewEngine::Open(storage, options, std::move(processors));
  if (!engine.ok()) return engine.status();
  if (Status started = (*engine)->Rebuild(view); !started.ok()) return started;
  return (*engine)->CatchUp(progress);
}

// Nanoseconds each processor takes to fold the log's first chunk into memory: the weights for splitting the
// views over threads (the folds differ by 20x: one heavy view and several light ones).
std::vector<uint64_t> EstimateCosts(Storage* storage, const std::vector<std::unique_ptr<Processor>>& processors) {
  std::vector<uint64_t> costs(processors.size(), 1);
  std::vector<std::pair<uint64_t, Event>> sample;
  if (!storage->ReadEvents(1, 4096, &sample).ok()) return costs;
  for (size_t i = 0; i < processors.size(); ++i) {
    MemoryFoldState state;
    auto begin = std::chrono::steady_clock::now();
    for (const auto& [seq, event] : sample) processors[i]->Apply(seq, event, state);
    costs[i] += static_cast<uint64_t>(std::chrono::nanoseconds(std::chrono::steady_clock::now() - begin).count());
  }
  return costs;
}

// Splits the processors into at most `threads` groups of about equal estimated cost (largest first, each to
// the lightest group).
std::vector<std::vector<std::unique_ptr<Processor>>> SplitByCost(std::vector<std::unique_ptr<Processor>> processors,
                                                                 const std::vector<uint64_t>& costs, size_t threads) {
  std::vector<size_t> order(processors.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return costs[a] > costs[b]; });
  std::vector<std::vector<std::unique_ptr<Processor>>> groups(std::min(threads, processors.size()));
  std::vector<uint64_t> load(groups.size(), 0);
  for (size_t i : order) {
    size_t lightest = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    load[lightest] += costs[i];
    groups[lightest].push_back(std::move(processors[i]));
  }
  return groups;
}

// Rebuilds every view on up to `threads` threads, one engine per group of views (a group shares its log reads).
// Progress is the sum over views of the events each has folded.
Status RebuildAllInParallel(Storage* storage, size_t threads, size_t round_chunks, const ProgressFn& progress) {
  std::vector<std::unique_ptr<Processor>> all = MakeAllProcessors();
  const size_t views = all.size();
  std::vector<uint64_t> costs = EstimateCosts(storage, all);
  auto groups = SplitByCost(std::move(all), costs, threads);
  std::vector<std::atomic<uint64_t>> done(groups.size());
  std::mutex mu;  // guards first_error and serialises progress calls
  Status first_error;
  SharedLog log(storage);
  // Every reader is registered before any thread reads, so the first chunks wait for all of them.
  std::vector<std::unique_ptr<Storage>> readers;
  for (size_t g = 0; g < groups.size(); ++g) readers.push_back(log.Reader());
  std::vector<std::string> names(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) {
    for (const auto& p : groups[g]) names[g] += (names[g].empty() ? "" : ", ") + std::string(p->name());
  }
  std::vector<double> seconds(groups.size(), 0);
  std::vector<std::thread> pool;
  for (size_t g = 0; g < groups.size(); ++g) {
    pool.emplace_back([&, g] {
      NameThisThread("tally-replay");
      const auto begin = std::chrono::steady_clock::now();
      const uint64_t members = groups[g].size();
      Status s = Rebuild(readers[g].get(), std::move(groups[g]), "all", round_chunks, [&](uint64_t d, uint64_t t) {
        done[g] = d * members;
        if (!progress) return;
        uint64_t sum = 0;
        for (const auto& v : done) sum += v;
        std::lock_guard lock(mu);
        progress(sum, t * views);
      });
      readers[g].reset();  // done reading: the others no longer keep chunks for this thread
      std::lock_guard lock(mu);
      seconds[g] = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
      if (!s.ok() && first_error.ok()) first_error = s;
    });
  }
  for (std::thread& t : pool) t.join();
  // Which views shared a thread and how long each thread took: the slowest one is the replay's time.
  for (size_t g = 0; g < groups.size(); ++g) spdlog::info("thread {}: {:.2f} s for {}", g, seconds[g], names[g]);
  SharedLog::Stats shared = log.stats();
  spdlog::info("log read once for {} threads: {} chunks read, {} taken, {} reads alone, {} waits", groups.size(),
               shared.chunks_read, shared.chunks_taken, shared.reads_alone, shared.waits);
  return first_error;
}

int RunReplay(const ReplayFlags& f) {
  std::unique_ptr<Storage> storage = OpenExistingData(f.data, /*offline_rebuild=*/true);
  if (!storage) return 1;
  size_t threads = f.threads != 0 ? f.threads : std::max(1u, std::thread::hardware_concurrency());
  ProgressBar bar;
  bool tty = isatty(STDERR_FILENO) != 0;
  ProgressFn progress = tty ? ProgressFn([&](uint64_t d, uint64_t t) { bar.Update(d, t); }) : nullptr;
  auto begin = std::chrono::steady_clock::now();
  Status done = f.view == "all" && threads > 1 ? RebuildAllInParallel(storage.get(), threads, f.round_chunks, progress)
                                               : Rebuild(storage.get(), {}, f.view, f.round_chunks, progress);
  if (tty) std::fprintf(stderr, "\n");
  if (!done.ok()) {
    std::fprintf(stderr, "error: %s\n", done.ToString().c_str());
    return done.code() == Code::kNotFound ? 2 : 1;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  uint64_t head = storage->LogHead();
  std::printf("replayed %llu events into %s in %.2f s (%.0f events/s)\n", static_cast<unsigned long long>(head),
              f.view.c_str(), seconds, seconds > 0 ? static_cast<double>(head) / seconds : 0.0);
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
  sub->add_option("--threads", flags.threads, "Views rebuilt at once with --view all (0: one per core)")
      ->capture_default_str();
  sub->add_option("--round-chunks", flags.round_chunks,
                  "Log chunks (4096 events each) folded per commit: more is faster and holds more rows in memory")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1024}));
  return Command{sub, [] { return RunReplay(flags); }};
});

}  // namespace
}  // namespace tally::tools
