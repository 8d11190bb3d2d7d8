#include "tests/testing/ingest_helpers.h"

#include <cstdio>

#include <gtest/gtest.h>

#include "core/event_codec.h"

namespace tally::testing {

std::string StartedEvent(const std::string& store, const std::string& event_id, const std::string& occurred_at) {
  return R"({"event_id":")" + event_id + R"(","type":"conversation_started","store_id":")" + store +
         R"(","occurred_at":")" + occurred_at + R"(","conversation_id":"c-)" + event_id +
         R"(","customer_id":"cust-1"})";
}

std::string Ndjson(const std::string& store, const std::string& prefix, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += StartedEvent(store, prefix + std::to_string(i)) + "\n";
  return out;
}

std::unique_ptr<capnp::MallocMessageBuilder> BatchMessage(uint64_t batch_seq, const std::vector<std::string>& json,
                                                          const std::string& sent_at) {
  auto message = std::make_unique<capnp::MallocMessageBuilder>();
  auto batch = message->initRoot<wire::ClientMessage>().initBatch();
  batch.setBatchSeq(batch_seq);
  if (!sent_at.empty()) batch.setSentAt(sent_at);
  auto events = batch.initEvents(static_cast<unsigned>(json.size()));
  for (size_t i = 0; i < json.size(); ++i) {
    Status s = JsonToWireEvent(json[i], events[static_cast<unsigned>(i)]);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  return message;
}

std::unique_ptr<capnp::MallocMessageBuilder> HelloMessage(const std::string& token, uint32_t version) {
  auto message = std::make_unique<capnp::MallocMessageBuilder>();
  auto hello = message->initRoot<wire::ClientMessage>().initHello();
  hello.setProtocolVersion(version);
  hello.setProducerId("test");
  if (!token.empty()) hello.setToken(token);
  return message;
}

std::unique_ptr<net::TcpClient> ConnectAndHello(const std::string& address, const std::string& token) {
  auto client = net::TcpClient::Connect(address);
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  if (!client.ok()) return nullptr;
  auto welcome = (*client)->Handshake(token, "test");
  EXPECT_TRUE(welcome.ok()) << welcome.status().ToString();
  if (!welcome.ok()) return nullptr;
  return std::move(client.value());
}

namespace {

void CopyAck(wire::Ack::Reader ack, Reply* reply) {
  reply->kind = Reply::kAck;
  reply->batch_seq = ack.getBatchSeq();
  reply->first_seq = ack.getFirstSeq();
  reply->last_seq = ack.getLastSeq();
  reply->accepted = ack.getAccepted();
  for (auto d : ack.getDuplicates()) reply->duplicates.emplace_back(d.getIndex(), d.getSeq());
  for (auto r : ack.getRejected()) {
    reply->rejected.push_back({r.getIndex(), r.getEventId().cStr(), r.getCode().cStr(), r.getMessage().cStr()});
  }
}

}  // namespace

Reply ReadReply(net::TcpClient& client, int timeout_ms) {
  Reply reply;
  client.SetReceiveTimeout(timeout_ms);
  auto received = client.Receive();
  if (!received.ok()) {
    reply.kind = Reply::kTimeout;
    reply.error_message = received.status().message();
    return reply;
  }
  if (!received->has_value()) return reply;
  auto message = (*received)->message();
  if (message.isWelcome()) {
    reply.kind = Reply::kWelcome;
  } else if (message.isAck()) {
    CopyAck(message.getAck(), &reply);
  } else if (message.isError()) {
    reply.kind = Reply::kError;
    reply.error_code = message.getError().getCode().cStr();
    reply.error_message = message.getError().getMessage().cStr();
  }
  return reply;
}

bool ParsePushSummary(const std::string& out, uint64_t* accepted, uint64_t* duplicates, uint64_t* rejected) {
  size_t pos = out.rfind("accepted ");
  if (pos == std::string::npos) return false;
  unsigned long long a = 0, d = 0, r = 0;
  if (std::sscanf(out.c_str() + pos, "accepted %llu duplicates %llu rejected %llu", &a, &d, &r) != 3) return false;
  *accepted = a;
  *duplicates = d;
  *rejected = r;
  return true;
}

}  // namespace tally::testing
