// The runner keeps rows in memory across chunks (row_store.h); a round that is not committed — dropped by the
// test hook, a state read that failed, a commit that failed — must leave nothing of itself there, so the same
// runner, folding on, answers exactly what an uninterrupted fold answers. And catching up with several chunks
// per commit answers the same with fewer commits.
#include <gtest/gtest.h>

#include "processors/view_keys.h"
#include "storage/forwarding_storage.h"
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

std::vector<std::string> ReferenceAnswers(const std::vector<Event>& events) {
  TempDir dir;
  auto storage = OpenTestStorage(dir.path());
  EXPECT_TRUE(storage->AppendAndWait(events).status.ok());
  auto engine = ViewEngine::Open(storage.get());
  EXPECT_TRUE(engine.ok());
  EXPECT_TRUE((*engine)->CatchUp().ok());
  return AskAll(**engine);
}

void ExpectSameAnswers(const std::vector<std::string>& actual, const std::vector<std::string>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) EXPECT_EQ(actual[i], expected[i]);
}

// A snapshot whose reads fail when the shared countdown reaches zero.
class FlakySnapshot final : public StateSnapshot {
 public:
  FlakySnapshot(std::unique_ptr<StateSnapshot> base, int* reads_left) : base_(std::move(base)), left_(reads_left) {}
  uint64_t Offset(std::string_view view) const override { return base_->Offset(view); }
  Result<std::optional<std::string>> Get(std::string_view key) const override {
    if (--*left_ == 0) return Status(Code::kUnavailable, "injected read failure");
    return base_->Get(key);
  }
  Status Scan(std::string_view start, std::string_view end,
              const std::function<bool(std::string_view, std::string_view)>& fn) const override {
    return base_->Scan(start, end, fn);
  }

 private:
  std::unique_ptr<StateSnapshot> base_;
  int* left_;
};

// Real storage whose state reads and commits fail when told to (a commit that fails writes nothing).
class FlakyStorage final : public ForwardingStorage {
 public:
  explicit FlakyStorage(std::unique_ptr<Storage> base) : ForwardingStorage(base.get()), base_(std::move(base)) {}
  int reads_left = -1;    // the read that brings it to 0 fails
  int commits_left = -1;  // the commit that brings it to 0 fails
  int failed_commits = 0;

  std::unique_ptr<StateSnapshot> Snapshot() override {
    return std::make_unique<FlakySnapshot>(base_->Snapshot(), &reads_left);
  }
  // The runner's reads go through the same injected failures.
  std::unique_ptr<StateSnapshot> CommittedState() override { return Snapshot(); }
  Status CommitState(const StateWrite& write) override {
    if (--commits_left == 0) {
      ++failed_commits;
      return Status(Code::kUnavailable, "injected commit failure");
    }
    return base_->CommitState(write);
  }

 private:
  std::unique_ptr<Storage> base_;
};

// Folds on with one engine until CatchUp succeeds; returns how many attempts failed.
int CatchUpThroughFailures(ViewEngine& engine, const std::function<void(int)>& before_attempt) {
  int failures = 0;
  for (int attempt = 0; attempt < 1000; ++attempt) {
    before_attempt(attempt);
    Status status = engine.CatchUp();
    if (status.ok()) return failures;
    EXPECT_EQ(status.code(), Code::kUnavailable) << status.ToString();
    ++failures;
  }
  ADD_FAILURE() << "CatchUp never succeeded";
  return failures;
}

TEST(RunnerTest, RoundsDroppedBeforeTheirCommitLeaveNothingBehind) {
  std::vector<Event> events = RandomEvents(5).Make(1500);
  std::vector<std::string> expected = ReferenceAnswers(events);
  TempDir dir;
  auto storage = OpenTestStorage(dir.path());
  size_t half = events.size() / 2;
  ASSERT_TRUE(storage->AppendAndWait({events.begin(), events.begin() + static_cast<ptrdiff_t>(half)}).status.ok());
  EngineOptions options;
  options.runner.chunk_events = 37;
  options.runner.catch_up_chunks = 3;
  int commits = 0;
  options.runner.before_commit = [&](uint64_t) { return ++commits % 3 != 0; };  // every third is dropped
  auto engine = ViewEngine::Open(storage.get(), options);
  ASSERT_TRUE(engine.ok());
  int failures = CatchUpThroughFailures(**engine, [](int) {});
  ASSERT_TRUE((*engine)->Rebuild("all").ok());
  ASSERT_TRUE(storage->AppendAndWait({events.begin() + static_cast<ptrdiff_t>(half), events.end()}).status.ok());
  failures += CatchUpThroughFailures(**engine, [](int) {});
  EXPECT_GT(failures, 10);
  ExpectSameAnswers(AskAll(**engine), expected);
}

