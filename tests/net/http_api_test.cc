// The HTTP API of the real `tally serve` binary: every view route answers exactly what the C++ query API
// answers for the same data, the §4 status codes for each error case, min_seq read-your-writes, the 16 MiB
// body limit, keep-alive and slow-header clients.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "processors/engine.h"
#include "processors/query.h"
#include "storage/storage.h"
#include "tests/processors/engine_harness.h"
#include "tests/testing/http_client.h"
#include "tests/testing/tally_process.h"

namespace tally {
namespace {

using namespace std::chrono_literals;
using testing::DemoEvents;
using testing::HttpCall;
using testing::HttpClient;
using testing::HttpReply;
using testing::JsonMemberRaw;
using testing::JsonMemberString;
using testing::JsonMemberUint;
using testing::TallyServer;
using testing::TempDir;
using testing::UrlEncode;

// One view request: the query-API route, its store, an optional path parameter and the query string.
struct RouteCase {
  std::string query;
  std::string store;
  std::map<std::string, std::string> params;
  std::string path_param;  // conversation_id / shell_file_id value for the routes that have one
};

std::string PathOf(const RouteCase& c) {
  std::string base = "/v1/stores/" + UrlEncode(c.store) + "/";
  if (c.query == "conversation") return base + "conversations/" + UrlEncode(c.path_param);
  if (c.query == "file") return base + "files/" + UrlEncode(c.path_param);
  if (c.query == "usage_daily") return base + "usage/daily";
  if (c.query == "usage_monthly") return base + "usage/monthly";
  return base + c.query;
}

std::string TargetOf(const RouteCase& c, uint64_t min_seq) {
  std::string target = PathOf(c) + "?min_seq=" + std::to_string(min_seq);
  for (const auto& [name, value] : c.params) target += "&" + name + "=" + UrlEncode(value);
  return target;
}

QueryArgs ArgsOf(const RouteCase& c) {
  QueryArgs args;
  args.store = c.store;
  for (const auto& [name, value] : c.params) args.params[name] = value;
  if (c.query == "conversation") args.params["conversation_id"] = c.path_param;
  if (c.query == "file") args.params["shell_file_id"] = c.path_param;
  args.now_ms = SystemClock::Instance().NowMs();
  return args;
}

std::vector<RouteCase> ViewCases() {
  std::vector<RouteCase> cases;
  for (std::string store : {"acme-support", "globex-help", "never-seen"}) {
    cases.push_back({"daily_metrics", store, {{"from", "2026-10-30"}, {"to", "2026-11-22"}}, ""});
    for (std::string period : {"day", "week", "month", "quarter", "year"}) {
      cases.push_back({"metrics", store, {{"period", period}, {"date", "2026-11-10"}}, ""});
    }
    for (std::string granularity : {"day", "week", "month"}) {
      cases.push_back(
          {"trends", store, {{"from", "2026-10-20"}, {"to", "2026-11-21"}, {"granularity", granularity}}, ""});
    }
    cases.push_back({"trends", store, {{"from", "2026-11-03"}, {"to", "2026-11-04"}, {"granularity", "hour"}}, ""});
    cases.push_back({"roi", store, {{"period_days", "30"}, {"to", "2026-11-21"}}, ""});
    cases.push_back({"roi", store, {{"period_days", "7"}, {"to", "2026-11-14"}, {"human_cost_per_hour", "40.5"}}, ""});
    cases.push_back({"quality", store, {{"from", "2026-11-01"}, {"to", "2026-11-21"}}, ""});
    cases.push_back({"content_gaps", store, {}, ""});
    cases.push_back({"content_gaps", store, {{"limit", "2"}}, ""});
    cases.push_back({"content_gaps", store, {{"status", "identified"}}, ""});
    cases.push_back({"files", store, {}, ""});
    cases.push_back({"files", store, {{"limit", "3"}}, ""});
    cases.push_back({"usage_daily", store, {{"from", "2026-11-01"}, {"to", "2026-11-21"}}, ""});
    cases.push_back({"usage_monthly", store, {{"month", "2026-11"}}, ""});
    cases.push_back({"export", store, {{"from", "2026-11-01"}, {"to", "2026-11-21"}, {"format", "json"}}, ""});
    cases.push_back({"export", store, {{"from", "2026-11-01"}, {"to", "2026-11-21"}, {"format", "csv"}}, ""});
  }
  cases.push_back({"file", "acme-support", {}, "file-01-0"});
  cases.push_back({"file", "globex-help", {}, "file-01-0"});
  cases.push_back({"conversation", "acme-support", {}, "acme-01-0"});
  cases.push_back({"conversation", "globex-help", {}, "glob-01-0"});
  return cases;
}

TEST(HttpApi, EveryViewRouteAnswersWhatTheQueryApiAnswers) {
  TempDir dir;
  auto server = TallyServer::Start(dir.path());
  ASSERT_TRUE(server);
  HttpClient client(server->http_port());
  HttpReply push = client.Post("/v1/events", DemoEvents());
  ASSERT_EQ(push.status, 200) << push.body;
  uint64_t last_seq = JsonMemberUint(push.body, "last_seq").value_or(0);
  ASSERT_GT(last_seq, 0u) << push.body;

  std::vector<RouteCase> cases = ViewCases();
  std::vector<std::string> http_bodies;
  for (size_t i = 0; i < cases.size(); ++i) {
    HttpReply reply = client.Get(TargetOf(cases[i], last_seq));
    EXPECT_EQ(reply.status, 200) << TargetOf(cases[i], last_seq) << " -> " << reply.body;
    if (cases[i].query == "export") {
      EXPECT_EQ(reply.Header("transfer-encoding"), "chunked");
      EXPECT_EQ(
          reply.Header("content-type").rfind(cases[i].params["format"] == "csv" ? "text/csv" : "application/json", 0),
          0u);
    }
    http_bodies.push_back(reply.body);
    // Follow one page of every paged answer, so cursors are covered too.
    auto cursor = JsonMemberString(reply.body, "next_cursor");
    if (cursor && cases[i].params.count("cursor") == 0) {
      RouteCase next = cases[i];
      next.params["cursor"] = *cursor;
      cases.push_back(next);
    }
  }
  ASSERT_EQ(server->Stop(), 0);

  // The same data through the C++ query API, in-process, on the data directory the server left behind.
  auto storage = testing::OpenTestStorage(dir.path());
  ASSERT_TRUE(storage);
  auto engine = ViewEngine::Open(storage.get());
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  ASSERT_TRUE((*engine)->CatchUp().ok());
  size_t paged = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    auto expected = RunQuery(**engine, cases[i].query, ArgsOf(cases[i]));
    ASSERT_TRUE(expected.ok()) << PathOf(cases[i]) << ": " << expected.status().ToString();
    EXPECT_EQ(http_bodies[i], *expected) << TargetOf(cases[i], last_seq);
    if (cases[i].params.count("cursor")) ++paged;
  }
  EXPECT_GT(paged, 0u) << "no paged answer was followed";
}

class HttpApiServed : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    server_ = TallyServer::Start(dir_->path()).release();
    ASSERT_TRUE(server_);
    HttpReply push = HttpClient(server_->http_port()).Post("/v1/events", DemoEvents());
    ASSERT_EQ(push.status, 200) << push.body;
    last_seq_ = JsonMemberUint(push.body, "last_seq").value_or(0);
  }
  static void TearDownTestSuite() {
    if (server_) {
      EXPECT_EQ(server_->Stop(), 0);
    }
    delete server_;
    delete dir_;
  }
  uint16_t port() const { return server_->http_port(); }
  HttpReply Get(const std::string& target) { return HttpClient(port()).Get(target); }

  // Expects status and error code, and that the message names `names` when given.
  void ExpectError(const HttpReply& reply, int status, const std::string& code, const std::string& names = "") {
    EXPECT_EQ(reply.status, status) << reply.body.substr(0, 300);
    auto error = JsonMemberRaw(reply.body, "error");
    ASSERT_TRUE(error) << reply.body;
    EXPECT_EQ(JsonMemberString(*error, "code").value_or(""), code) << reply.body;
    if (!names.empty()) {
      EXPECT_NE(JsonMemberString(*error, "message").value_or("").find(names), std::string::npos) << reply.body;
    }
  }

  static TempDir* dir_;
  static TallyServer* server_;
  static uint64_t last_seq_;
};
TempDir* HttpApiServed::dir_ = nullptr;
TallyServer* HttpApiServed::server_ = nullptr;
uint64_t HttpApiServed::last_seq_ = 0;

