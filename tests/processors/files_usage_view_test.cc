#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "processors/files_view.h"
#include "processors/usage_view.h"
#include "tests/processors/view_test_util.h"

namespace tally {
namespace {

using ::testing::HasSubstr;
using testing::MakeEvent;
using testing::MemoryViewState;
using testing::NumberAfter;
using testing::ValueAfter;

constexpr std::string_view kStore = "s1";

Event Pass(std::string_view file, int pass, bool success, std::string_view when, int64_t tokens = 100,
           double cost = 0.1, std::string_view profile = "p1") {
  Event e = MakeEvent(EventType::kPassCompleted, kStore, when);
  e.shell_file_id = std::string(file);
  e.profile_id = std::string(profile);
  e.pass = pass;
  e.success = success;
  e.model = "m" + std::to_string(pass);
  e.tokens = tokens;
  e.cost_usd = cost;
  e.processing_time_ms = 1000 * pass;
  return e;
}

Event Usage(std::string_view service, std::string_view op, int64_t tokens, double cost, std::string_view when,
            std::optional<std::string> profile = std::nullopt) {
  Event e = MakeEvent(EventType::kUsageRecorded, kStore, when);
  e.service = std::string(service);
  e.operation = std::string(op);
  e.tokens = tokens;
  e.cost_usd = cost;
  e.profile_id = profile;
  return e;
}

class FilesViewTest : public ::testing::Test {
 protected:
  std::string File(std::string_view id) {
    Result<std::string> r = FileJson(state_.Reader(), kStore, id);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r.value() : "";
  }
  std::string List(std::optional<std::string_view> status, size_t limit, std::optional<std::string_view> cursor) {
    Result<std::string> r = FilesJson(state_.Reader(), kStore, status, limit, cursor);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r.value() : "";
  }

  FilesProcessor processor_;
  MemoryViewState state_;
};

TEST_F(FilesViewTest, RetriedPassLatestWinsTimesSpanEveryAttempt) {
  Event first = Pass("f1", 1, false, "2026-11-20T10:00:00Z", 50, 0.05);
  first.confidence = 0.2;
  first.manual_review = true;
  Event retry = Pass("f1", 1, true, "2026-11-20T10:05:00Z", 70, 0.07);
  retry.confidence = 0.9;
  Event pass2 = Pass("f1", 2, true, "2026-11-20T10:03:00Z", 30, 0.2, "p2");
  pass2.entities = 4;
  pass2.confidence = 0.6;
  state_.Fold(processor_, {first, pass2, retry});
  std::string json = File("f1");
  EXPECT_EQ(ValueAfter(json, "processing_status"), "\"pass1_pass2\"");
  EXPECT_EQ(ValueAfter(json, "failure_stage"), "null");
  EXPECT_EQ(ValueAfter(json, "overall_success"), "false");
  EXPECT_EQ(ValueAfter(json, "profile_id"), "\"p1\"");  // the latest pass_completed's
  EXPECT_EQ(NumberAfter(json, "total_tokens"), 100);
  EXPECT_EQ(ValueAfter(json, "total_cost_usd"), "0.27");
  EXPECT_EQ(NumberAfter(json, "total_processing_time_ms"), 3000);
  EXPECT_EQ(NumberAfter(json, "entities_extracted_total"), 4);
  EXPECT_EQ(NumberAfter(json, "overall_confidence_score"), 0.75);
  EXPECT_EQ(ValueAfter(json, "manual_review_required"), "false");  // only the replaced attempt said true
  EXPECT_EQ(ValueAfter(json, "processing_started_at"), "\"2026-11-20T10:00:00.000Z\"");
  EXPECT_EQ(ValueAfter(json, "processing_completed_at"), "\"2026-11-20T10:05:00.000Z\"");
  EXPECT_THAT(json, HasSubstr("\"pass3\":null"));
  EXPECT_THAT(json, HasSubstr("\"pass1\":{\"success\":true,\"model\":\"m1\",\"tokens\":70,\"cost_usd\":0.07,"
                              "\"processing_time_ms\":1000,\"entities\":null,\"confidence\":0.9,"
                              "\"manual_review\":null,\"completed_at\":\"2026-11-20T10:05:00.000Z\"}"));
}

TEST_F(FilesViewTest, StatusRules) {
  state_.Fold(processor_, {Pass("a", 1, true, "2026-11-20T10:00:00Z"), Pass("a", 2, false, "2026-11-20T10:01:00Z"),
                           Pass("a", 3, false, "2026-11-20T10:02:00Z"), Pass("b", 1, true, "2026-11-20T10:00:00Z"),
                           Pass("b", 2, true, "2026-11-20T10:00:00Z"), Pass("b", 3, true, "2026-11-20T10:00:00Z"),
                           Pass("c", 2, true, "2026-11-20T10:00:00Z"), Pass("d", 1, true, "2026-11-20T10:00:00Z"),
                           Pass("d", 3, true, "2026-11-20T10:00:00Z")});
  EXPECT_EQ(ValueAfter(File("a"), "processing_status"), "\"failed\"");
  EXPECT_EQ(ValueAfter(File("a"), "failure_stage"), "\"pass2\"");
  EXPECT_EQ(ValueAfter(File("b"), "processing_status"), "\"complete_pipeline\"");
  EXPECT_EQ(ValueAfter(File("b"), "overall_success"), "true");
  EXPECT_EQ(ValueAfter(File("c"), "processing_status"), "\"pending\"");
  EXPECT_EQ(ValueAfter(File("c"), "overall_confidence_score"), "null");
  EXPECT_EQ(ValueAfter(File("d"), "processing_status"), "\"pass1_only\"");
  EXPECT_EQ(FileJson(state_.Reader(), kStore, "zzz").status().code(), Code::kNotFound);
}

TEST_F(FilesViewTest, ListSortedFilteredAndPaged) {
  state_.Fold(processor_, {Pass("f3", 1, true, "2026-11-20T10:00:00Z"), Pass("f1", 1, true, "2026-11-20T10:00:00Z"),
                           Pass("f2", 1, false, "2026-11-20T10:00:00Z"), Pass("f0", 1, true, "2026-11-20T10:00:00Z")});
  std::string page1 = List("pass1_only", 2, std::nullopt);
  EXPECT_EQ(ValueAfter(page1, "shell_file_id", 0), "\"f0\"");
  EXPECT_EQ(ValueAfter(page1, "shell_file_id", 1), "\"f1\"");
  std::string cursor = ValueAfter(page1, "next_cursor");
  ASSERT_GT(cursor.size(), 2u);
  std::string page2 = List("pass1_only", 2, cursor.substr(1, cursor.size() - 2));
  EXPECT_EQ(ValueAfter(page2, "shell_file_id", 0), "\"f3\"");
  EXPECT_EQ(ValueAfter(page2, "shell_file_id", 1), "");
  EXPECT_EQ(ValueAfter(page2, "next_cursor"), "null");
  EXPECT_EQ(ValueAfter(List("failed", 100, std::nullopt), "shell_file_id"), "\"f2\"");
  EXPECT_EQ(FilesJson(state_.Reader(), kStore, std::nullopt, 10, "0g").status().code(), Code::kBadParameter);
  Result<std::string> empty = FilesJson(state_.Reader(), "never", std::nullopt, 10, std::nullopt);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty.value(), "{\"as_of_seq\":4,\"files\":[],\"next_cursor\":null}");
}

class UsageViewTest : public ::testing::Test {
 protected:
  std::string Daily(std::string_view from, std::string_view to) {
    Result<std::string> r = UsageDailyJson(state_.Reader(), kStore, ParseDate(from).value(), ParseDate(to).value());
    EXPECT_TRUE(r.ok());
    return r.ok() ? r.value() : "";
  }
  std::string Monthly(std::string_view month) {
    Result<std::string> r = UsageMonthlyJson(state_.Reader(), kStore, ParseMonth(month).value());
    EXPECT_TRUE(r.ok());
    return r.ok() ? r.value() : "";
  }

