// Auth over HTTP on the real binary with --auth (CONTRACT §5): 401 without a valid token, 403 for a role or
// store the token does not cover (for every route, as a whole), per-event `forbidden` inside an allowed push,
// and /healthz and /metrics open.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/testing/http_client.h"
#include "tests/testing/tally_process.h"

namespace tally {
namespace {

using testing::HttpCall;
using testing::HttpReply;
using testing::JsonMemberRaw;
using testing::JsonMemberUint;
using testing::TallyServer;
using testing::TempDir;

constexpr char kAdmin[] = "admin-token";
constexpr char kProducerA[] = "producer-a-token";
constexpr char kReaderA[] = "reader-a-token";

std::vector<HttpCall> StoreRoutes(const std::string& store) {
  std::string s = "/v1/stores/" + store;
  std::vector<HttpCall> calls;
  for (std::string target :
       {s + "/daily_metrics?from=2026-11-01&to=2026-11-02", s + "/metrics?period=day&date=2026-11-01",
        s + "/trends?from=2026-11-01&to=2026-11-02", s + "/roi?to=2026-11-02",
        s + "/quality?from=2026-11-01&to=2026-11-02", s + "/conversations/c1", s + "/content_gaps", s + "/files",
        s + "/files/f1", s + "/usage/daily?from=2026-11-01&to=2026-11-02", s + "/usage/monthly?month=2026-11",
        s + "/export?from=2026-11-01&to=2026-11-02&format=csv", s + "/rejected"}) {
    HttpCall call;
    call.target = target;
    calls.push_back(call);
  }
  return calls;
}

HttpCall GapStatus(const std::string& store) {
  HttpCall call;
  call.method = "POST";
  call.target = "/v1/stores/" + store + "/content_gaps/some%20topic/status";
  call.body = R"({"status":"resolved"})";
  return call;
}

std::vector<HttpCall> AdminRoutes() {
  HttpCall rejected;
  rejected.target = "/v1/admin/rejected";
  HttpCall status;
  status.target = "/v1/admin/status";
  HttpCall rebuild;
  rebuild.method = "POST";
  rebuild.target = "/v1/admin/rebuild?view=all";
  return {rejected, status, rebuild};
}

HttpCall Push(const std::string& body) {
  HttpCall call;
  call.method = "POST";
  call.target = "/v1/events";
  call.body = body;
  return call;
}

std::string Event(const std::string& store, const std::string& id) {
  return R"({"event_id":")" + id + R"(","type":"conversation_abandoned","store_id":")" + store +
         R"(","occurred_at":"2026-11-01T10:00:00Z","conversation_id":"c1"})";
}

class HttpAuth : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::string tokens = std::string(R"({"tokens":[)") + R"({"token":")" + kAdmin +
                         R"(","role":"admin","stores":["*"]},)" + R"({"token":")" + kProducerA +
                         R"(","role":"producer","stores":["store-a"]},)" + R"({"token":")" + kReaderA +
                         R"(","role":"reader","stores":["store-a"]}]})";
    ASSERT_TRUE(testing::WriteFile(dir_->Sub("tokens.json"), tokens));
    server_ = TallyServer::Start(dir_->Sub("data"), {"--auth", dir_->Sub("tokens.json")}).release();
    ASSERT_TRUE(server_);
  }
  static void TearDownTestSuite() {
    if (server_) {
      EXPECT_EQ(server_->Stop(), 0);
    }
    delete server_;
    delete dir_;
  }

  HttpReply Send(HttpCall call, const std::string& token) {
    call.token = token;
    return testing::HttpRequestOnce(server_->http_port(), call);
  }
  void ExpectStatus(const HttpCall& call, const std::string& token, int status) {
    HttpReply reply = Send(call, token);
    EXPECT_EQ(reply.status, status) << call.method << " " << call.target << " as '" << token << "': " << reply.body;
  }
  // Neither 401 nor 403: the route itself decides (200, or 404 for an unknown conversation).
  void ExpectAllowed(const HttpCall& call, const std::string& token) {
    HttpReply reply = Send(call, token);
    EXPECT_TRUE(reply.status != 401 && reply.status != 403 && reply.status != 0)
        << call.method << " " << call.target << " as '" << token << "': " << reply.status << " " << reply.body;
  }

  static TempDir* dir_;
  static TallyServer* server_;
};
TempDir* HttpAuth::dir_ = nullptr;
TallyServer* HttpAuth::server_ = nullptr;

