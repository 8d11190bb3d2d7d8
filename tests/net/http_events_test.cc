// POST /v1/events and the content gap status route on the real binary: array and NDJSON forms, indexes,
// duplicates, rejections and their quarantine, the unparseable array, server-made status events.
#include <gtest/gtest.h>

#include <string>

#include "tests/testing/http_client.h"
#include "tests/testing/tally_process.h"

namespace tally {
namespace {

using namespace std::chrono_literals;
using testing::HttpClient;
using testing::HttpReply;
using testing::JsonMemberRaw;
using testing::JsonMemberString;
using testing::JsonMemberUint;
using testing::TallyServer;
using testing::TempDir;

std::string Started(const std::string& store, const std::string& id, const std::string& conversation = "c1") {
  return R"({"event_id":")" + id + R"(","type":"conversation_started","store_id":")" + store +
         R"(","occurred_at":"2026-11-20T10:00:00Z","conversation_id":")" + conversation + R"(","customer_id":"u1"})";
}

class HttpEvents : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = TallyServer::Start(dir_.path());
    ASSERT_TRUE(server_);
  }
  void TearDown() override {
    if (server_) {
      EXPECT_EQ(server_->Stop(), 0);
    }
  }
  HttpReply Post(const std::string& target, const std::string& body) {
    return HttpClient(server_->http_port()).Post(target, body);
  }
  HttpReply Get(const std::string& target) { return HttpClient(server_->http_port()).Get(target); }

  TempDir dir_;
  std::unique_ptr<TallyServer> server_;
};

TEST_F(HttpEvents, ArrayFormReportsAcceptedDuplicatesAndRejectedByIndex) {
  std::string body =
      "[" + Started("s1", "e1") + ",\n " +
      R"({"event_id":"e2","type":"conversation_started","store_id":"s1","occurred_at":"2026-11-20T10:00:00Z"})" + "," +
      Started("s1", "e1", "other") + "," + Started("s1", "e3") + "]";
  HttpReply reply = Post("/v1/events", body);
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(JsonMemberUint(reply.body, "accepted"), 2u);
  EXPECT_EQ(JsonMemberUint(reply.body, "duplicates"), 1u);
  uint64_t first = JsonMemberUint(reply.body, "first_seq").value_or(0);
  EXPECT_EQ(first, 1u);
  EXPECT_EQ(JsonMemberUint(reply.body, "last_seq"), 2u);
  EXPECT_EQ(JsonMemberRaw(reply.body, "duplicate_of").value_or(""), R"([{"index":2,"seq":1}])");
  std::string rejected = JsonMemberRaw(reply.body, "rejected").value_or("");
  EXPECT_NE(rejected.find(R"("index":1,"event_id":"e2","code":"missing_field")"), std::string::npos) << rejected;

  // Sending it again: everything valid is now a duplicate of the first copies.
  HttpReply again = Post("/v1/events", body);
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(JsonMemberUint(again.body, "accepted"), 0u);
  EXPECT_EQ(JsonMemberRaw(again.body, "first_seq"), "null");
  EXPECT_EQ(JsonMemberRaw(again.body, "last_seq"), "null");
  EXPECT_EQ(JsonMemberRaw(again.body, "duplicate_of").value_or(""),
            R"([{"index":0,"seq":1},{"index":2,"seq":1},{"index":3,"seq":2}])");
}

TEST_F(HttpEvents, NdjsonIgnoresBlankLinesInIndexesAndRejectsBadLines) {
  std::string body = "\n" + Started("s1", "n1") + "\n\n   \n{not json}\r\n" + Started("s1", "n2") + "\n\n";
  HttpReply reply = Post("/v1/events", body);
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(JsonMemberUint(reply.body, "accepted"), 2u);
  std::string rejected = JsonMemberRaw(reply.body, "rejected").value_or("");
  EXPECT_NE(rejected.find(R"({"index":1,"event_id":null,"code":"malformed")"), std::string::npos) << rejected;

  HttpReply empty = Post("/v1/events", "\n\n");
  ASSERT_EQ(empty.status, 200);
  EXPECT_EQ(JsonMemberUint(empty.body, "accepted"), 0u);
}

// A body past 64 KiB is split and validated on the query threads instead of the HTTP io thread; its answer must
// be the same in every respect: 2 000 events, one bad line, one repeated event_id, each reported by its index.
TEST_F(HttpEvents, LargeBodiesAreAnsweredLikeSmallOnes) {
  std::string body;
  constexpr int kEvents = 2000;
  for (int i = 0; i < kEvents; ++i) {
    if (i == 700) {
      body += "{not json}\n";
    } else if (i == 1500) {
      body += Started("big", "b10", "again") + "\n";
    } else {
      body += Started("big", "b" + std::to_string(i), "c" + std::to_string(i)) + "\n";
    }
  }
  ASSERT_GT(body.size(), 64u * 1024);
  HttpReply reply = Post("/v1/events", body);
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(JsonMemberUint(reply.body, "accepted"), uint64_t{kEvents - 2});
  EXPECT_EQ(JsonMemberUint(reply.body, "duplicates"), 1u);
  EXPECT_EQ(JsonMemberUint(reply.body, "first_seq"), 1u);
  EXPECT_EQ(JsonMemberUint(reply.body, "last_seq"), uint64_t{kEvents - 2});
  EXPECT_EQ(JsonMemberRaw(reply.body, "duplicate_of").value_or(""), R"([{"index":1500,"seq":11}])");
  std::string rejected = JsonMemberRaw(reply.body, "rejected").value_or("");
  EXPECT_EQ(rejected.rfind(R"([{"index":700,"event_id":null,"code":"malformed")", 0), 0u) << rejected;
  EXPECT_EQ(rejected.find(R"("index")", 3), std::string::npos) << "one rejected event: " << rejected;
}

