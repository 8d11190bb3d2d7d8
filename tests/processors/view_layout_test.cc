// State layout versions (Processor::layout_version, ViewEngine::Open): a view whose rows were written in another
// layout is dropped and refolded from the log, to the same answers as a fresh fold; a view in its processor's
// layout is left alone; a reset cancels a rebuild in progress and drops its generation too.
#include <gtest/gtest.h>

#include "processors/conversation_metrics.h"
#include "processors/conversation_metrics_state.h"
#include "processors/quality_view.h"
#include "processors/view_keys.h"
#include "tests/processors/engine_harness.h"
#include "tests/processors/random_events.h"
#include "tests/testing/tally_process.h"

namespace tally::testing {
namespace {

constexpr std::string_view kMetrics = ConversationMetricsProcessor::kName;

std::vector<std::string> AskAll(const ViewEngine& engine) {
  std::vector<std::string> answers;
  for (const std::string& q : RandomStreamQueries()) answers.push_back(q + " => " + RunQueryLine(engine, q));
  return answers;
}

std::optional<std::string> GetState(Storage& storage, const std::string& key) {
  auto value = storage.Snapshot()->Get(key);
  EXPECT_TRUE(value.ok());
  return value.ok() ? value.value() : std::nullopt;
}

std::optional<uint64_t> RecordedLayout(Storage& storage, std::string_view view) {
  auto value = GetState(storage, ViewLayoutKey(view));
  if (!value) return std::nullopt;
  return ValueReader(*value).U64();
}

ViewControl Control(Storage& storage, std::string_view view) {
  auto value = GetState(storage, ViewControlKey(view));
  return value ? DecodeViewControl(*value) : ViewControl{};
}

size_t RowsIn(Storage& storage, std::string_view view, uint32_t generation) {
  size_t rows = 0;
  EXPECT_TRUE(storage.Snapshot()
                  ->Scan(ViewGenerationPrefix(view, generation), ViewGenerationPrefix(view, generation + 1),
                         [&](std::string_view, std::string_view) { return ++rows, true; })
                  .ok());
  return rows;
}

uint64_t OffsetOf(const ViewEngine& engine, std::string_view view) {
  for (const ViewStatus& v : engine.GetStatus()) {
    if (v.name == view) return v.offset;
  }
  ADD_FAILURE() << "no view " << view;
  return 0;
}

void Commit(Storage& storage, StateWrite write) { ASSERT_TRUE(storage.CommitState(write).ok()); }

// A data directory holding the random event stream with every view folded, and the answers of a fresh fold.
class ViewLayoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    events_ = RandomEvents(31).Make(3000);
    storage_ = OpenTestStorage(dir_.path());
    ASSERT_TRUE(storage_->AppendAndWait(events_).status.ok());
    head_ = storage_->LogHead();
    auto engine = ViewEngine::Open(storage_.get());
    ASSERT_TRUE(engine.ok());
    ASSERT_TRUE((*engine)->CatchUp().ok());
    fresh_ = AskAll(**engine);
  }

  // A row the current layout would misread: a day row of the serving generation with made-up counters.
  void PlantStaleRow() {
    MetricsRow wrong;
    wrong.total_conversations = 987654;
    std::string key = ViewGenerationPrefix(kMetrics, Control(*storage_, kMetrics).serving) +
                      DayRowKey("s1", *ParseDate("2026-10-03"));
    Commit(*storage_, StateWrite{{{key, EncodeMetricsRow(wrong)}}, {}, {}, {}});
  }

  void SetLayout(std::string_view view, uint64_t layout) {
    Commit(*storage_, StateWrite{{{ViewLayoutKey(view), ValueWriter().U64(layout).Take()}}, {}, {}, {}});
  }

  TempDir dir_;
  std::vector<Event> events_;
  std::unique_ptr<Storage> storage_;
  uint64_t head_ = 0;
  std::vector<std::string> fresh_;
};

TEST_F(ViewLayoutTest, EveryViewRecordsItsLayout) {
  for (const auto& p : MakeAllProcessors()) {
    EXPECT_EQ(RecordedLayout(*storage_, p->name()), p->layout_version()) << p->name();
  }
  EXPECT_EQ(RecordedLayout(*storage_, kMetrics), 4u);
  EXPECT_EQ(RecordedLayout(*storage_, QualityProcessor::kName), 2u);
}

TEST_F(ViewLayoutTest, AMatchingLayoutIsLeftAlone) {
  PlantStaleRow();
  auto engine = ViewEngine::Open(storage_.get());
  ASSERT_TRUE(engine.ok());
  for (const ViewStatus& v : (*engine)->GetStatus()) EXPECT_EQ(v.offset, head_) << v.name;
  EXPECT_EQ(Control(*storage_, kMetrics).serving, 1u);
  // The planted row is still served: nothing was refolded.
  EXPECT_NE(RunQueryLine(**engine, "daily_metrics store=s1 from=2026-10-03 to=2026-10-03").find("987654"),
            std::string::npos);
}

