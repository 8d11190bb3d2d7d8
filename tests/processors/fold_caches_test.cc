// The runner's two caches. The written-keys filter: never a false "absent", it stops vouching when saturated.
// The row store's clean rows (row_store_test.cc has its unit tests). Folding with them (tiny, so the filter
// saturates and the store evicts mid-run, or the default sizes) answers exactly what folding without them does.
#include "processors/row_store.h"
#include "processors/written_keys.h"

#include <gtest/gtest.h>

#include "processors/view_keys.h"
#include "tests/processors/engine_harness.h"
#include "tests/processors/random_events.h"
#include "tests/testing/tally_process.h"

namespace tally::testing {
namespace {

TEST(WrittenKeysTest, AddedKeysAreNeverReportedAbsent) {
  WrittenKeys filter(1 << 16);
  filter.Track("prefix");
  size_t unseen_maybe = 0;
  for (int i = 0; i < 4000; ++i) filter.Add("key-" + std::to_string(i));
  for (int i = 0; i < 4000; ++i) EXPECT_TRUE(filter.MayContain("key-" + std::to_string(i))) << i;
  for (int i = 4000; i < 14000; ++i) unseen_maybe += filter.MayContain("key-" + std::to_string(i)) ? 1 : 0;
  // 512 Ki bits for 4 000 keys: false positives are rare (the bound is loose on purpose).
  EXPECT_LT(unseen_maybe, 100u);
}

TEST(WrittenKeysTest, TracksOnlyWhatItWasToldAndForgetsOnUntrack) {
  WrittenKeys filter(1 << 12);
  EXPECT_FALSE(filter.Tracks("a"));
  EXPECT_TRUE(filter.MayContain("anything")) << "with nothing tracked there is no filter to answer from";
  filter.Track("a");
  filter.Track("b");
  EXPECT_TRUE(filter.Tracks("a"));
  EXPECT_FALSE(filter.MayContain("a-never-written"));
  filter.Untrack("a");
  EXPECT_FALSE(filter.Tracks("a"));
  EXPECT_TRUE(filter.Tracks("b"));
  filter.Untrack("b");
  EXPECT_TRUE(filter.MayContain("a-never-written"));
}

TEST(WrittenKeysTest, SaturationStopsVouchingAndATrackStartsAfresh) {
  WrittenKeys filter(64);  // one block: capacity 51 keys
  filter.Track("g");
  for (int i = 0; i < 60; ++i) filter.Add("k" + std::to_string(i));
  EXPECT_FALSE(filter.Tracks("g"));
  EXPECT_TRUE(filter.MayContain("never-added"));
  filter.Track("h");
  EXPECT_TRUE(filter.Tracks("h"));
  EXPECT_FALSE(filter.Tracks("g")) << "a generation dropped at saturation is not vouched for again";
  EXPECT_EQ(filter.keys(), 0u);
}

std::vector<std::string> AnswersAfterRebuilds(const std::vector<Event>& events, size_t filter_bytes,
                                              size_t row_cache_bytes) {
  TempDir dir;
  auto storage = OpenTestStorage(dir.path());
  EngineOptions options;
  options.runner.chunk_events = 97;
  options.runner.written_keys_bytes = filter_bytes;
  options.runner.row_cache_bytes = row_cache_bytes;
  // Half the log folded live from empty, then a rebuild of everything while the rest arrives.
  size_t half = events.size() / 2;
  EXPECT_TRUE(storage->AppendAndWait({events.begin(), events.begin() + static_cast<long>(half)}).status.ok());
  auto engine = ViewEngine::Open(storage.get(), options);
  EXPECT_TRUE(engine.ok());
  EXPECT_TRUE((*engine)->CatchUp().ok());
  EXPECT_TRUE((*engine)->Rebuild("all").ok());
  EXPECT_TRUE(storage->AppendAndWait({events.begin() + static_cast<long>(half), events.end()}).status.ok());
  EXPECT_TRUE((*engine)->CatchUp().ok());
  EXPECT_TRUE((*engine)->Rebuild("conversation_metrics").ok());
  EXPECT_TRUE((*engine)->CatchUp().ok());
  std::vector<std::string> answers;
  for (const std::string& q : RandomStreamQueries()) answers.push_back(q + " => " + RunQueryLine(**engine, q));
  return answers;
}

TEST(FoldCachesTest, FoldingWithTheCachesAnswersExactlyAsWithout) {
  std::vector<Event> events = RandomEvents(42).Make(1500);
  std::vector<std::string> without = AnswersAfterRebuilds(events, 0, 0);
  std::vector<std::vector<std::string>> with = {
      AnswersAfterRebuilds(events, 512, 0),                          // the filter saturates mid-run
      AnswersAfterRebuilds(events, WrittenKeys::kDefaultBytes, 0),   // the filter alone
      AnswersAfterRebuilds(events, 0, 4096),                         // a row store that keeps evicting
      AnswersAfterRebuilds(events, 0, RowStore::kDefaultBytes),      // the row store alone
      AnswersAfterRebuilds(events, 512, 4096),                       // both, small
  };
  for (size_t v = 0; v < with.size(); ++v) {
    SCOPED_TRACE("variant " + std::to_string(v));
    ASSERT_EQ(with[v].size(), without.size());
    for (size_t i = 0; i < without.size(); ++i) EXPECT_EQ(with[v][i], without[i]);
  }
}

}  // namespace
}  // namespace tally::testing
