// The integration-test launcher itself: RunTally, output capture and the listening-line parser.
#include <gtest/gtest.h>

#include "tests/testing/tally_process.h"

namespace tally::testing {
namespace {

TEST(ProcessHelpers, RunTallyCapturesExitCodeAndOutput) {
  RunResult version = RunTally({"version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("tally "), std::string::npos);

  RunResult bad = RunTally({"no-such-command"});
  EXPECT_NE(bad.exit_code, 0);
}

TEST(ProcessHelpers, ParsesListeningLine) {
  uint16_t tcp = 0, http = 0;
  ASSERT_TRUE(ParseListeningLine("x\nlistening tcp=127.0.0.1:4100 http=127.0.0.1:4200\n", &tcp, &http));
  EXPECT_EQ(tcp, 4100);
  EXPECT_EQ(http, 4200);
  ASSERT_TRUE(ParseListeningLine("listening tcp=127.0.0.1:99\n", &tcp, &http));
  EXPECT_EQ(tcp, 99);
  EXPECT_EQ(http, 0);
  EXPECT_FALSE(ParseListeningLine("listening tcp=127.0.0.1:99", &tcp, &http));  // line not complete yet
}

TEST(ProcessHelpers, WaitForHonoursDeadline) {
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(WaitFor([] { return false; }, 50ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
  int calls = 0;
  EXPECT_TRUE(WaitFor([&] { return ++calls == 3; }, 5s));
}

TEST(ProcessHelpers, StdinIsForwarded) {
  auto child = ChildProcess::Start({"/bin/cat"}, std::string("hello\n"));
  ASSERT_TRUE(child);
  EXPECT_EQ(child->Wait(), 0);
  EXPECT_EQ(child->Stdout(), "hello\n");
}

}  // namespace
}  // namespace tally::testing
