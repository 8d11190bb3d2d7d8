// The shared ingest pipeline over a real storage: per-batch outcomes (seqs, duplicates, rejections by index),
// quarantine routing and the metrics it counts.
#include "net/ingest.h"

#include <future>

#include <gtest/gtest.h>

#include "tests/testing/ingest_helpers.h"
#include "tests/testing/tally_process.h"

namespace tally::net {
namespace {

using testing::StartedEvent;

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StorageOptions options;
    options.path = dir_.Sub("db");
    auto storage = Storage::Open(options);
    ASSERT_TRUE(storage.ok()) << storage.status().ToString();
    storage_ = std::move(storage.value());
    ingest_ = std::make_unique<Ingest>(*storage_, metrics_);
  }
  void TearDown() override {
    ingest_.reset();
    if (storage_) {
      EXPECT_TRUE(storage_->Close().ok());
    }
  }

  ValidationContext Context(std::function<bool(std::string_view)> can_write = {}) {
    ValidationContext ctx;
    ctx.now_ms = SystemClock::Instance().NowMs();
    ctx.received_at = ctx.now_ms;
    ctx.can_write = std::move(can_write);
    return ctx;
  }

  BatchOutcome SubmitAndWait(IngestBatch& batch) {
    std::promise<BatchOutcome> promise;
    Status s = ingest_->Submit(batch, [&](BatchOutcome outcome) { promise.set_value(std::move(outcome)); });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return promise.get_future().get();
  }

  testing::TempDir dir_;
  MetricsRegistry metrics_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<Ingest> ingest_;
};

TEST_F(IngestTest, OutcomesMapBackToBatchIndexes) {
  IngestBatch first(Context());
  first.AddJson(StartedEvent("s1", "a"));
  first.AddJson(StartedEvent("s1", "b"));
  BatchOutcome one = SubmitAndWait(first);
  ASSERT_TRUE(one.status.ok());
  EXPECT_EQ(one.first_seq, 1u);
  EXPECT_EQ(one.last_seq, 2u);

  IngestBatch second(Context());
  second.AddJson("{not json");                   // 0: malformed
  second.AddJson(StartedEvent("s1", "b"));        // 1: duplicate of seq 2
  second.AddJson(StartedEvent("s1", "c"));        // 2: accepted
  second.AddMalformed("[1,", "body is not a JSON array");  // 3
  second.AddJson(StartedEvent("s1", "d"));        // 4: accepted
  EXPECT_EQ(second.size(), 5u);
  BatchOutcome two = SubmitAndWait(second);
  ASSERT_TRUE(two.status.ok());
  EXPECT_EQ(two.accepted, 2u);
  EXPECT_EQ(two.first_seq, 3u);
  EXPECT_EQ(two.last_seq, 4u);
  ASSERT_EQ(two.duplicates.size(), 1u);
  EXPECT_EQ(two.duplicates[0].index, 1u);
  EXPECT_EQ(two.duplicates[0].seq, 2u);
  ASSERT_EQ(two.rejected.size(), 2u);
  EXPECT_EQ(two.rejected[0].index, 0u);
  EXPECT_EQ(two.rejected[0].code, Code::kMalformed);
  EXPECT_EQ(two.rejected[1].index, 3u);
  EXPECT_EQ(two.rejected[1].message, "body is not a JSON array");

  std::string metrics = metrics_.RenderPrometheus();
  EXPECT_NE(metrics.find("tally_events_appended_total 4\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("tally_events_duplicate_total 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("tally_events_rejected_total{code=\"malformed\"} 2\n"), std::string::npos) << metrics;
  EXPECT_EQ(ingest_->inflight_events(), 0u);
}

TEST_F(IngestTest, RejectsGoToTheStoreOrTheGlobalQuarantine) {
  IngestBatch batch(Context([](std::string_view store) { return store == "mine"; }));
  std::string missing = R"({"event_id":"m","type":"conversation_started","store_id":"mine","occurred_at":"2026-11-20T10:00:00Z"})";
  batch.AddJson(missing);                         // invalid, writable store: the store's quarantine
  batch.AddJson(StartedEvent("theirs", "t"));     // forbidden: the global quarantine
  batch.AddJson("garbage");                       // no store at all: the global quarantine
  BatchOutcome outcome = SubmitAndWait(batch);
  ASSERT_TRUE(outcome.status.ok());
  ASSERT_EQ(outcome.rejected.size(), 3u);
  EXPECT_EQ(outcome.rejected[0].code, Code::kMissingField);
  EXPECT_EQ(outcome.rejected[0].event_id, "m");
  EXPECT_EQ(outcome.rejected[1].code, Code::kForbidden);

  auto store = storage_->ReadQuarantine("mine", 10, std::nullopt);
  ASSERT_TRUE(store.ok());
  ASSERT_EQ(store->entries.size(), 1u);
  EXPECT_EQ(store->entries[0].raw, missing);
  EXPECT_EQ(store->entries[0].code, Code::kMissingField);
  auto global = storage_->ReadQuarantine("", 10, std::nullopt);
  ASSERT_TRUE(global.ok());
  EXPECT_EQ(global->entries.size(), 2u);
  auto theirs = storage_->ReadQuarantine("theirs", 10, std::nullopt);
  ASSERT_TRUE(theirs.ok());
  EXPECT_TRUE(theirs->entries.empty());
}

TEST_F(IngestTest, QuarantinedRawBytesAreCapped) {
  std::string huge = "{\"event_id\":\"" + std::string(200 * 1024, 'x') + "\"}";
  IngestBatch batch(Context());
  batch.AddJson(huge);
  BatchOutcome outcome = SubmitAndWait(batch);
  ASSERT_EQ(outcome.rejected.size(), 1u);
  auto global = storage_->ReadQuarantine("", 10, std::nullopt);
  ASSERT_TRUE(global.ok());
  ASSERT_EQ(global->entries.size(), 1u);
  EXPECT_EQ(global->entries[0].raw.size(), kMaxQuarantineRawBytes);
}

}  // namespace
}  // namespace tally::net