TEST_F(ViewLayoutTest, AnOlderLayoutIsDroppedAndRefoldedFromTheLog) {
  PlantStaleRow();
  SetLayout(kMetrics, 1);
  auto engine = ViewEngine::Open(storage_.get());
  ASSERT_TRUE(engine.ok());
  // Reset before the runner loaded it: a fresh, empty generation at offset 0; the other views untouched.
  for (const ViewStatus& v : (*engine)->GetStatus()) {
    EXPECT_EQ(v.rebuilding, v.name == kMetrics) << v.name;  // folding from seq 1, in its serving generation
    EXPECT_EQ(v.offset, v.name == kMetrics ? 0u : head_) << v.name;
  }
  ViewControl control = Control(*storage_, kMetrics);
  EXPECT_EQ(control.serving, 2u);
  EXPECT_EQ(control.building, 0u);
  EXPECT_EQ(RowsIn(*storage_, kMetrics, 1), 0u);
  EXPECT_EQ(RowsIn(*storage_, kMetrics, 2), 0u);
  EXPECT_EQ(RecordedLayout(*storage_, kMetrics), 4u);

  ASSERT_TRUE((*engine)->CatchUp().ok());
  EXPECT_EQ(OffsetOf(**engine, kMetrics), head_);
  EXPECT_EQ(AskAll(**engine), fresh_);
}

// A data directory from before layouts were recorded: views with state count as layout 1, so the views past it
// (conversation_metrics, quality) are refolded and the layout-1 views keep their state and get a record.
TEST_F(ViewLayoutTest, StateWithoutARecordIsLayoutOne) {
  StateWrite unrecord;
  for (const auto& p : MakeAllProcessors()) unrecord.deletes.push_back(ViewLayoutKey(p->name()));
  Commit(*storage_, unrecord);
  PlantStaleRow();
  auto engine = ViewEngine::Open(storage_.get());
  ASSERT_TRUE(engine.ok());
  for (const auto& p : MakeAllProcessors()) {
    EXPECT_EQ(RecordedLayout(*storage_, p->name()), p->layout_version()) << p->name();
    // Views past layout 1 (conversation_metrics, quality) are refolded; the others keep their state.
    EXPECT_EQ(OffsetOf(**engine, p->name()), p->layout_version() > 1 ? 0u : head_) << p->name();
  }
  ASSERT_TRUE((*engine)->CatchUp().ok());
  EXPECT_EQ(AskAll(**engine), fresh_);
}

TEST_F(ViewLayoutTest, AResetCancelsARebuildAndDropsItsGeneration) {
  {
    EngineOptions options;
    options.runner.chunk_events = 500;
    options.runner.catch_up_chunks = 1;  // a commit per chunk, so the hook below counts chunks
    int commits_left = 2;                // the rebuild gets two chunks into generation 2, then "crashes"
    options.runner.before_commit = [&](uint64_t) { return commits_left-- > 0; };
    auto engine = ViewEngine::Open(storage_.get(), options);
    ASSERT_TRUE(engine.ok());
    ASSERT_TRUE((*engine)->Rebuild(std::string(kMetrics)).ok());
    EXPECT_EQ((*engine)->CatchUp().code(), Code::kUnavailable);
  }
  ASSERT_EQ(Control(*storage_, kMetrics).building, 2u);
  ASSERT_EQ(storage_->Snapshot()->Offset(RebuildOffsetName(kMetrics)), 1000u);
  ASSERT_GT(RowsIn(*storage_, kMetrics, 2), 0u);
  SetLayout(kMetrics, 1);

  auto engine = ViewEngine::Open(storage_.get());
  ASSERT_TRUE(engine.ok());
  ViewControl control = Control(*storage_, kMetrics);
  EXPECT_EQ(control.serving, 3u);
  EXPECT_EQ(control.building, 0u);
  EXPECT_EQ(storage_->Snapshot()->Offset(RebuildOffsetName(kMetrics)), 0u);
  for (uint32_t generation : {1u, 2u, 3u}) EXPECT_EQ(RowsIn(*storage_, kMetrics, generation), 0u) << generation;
  for (const ViewStatus& v : (*engine)->GetStatus()) {
    EXPECT_EQ(v.rebuilding, v.name == kMetrics) << v.name;  // folding from seq 1, in its serving generation
    EXPECT_EQ(v.offset, v.name == kMetrics ? 0u : head_) << v.name;
  }
  ASSERT_TRUE((*engine)->CatchUp().ok());
  EXPECT_EQ(AskAll(**engine), fresh_);
}

}  // namespace
}  // namespace tally::testing
