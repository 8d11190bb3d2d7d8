// The answer cache of view queries, end to end on the real `tally serve`: a repeated query is a hit with the
// same bytes, an ETag revalidates to 304, a fold that changes the view changes the answer (never a stale one
// once the offset moved), a token of one store never gets another store's cached answer, and the server's
// clock day is part of the key (in-process, with a manual clock).
#include <gtest/gtest.h>

#include <boost/beast/http/verb.hpp>
#include <future>
#include <string>
#include <thread>

#include "net/http_routes.h"
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
using testing::MetricValue;
using testing::HttpCall;
using testing::HttpClient;
using testing::HttpReply;
using testing::JsonMemberString;
using testing::JsonMemberUint;
using testing::TallyServer;
using testing::TempDir;
using Headers = std::vector<std::pair<std::string, std::string>>;

// `count` conversations started in acme-support on 2026-11-20 with ids unique to `tag`.
std::string MoreConversations(const std::string& tag, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) {
    std::string id = tag + "-" + std::to_string(i);
    out += R"({"event_id":")" + id + R"(","type":"conversation_started","store_id":"acme-support",)"
           R"("occurred_at":"2026-11-20T10:00:00Z","conversation_id":")" + id + R"(","customer_id":"c-)" + id +
           R"(","channel":"web"})" "\n";
  }
  return out;
}

class CachedServer {
 public:
  explicit CachedServer(std::vector<std::string> args = {}) {
    server_ = TallyServer::Start(dir_.path(), std::move(args));
  }
  TallyServer* server() { return server_.get(); }
  const std::string& data_dir() const { return dir_.path(); }

  HttpReply Get(const std::string& target, const std::string& token = "", Headers headers = {}) {
    return testing::HttpRequestOnce(server_->http_port(), HttpCall{"GET", target, "", token, std::move(headers)});
  }
  double Metric(const std::string& name) { return MetricValue(Get("/metrics").body, name); }
  // Pushes ndjson, then waits until every view has folded it (GET /v1/admin/status). Returns the last seq.
  uint64_t PushAndWait(const std::string& ndjson, const std::string& token = "") {
    HttpReply push = testing::HttpRequestOnce(server_->http_port(), HttpCall{"POST", "/v1/events", ndjson, token, {}});
    EXPECT_EQ(push.status, 200) << push.body;
    uint64_t last_seq = JsonMemberUint(push.body, "last_seq").value_or(0);
    EXPECT_GT(last_seq, 0u) << push.body;
    bool caught_up = testing::WaitFor(
        [&] {
          HttpReply status = Get("/v1/admin/status", token);
          // Every view's offset is at least last_seq: no "offset":N below it.
          size_t at = 0;
          int views = 0;
          while ((at = status.body.find("\"offset\":", at)) != std::string::npos) {
            at += 9;
            if (std::stoull(status.body.substr(at)) < last_seq) return false;
            ++views;
          }
          return views > 0;
        },
        30s);
    EXPECT_TRUE(caught_up) << "views did not reach seq " << last_seq;
    return last_seq;
  }

 private:
  TempDir dir_;
  std::unique_ptr<TallyServer> server_;
};

constexpr char kDaily[] = "/v1/stores/acme-support/daily_metrics?from=2026-11-01&to=2026-11-30";