  UsageProcessor processor_;
  MemoryViewState state_;
};

TEST_F(UsageViewTest, DailyRowsFromBothEventKindsWithExactMoney) {
  state_.Fold(
      processor_,
      {Usage("search", "embed", 10, 0.1, "2026-11-20T10:00:00Z"),
       Usage("search", "embed", 20, 0.2, "2026-11-20T11:00:00Z"), Pass("f1", 1, false, "2026-11-20T12:00:00Z", 5, 0.01),
       Pass("f1", 1, true, "2026-11-20T13:00:00Z", 6, 0.02), Usage("chat", "reply", 1, 0.5, "2026-11-21T00:00:00Z")});
  std::string json = Daily("2026-11-20", "2026-11-21");
  EXPECT_EQ(json,
            "{\"as_of_seq\":5,\"rows\":["
            "{\"date\":\"2026-11-20\",\"service\":\"ai_pipeline\",\"operation\":\"pass1\",\"count\":2,"
            "\"total_tokens\":11,\"total_cost_usd\":0.03},"
            "{\"date\":\"2026-11-20\",\"service\":\"search\",\"operation\":\"embed\",\"count\":2,"
            "\"total_tokens\":30,\"total_cost_usd\":0.3},"
            "{\"date\":\"2026-11-21\",\"service\":\"chat\",\"operation\":\"reply\",\"count\":1,"
            "\"total_tokens\":1,\"total_cost_usd\":0.5}]}");
  EXPECT_EQ(Daily("2026-11-22", "2026-11-30"), "{\"as_of_seq\":5,\"rows\":[]}");
}

TEST_F(UsageViewTest, MonthlyRowsPerProfileCountDistinctFiles) {
  state_.Fold(processor_,
              {Pass("f1", 1, true, "2026-11-01T00:00:00Z", 1, 0.1), Pass("f1", 2, true, "2026-11-30T23:59:59Z", 1, 0.2),
               Pass("f2", 1, true, "2026-11-10T00:00:00Z", 1, 0.1), Pass("f1", 3, true, "2026-12-01T00:00:00Z", 1, 0.1),
               Pass("f3", 1, true, "2026-11-10T00:00:00Z", 1, 0.1, "p0"),
               Usage("chat", "reply", 7, 0.25, "2026-11-05T00:00:00Z"),
               Usage("chat", "reply", 7, 0.25, "2026-11-05T00:00:00Z", "p1")});
  std::string json = Monthly("2026-11");
  EXPECT_EQ(json,
            "{\"as_of_seq\":7,\"rows\":["
            "{\"profile_id\":\"\",\"operations\":1,\"total_tokens\":7,\"total_cost_usd\":0.25,\"files_processed\":0},"
            "{\"profile_id\":\"p0\",\"operations\":1,\"total_tokens\":1,\"total_cost_usd\":0.1,\"files_processed\":1},"
            "{\"profile_id\":\"p1\",\"operations\":4,\"total_tokens\":10,\"total_cost_usd\":0.65,"
            "\"files_processed\":2}]}");
  EXPECT_THAT(Monthly("2026-12"), HasSubstr("\"files_processed\":1}"));
  EXPECT_EQ(Monthly("2026-10"), "{\"as_of_seq\":7,\"rows\":[]}");
}

}  // namespace
}  // namespace tally
