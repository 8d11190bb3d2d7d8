// The kill loop (CONTRACT §5): `tally serve` is SIGKILLed at seeded random moments while several producers push
// (two over TCP, two over HTTP) and retry every batch that was not acknowledged. After the last restart the test checks
//   * the log (`tally dump`): every event any producer sent is there exactly once, at the seq its ack reported,
//     and seqs run 1..N — nothing acknowledged lost, nothing retried doubled;
//   * the views: every query the restarted server answers equals the answer of a fresh replay (`tally dump` of
//     the log imported into an empty directory, then `tally query` offline).
//
// Knobs (environment): TALLY_KILL_ROUNDS (default 6), TALLY_KILL_EVENTS per producer (default 1500),
// TALLY_KILL_SEED (default 20261123). CTest also runs a long variant under the `long` label.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/reliability/retrying_producer.h"
#include "tests/testing/http_client.h"
#include "tests/testing/tally_process.h"

namespace tally::reliability {
namespace {

using namespace std::chrono_literals;
using testing::HttpClient;
using testing::HttpReply;
using testing::RunResult;
using testing::RunTally;
using testing::TallyServer;
using testing::TempDir;

constexpr int kProducers = 4;
constexpr size_t kBatchSize = 25;

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::strtoull(value, nullptr, 10) : fallback;
}

// One view query: the HTTP path below /v1/stores/{store}/ and the `tally query` arguments for the same answer.
struct ViewQuery {
  std::string store;
  std::string path;
  std::vector<std::pair<std::string, std::string>> params;
  std::string route;  // query-API route name for `tally query`
  std::string path_param = {};  // "name=value" of the path parameter for `tally query`, if the route has one
};

std::vector<ViewQuery> Queries() {
  const std::vector<std::pair<std::string, std::string>> range = {{"from", "2026-10-01"}, {"to", "2026-10-21"}};
  std::vector<ViewQuery> out;
  for (const std::string store : {"s1", "s2"}) {
    out.push_back({store, "daily_metrics", range, "daily_metrics"});
    out.push_back({store, "metrics", {{"period", "month"}, {"date", "2026-10-15"}}, "metrics"});
    out.push_back({store, "metrics", {{"period", "week"}, {"date", "2026-10-08"}}, "metrics"});
    out.push_back({store, "trends", {range[0], range[1], {"granularity", "hour"}}, "trends"});
    out.push_back({store, "roi", {{"period_days", "30"}, {"to", "2026-10-21"}}, "roi"});
    out.push_back({store, "quality", range, "quality"});
    out.push_back({store, "content_gaps", {}, "content_gaps"});
    out.push_back({store, "files", {{"limit", "1000"}}, "files"});
    out.push_back({store, "files/f1", {}, "file", "shell_file_id=f1"});
    out.push_back({store, "conversations/c7", {}, "conversation", "conversation_id=c7"});
    out.push_back({store, "conversations/c33", {}, "conversation", "conversation_id=c33"});
    out.push_back({store, "usage/daily", range, "usage_daily"});
    out.push_back({store, "usage/monthly", {{"month", "2026-10"}}, "usage_monthly"});
    out.push_back({store, "export", {range[0], range[1], {"format", "json"}}, "export"});
  }
  return out;
}

std::string HttpTarget(const ViewQuery& q, uint64_t min_seq) {
  std::string target = "/v1/stores/" + q.store + "/" + q.path + "?min_seq=" + std::to_string(min_seq);
  for (const auto& [name, value] : q.params) target += "&" + name + "=" + value;
  return target;
}

std::vector<std::string> QueryArgs(const ViewQuery& q, const std::string& data) {
  std::vector<std::string> args = {"query", "--data", data, q.route, "--store", q.store};
  for (const auto& [name, value] : q.params) args.push_back("--param=" + name + "=" + value);
  if (!q.path_param.empty()) args.push_back("--param=" + q.path_param);
  return args;
}

std::string TrimNewline(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// The log as `tally dump` prints it: (store/event_id) -> seq, where seq is the line number from 1.
struct DumpedLog {
  std::map<std::string, uint64_t> seq_of;
  std::vector<std::string> doubled;
  uint64_t lines = 0;
};

DumpedLog ReadLog(const std::string& ndjson) {
  DumpedLog log;
  size_t start = 0;
  while (start < ndjson.size()) {
    size_t end = ndjson.find('\n', start);
    if (end == std::string::npos) end = ndjson.size();
    std::string line = ndjson.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    ++log.lines;
    std::string key = testing::JsonMemberString(line, "store_id").value_or("?") + "/" +
                      testing::JsonMemberString(line, "event_id").value_or("?");
    if (!log.seq_of.emplace(key, log.lines).second) log.doubled.push_back(key);
  }
  return log;
}

class KillLoop {
 public:
  KillLoop(const std::string& dir, uint32_t seed, size_t events, std::vector<std::string> serve_args)
      : dir_(dir), rng_(seed), serve_args_(std::move(serve_args)) {
    for (int p = 0; p < kProducers; ++p) {
      // Producers 0 and 1 speak Cap'n Proto over TCP, 2 and 3 POST NDJSON over HTTP.
      const Transport transport = p < kProducers / 2 ? Transport::kTcp : Transport::kHttp;
      producers_.push_back(std::make_unique<RetryingProducer>(p, transport, seed * 7 + p, events, kBatchSize));
    }
    for (auto& p : producers_) threads_.emplace_back([this, raw = p.get()] { raw->Run(&board_); });
  }
  ~KillLoop() {
    board_.Stop();
    for (auto& t : threads_) t.join();
  }

  size_t AckedBatches() const {
    size_t n = 0;
    for (const auto& p : producers_) n += p->acked_batches();
    return n;
  }
  bool AllDone() const {
    for (const auto& p : producers_) if (!p->done()) return false;
    return true;
  }

  std::unique_ptr<TallyServer> Start() {
    auto server = TallyServer::Start(dir_, serve_args_);
    if (server) board_.Publish(server->tcp_address(), server->http_port());
    return server;
  }

  // One round: start, wait until a random number of further batches is acknowledged, then SIGKILL. The few
  // microseconds of random delay after that move the kill off the ack boundary into the middle of the next
  // group commit, fold or fsync.
  void Round() {
    auto server = Start();
    ASSERT_TRUE(server) << "server did not restart";
    const size_t target = AckedBatches() + std::uniform_int_distribution<size_t>(1, 30)(rng_);
    ASSERT_TRUE(testing::WaitFor([&] { return AckedBatches() >= target || AllDone(); }, 60s))
        << "producers made no progress";
    std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 4000)(rng_)));
    board_.Clear();
    server->Kill();
  }

  void Finish() {
    board_.Stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  const std::vector<std::unique_ptr<RetryingProducer>>& producers() const { return producers_; }

 private:
  std::string dir_;
  std::mt19937 rng_;
  std::vector<std::string> serve_args_;
  ServerAddress board_;
  std::vector<std::unique_ptr<RetryingProducer>> producers_;
  std::vector<std::thread> threads_;
};

