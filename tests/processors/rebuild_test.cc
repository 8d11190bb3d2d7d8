// Rebuild without downtime: while the live tail keeps folding new events on the background thread, a rebuild
// folds the whole log into a new generation; queries keep answering from the old one until the swap, and the
// result equals a fresh replay. Also covers min_seq waits on the live tail.
#include <gtest/gtest.h>

#include "processors/conversation_metrics.h"
#include "processors/view_keys.h"
#include "tests/processors/engine_harness.h"
#include "tests/processors/random_events.h"
#include "tests/testing/tally_process.h"

namespace tally::testing {
namespace {

std::vector<std::string> AskAll(const ViewEngine& engine) {
  std::vector<std::string> answers;
  for (const std::string& q : RandomStreamQueries()) answers.push_back(q + " => " + RunQueryLine(engine, q));
  return answers;
}

bool NoneRebuilding(const ViewEngine& engine) {
  for (const ViewStatus& v : engine.GetStatus()) {
    if (v.rebuilding) return false;
  }
  return true;
}

void AppendInBatches(Storage& storage, const std::vector<Event>& events, size_t begin, size_t end, size_t batch) {
  for (size_t i = begin; i < end; i += batch) {
    size_t stop = std::min(end, i + batch);
    ASSERT_TRUE(storage
                    .AppendAndWait(std::vector<Event>(events.begin() + static_cast<ptrdiff_t>(i),
                                                      events.begin() + static_cast<ptrdiff_t>(stop)))
                    .status.ok());
  }
}

TEST(RebuildTest, RebuildWhileEventsArriveEqualsFreshReplay) {
  std::vector<Event> events = RandomEvents(77).Make(4000);
  TempDir dir;
  auto storage = OpenTestStorage(dir.path());
  EngineOptions options;
  options.runner.chunk_events = 64;  // many chunks, so the rebuild and the live tail interleave
  auto engine = ViewEngine::Open(storage.get(), options);
  ASSERT_TRUE(engine.ok());
  (*engine)->StartLive();
  AppendInBatches(*storage, events, 0, 2000, 100);
  ASSERT_TRUE((*engine)->WaitFor("", storage->LogHead(), std::chrono::seconds(30)).ok());

  ASSERT_TRUE((*engine)->Rebuild("all").ok());
  EXPECT_FALSE(NoneRebuilding(**engine));
  uint64_t last_as_of = 0;
  for (size_t i = 2000; i < events.size(); i += 200) {
    AppendInBatches(*storage, events, i, std::min(events.size(), i + 200), 50);
    // Queries keep answering during the rebuild, never going back in the log.
    auto answer = RunQuery(**engine, "daily_metrics",
                           ParseQueryLine("daily_metrics store=s1 from=2026-10-01 to=2026-10-02").args);
    ASSERT_TRUE(answer.ok()) << answer.status().ToString();
    auto read = (*engine)->Read("conversation_metrics");
    ASSERT_TRUE(read.ok());
    EXPECT_GE(read->reader.as_of_seq(), last_as_of);
    last_as_of = read->reader.as_of_seq();
  }
  uint64_t head = storage->LogHead();
  ASSERT_TRUE((*engine)->WaitFor("", head, std::chrono::seconds(60)).ok());
  ASSERT_TRUE(WaitFor([&] { return NoneRebuilding(**engine); }, std::chrono::seconds(60)));
  std::vector<std::string> rebuilt = AskAll(**engine);

  // Every view now serves generation 2 and generation 1 is gone.
  auto snapshot = storage->Snapshot();
  for (const std::string& view : (*engine)->ViewNames()) {
    auto control = snapshot->Get(ViewControlKey(view));
    ASSERT_TRUE(control.ok() && control.value());
    EXPECT_EQ(DecodeViewControl(*control.value()).serving, 2u) << view;
    bool any = false;
    ASSERT_TRUE(snapshot
                    ->Scan(ViewGenerationPrefix(view, 1), ViewGenerationPrefix(view, 2),
                           [&](std::string_view, std::string_view) { return !(any = true); })
                    .ok());
    EXPECT_FALSE(any) << view << " still has generation 1 rows";
    EXPECT_EQ(snapshot->Offset(view), head) << view;
  }
  (*engine)->Stop();

  TempDir fresh_dir;
  auto fresh = OpenTestStorage(fresh_dir.path());
  ASSERT_TRUE(fresh->AppendAndWait(events).status.ok());
  auto fresh_engine = ViewEngine::Open(fresh.get());
  ASSERT_TRUE(fresh_engine.ok());
  ASSERT_TRUE((*fresh_engine)->CatchUp().ok());
  std::vector<std::string> expected = AskAll(**fresh_engine);
  ASSERT_EQ(rebuilt.size(), expected.size());
  for (size_t i = 0; i < rebuilt.size(); ++i) EXPECT_EQ(rebuilt[i], expected[i]);
}

// Counts the events a view folds, passing them on to the real view.
class CountingProcessor final : public Processor {
 public:
  CountingProcessor(std::unique_ptr<Processor> inner, uint64_t* applied)
      : inner_(std::move(inner)), applied_(applied) {}
  std::string_view name() const override { return inner_->name(); }
  uint32_t layout_version() const override { return inner_->layout_version(); }
  void Apply(uint64_t seq, const Event& event, FoldState& state) override {
    ++*applied_;
    inner_->Apply(seq, event, state);
  }