TEST_F(HttpApiServed, BadParametersAre400NamingTheParameter) {
  const std::string s = "/v1/stores/acme-support";
  struct Case {
    std::string target;
    std::string names;
  };
  std::vector<Case> cases = {
      {s + "/daily_metrics?from=2026-13-01&to=2026-11-02", "from"},
      {s + "/daily_metrics?from=2026-11-01&to=2026-11-31", "to"},
      {s + "/daily_metrics?from=2026-11-05&to=2026-11-01", "from"},
      {s + "/daily_metrics?to=2026-11-01", "from"},
      {s + "/daily_metrics?from=2000-01-01&to=2026-11-01", "to"},
      {s + "/metrics?period=decade&date=2026-11-01", "period"},
      {s + "/metrics?period=week&date=yesterday", "date"},
      {s + "/trends?from=2026-11-01&to=2026-11-02&granularity=minute", "granularity"},
      {s + "/trends?from=2016-11-01&to=2026-11-09&granularity=day", "to"},
      {s + "/trends?from=2026-10-01&to=2026-11-02&granularity=hour", "to"},
      {s + "/roi?period_days=0", "period_days"},
      {s + "/roi?period_days=366", "period_days"},
      {s + "/roi?period_days=abc", "period_days"},
      {s + "/roi?human_cost_per_hour=-1", "human_cost_per_hour"},
      {s + "/quality?from=2026-11-01&to=20261102", "to"},
      {s + "/content_gaps?limit=0", "limit"},
      {s + "/content_gaps?limit=1001", "limit"},
      {s + "/content_gaps?limit=ten", "limit"},
      {s + "/content_gaps?cursor=not-a-cursor", "cursor"},
      {s + "/content_gaps?status=closed", "status"},
      {s + "/files?limit=-1", "limit"},
      {s + "/files?cursor=%00%01", "cursor"},
      {s + "/usage/daily?from=2026-11-01", "to"},
      {s + "/usage/monthly?month=2026-13", "month"},
      {s + "/export?from=2026-11-01&to=2026-11-02&format=xml", "format"},
      {s + "/rejected?limit=0", "limit"},
      {s + "/rejected?cursor=zzz", "cursor"},
      {"/v1/admin/rejected?limit=5000", "limit"},
      {s + "/daily_metrics?from=2026-11-01&to=2026-11-02&min_seq=-3", "min_seq"},
      {s + "/daily_metrics?from=2026-11-01&from=2026-11-02&to=2026-11-02", "from"},
      {"/v1/admin/rebuild?view=nope", "view"},
  };
  for (const Case& c : cases) {
    HttpCall call;
    call.target = c.target;
    if (c.target.rfind("/v1/admin/rebuild", 0) == 0) call.method = "POST";
    SCOPED_TRACE(c.target);
    ExpectError(testing::HttpRequestOnce(port(), call), 400, "bad_parameter", c.names);
  }
}

