// Atomicity under WAL faults: a failed group write reports an error, leaves no event and no dedup entry
// visible (now or after reopening), consumes no seq, and later appends work.
#include "tests/storage/storage_test_util.h"
#include <condition_variable>
#include <functional>
#include <mutex>

#include "tests/testing/fault_fs.h"

namespace tally::storage_test {
namespace {

using testing::FaultEnv;
using testing::TempDir;

// Appends `request` until it succeeds or the deadline passes (recovery from "no space" runs on RocksDB's
// own thread, so the first attempts may still see the error).
AppendResult AppendUntilOk(Storage& storage, const std::vector<Event>& request) {
  AppendResult result;
  testing::WaitFor([&] {
    result = storage.AppendAndWait(request);
    return result.status.ok();
  });
  return result;
}

// Opens with the fault env, appends A, fails B per `inject`, appends C, then checks the log live and after a
// clean reopen without faults.
void CheckFailedAppendIsInvisible(const std::function<void(testing::FaultInjectionFs&)>& inject,
                                  Code expected_code) {
  TempDir dir;
  FaultEnv fault;
  StorageOptions options = OptionsFor(dir.path());
  options.env = fault.env();
  {
    auto storage = OpenOrDie(options);
    ASSERT_TRUE(storage->AppendAndWait(MakeEvents("s", "a", 2)).status.ok());
    inject(*fault.fs);
    AppendResult failed = storage->AppendAndWait(MakeEvents("s", "b", 3));
    EXPECT_FALSE(failed.status.ok());
    EXPECT_EQ(failed.status.code(), expected_code) << failed.status.ToString();
    EXPECT_EQ(storage->LogHead(), 2u);
    EXPECT_FALSE(storage->FindEvent("s", "b0")->has_value());
    EXPECT_EQ(ReadAll(*storage).size(), 2u);
    EXPECT_GE(storage->Stats().failed_groups, 1u);
    EXPECT_TRUE(storage->Stats().writes_failing);

    AppendResult later = AppendUntilOk(*storage, {MakeEvent("s", "c0"), MakeEvent("s", "b1")});
    ASSERT_TRUE(later.status.ok()) << later.status.ToString();
    EXPECT_EQ(later.first_seq, 3u) << "the failed request consumed no seq";
    EXPECT_FALSE(later.outcomes[1].duplicate) << "the failed request reserved no dedup entry";
    EXPECT_EQ(later.last_seq, 4u);
    EXPECT_FALSE(storage->Stats().writes_failing);
    ASSERT_TRUE(storage->Close().ok());
  }
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  auto all = ReadAll(*storage);
  std::vector<std::string> ids;
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].first, i + 1);
    ids.push_back(all[i].second.event_id);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"a0", "a1", "c0", "b1"}));
  EXPECT_FALSE(storage->FindEvent("s", "b0")->has_value());
  EXPECT_FALSE(storage->FindEvent("s", "b2")->has_value());
  EXPECT_EQ(*storage->FindEvent("s", "b1").value(), 4u);
  EXPECT_EQ(storage->LogHead(), 4u);
}

TEST(FaultTest, FailedWalSyncLeavesNothingVisible) {
  // The bytes reach the WAL file but the fsync fails: the nastiest case, since a naive recovery would replay
  // them with seqs handed out again later.
  CheckFailedAppendIsInvisible(
      [](testing::FaultInjectionFs& fs) {
        fs.SetRetryable(true);
        fs.FailWalSyncs(1);
      },
      Code::kIoError);
}

TEST(FaultTest, FailedWalAppendLeavesNothingVisible) {
  CheckFailedAppendIsInvisible(
      [](testing::FaultInjectionFs& fs) {
        fs.SetRetryable(true);
        fs.FailWalAppends(1);
      },
      Code::kIoError);
}

TEST(FaultTest, FullDiskIsReportedAsUnavailable) {
  CheckFailedAppendIsInvisible(
      [](testing::FaultInjectionFs& fs) {
        fs.SetNoSpace(true);
        fs.FailWalAppends(1);
      },
      Code::kUnavailable);
}

// RocksDB treats a plain IO error on the WAL as unrecoverable: writes keep failing (never reusing seqs)
// until a restart, after which the log is consistent and appends work again.
TEST(FaultTest, UnrecoverableWalErrorStopsWritesUntilReopen) {
  TempDir dir;
  FaultEnv fault;
  StorageOptions options = OptionsFor(dir.path());
  options.env = fault.env();
  {
    auto storage = OpenOrDie(options);
    ASSERT_TRUE(storage->AppendAndWait(MakeEvents("s", "a", 2)).status.ok());
    fault.fs->FailWalSyncs(1);
    EXPECT_EQ(storage->AppendAndWait(MakeEvents("s", "b", 3)).status.code(), Code::kIoError);
    AppendResult later = storage->AppendAndWait(MakeEvents("s", "c", 1));
    EXPECT_FALSE(later.status.ok());
    EXPECT_TRUE(storage->Stats().writes_failing);
    EXPECT_EQ(storage->LogHead(), 2u);
    EXPECT_FALSE(storage->FindEvent("s", "c0")->has_value());
    storage->Close().ok();  // may report the stored error; must not crash
  }
  auto storage = OpenOrDie(OptionsFor(dir.path()));
  // The unacknowledged group may reappear (its bytes reached the WAL) but only whole.
  auto all = ReadAll(*storage);
  ASSERT_TRUE(all.size() == 2 || all.size() == 5) << all.size();
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].first, i + 1);
    EXPECT_EQ(*storage->FindEvent("s", all[i].second.event_id).value(), i + 1);
  }
  EXPECT_EQ(storage->LogHead(), all.size());
  AppendResult after = storage->AppendAndWait(MakeEvents("s", "c", 1));
  ASSERT_TRUE(after.status.ok());
  EXPECT_EQ(after.first_seq, all.size() + 1);
}

TEST(FaultTest, FailedGroupFailsEveryRequestOfIt) {
  TempDir dir;
  FaultEnv fault;
  StorageOptions options = OptionsFor(dir.path());
  options.env = fault.env();
  auto storage = OpenOrDie(options);
  // Block the writer in a callback so that the next two requests form one group.
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, release = false;
  storage->Append(MakeEvents("s", "hold", 1), {}, [&](AppendResult) {
    std::unique_lock<std::mutex> lock(mu);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return entered; }));
  }
  std::vector<AppendResult> results;
  for (int i = 0; i < 2; ++i) {
    storage->Append(MakeEvents("s", "g" + std::to_string(i) + "_", 2), {}, [&](AppendResult r) {
      std::lock_guard<std::mutex> lock(mu);
      results.push_back(std::move(r));
      cv.notify_all();
    });
  }
  fault.fs->SetRetryable(true);
  fault.fs->FailWalSyncs(1);
  {
    std::unique_lock<std::mutex> lock(mu);
    release = true;
    cv.notify_all();
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return results.size() == 2; }));
  }
  EXPECT_FALSE(results[0].status.ok());
  EXPECT_FALSE(results[1].status.ok());
  EXPECT_EQ(storage->Stats().failed_groups, 1u);
  EXPECT_EQ(storage->LogHead(), 1u);
  AppendResult retry = storage->AppendAndWait(MakeEvents("s", "g0_", 2));
  ASSERT_TRUE(retry.status.ok()) << retry.status.ToString();
  EXPECT_EQ(retry.first_seq, 2u);
  EXPECT_EQ(retry.accepted, 2u);
}

}  // namespace
}  // namespace tally::storage_test