 private:
  std::unique_ptr<Processor> inner_;
  uint64_t* applied_;
};

// A view at offset 0 (new, or reset for a new layout) is folded from seq 1 already; a rebuild of it must not
// fold the log a second time into another generation. A view that has folded something is rebuilt as usual.
TEST(RebuildTest, AViewThatHasFoldedNothingIsFoldedOnce) {
  TempDir dir;
  auto storage = OpenTestStorage(dir.path());
  ASSERT_TRUE(storage->AppendAndWait(RandomEvents(5).Make(600)).status.ok());
  const uint64_t head = storage->LogHead();
  std::vector<uint64_t> applied;
  auto open_counting = [&] {
    std::vector<std::unique_ptr<Processor>> processors = MakeAllProcessors();
    applied.assign(processors.size(), 0);
    std::vector<std::unique_ptr<Processor>> counting;
    for (size_t i = 0; i < processors.size(); ++i) {
      counting.push_back(std::make_unique<CountingProcessor>(std::move(processors[i]), &applied[i]));
    }
    EngineOptions options;
    options.runner.chunk_events = 100;
    return ViewEngine::Open(storage.get(), options, std::move(counting));
  };
  {
    auto engine = open_counting();
    ASSERT_TRUE(engine.ok());
    EXPECT_FALSE(NoneRebuilding(**engine));  // nothing folded yet: built from the log, as a rebuild would be
    ASSERT_TRUE((*engine)->Rebuild("all").ok());
    ASSERT_TRUE((*engine)->CatchUp().ok());
    EXPECT_TRUE(NoneRebuilding(**engine));
    for (uint64_t n : applied) EXPECT_EQ(n, head);
    for (const ViewStatus& v : (*engine)->GetStatus()) EXPECT_EQ(v.offset, head) << v.name;
  }
  auto engine = open_counting();
  ASSERT_TRUE(engine.ok());
  ASSERT_TRUE((*engine)->Rebuild("all").ok());
  EXPECT_FALSE(NoneRebuilding(**engine));
  ASSERT_TRUE((*engine)->CatchUp().ok());
  EXPECT_TRUE(NoneRebuilding(**engine));
  for (uint64_t n : applied) EXPECT_EQ(n, head);
}

TEST(RebuildTest, UnknownViewIsNotFound) {
  TempDir dir;
  auto storage = OpenTestStorage(dir.path());
  auto engine = ViewEngine::Open(storage.get());
  ASSERT_TRUE(engine.ok());
  EXPECT_EQ((*engine)->Rebuild("nope").code(), Code::kNotFound);
}

// A view added to an existing data directory starts at offset 0; it must not hold back the views already at
// the live edge while it catches up.
TEST(LiveTailTest, ANewViewCatchesUpWithoutHoldingBackTheOthers) {
  TempDir dir;
  auto storage = OpenTestStorage(dir.path());
  std::vector<Event> events = RandomEvents(9).Make(1010);
  ASSERT_TRUE(storage->AppendAndWait(std::vector<Event>(events.begin(), events.begin() + 1000)).status.ok());
  uint64_t first_head = storage->LogHead();
  {
    std::vector<std::unique_ptr<Processor>> only;
    only.push_back(std::make_unique<ConversationMetricsProcessor>());
    auto engine = ViewEngine::Open(storage.get(), {}, std::move(only));
    ASSERT_TRUE(engine.ok());
    ASSERT_TRUE((*engine)->CatchUp().ok());
  }
  ASSERT_TRUE(storage->AppendAndWait(std::vector<Event>(events.begin() + 1000, events.end())).status.ok());
  uint64_t head = storage->LogHead();
  ASSERT_GT(head, first_head);
  {
    EngineOptions options;
    options.runner.chunk_events = 50;
    options.runner.catch_up_chunks = 1;  // a commit per chunk, so the laggards' progress is counted in chunks
    int commits_left = 3;                // the edge's new events, then two chunks of the laggards' backlog
    options.runner.before_commit = [&](uint64_t) { return commits_left-- > 0; };
    auto engine = ViewEngine::Open(storage.get(), options);
    ASSERT_TRUE(engine.ok());
    EXPECT_EQ((*engine)->CatchUp().code(), Code::kUnavailable);
  }
  auto engine = ViewEngine::Open(storage.get());
  ASSERT_TRUE(engine.ok());
  for (const ViewStatus& v : (*engine)->GetStatus()) {
    if (v.name == ConversationMetricsProcessor::kName) {
      EXPECT_EQ(v.offset, head);
    } else {
      EXPECT_EQ(v.offset, 100u) << v.name;
    }
  }
}

TEST(LiveTailTest, MinSeqWaitsForTheLiveTailAndTimesOut) {
  TempDir dir;
  auto storage = OpenTestStorage(dir.path());
  auto engine = ViewEngine::Open(storage.get());
  ASSERT_TRUE(engine.ok());
  (*engine)->StartLive();
  std::vector<Event> events = RandomEvents(5).Make(50);
  AppendResult appended = storage->AppendAndWait(events);
  ASSERT_TRUE(appended.status.ok());
  QueryLine q = ParseQueryLine("daily_metrics store=s1 from=2026-10-01 to=2026-10-01");
  q.args.params["min_seq"] = std::to_string(appended.last_seq);
  auto answer = RunQuery(**engine, q.route, q.args);
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_NE(answer->find("\"as_of_seq\":" + std::to_string(appended.last_seq)), std::string::npos) << *answer;

  q.args.params["min_seq"] = std::to_string(appended.last_seq + 1);
  q.args.min_seq_timeout = std::chrono::milliseconds(50);
  EXPECT_EQ(RunQuery(**engine, q.route, q.args).status().code(), Code::kUnavailable);
  for (const ViewStatus& v : (*engine)->GetStatus()) {
    EXPECT_EQ(v.offset, appended.last_seq) << v.name;
    EXPECT_EQ(v.lag, 0u) << v.name;
  }
}

}  // namespace
}  // namespace tally::testing
