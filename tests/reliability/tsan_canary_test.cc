// Guards the ThreadSanitizer CI step itself. That step runs with TSAN_OPTIONS chosen to keep RocksDB's own
// handoffs out of the reports (scripts/test.sh, docs/reliability.md "Sanitizers"); this test checks that with
// those same options TSan still stops on a data race and on a lock-order inversion in code compiled into tally,
// by running two deliberately broken tests of this binary in a child process. Skipped in other builds.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/tally_process.h"

namespace tally::testing {
namespace {

#if defined(__SANITIZE_THREAD__)
constexpr bool kThreadSanitizer = true;
#else
constexpr bool kThreadSanitizer = false;
#endif

// The broken tests: DISABLED_, so they run only when the test below asks for them.
TEST(TsanCanaryChild, DISABLED_UnsynchronizedPushBack) {
  std::vector<int> shared;
  std::thread other([&] {
    for (int i = 0; i < 1000; ++i) shared.push_back(i);
  });
  for (int i = 0; i < 1000; ++i) shared.push_back(i);
  other.join();
}

TEST(TsanCanaryChild, DISABLED_LockOrderInversion) {
  std::mutex a, b;
  {
    std::lock_guard first(a);
    std::lock_guard second(b);
  }
  {
    std::lock_guard first(b);
    std::lock_guard second(a);
  }
}

// Runs TsanCanaryChild.<name> in a child with the inherited TSAN_OPTIONS plus a log file (so the report does not
// land in the child's stderr, which ChildProcess treats as a failure of this test); returns the log's text.
std::string RunBrokenChild(const std::string& name, const TempDir& dir, std::optional<int>* exit_code) {
  const std::string exe = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string log = dir.Sub(name);
  auto child = ChildProcess::Start({"/bin/sh", "-c",
                                    "TSAN_OPTIONS=\"${TSAN_OPTIONS}:log_path=" + log +
                                        "\" exec \"$0\" --gtest_also_run_disabled_tests --gtest_filter=TsanCanaryChild." +
                                        name,
                                    exe});
  if (!child) return "";
  *exit_code = child->Wait(120s);
  std::string text;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    if (entry.path().filename().string().rfind(name + ".", 0) != 0) continue;
    std::ifstream in(entry.path());
    text.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return text;
}

TEST(TsanCanary, TheCiOptionsStillReportRacesAndLockInversionsInTallysCode) {
  if (!kThreadSanitizer) GTEST_SKIP() << "not a ThreadSanitizer build";
  TempDir dir;
  const std::pair<std::string, std::string> cases[] = {
      {"DISABLED_UnsynchronizedPushBack", "WARNING: ThreadSanitizer: data race"},
      {"DISABLED_LockOrderInversion", "WARNING: ThreadSanitizer: lock-order-inversion"},
  };
  for (const auto& [name, expected] : cases) {
    std::optional<int> exit_code;
    std::string report = RunBrokenChild(name, dir, &exit_code);
    EXPECT_TRUE(exit_code.has_value() && *exit_code != 0) << name << " exited cleanly under TSan";
    EXPECT_NE(report.find(expected), std::string::npos) << name << " gave no '" << expected << "':\n" << report;
  }
}

}  // namespace
}  // namespace tally::testing
