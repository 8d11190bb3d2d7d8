// The real binary: import a varied NDJSON file, dump it, import the dump into an empty directory (via stdin),
// dump again: the dumps are identical bytes, the log heads are equal and so is every view's state.
#include <algorithm>

#include "tests/storage/storage_test_util.h"

namespace tally::storage_test {
namespace {

using testing::RunTally;
using testing::TempDir;

std::vector<std::pair<std::string, std::string>> AllViewState(const std::string& path, uint64_t* head) {
  StorageOptions options = OptionsFor(path);
  options.create_if_missing = false;
  auto storage = OpenOrDie(options);
  std::vector<std::pair<std::string, std::string>> rows;
  if (!storage) return rows;
  *head = storage->LogHead();
  auto snapshot = storage->Snapshot();
  Status s = snapshot->Scan("", "", [&](std::string_view k, std::string_view v) {
    rows.emplace_back(std::string(k), std::string(v));
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return rows;
}

TEST(RoundTripTest, DumpThenImportReproducesTheLogAndViews) {
  TempDir dir;
  const std::string input = std::string(TALLY_TEST_DATA_DIR) + "/storage/roundtrip.ndjson";
  auto first = RunTally({"import", "--data", dir.Sub("a"), input});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, "accepted 18 duplicates 1 rejected 3\n");
  EXPECT_NE(first.err.find("rejected line=21 event_id=bad1 code=invalid_value"), std::string::npos) << first.err;
  EXPECT_NE(first.err.find("rejected line=22 event_id= code=malformed"), std::string::npos) << first.err;
  EXPECT_NE(first.err.find("rejected line=23 event_id=bad2 code=unknown_type"), std::string::npos) << first.err;

  auto dump_a = RunTally({"dump", "--data", dir.Sub("a")});
  ASSERT_EQ(dump_a.exit_code, 0) << dump_a.err;
  EXPECT_EQ(std::count(dump_a.out.begin(), dump_a.out.end(), '\n'), 18);

  auto second = RunTally({"import", "--data", dir.Sub("b"), "-"}, dump_a.out);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(second.out, "accepted 18 duplicates 0 rejected 0\n");
  auto dump_b = RunTally({"dump", "--data", dir.Sub("b")});
  ASSERT_EQ(dump_b.exit_code, 0) << dump_b.err;
  EXPECT_EQ(dump_a.out, dump_b.out);

  uint64_t head_a = 0, head_b = 0;
  auto state_a = AllViewState(dir.Sub("a"), &head_a);
  auto state_b = AllViewState(dir.Sub("b"), &head_b);
  EXPECT_EQ(head_a, 18u);
  EXPECT_EQ(head_a, head_b);
  EXPECT_FALSE(state_a.empty()) << "import brings the views up to date";
  EXPECT_TRUE(state_a == state_b) << "view state differs after dump + import";

  // Properties and times are kept byte for byte (the stored form, in UTC with milliseconds).
  EXPECT_NE(dump_a.out.find(R"("properties":{ "b" : [1, 2.50, {"x":null}], "a":"z" })"), std::string::npos);
  EXPECT_NE(dump_a.out.find(R"("occurred_at":"2026-10-05T09:00:05.123Z")"), std::string::npos);
}

TEST(RoundTripTest, DumpFiltersByStoreAndStartSeq) {
  TempDir dir;
  const std::string input = std::string(TALLY_TEST_DATA_DIR) + "/storage/roundtrip.ndjson";
  ASSERT_EQ(RunTally({"import", "--data", dir.path(), input}).exit_code, 0);
  auto globex = RunTally({"dump", "--data", dir.path(), "--store", "globex"});
  ASSERT_EQ(globex.exit_code, 0) << globex.err;
  EXPECT_EQ(std::count(globex.out.begin(), globex.out.end(), '\n'), 6);
  EXPECT_EQ(globex.out.find("\"store_id\":\"acme\""), std::string::npos);
  auto tail = RunTally({"dump", "--data", dir.path(), "--from", "17"});
  ASSERT_EQ(tail.exit_code, 0);
  EXPECT_EQ(std::count(tail.out.begin(), tail.out.end(), '\n'), 2);
  EXPECT_EQ(tail.out.rfind("{\"event_id\":\"e2\",", 0), 0u) << tail.out;
  auto missing = RunTally({"dump", "--data", dir.Sub("nope")});
  EXPECT_EQ(missing.exit_code, 1);
}

TEST(RoundTripTest, ImportKeepsRejectsInTheQuarantine) {
  TempDir dir;
  const std::string input = std::string(TALLY_TEST_DATA_DIR) + "/storage/roundtrip.ndjson";
  ASSERT_EQ(RunTally({"import", "--data", dir.path(), input}).exit_code, 0);
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  ASSERT_TRUE(storage);
  auto acme = storage->ReadQuarantine("acme", 10, std::nullopt);
  ASSERT_TRUE(acme.ok());
  ASSERT_EQ(acme->entries.size(), 2u);  // newest first: bad2 (unknown type), then bad1
  EXPECT_EQ(acme->entries[0].code, Code::kUnknownType);
  EXPECT_EQ(acme->entries[1].code, Code::kInvalidValue);
  EXPECT_NE(acme->entries[1].raw.find("\"robot\""), std::string::npos);
  auto global = storage->ReadQuarantine("", 10, std::nullopt);
  ASSERT_TRUE(global.ok());
  ASSERT_EQ(global->entries.size(), 1u);
  EXPECT_EQ(global->entries[0].raw, "not json at all");
}

}  // namespace
}  // namespace tally::storage_test
