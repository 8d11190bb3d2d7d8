// `tally import` brings the views up to date, `tally query` answers exactly what the query API answers, and
// `tally replay` rebuilds without changing any answer.
#include <gtest/gtest.h>

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

  std::vector<std::string> query = {"query", "--data", data, "daily_metrics", "--store", "s1",
                                    "--from", "2026-10-05", "--to", "2026-10-06"};
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

TEST(CliTest, ErrorsExitNonZero) {
  TempDir dir;
  std::string data = dir.Sub("data");
  ASSERT_EQ(RunTally({"import", "--data", data, kEvents}).exit_code, 0);
  RunResult bad = RunTally({"query", "--data", data, "daily_metrics", "--store", "s1", "--from", "2026-10-05"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("bad_parameter: to"), std::string::npos) << bad.err;
  EXPECT_EQ(RunTally({"query", "--data", data, "nope"}).exit_code, 2);
  EXPECT_EQ(RunTally({"replay", "--data", data, "--view", "nope"}).exit_code, 2);
  EXPECT_NE(RunTally({"query", "--data", dir.Sub("missing"), "daily_metrics"}).exit_code, 0);
}

}  // namespace
}  // namespace tally::testing