TEST_F(HttpAuth, MissingOrUnknownTokenIs401OnEveryProtectedRoute) {
  std::vector<HttpCall> calls = StoreRoutes("store-a");
  calls.push_back(GapStatus("store-a"));
  calls.push_back(Push(Event("store-a", "x")));
  for (const HttpCall& call : AdminRoutes()) calls.push_back(call);
  for (const HttpCall& call : calls) {
    HttpReply none = Send(call, "");
    EXPECT_EQ(none.status, 401) << call.target;
    EXPECT_NE(none.body.find("\"unauthorized\""), std::string::npos) << none.body;
    EXPECT_EQ(none.Header("www-authenticate"), "Bearer");
    ExpectStatus(call, "not-a-token", 401);
  }
  HttpCall basic = StoreRoutes("store-a").front();
  basic.headers.emplace_back("Authorization", std::string("Basic ") + kAdmin);
  EXPECT_EQ(testing::HttpRequestOnce(server_->http_port(), basic).status, 401);
}

TEST_F(HttpAuth, HealthzAndMetricsAreOpen) {
  HttpCall health;
  health.target = "/healthz";
  ExpectStatus(health, "", 200);
  HttpCall metrics;
  metrics.target = "/metrics";
  ExpectStatus(metrics, "", 200);
}

TEST_F(HttpAuth, ReaderReadsItsStoresOnly) {
  for (const HttpCall& call : StoreRoutes("store-a")) ExpectAllowed(call, kReaderA);
  for (const HttpCall& call : StoreRoutes("store-b")) ExpectStatus(call, kReaderA, 403);
  ExpectStatus(Push(Event("store-a", "r1")), kReaderA, 403);
  ExpectStatus(GapStatus("store-a"), kReaderA, 403);
  for (const HttpCall& call : AdminRoutes()) ExpectStatus(call, kReaderA, 403);
}

TEST_F(HttpAuth, ProducerPushesForItsStoresAndNeverAdmin) {
  HttpReply push = Send(Push(Event("store-a", "p1") + "\n" + Event("store-b", "p2")), kProducerA);
  ASSERT_EQ(push.status, 200) << push.body;
  EXPECT_EQ(JsonMemberUint(push.body, "accepted"), 1u);
  std::string rejected = JsonMemberRaw(push.body, "rejected").value_or("");
  EXPECT_NE(rejected.find(R"({"index":1,"event_id":"p2","code":"forbidden")"), std::string::npos) << rejected;
  // The forbidden event is kept where only admins look, not in store-b's quarantine.
  HttpCall global;
  global.target = "/v1/admin/rejected";
  EXPECT_NE(Send(global, kAdmin).body.find("p2"), std::string::npos);
  HttpCall store_b;
  store_b.target = "/v1/stores/store-b/rejected";
  EXPECT_EQ(Send(store_b, kAdmin).body.find("p2"), std::string::npos);

  ExpectAllowed(GapStatus("store-a"), kProducerA);
  ExpectStatus(GapStatus("store-b"), kProducerA, 403);
  for (const HttpCall& call : AdminRoutes()) ExpectStatus(call, kProducerA, 403);
  // A producer may read its own stores (its rejects above all), never others'.
  for (const HttpCall& call : StoreRoutes("store-a")) ExpectAllowed(call, kProducerA);
  for (const HttpCall& call : StoreRoutes("store-b")) ExpectStatus(call, kProducerA, 403);
}

TEST_F(HttpAuth, AdminMayDoEverything) {
  for (const HttpCall& call : StoreRoutes("store-b")) ExpectAllowed(call, kAdmin);
  ExpectAllowed(GapStatus("store-b"), kAdmin);
  ExpectAllowed(Push(Event("store-b", "a1")), kAdmin);
  for (const HttpCall& call : AdminRoutes()) ExpectAllowed(call, kAdmin);
}

TEST_F(HttpAuth, BadStoreIdIs400OnlyAfterAuthentication) {
  HttpCall call;
  call.target = "/v1/stores/bad%20id/roi";
  ExpectStatus(call, "", 401);
  ExpectStatus(call, kReaderA, 400);
}

}  // namespace
}  // namespace tally