TEST_F(HttpEvents, RejectsAreVisibleInTheStoreQuarantineNewestFirst) {
  Post(
      "/v1/events",
      R"({"event_id":"q1","type":"conversation_started","store_id":"qs","occurred_at":"2026-11-20T10:00:00Z","customer_id":"u"})");
  Post(
      "/v1/events",
      R"({"event_id":"q2","type":"conversation_resolved","store_id":"qs","occurred_at":"1999-01-01T00:00:00Z","conversation_id":"c"})");
  HttpReply page = Get("/v1/stores/qs/rejected?limit=1");
  ASSERT_EQ(page.status, 200) << page.body;
  std::string rows = JsonMemberRaw(page.body, "rejected").value_or("");
  EXPECT_NE(rows.find(R"("code":"invalid_value")"), std::string::npos) << rows;
  EXPECT_NE(rows.find(R"(\"event_id\":\"q2\")"), std::string::npos) << rows;  // the raw bytes
  auto cursor = JsonMemberString(page.body, "next_cursor");
  ASSERT_TRUE(cursor) << page.body;
  HttpReply next = Get("/v1/stores/qs/rejected?limit=1&cursor=" + testing::UrlEncode(*cursor));
  ASSERT_EQ(next.status, 200) << next.body;
  EXPECT_NE(next.body.find(R"("code":"missing_field")"), std::string::npos) << next.body;
  EXPECT_EQ(JsonMemberRaw(next.body, "next_cursor"), "null");
}

TEST_F(HttpEvents, UnparseableArrayIs400AndQuarantinedOnce) {
  std::string body = "[" + Started("s1", "a1") + ", {\"broken\": ]";
  HttpReply reply = Post("/v1/events", body);
  EXPECT_EQ(reply.status, 400);
  auto error = JsonMemberRaw(reply.body, "error");
  ASSERT_TRUE(error) << reply.body;
  EXPECT_EQ(JsonMemberString(*error, "code"), "malformed");

  HttpReply global = Get("/v1/admin/rejected");
  ASSERT_EQ(global.status, 200) << global.body;
  std::string rows = JsonMemberRaw(global.body, "rejected").value_or("");
  size_t count = 0;
  for (size_t at = rows.find("\"received_at\""); at != std::string::npos; at = rows.find("\"received_at\"", at + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 1u) << rows;
  EXPECT_NE(rows.find("broken"), std::string::npos);
  // Nothing of it was appended.
  EXPECT_EQ(JsonMemberUint(Get("/v1/admin/status").body, "log_head"), 0u);
}

TEST_F(HttpEvents, ContentGapStatusAppendsAServerMadeEvent) {
  std::string hit =
      R"({"event_id":"k1","type":"knowledge_retrieved","store_id":"g1","occurred_at":"2026-11-20T10:00:00Z",)"
      R"("conversation_id":"c","query":"how do I reset?","topic":"Password reset","confidence":0.1})";
  ASSERT_EQ(Post("/v1/events", hit).status, 200);
  HttpReply changed = Post("/v1/stores/g1/content_gaps/Password%20reset/status", R"({"status":"in_progress"})");
  ASSERT_EQ(changed.status, 200) << changed.body;
  uint64_t seq = JsonMemberUint(changed.body, "seq").value_or(0);
  EXPECT_EQ(seq, 2u) << changed.body;
  HttpReply gaps = Get("/v1/stores/g1/content_gaps?min_seq=" + std::to_string(seq));
  ASSERT_EQ(gaps.status, 200) << gaps.body;
  EXPECT_NE(gaps.body.find(R"("status":"in_progress")"), std::string::npos) << gaps.body;
  EXPECT_GE(JsonMemberUint(gaps.body, "as_of_seq").value_or(0), seq);
}

TEST_F(HttpEvents, ContentGapStatusRejectsBadBodies) {
  for (std::string body :
       {"", "{}", R"({"status":"closed"})", R"({"status":1})", R"({"status":"resolved","x":1})", "[1]"}) {
    HttpReply reply = Post("/v1/stores/g1/content_gaps/topic/status", body);
    EXPECT_EQ(reply.status, 400) << body << " -> " << reply.body;
    EXPECT_NE(reply.body.find("bad_parameter"), std::string::npos) << reply.body;
  }
  HttpReply long_topic =
      Post("/v1/stores/g1/content_gaps/" + std::string(129, 't') + "/status", R"({"status":"resolved"})");
  EXPECT_EQ(long_topic.status, 400) << long_topic.body;
  // None of these reached the log or a quarantine.
  EXPECT_EQ(JsonMemberUint(Get("/v1/admin/status").body, "log_head"), 0u);
  EXPECT_EQ(JsonMemberRaw(Get("/v1/stores/g1/rejected").body, "rejected"), "[]");
}

}  // namespace
}  // namespace tally