void CheckLog(const DumpedLog& log, const KillLoop& loop) {
  EXPECT_TRUE(log.doubled.empty()) << log.doubled.size() << " events stored twice, first " << log.doubled[0];
  std::set<std::string> sent;
  for (const auto& p : loop.producers()) {
    EXPECT_TRUE(p->errors().empty()) << p->errors().front();
    EXPECT_FALSE(p->acked().empty()) << "a producer got no ack at all";
    for (const std::string& key : p->AllKeys()) sent.insert(key);
    for (const auto& [key, seq] : p->acked()) {
      auto it = log.seq_of.find(key);
      ASSERT_NE(it, log.seq_of.end()) << "acknowledged event lost: " << key << " (seq " << seq << ")";
      EXPECT_EQ(it->second, seq) << "acknowledged event moved: " << key;
    }
  }
  EXPECT_EQ(log.seq_of.size(), sent.size()) << "the log holds events nobody sent, or lost some";
  size_t missing = 0;
  std::string first_missing;
  for (const std::string& key : sent) {
    if (log.seq_of.count(key) == 1) continue;
    if (missing++ == 0) first_missing = key;
  }
  EXPECT_EQ(missing, 0u) << "sent but never stored (the producer retried until acked), first: " << first_missing;
}

// Kills the server in `rounds` rounds, lets every producer finish on a live server, then crashes it once more
// so that the final state is a recovery too.
void CrashRepeatedly(KillLoop& loop, uint64_t rounds) {
  for (uint64_t round = 0; round < rounds && !loop.AllDone(); ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    ASSERT_NO_FATAL_FAILURE(loop.Round());
  }
  auto server = loop.Start();
  ASSERT_TRUE(server);
  ASSERT_TRUE(testing::WaitFor([&] { return loop.AllDone(); }, 300s)) << "producers did not finish";
  server->Kill();
  loop.Finish();
  uint64_t retries = 0;
  for (const auto& p : loop.producers()) retries += p->retries();
  std::printf("kill loop: %llu rounds, %llu retried batches\n", static_cast<unsigned long long>(rounds),
              static_cast<unsigned long long>(retries));
}