TEST(HttpAnswerCache, ASecondIdenticalQueryIsAHitWithTheSameBodyAndTheEtagRevalidates) {
  CachedServer s;
  ASSERT_TRUE(s.server());
  s.PushAndWait(DemoEvents());
  double hits = s.Metric("tally_answer_cache_hits_total");
  double misses = s.Metric("tally_answer_cache_misses_total");
  ASSERT_GE(hits, 0);

  HttpReply first = s.Get(kDaily);
  ASSERT_EQ(first.status, 200) << first.body;
  HttpReply second = s.Get(kDaily);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(s.Metric("tally_answer_cache_misses_total"), misses + 1);
  EXPECT_EQ(s.Metric("tally_answer_cache_hits_total"), hits + 1);
  EXPECT_GT(s.Metric("tally_answer_cache_bytes"), static_cast<double>(first.body.size()));

  std::string etag = first.Header("etag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(second.Header("etag"), etag);
  HttpReply revalidated = s.Get(kDaily, "", {{"If-None-Match", etag}});
  EXPECT_EQ(revalidated.status, 304);
  EXPECT_TRUE(revalidated.body.empty());
  EXPECT_EQ(revalidated.Header("etag"), etag);
  EXPECT_EQ(s.Metric("tally_http_not_modified_total"), 1);
  HttpReply other_tag = s.Get(kDaily, "", {{"If-None-Match", "\"0000000000000000\""}});
  EXPECT_EQ(other_tag.status, 200);
  EXPECT_EQ(other_tag.body, first.body);
  // min_seq already reached: answered from the cache too, with the same bytes.
  uint64_t as_of = JsonMemberUint(first.body, "as_of_seq").value_or(0);
  HttpReply with_min_seq = s.Get(std::string(kDaily) + "&min_seq=" + std::to_string(as_of));
  EXPECT_EQ(with_min_seq.body, first.body);
  EXPECT_EQ(s.Metric("tally_answer_cache_hits_total"), hits + 3);
  // A hit is written as stored HTTP/1.1 keep-alive bytes; a client that closes or speaks HTTP/1.0 gets the
  // same answer built the usual way.
  HttpReply closing = s.Get(kDaily, "", {{"Connection", "close"}});
  EXPECT_EQ(closing.status, 200);
  EXPECT_EQ(closing.body, first.body);
  EXPECT_FALSE(closing.keep_alive);
  HttpClient raw(s.server()->http_port());
  ASSERT_TRUE(raw.WriteRaw("GET " + std::string(kDaily) + " HTTP/1.0\r\nHost: t\r\n\r\n"));
  HttpReply http10 = raw.ReadReply();
  EXPECT_EQ(http10.status, 200);
  EXPECT_EQ(http10.body, first.body);
  EXPECT_EQ(http10.Header("etag"), etag);
  EXPECT_EQ(s.Metric("tally_answer_cache_hits_total"), hits + 5);
  EXPECT_EQ(s.server()->Stop(), 0);
}

TEST(HttpAnswerCache, AFoldThatChangesTheViewChangesTheAnswer) {
  CachedServer s;
  ASSERT_TRUE(s.server());
  s.PushAndWait(DemoEvents());
  HttpReply before = s.Get(kDaily);
  ASSERT_EQ(before.status, 200) << before.body;
  ASSERT_EQ(s.Get(kDaily).body, before.body);  // now cached

  uint64_t last_seq = s.PushAndWait(MoreConversations("later", 3));
  HttpReply after = s.Get(kDaily);
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_NE(after.body, before.body);
  EXPECT_GE(JsonMemberUint(after.body, "as_of_seq").value_or(0), last_seq) << after.body;
  EXPECT_NE(after.Header("etag"), before.Header("etag"));
  // The old ETag no longer revalidates.
  EXPECT_EQ(s.Get(kDaily, "", {{"If-None-Match", before.Header("etag")}}).status, 200);
  ASSERT_EQ(s.server()->Stop(), 0);

  // The same query through the C++ query API on the data the server left behind: the HTTP answer after the
  // fold is exactly the fresh computation.
  auto storage = testing::OpenTestStorage(s.data_dir());
  ASSERT_TRUE(storage);
  auto engine = ViewEngine::Open(storage.get());
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  ASSERT_TRUE((*engine)->CatchUp().ok());
  QueryArgs args;
  args.store = "acme-support";
  args.params = {{"from", "2026-11-01"}, {"to", "2026-11-30"}};
  args.now_ms = SystemClock::Instance().NowMs();
  auto fresh = RunQuery(**engine, "daily_metrics", args);
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  EXPECT_EQ(*fresh, after.body);
}

// Many clients asking the same query at once, right after a fold changed the view: whether their misses ran
// the query or waited for one already running (coalesced), every one gets the same, current answer.
TEST(HttpAnswerCache, ConcurrentMissesOfOneKeyAllGetTheCurrentAnswer) {
  CachedServer s;
  ASSERT_TRUE(s.server());
  s.PushAndWait(DemoEvents());
  for (int round = 0; round < 3; ++round) {
    uint64_t last_seq = s.PushAndWait(MoreConversations("round" + std::to_string(round), 2));
    double before = s.Metric("tally_answer_cache_hits_total") + s.Metric("tally_answer_cache_misses_total");
    double coalesced_before = s.Metric("tally_answer_cache_coalesced_total");
    constexpr int kClients = 8;
    std::vector<HttpReply> replies(kClients);
    std::vector<std::thread> clients;
    for (int i = 0; i < kClients; ++i) {
      // Half of them send an If-None-Match that does not match: they must get the body too.
      Headers headers = i % 2 ? Headers{{"If-None-Match", "\"x\""}} : Headers{};
      clients.emplace_back([&, i, headers] { replies[i] = s.Get(kDaily, "", headers); });
    }
    for (auto& client : clients) client.join();
    for (const HttpReply& reply : replies) {
      ASSERT_EQ(reply.status, 200) << reply.body;
      EXPECT_EQ(reply.body, replies[0].body);
      EXPECT_EQ(reply.Header("etag"), replies[0].Header("etag"));
      EXPECT_GE(JsonMemberUint(reply.body, "as_of_seq").value_or(0), last_seq);
    }
    double after = s.Metric("tally_answer_cache_hits_total") + s.Metric("tally_answer_cache_misses_total");
    EXPECT_EQ(after - before, kClients);
    EXPECT_LE(s.Metric("tally_answer_cache_coalesced_total") - coalesced_before, kClients - 1);
  }
  EXPECT_EQ(s.server()->Stop(), 0);
}

TEST(HttpAnswerCache, AnotherStoresTokenNeverGetsACachedAnswer) {
  TempDir auth_dir;
  std::string tokens = R"({"tokens":[{"token":"adm","role":"admin","stores":["*"]},)"
                       R"({"token":"reader-a","role":"reader","stores":["acme-support"]},)"
                       R"({"token":"reader-b","role":"reader","stores":["globex-help"]}]})";
  ASSERT_TRUE(testing::WriteFile(auth_dir.Sub("tokens.json"), tokens));
  CachedServer s({"--auth", auth_dir.Sub("tokens.json")});
  ASSERT_TRUE(s.server());
  s.PushAndWait(DemoEvents(), "adm");
  const std::string b_target = "/v1/stores/globex-help/daily_metrics?from=2026-11-01&to=2026-11-30";
  HttpReply b_answer = s.Get(b_target, "reader-b");
  ASSERT_EQ(b_answer.status, 200) << b_answer.body;
  ASSERT_EQ(s.Get(b_target, "adm").body, b_answer.body);  // cached, and the admin may read it
  double hits = s.Metric("tally_answer_cache_hits_total");

  for (const Headers& headers : {Headers{}, Headers{{"If-None-Match", b_answer.Header("etag")}},
                                  Headers{{"If-None-Match", "*"}}}) {
    HttpReply denied = s.Get(b_target, "reader-a", headers);
    EXPECT_EQ(denied.status, 403) << denied.body;
    EXPECT_EQ(denied.body.find("globex-help\",\"from"), std::string::npos) << denied.body;
    EXPECT_EQ(denied.Header("etag"), "");
    EXPECT_EQ(s.Get(b_target, "", headers).status, 401);
    EXPECT_EQ(s.Get(b_target, "not-a-token", headers).status, 401);
  }
  EXPECT_EQ(s.Metric("tally_answer_cache_hits_total"), hits);  // none of those reached the cache

  // A's own answer to the same parameters is A's.
  HttpReply a_answer = s.Get("/v1/stores/acme-support/daily_metrics?from=2026-11-01&to=2026-11-30", "reader-a");
  ASSERT_EQ(a_answer.status, 200) << a_answer.body;
  EXPECT_EQ(JsonMemberString(a_answer.body, "store_id"), "acme-support");
  EXPECT_NE(a_answer.body, b_answer.body);
  EXPECT_NE(a_answer.Header("etag"), b_answer.Header("etag"));
  EXPECT_EQ(s.server()->Stop(), 0);
}

TEST(HttpAnswerCache, ZeroMegabytesTurnsItOff) {
  CachedServer s({"--answer-cache-mb", "0"});
  ASSERT_TRUE(s.server());
  s.PushAndWait(DemoEvents());
  HttpReply first = s.Get(kDaily);
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(s.Get(kDaily).body, first.body);
  EXPECT_EQ(s.Metric("tally_answer_cache_hits_total"), 0);
  EXPECT_EQ(s.Metric("tally_answer_cache_bytes"), 0);
  // ETags still work: they name the version, not a cache entry.
  EXPECT_EQ(s.Get(kDaily, "", {{"If-None-Match", first.Header("etag")}}).status, 304);
  EXPECT_EQ(s.server()->Stop(), 0);
}

// In-process, with a manual clock: routes that default a date to "today" must not answer yesterday's answer
// from the cache after midnight.
TEST(HttpAnswerCache, TheClockDayIsPartOfTheKey) {
  TempDir dir;
  StorageOptions storage_options;
  storage_options.path = dir.path();
  auto storage = Storage::Open(storage_options);
  ASSERT_TRUE(storage.ok()) << storage.status().ToString();
  auto engine = ViewEngine::Open(storage->get());
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  net::MetricsRegistry metrics;
  ManualClock clock(ParseRfc3339("2026-11-20T23:59:00Z").value());
  net::HttpApiDeps deps;
  deps.engine = engine->get();
  deps.storage = storage->get();
  deps.metrics = &metrics;
  deps.clock = &clock;
  net::HttpApi api(deps);
  auto get = [&](const std::string& target) {
    std::promise<net::HttpResponse> answered;
    net::HttpRequest request(boost::beast::http::verb::get, target, 11);
    api.Handle(std::move(request), [&](net::HttpResponse response) { answered.set_value(std::move(response)); });
    net::HttpResponse response = answered.get_future().get();
    response.body = std::string(response.BodyView());  // a hit carries its body inside its wire bytes
    response.wire = nullptr;
    return response;
  };
  const std::string period = "/v1/stores/acme/metrics?period=day";
  const std::string roi = "/v1/stores/acme/roi";
  net::HttpResponse day1 = get(period);
  ASSERT_EQ(day1.status, 200u) << day1.body;
  EXPECT_EQ(JsonMemberString(day1.body, "start"), "2026-11-20");
  EXPECT_EQ(JsonMemberString(get(roi).body, "to"), "2026-11-20");
  EXPECT_EQ(get(period).body, day1.body);
  double hits = MetricValue(metrics.RenderPrometheus(), "tally_answer_cache_hits_total");
  EXPECT_EQ(hits, 1);

  clock.Advance(2 * 60 * 1000);  // past midnight, no event folded: same view version
  net::HttpResponse day2 = get(period);
  EXPECT_EQ(JsonMemberString(day2.body, "start"), "2026-11-21") << day2.body;
  EXPECT_EQ(JsonMemberString(get(roi).body, "to"), "2026-11-21");
  EXPECT_EQ(MetricValue(metrics.RenderPrometheus(), "tally_answer_cache_hits_total"), hits);
  api.Stop();
}

}  // namespace
}  // namespace tally