TEST(RunnerTest, FailedReadsAndCommitsLeaveNothingBehind) {
  std::vector<Event> events = RandomEvents(6).Make(1500);
  std::vector<std::string> expected = ReferenceAnswers(events);
  TempDir dir;
  FlakyStorage storage(OpenTestStorage(dir.path()));
  size_t half = events.size() / 2;
  ASSERT_TRUE(storage.AppendAndWait({events.begin(), events.begin() + static_cast<ptrdiff_t>(half)}).status.ok());
  EngineOptions options;
  options.runner.chunk_events = 41;
  options.runner.written_keys_bytes = 0;  // every miss reads storage, so injected read failures land
  auto engine = ViewEngine::Open(&storage, options);
  ASSERT_TRUE(engine.ok());
  // Alternate: a read fails a few reads into a round, then a commit fails.
  auto inject = [&](int attempt) {
    if (attempt % 2 == 0) {
      storage.reads_left = 50 + attempt % 7;
      storage.commits_left = -1;
    } else {
      storage.reads_left = -1;
      storage.commits_left = 2 + attempt % 3;
    }
  };
  int failures = CatchUpThroughFailures(**engine, inject);
  storage.reads_left = storage.commits_left = -1;  // a countdown left running would fail Rebuild's own commit
  ASSERT_TRUE((*engine)->Rebuild("all").ok());
  ASSERT_TRUE(storage.AppendAndWait({events.begin() + static_cast<ptrdiff_t>(half), events.end()}).status.ok());
  failures += CatchUpThroughFailures(**engine, inject);
  EXPECT_GT(storage.failed_commits, 5);
  EXPECT_GT(failures, storage.failed_commits);  // some failed on reads
  storage.reads_left = storage.commits_left = -1;
  ExpectSameAnswers(AskAll(**engine), expected);
}

// An offline rebuild folds several chunks per commit; it writes the same state with fewer commits.
TEST(RunnerTest, CatchingUpWithSeveralChunksPerCommitAnswersTheSame) {
  std::vector<Event> events = RandomEvents(8).Make(1500);
  std::vector<std::string> expected = ReferenceAnswers(events);
  std::vector<int> commits;
  uint64_t head = 0;
  for (size_t chunks : {1, 8, 32}) {
    TempDir dir;
    auto storage = OpenTestStorage(dir.path());
    ASSERT_TRUE(storage->AppendAndWait(events).status.ok());
    head = storage->LogHead();
    EngineOptions options;
    options.runner.chunk_events = 50;
    options.runner.catch_up_chunks = chunks;
    int count = 0;
    options.runner.before_commit = [&](uint64_t) { return ++count > 0; };
    auto engine = ViewEngine::Open(storage.get(), options);
    ASSERT_TRUE(engine.ok());
    ASSERT_TRUE((*engine)->CatchUp().ok());
    ASSERT_TRUE((*engine)->Rebuild("all").ok());
    count = 0;
    ASSERT_TRUE((*engine)->CatchUp().ok());
    commits.push_back(count);
    ExpectSameAnswers(AskAll(**engine), expected);
  }
  ASSERT_GT(head, 1000u);
  EXPECT_EQ(commits[0], static_cast<int>((head + 49) / 50));      // a commit per chunk of 50 events
  EXPECT_EQ(commits[1], static_cast<int>((head + 399) / 400));    // ... per 8 chunks
  EXPECT_EQ(commits[2], static_cast<int>((head + 1599) / 1600));  // ... per 32 (tally replay's default)
}

// While the live edge has events to fold, a rebuild folds as many chunks per commit as the edge's round just did
// (the edge, more than a chunk behind, folds up to catch_up_chunks), so the edge never waits behind more than
// its own round and the rebuild keeps its share; once the edge is idle, the rebuild folds catch_up_chunks.
TEST(RunnerTest, RebuildRoundsMatchTheLiveEdgesWhileItHasEvents) {
  std::vector<Event> events = RandomEvents(11).Make(2000);
  TempDir dir;
  auto storage = OpenTestStorage(dir.path());
  ASSERT_TRUE(storage->AppendAndWait({events.begin(), events.begin() + 1000}).status.ok());
  const uint64_t first_head = storage->LogHead();
  EngineOptions options;
  options.runner.chunk_events = 50;
  options.runner.catch_up_chunks = 8;
  std::vector<uint64_t> commits;  // last seq of each round's commit, in order
  options.runner.before_commit = [&](uint64_t last_seq) {
    commits.push_back(last_seq);
    return true;
  };
  auto engine = ViewEngine::Open(storage.get(), options);
  ASSERT_TRUE(engine.ok());
  ASSERT_TRUE((*engine)->CatchUp().ok());
  ASSERT_TRUE((*engine)->Rebuild("all").ok());
  ASSERT_TRUE(storage->AppendAndWait({events.begin() + 1000, events.end()}).status.ok());
  const uint64_t head = storage->LogHead();
  ASSERT_GT(head - first_head, 800u);  // the edge needs more than two rounds
  commits.clear();
  ASSERT_TRUE((*engine)->CatchUp().ok());
  // Each round: the live edge's round (if it has events), then the rebuild's round.
  std::vector<uint64_t> expected;
  for (uint64_t live = first_head, building = 0; building < head;) {
    uint64_t chunks = 8;  // the edge idle
    if (live < head) {
      const uint64_t next = std::min(live + 400, head);
      chunks = (next - live + 49) / 50;  // the edge's round: up to 8 chunks of 50
      expected.push_back(live = next);
    }
    expected.push_back(building = std::min(building + 50 * chunks, head));
  }
  EXPECT_EQ(commits, expected);
}

}  // namespace
}  // namespace tally::testing