TEST_F(HttpApiServed, InvalidStoreIdsAre400) {
  ExpectError(Get("/v1/stores/bad%20store/daily_metrics?from=2026-11-01&to=2026-11-01"), 400, "bad_parameter", "store");
  ExpectError(Get("/v1/stores/" + std::string(129, 'a') + "/roi"), 400, "bad_parameter", "store");
  ExpectError(Get("/v1/stores/a%2Fb/roi"), 400, "bad_parameter", "store");
}

TEST_F(HttpApiServed, UnknownPathsAre404AndWrongMethods405) {
  ExpectError(Get("/v1/nothing"), 404, "not_found");
  ExpectError(Get("/v1/stores/acme-support/nothing"), 404, "not_found");
  ExpectError(Get("/"), 404, "not_found");
  HttpReply reply = Get("/v1/events");
  ExpectError(reply, 405, "method_not_allowed");
  EXPECT_EQ(reply.Header("allow"), "POST");
  HttpCall call;
  call.method = "POST";
  call.target = "/v1/stores/acme-support/daily_metrics";
  ExpectError(testing::HttpRequestOnce(port(), call), 405, "method_not_allowed");
  call.method = "DELETE";
  call.target = "/healthz";
  ExpectError(testing::HttpRequestOnce(port(), call), 405, "method_not_allowed");
}

