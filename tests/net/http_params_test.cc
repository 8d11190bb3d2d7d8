// Request-target decoding, route matching and POST /v1/events body splitting: pure functions, no server.
#include "net/http_params.h"

#include <gtest/gtest.h>

#include "net/http_events_body.h"
#include "net/http_route_table.h"

namespace tally::net {
namespace {

namespace http = boost::beast::http;

TEST(PercentDecode, DecodesEscapesAndPlusOnlyInQueries) {
  EXPECT_EQ(PercentDecode("a%20b%2Fc", false).value(), "a b/c");
  EXPECT_EQ(PercentDecode("a+b", false).value(), "a+b");
  EXPECT_EQ(PercentDecode("a+b", true).value(), "a b");
  EXPECT_EQ(PercentDecode("%e2%82%AC", false).value(), "\xE2\x82\xAC");
  EXPECT_FALSE(PercentDecode("%", false));
  EXPECT_FALSE(PercentDecode("%4", false));
  EXPECT_FALSE(PercentDecode("%zz", false));
}

TEST(SplitPath, DecodesEachSegmentAfterSplitting) {
  auto segments = SplitPath("/v1/stores/s1/content_gaps/a%2Fb%20c/status");
  ASSERT_TRUE(segments.ok());
  EXPECT_EQ(*segments, (std::vector<std::string>{"v1", "stores", "s1", "content_gaps", "a/b c", "status"}));
  EXPECT_EQ(SplitPath("/healthz/").value(), std::vector<std::string>{"healthz"});
  EXPECT_EQ(SplitPath("/bad%G1").status().code(), Code::kBadParameter);
  EXPECT_EQ(SplitPath("relative").status().code(), Code::kBadParameter);
}

TEST(ParseQueryString, DecodesAndRejectsRepeats) {
  auto params = ParseQueryString("from=2026-11-01&to=2026-11-02&q=a+b%21&flag");
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(params->at("from"), "2026-11-01");
  EXPECT_EQ(params->at("q"), "a b!");
  EXPECT_EQ(params->at("flag"), "");
  auto repeated = ParseQueryString("limit=1&limit=2");
  EXPECT_EQ(repeated.status().code(), Code::kBadParameter);
  EXPECT_NE(repeated.status().message().find("limit"), std::string::npos);
  EXPECT_EQ(ParseQueryString("x=%").status().code(), Code::kBadParameter);
}

TEST(IsValidStoreId, FollowsTheContractAlphabetAndLength) {
  EXPECT_TRUE(IsValidStoreId("acme-support_1.eu:2"));
  EXPECT_TRUE(IsValidStoreId(std::string(128, 'a')));
  EXPECT_FALSE(IsValidStoreId(std::string(129, 'a')));
  EXPECT_FALSE(IsValidStoreId(""));
  EXPECT_FALSE(IsValidStoreId("a b"));
  EXPECT_FALSE(IsValidStoreId("a/b"));
}

Result<RouteMatch> Match(http::verb method, std::string_view path, std::string* allow) {
  return MatchRoute(method, SplitPath(path).value(), allow);
}

TEST(MatchRoute, FindsRoutesAndPathParameters) {
  std::string allow;
  auto m = Match(http::verb::get, "/v1/stores/s1/conversations/c%2F1", &allow);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->route->query, "conversation");
  EXPECT_EQ(m->path_params.at("store"), "s1");
  EXPECT_EQ(m->path_params.at("conversation_id"), "c/1");

  m = Match(http::verb::post, "/v1/stores/s1/content_gaps/Password%20reset/status", &allow);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->route->kind, RouteKind::kGapStatus);
  EXPECT_EQ(m->path_params.at("topic"), "Password reset");

  EXPECT_EQ(Match(http::verb::get, "/v1/stores/s1/files", &allow)->route->query, "files");
  EXPECT_EQ(Match(http::verb::get, "/v1/stores/s1/files/f1", &allow)->route->query, "file");
  EXPECT_EQ(Match(http::verb::get, "/v1/stores/s1/usage/monthly", &allow)->route->query, "usage_monthly");
}

TEST(MatchRoute, Tells404From405) {
  std::string allow;
  EXPECT_EQ(Match(http::verb::get, "/v1/nothing", &allow).status().code(), Code::kNotFound);
  EXPECT_EQ(Match(http::verb::get, "/v1/stores/s1/conversations", &allow).status().code(), Code::kNotFound);
  EXPECT_EQ(Match(http::verb::get, "/v1/stores//daily_metrics", &allow).status().code(), Code::kNotFound);
  auto m = Match(http::verb::get, "/v1/events", &allow);
  EXPECT_EQ(m.status().code(), Code::kMethodNotAllowed);
  EXPECT_EQ(allow, "POST");
  EXPECT_EQ(Match(http::verb::delete_, "/v1/stores/s1/daily_metrics", &allow).status().code(), Code::kMethodNotAllowed);
  EXPECT_EQ(allow, "GET");
}

TEST(SplitEventsBody, NdjsonSkipsBlankLinesAndKeepsBadOnes) {
  EventsBody body = SplitEventsBody("{\"a\":1}\n\n  \r\n{not json\r\n{\"b\":2}");
  EXPECT_FALSE(body.is_array);
  EXPECT_EQ(body.events, (std::vector<std::string_view>{"{\"a\":1}", "{not json", "{\"b\":2}"}));
  EXPECT_TRUE(SplitEventsBody("").events.empty());
  EXPECT_TRUE(SplitEventsBody("\n\n").events.empty());
}

TEST(SplitEventsBody, ArrayElementsKeepTheirExactBytes) {
  EventsBody body = SplitEventsBody(" \n[ {\"a\": [1, {\"b\": \"]\\\",\"}]} , 2,\"x\" ,{\"a\":1,\"a\":2}]\n");
  ASSERT_TRUE(body.is_array);
  ASSERT_FALSE(body.array_unparseable) << body.error;
  EXPECT_EQ(body.events,
            (std::vector<std::string_view>{"{\"a\": [1, {\"b\": \"]\\\",\"}]}", "2", "\"x\"", "{\"a\":1,\"a\":2}"}));
  EXPECT_TRUE(SplitEventsBody("[]").events.empty());
  EXPECT_FALSE(SplitEventsBody("[]").array_unparseable);
}

TEST(SplitEventsBody, UnparseableArraysAreOneError) {
  for (std::string_view bad : {"[", "[{}", "[{},]", "[,{}]", "[{}] x", "[{\"a\":}]", "[{\"a\" 1}]", "[tru]", "[01]",
                               "[1.]", "[\"\\x\"]", "[\"unterminated]", "[{} {}]", "[\"a\nb\"]"}) {
    EventsBody body = SplitEventsBody(bad);
    EXPECT_TRUE(body.is_array) << bad;
    EXPECT_TRUE(body.array_unparseable) << bad;
    EXPECT_TRUE(body.events.empty()) << bad;
    EXPECT_NE(body.error.find("at byte"), std::string::npos) << bad << ": " << body.error;
  }
}

}  // namespace
}  // namespace tally::net
