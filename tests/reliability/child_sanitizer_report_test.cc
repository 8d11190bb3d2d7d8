// The sanitizer CI steps run the `tally` children the integration tests start under the same sanitizer. These
// tests check that a report in a child's stderr fails the test that started it, whatever the test does with the
// child's exit code (the kill loop SIGKILLs its servers and never looks).
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include "tests/testing/tally_process.h"

namespace tally::testing {
namespace {

TEST(SanitizerReport, FindsEachSanitizersReportAndNothingElse) {
  EXPECT_EQ(SanitizerReport("log line\n==1==WARNING: ThreadSanitizer: data race\n  #0 f\n"),
            "==1==WARNING: ThreadSanitizer: data race\n  #0 f\n");
  EXPECT_EQ(SanitizerReport("==2==ERROR: AddressSanitizer: heap-use-after-free"),
            "==2==ERROR: AddressSanitizer: heap-use-after-free");
  EXPECT_FALSE(SanitizerReport("x\n==3==ERROR: LeakSanitizer: detected memory leaks\n").empty());
  std::string ubsan = "a.cc:1:2: runtime error: signed integer overflow\nSUMMARY: UndefinedBehaviorSanitizer: x\n";
  EXPECT_EQ(SanitizerReport(ubsan), ubsan);
  EXPECT_EQ(SanitizerReport("[error] storage: group write failed: ThreadSanitizer is not a word we log\n"), "");
  EXPECT_EQ(SanitizerReport(""), "");
}

TEST(SanitizerReport, AReportInAChildsStderrFailsTheTestThatStartedIt) {
  EXPECT_NONFATAL_FAILURE(
      {
        auto child = ChildProcess::Start(
            {"/bin/sh", "-c", "echo '==9==WARNING: ThreadSanitizer: data race (pid=9)' >&2; exit 66"});
        EXPECT_TRUE(child != nullptr);
        if (child) child->Wait();
      },
      "ThreadSanitizer: data race (pid=9)");
}

TEST(SanitizerReport, AChildWithoutAReportAddsNoFailure) {
  auto child = ChildProcess::Start({"/bin/sh", "-c", "echo 'ordinary error' >&2; exit 3"});
  ASSERT_TRUE(child);
  EXPECT_EQ(child->Wait(), 3);
}

}  // namespace
}  // namespace tally::testing