TEST_F(HttpApiServed, UnknownConversationAndFileAre404) {
  ExpectError(Get("/v1/stores/acme-support/conversations/never-named"), 404, "not_found");
  ExpectError(Get("/v1/stores/acme-support/files/never-named"), 404, "not_found");
}

TEST_F(HttpApiServed, StoreWithoutEventsAnswersZeroFilled) {
  HttpReply reply = Get("/v1/stores/brand-new/daily_metrics?from=2026-11-01&to=2026-11-03");
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto days = JsonMemberRaw(reply.body, "days");
  ASSERT_TRUE(days);
  EXPECT_NE(days->find("\"date\":\"2026-11-03\""), std::string::npos);
  EXPECT_EQ(days->find("\"total_conversations\":1"), std::string::npos);
}

TEST_F(HttpApiServed, MinSeqReadsYourWrites) {
  HttpClient client(port());
  std::string event = R"({"event_id":"ryw-1","type":"conversation_started","store_id":"ryw-store",)"
                      R"("occurred_at":"2026-11-20T10:00:00Z","conversation_id":"c1","customer_id":"u1"})";
  HttpReply push = client.Post("/v1/events", event);
  ASSERT_EQ(push.status, 200) << push.body;
  uint64_t seq = JsonMemberUint(push.body, "last_seq").value_or(0);
  ASSERT_GT(seq, last_seq_);
  HttpReply reply =
      client.Get("/v1/stores/ryw-store/daily_metrics?from=2026-11-20&to=2026-11-20&min_seq=" + std::to_string(seq));
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_GE(JsonMemberUint(reply.body, "as_of_seq").value_or(0), seq);
  EXPECT_NE(reply.body.find("\"total_conversations\":1"), std::string::npos) << reply.body;
}

TEST_F(HttpApiServed, MinSeqBeyondTheLogIs503AfterTheWait) {
  auto start = std::chrono::steady_clock::now();
  HttpReply reply = Get("/v1/stores/acme-support/roi?min_seq=" + std::to_string(last_seq_ + 1'000'000));
  auto waited = std::chrono::steady_clock::now() - start;
  ExpectError(reply, 503, "unavailable");
  EXPECT_GE(waited, 4500ms);
  EXPECT_LT(waited, 14s);
}

// A client waiting for a min_seq the view has not reached holds a worker thread, not a query thread: while more
// clients wait than there are worker threads (8), other queries, /metrics and the admin status still answer.
TEST_F(HttpApiServed, MinSeqWaitsDoNotHoldUpOtherRequests) {
  constexpr int kWaiters = 8;
  const std::string waiting = "/v1/stores/acme-support/roi?min_seq=" + std::to_string(last_seq_ + 1'000'000);
  std::vector<std::unique_ptr<HttpClient>> clients;
  const auto sent = std::chrono::steady_clock::now();
  for (int i = 0; i < kWaiters; ++i) {
    clients.push_back(std::make_unique<HttpClient>(port()));
    ASSERT_TRUE(clients.back()->WriteRaw("GET " + waiting + " HTTP/1.1\r\nHost: tally\r\n\r\n"));
  }
  // Every worker thread is taken by a waiting query (the min_seq wait is 5 s).
  double running = 0;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        running = testing::MetricValue(Get("/metrics").body, "tally_http_min_seq_queries");
        return running >= 8;
      },
      4s, 20ms))
      << running;
  // A range no other test asks for, so that the answer cache cannot answer it on the io thread.
  const auto asked = std::chrono::steady_clock::now();
  HttpReply other = Get("/v1/stores/acme-support/daily_metrics?from=2026-10-03&to=2026-10-09");
  EXPECT_EQ(other.status, 200) << other.body;
  EXPECT_EQ(Get("/v1/admin/status").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 2s);
  EXPECT_GE(testing::MetricValue(Get("/metrics").body, "tally_http_min_seq_queries"), 8);  // still waiting
  for (auto& client : clients) ExpectError(client->ReadReply(), 503, "unavailable");
  EXPECT_GE(std::chrono::steady_clock::now() - sent, 4500ms);
  EXPECT_TRUE(testing::WaitFor(
      [&] { return testing::MetricValue(Get("/metrics").body, "tally_http_min_seq_queries") == 0; }, 5s, 20ms));
}

