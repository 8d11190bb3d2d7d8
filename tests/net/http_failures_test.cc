// HttpApi over a scripted storage, in-process: the answers for a full ingest queue (503 + Retry-After), a
// failed append and a failed quarantine read (500 internal), none of which the real binary can be made to
// produce on demand.
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <thread>

#include "net/http_routes.h"
#include "net/http_server.h"
#include "net/ingest.h"
#include "tests/testing/http_client.h"

namespace tally::net {
namespace {

using testing::HttpClient;
using testing::HttpReply;
using testing::JsonMemberRaw;
using testing::JsonMemberString;

// A storage whose append and quarantine answers the test sets.
class ScriptedStorage final : public Storage {
 public:
  Status try_append = Status::Ok();     // what TryAppend returns
  Status append_result = Status::Ok();  // the status handed to `done`
  Status quarantine = Status::Ok();

  void AppendEncoded(EncodedEvents events, std::vector<QuarantineEntry> rejects,
                     std::function<void(AppendResult)> done) override {
    (void)TryAppendEncoded(std::move(events), std::move(rejects), std::move(done));
  }
  Status TryAppendEncoded(EncodedEvents&& events, std::vector<QuarantineEntry>&&,
                          std::function<void(AppendResult)>&& done) override {
    if (!try_append.ok()) return try_append;
    AppendResult result;
    result.status = append_result;
    if (result.status.ok()) {
      for (size_t i = 0; i < events.size(); ++i) result.outcomes.push_back({false, ++head_});
      result.accepted = events.size();
      if (!events.empty()) {
        result.first_seq = head_ - events.size() + 1;
        result.last_seq = head_;
      }
    }
    // Synchronously, as after Close: the handler must not care which thread reports durability.
    done(result);
    return Status::Ok();
  }
  uint64_t LogHead() const override { return head_; }
  void SetAppendListener(std::function<void(uint64_t)>) override {}
  Status ReadEvents(uint64_t, size_t, std::vector<std::pair<uint64_t, Event>>* out) override {
    out->clear();
    return Status::Ok();
  }
  Result<std::optional<uint64_t>> FindEvent(std::string_view, std::string_view) override {
    return std::optional<uint64_t>();
  }
  Result<QuarantinePage> ReadQuarantine(std::string_view, size_t, std::optional<std::string_view>) override {
    if (!quarantine.ok()) return quarantine;
    QuarantinePage page;
    QuarantineEntry entry;
    entry.received_at = 0;
    entry.code = Code::kMalformed;
    entry.message = "bad";
    entry.raw = "{\"x\":\"\xff\xfe\"}";  // not UTF-8
    page.entries.push_back(entry);
    return page;
  }
  std::unique_ptr<StateSnapshot> Snapshot() override { return nullptr; }
  Status CommitState(const StateWrite&) override { return Status::Ok(); }
  Status Close() override { return Status::Ok(); }
  std::vector<std::pair<std::string, uint64_t>> SizesByColumnFamily() override { return {{"events", 42}}; }
  StorageStats Stats() const override { return {}; }

 private:
  std::atomic<uint64_t> head_{0};
};

class HttpFailures : public ::testing::Test {
 protected:
  void SetUp() override {
    ingest_ = std::make_unique<Ingest>(storage_, metrics_);
    HttpApiDeps deps;
    deps.storage = &storage_;
    deps.ingest = ingest_.get();
    deps.metrics = &metrics_;
    api_ = std::make_unique<HttpApi>(deps);
    server_ = std::make_unique<HttpServer>(io_, *api_);
    ASSERT_TRUE(server_->Start("127.0.0.1", 0).ok());
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    server_->Stop();
    api_->Stop();
    work_.reset();
    io_.stop();
    thread_.join();
  }
  HttpReply Post(const std::string& target, const std::string& body) {
    return HttpClient(server_->port()).Post(target, body);
  }
  std::string ErrorCode(const HttpReply& reply) {
    return JsonMemberString(JsonMemberRaw(reply.body, "error").value_or("{}"), "code").value_or("");
  }

  ScriptedStorage storage_;
  MetricsRegistry metrics_;
  std::unique_ptr<Ingest> ingest_;
  std::unique_ptr<HttpApi> api_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ = boost::asio::make_work_guard(io_);
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

const char kEvent[] =
    R"({"event_id":"e1","type":"conversation_abandoned","store_id":"s","occurred_at":"2026-11-01T00:00:00Z","conversation_id":"c"})";

TEST_F(HttpFailures, FullIngestQueueIs503WithRetryAfter) {
  storage_.try_append = Status(Code::kUnavailable, "queue full");
  HttpReply reply = Post("/v1/events", kEvent);
  EXPECT_EQ(reply.status, 503) << reply.body;
  EXPECT_EQ(ErrorCode(reply), "unavailable");
  EXPECT_EQ(reply.Header("retry-after"), "1");
  HttpReply gap = Post("/v1/stores/s/content_gaps/t/status", R"({"status":"resolved"})");
  EXPECT_EQ(gap.status, 503);
  EXPECT_EQ(gap.Header("retry-after"), "1");

  storage_.try_append = Status::Ok();
  HttpReply later = Post("/v1/events", kEvent);
  EXPECT_EQ(later.status, 200) << later.body;
  EXPECT_EQ(testing::JsonMemberUint(later.body, "first_seq"), 1u);
}

TEST_F(HttpFailures, FailedAppendIs500Internal) {
  storage_.append_result = Status(Code::kIoError, "disk on fire");
  HttpReply reply = Post("/v1/events", kEvent);
  EXPECT_EQ(reply.status, 500);
  EXPECT_EQ(ErrorCode(reply), "internal");
  EXPECT_EQ(Post("/v1/stores/s/content_gaps/t/status", R"({"status":"resolved"})").status, 500);
}

TEST_F(HttpFailures, QuarantineReadErrorIs500AndRawIsValidJsonText) {
  HttpReply ok = HttpClient(server_->port()).Get("/v1/admin/rejected");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_NE(ok.body.find("\xEF\xBF\xBD\xEF\xBF\xBD"), std::string::npos) << ok.body;  // U+FFFD for each bad byte
  EXPECT_TRUE(JsonMemberRaw(ok.body, "rejected").has_value()) << "not valid JSON: " << ok.body;
  storage_.quarantine = Status(Code::kCorruption, "bad block");
  HttpReply failed = HttpClient(server_->port()).Get("/v1/stores/s/rejected");
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(ErrorCode(failed), "internal");
}

TEST_F(HttpFailures, ViewRoutesWithoutAnEngineAre503) {
  HttpReply reply = HttpClient(server_->port()).Get("/v1/stores/s/roi");
  EXPECT_EQ(reply.status, 503) << reply.body;
  EXPECT_EQ(ErrorCode(reply), "unavailable");
  EXPECT_EQ(HttpClient(server_->port()).Get("/metrics").status, 200);
}

}  // namespace
}  // namespace tally::net