// Restarts the crashed server and collects its answers to every query once its views have caught up with the
// whole log (min_seq = log head); *head receives the head. The server is killed again afterwards, so the
// directory stays as a crash leaves it (dump must cope with that too).
void ServedAnswers(KillLoop& loop, const std::vector<ViewQuery>& queries, std::vector<std::string>* served,
                   uint64_t* head) {
  auto server = loop.Start();
  ASSERT_TRUE(server);
  HttpClient client(server->http_port(), 60s);
  HttpReply status = client.Get("/v1/admin/status");
  ASSERT_EQ(status.status, 200) << status.body;
  *head = testing::JsonMemberUint(status.body, "log_head").value_or(0);
  for (const ViewQuery& q : queries) {
    HttpReply reply = client.Get(HttpTarget(q, *head));
    EXPECT_EQ(reply.status, 200) << HttpTarget(q, *head) << " -> " << reply.body;
    served->push_back(reply.body);
  }
  server->Kill();
}

// The whole loop under one durability mode; rounds default to `default_rounds` unless TALLY_KILL_ROUNDS is set.
void RunKillLoop(const std::vector<std::string>& serve_args, uint64_t default_rounds) {
  const uint32_t seed = static_cast<uint32_t>(EnvOr("TALLY_KILL_SEED", 20261123));
  const uint64_t rounds = EnvOr("TALLY_KILL_ROUNDS", default_rounds);
  SCOPED_TRACE("TALLY_KILL_SEED=" + std::to_string(seed) + " TALLY_KILL_ROUNDS=" + std::to_string(rounds));
  TempDir dir;
  const std::string data = dir.Sub("data");
  KillLoop loop(data, seed, EnvOr("TALLY_KILL_EVENTS", 1500), serve_args);
  ASSERT_NO_FATAL_FAILURE(CrashRepeatedly(loop, rounds));

  const std::vector<ViewQuery> queries = Queries();
  std::vector<std::string> served;
  uint64_t head = 0;
  ASSERT_NO_FATAL_FAILURE(ServedAnswers(loop, queries, &served, &head));
  RunResult dump = RunTally({"dump", "--data", data}, std::nullopt, 300s);
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  DumpedLog log = ReadLog(dump.out);
  CheckLog(log, loop);
  EXPECT_EQ(head, log.lines) << "the recovered server's log head is not the dumped log's length";

  // The fresh replay: the dumped log imported into an empty directory, queried offline.
  const std::string fresh = dir.Sub("fresh");
  RunResult import = RunTally({"import", "--data", fresh, "-"}, dump.out, 300s);
  ASSERT_EQ(import.exit_code, 0) << import.err;
  for (size_t i = 0; i < queries.size(); ++i) {
    RunResult replayed = RunTally(QueryArgs(queries[i], fresh));
    ASSERT_EQ(replayed.exit_code, 0) << replayed.err;
    EXPECT_EQ(TrimNewline(served[i]), TrimNewline(replayed.out)) << HttpTarget(queries[i], head);
  }
}

TEST(KillLoop, AcknowledgedEventsSurviveKillNineAndViewsEqualAFreshReplay) {
  RunKillLoop({"--durability", "sync"}, 6);
}

// Async durability acknowledges before the fsync, but a process crash still loses nothing acknowledged: the
// WAL bytes are in the kernel's page cache, which a SIGKILL does not discard (CONTRACT §5).
TEST(KillLoop, AsyncDurabilityAlsoSurvivesKillNine) {
  RunKillLoop({"--durability", "async"}, 4);
}

}  // namespace
}  // namespace tally::reliability