TEST_F(HttpApiServed, KeepAliveServesManyRequestsOnOneConnection) {
  HttpClient client(port());
  for (int i = 0; i < 5; ++i) {
    HttpReply reply = client.Get("/v1/stores/acme-support/usage/monthly?month=2026-11");
    ASSERT_EQ(reply.status, 200);
    EXPECT_TRUE(client.connected());
  }
  EXPECT_EQ(client.Get("/healthz").status, 200);
  EXPECT_TRUE(client.connected());
}

TEST_F(HttpApiServed, BodyOver16MiBIs413) {
  HttpClient client(port());
  std::string line =
      R"({"event_id":"big","type":"conversation_abandoned","store_id":"s","occurred_at":"2026-11-01T00:00:00Z","conversation_id":"c"})";
  std::string body;
  while (body.size() <= 16u * 1024 * 1024) body += line + "\n";
  ExpectError(client.Post("/v1/events", body), 413, "too_large");
  EXPECT_EQ(Get("/healthz").status, 200);
}

TEST_F(HttpApiServed, SlowHeaderClientDoesNotBlockOthers) {
  HttpClient slow(port());
  ASSERT_TRUE(slow.WriteRaw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "));
  for (int i = 0; i < 5; ++i) {
    auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(Get("/v1/stores/acme-support/roi").status, 200);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  }
}

TEST_F(HttpApiServed, HealthzAndMetrics) {
  HttpReply health = Get("/healthz");
  EXPECT_EQ(health.status, 200);
  Get("/v1/stores/acme-support/roi");
  HttpReply metrics = Get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.Header("content-type").rfind("text/plain", 0), 0u);
  for (std::string name :
       {"tally_events_appended_total", "tally_events_duplicate_total", "tally_view_offset{view=",
        "tally_view_lag{view=", "tally_http_requests_total{route=\"/v1/stores/{store}/roi\",status=\"200\"}",
        "tally_http_request_seconds_bucket{route=", "tally_rocksdb_bytes",
        "tally_rocksdb_memory_bytes{component=\"memtables\"}"}) {
    EXPECT_NE(metrics.body.find(name), std::string::npos) << name;
  }
  // Memory gauges carry live values: the process is resident and the block cache holds the blocks just read.
  EXPECT_GT(testing::MetricValue(metrics.body, "tally_process_resident_bytes"), 1e6);
  EXPECT_GT(testing::MetricValue(metrics.body, "tally_rocksdb_memory_bytes{component=\"block_cache\"}"), 0);
}

TEST_F(HttpApiServed, AdminStatusAndRebuild) {
  HttpReply status = Get("/v1/admin/status");
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_GE(JsonMemberUint(status.body, "log_head").value_or(0), last_seq_);
  EXPECT_NE(status.body.find("\"name\":\"conversation_metrics\""), std::string::npos);
  HttpCall rebuild;
  rebuild.method = "POST";
  rebuild.target = "/v1/admin/rebuild?view=usage";
  HttpReply started = testing::HttpRequestOnce(port(), rebuild);
  EXPECT_EQ(started.status, 202) << started.body;
  // The rebuilt view catches up again and serves the same answer.
  std::string target = "/v1/stores/acme-support/usage/monthly?month=2026-11";
  // min_seq: ctest runs this test alone in its process, where the fixture's push may not be folded yet.
  std::string before = Get(target + "&min_seq=" + std::to_string(last_seq_)).body;
  EXPECT_TRUE(
      testing::WaitFor([&] { return Get("/v1/admin/status").body.find("rebuilding") == std::string::npos; }, 30s));
  EXPECT_EQ(Get(target).body, before);
}

}  // namespace
}  // namespace tally
