// `tally import` brings the views up to date, `tally query` answers exactly what the query API answers, and
// `tally replay` rebuilds without changing any answer.
#include <gtest/gtest.h>

#include "processors/view_keys.h"
#include "tests/processors/engine_harness.h"
#include "tests/testing/tally_process.h"

namespace tally::testing {
namespace {

const std::string kEvents = std::string(TALLY_TEST_DATA_DIR) + "/golden/daily_responses/events.ndjson";

TEST(CliTest, ImportQueryReplay) {
  TempDir dir;
  std::string data = dir.Sub("data");
  RunResult imported = RunTally({"import", "--data", data, kEvents});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;

  std::vector<std::string> query = {"query", "--data", data,         "daily_metrics", "--store",
                                    "s1",    "--from", "2026-10-05", "--to",          "2026-10-06"};
  RunResult before = RunTally(query);
  ASSERT_EQ(before.exit_code, 0) << before.err;
  EXPECT_NE(before.out.find("\"as_of_seq\":23"), std::string::npos) << before.out;
  RunResult csv = RunTally({"query", "--data", data, "export", "--store", "s1", "--from", "2026-10-05", "--to",
                            "2026-10-05", "--format", "csv"});
  EXPECT_NE(csv.out.find("\r\n2026-10-05,3,"), std::string::npos) << csv.out;

  RunResult replay = RunTally({"replay", "--data", data});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_NE(replay.out.find("replayed 23 events"), std::string::npos) << replay.out;
  RunResult after = RunTally(query);
  EXPECT_EQ(after.out, before.out);

  // The same answer in process, through the query API.
  auto storage = OpenTestStorage(data);
  auto engine = ViewEngine::Open(storage.get());
  ASSERT_TRUE(engine.ok());
  EXPECT_EQ(RunQueryLine(**engine, "daily_metrics store=s1 from=2026-10-05 to=2026-10-06") + "\n", before.out);
}

// Deletes every row of every view's serving generation (offsets stay): a view the replay skipped would then
// answer empty.
void WipeViewRows(const std::string& data) {
  auto storage = OpenTestStorage(data);
  auto snapshot = storage->Snapshot();
  StateWrite wipe;
  for (const auto& processor : MakeAllProcessors()) {
    std::string name(processor->name());
    auto control = snapshot->Get(ViewControlKey(name));
    ASSERT_TRUE(control.ok());
    uint32_t serving = control.value() ? DecodeViewControl(*control.value()).serving : ViewControl{}.serving;
    wipe.delete_ranges.emplace_back(ViewGenerationPrefix(name, serving), ViewGenerationPrefix(name, serving + 1));
  }
  snapshot.reset();
  ASSERT_TRUE(storage->CommitState(wipe).ok());
  ASSERT_TRUE(storage->Close().ok());
}

// `tally replay` splits the views over threads (one engine per group of views): every view must be rebuilt and
// answer exactly as before, whatever the split — one thread, two, or more threads than views.
TEST(CliTest, ParallelReplayRebuildsEveryView) {
  TempDir dir;
  std::string data = dir.Sub("data");
  const std::string demo = std::string(TALLY_TEST_DATA_DIR) + "/../../tools/demo/events.ndjson";
  RunResult imported = RunTally({"import", "--data", data, demo});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  const std::vector<std::vector<std::string>> queries = {
      {"daily_metrics", "--store", "acme-support", "--from", "2026-11-01", "--to", "2026-11-21"},
      {"quality", "--store", "globex-help", "--from", "2026-11-01", "--to", "2026-11-21"},
      {"content_gaps", "--store", "acme-support"},
      {"files", "--store", "globex-help"},
      {"usage_daily", "--store", "acme-support", "--from", "2026-11-01", "--to", "2026-11-21"},
      {"metrics", "--store", "globex-help", "--period", "month", "--date", "2026-11-10"},
  };
  auto answers = [&] {
    std::vector<std::string> out;
    for (const auto& q : queries) {
      std::vector<std::string> args = {"query", "--data", data};
      args.insert(args.end(), q.begin(), q.end());
      RunResult r = RunTally(args);
      EXPECT_EQ(r.exit_code, 0) << q[0] << ": " << r.err;
      out.push_back(r.out);
    }
    return out;
  };
  const std::vector<std::string> before = answers();
  for (const std::string& answer : before) EXPECT_NE(answer.find("\"as_of_seq\":2651"), std::string::npos) << answer;
  // (threads, chunks per commit): the demo is one chunk, so --round-chunks only has to be accepted here; the
  // runner's tests check that the round length does not change an answer.
  for (const auto& [threads, rounds] :
       std::vector<std::pair<std::string, std::string>>{{"2", "32"}, {"1", "1"}, {"8", "32"}}) {
    WipeViewRows(data);
    std::vector<std::string> wiped = answers();
    for (size_t i = 0; i < wiped.size(); ++i) EXPECT_NE(wiped[i], before[i]) << "rows not wiped: " << queries[i][0];
    RunResult replay = RunTally({"replay", "--data", data, "--threads", threads, "--round-chunks", rounds});
    ASSERT_EQ(replay.exit_code, 0) << replay.err;
    EXPECT_NE(replay.out.find("replayed 2651 events into all"), std::string::npos) << replay.out;
    EXPECT_EQ(answers(), before) << "--threads " << threads;
  }
  EXPECT_NE(RunTally({"replay", "--data", data, "--round-chunks", "0"}).exit_code, 0);
}

TEST(CliTest, ErrorsExitNonZero) {
  TempDir dir;
  std::string data = dir.Sub("data");
  ASSERT_EQ(RunTally({"import", "--data", data, kEvents}).exit_code, 0);
  RunResult bad = RunTally({"query", "--data", data, "daily_metrics", "--store", "s1", "--from", "2026-10-05"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("bad_parameter: to"), std::string::npos) << bad.err;
  EXPECT_EQ(RunTally({"query", "--data", data, "nope"}).exit_code, 2);
  EXPECT_EQ(RunTally({"replay", "--data", data, "--view", "nope"}).exit_code, 2);
  EXPECT_EQ(RunTally({"replay", "--data", data, "--view", "nope", "--threads", "2"}).exit_code, 2);
  EXPECT_NE(RunTally({"query", "--data", dir.Sub("missing"), "daily_metrics"}).exit_code, 0);
}

}  // namespace
}  // namespace tally::testing
