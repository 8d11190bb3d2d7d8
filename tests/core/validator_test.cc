#include "core/validator.h"

#include <gtest/gtest.h>

#include <set>

#include "core/event_codec.h"
#include "tests/core/validator_cases.h"

namespace tally {
namespace {

using testing::CaseContext;
using testing::LoadValidatorCases;
using testing::VerdictMessage;
using testing::VerdictName;

TEST(ValidatorCasesTest, EveryCaseGetsItsExpectedVerdict) {
  auto cases = LoadValidatorCases("cases.txt");
  ASSERT_GT(cases.size(), 100u);
  ValidationContext ctx = CaseContext();
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file + ":" + std::to_string(c.line));
    ValidationResult result = ValidateJsonEvent(c.raw, ctx);
    EXPECT_EQ(VerdictName(result), c.expected) << VerdictMessage(result);
    if (c.expected != "ok") {
      EXPECT_NE(VerdictMessage(result).find(c.substring), std::string::npos)
          << "message: " << VerdictMessage(result);
    }
  }
}

TEST(ValidatorCasesTest, CasesCoverEveryRejectionCode) {
  std::set<std::string> seen;
  for (const auto& c : LoadValidatorCases("cases.txt")) seen.insert(c.expected);
  for (Code code : {Code::kMalformed, Code::kTooLarge, Code::kUnknownType, Code::kForbidden, Code::kMissingField,
                    Code::kUnknownField, Code::kInvalidValue, Code::kFutureTimestamp}) {
    EXPECT_TRUE(seen.count(std::string(CodeName(code)))) << CodeName(code);
  }
  EXPECT_TRUE(seen.count("ok"));
}

// Accepted events survive dump (WriteEventJson) and re-validation unchanged.
TEST(ValidatorCasesTest, AcceptedEventsRoundTripThroughJson) {
  ValidationContext ctx = CaseContext();
  for (const auto& c : LoadValidatorCases("cases.txt")) {
    if (c.expected != "ok") continue;
    SCOPED_TRACE(c.file + ":" + std::to_string(c.line));
    ValidationResult first = ValidateJsonEvent(c.raw, ctx);
    ASSERT_TRUE(std::holds_alternative<Event>(first)) << VerdictMessage(first);
    std::string dumped = EventToJson(std::get<Event>(first));
    ValidationResult second = ValidateJsonEvent(dumped, ctx);
    ASSERT_TRUE(std::holds_alternative<Event>(second)) << VerdictMessage(second) << "\n" << dumped;
    EXPECT_EQ(std::get<Event>(second), std::get<Event>(first)) << dumped;
  }
}

}  // namespace
}  // namespace tally
