// A producer for crash tests: pushes a fixed, seeded stream of events over TCP (Cap'n Proto) or HTTP (NDJSON
// POST) one batch at a time and, whenever
// the connection breaks before a batch is acknowledged, reconnects to the next server incarnation and sends the
// same batch again — the retry rule of CONTRACT §2.1 point 4. It records the sequence every acknowledged event
// got, so a test can check the log afterwards: acknowledged events present exactly once at their seq.
//
// Threading: Run() on one thread per producer; the ServerAddress board is shared with the test's controller.
#pragma once

#include <atomic>
#include <cstdio>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/event_codec.h"
#include "net/tcp_client.h"
#include "tests/processors/random_events.h"
#include "tests/testing/http_client.h"
#include "tests/testing/ingest_helpers.h"

namespace tally::reliability {

// Where the server currently listens. The controller publishes a new generation after each (re)start and
// clears the address before a kill; producers whose connection broke wait for a newer generation.
class ServerAddress {
 public:
  void Publish(const std::string& address, uint16_t http_port) {
    std::lock_guard<std::mutex> lock(mu_);
    address_ = address;
    http_port_ = http_port;
    ++generation_;
    cv_.notify_all();
  }
  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    address_.clear();
  }
  void Stop() {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    cv_.notify_all();
  }
  // Waits (up to timeout) for a published address of a generation newer than `after`. False when stopped or
  // the deadline passed.
  bool WaitNewer(uint64_t after, std::string* address, uint16_t* http_port, uint64_t* generation,
                 std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    bool ok = cv_.wait_for(lock, timeout, [&] { return stopped_ || (generation_ > after && !address_.empty()); });
    if (!ok || stopped_) return false;
    *address = address_;
    *http_port = http_port_;
    *generation = generation_;
    return true;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::string address_;
  uint16_t http_port_ = 0;
  uint64_t generation_ = 0;
  bool stopped_ = false;
};

struct SentEvent {
  std::string key;  // store_id + "/" + event_id
  std::string json;
};

enum class Transport { kTcp, kHttp };

class RetryingProducer {
 public:
  RetryingProducer(int id, Transport transport, uint32_t seed, size_t events, size_t batch_size)
      : id_(id), transport_(transport) {
    testing::RandomEvents random(seed);
    std::vector<SentEvent> batch;
    for (Event& e : random.Make(events)) {
      e.event_id = "p" + std::to_string(id) + "-" + e.event_id;
      batch.push_back({e.store_id + "/" + e.event_id, EventToJson(e)});
      if (batch.size() == batch_size) batches_.push_back(std::move(batch)), batch.clear();
    }
    if (!batch.empty()) batches_.push_back(std::move(batch));
  }

  // Sends every batch until each one is acknowledged (or the board stops). Failures of the protocol itself
  // (a rejection, an ack that does not add up, a seq that changes between retries) are recorded in errors().
  void Run(ServerAddress* board) {
    uint64_t generation = 0;
    std::unique_ptr<net::TcpClient> client;
    std::unique_ptr<testing::HttpClient> http;
    while (next_ < batches_.size()) {
      if (!client && !http) {
        std::string address;
        uint16_t http_port = 0;
        if (!board->WaitNewer(generation, &address, &http_port, &generation, std::chrono::seconds(120))) return;
        if (transport_ == Transport::kHttp) {
          http = std::make_unique<testing::HttpClient>(http_port, std::chrono::seconds(30));
        } else if (!(client = Connect(address))) {
          continue;  // this incarnation died already; wait for the next one
        }
      }
      // Unacknowledged: the same batch goes again on a new connection.
      if (transport_ == Transport::kHttp ? !PostOne(*http) : !SendOne(*client)) client.reset(), http.reset();
    }
  }

  bool done() const { return next_.load() == batches_.size(); }
  size_t acked_batches() const { return next_.load(); }
  uint64_t retries() const { return retries_.load(); }
  const std::map<std::string, uint64_t>& acked() const { return acked_; }
  const std::vector<std::string>& errors() const { return errors_; }
  std::vector<std::string> AllKeys() const {
    std::vector<std::string> keys;
    for (const auto& batch : batches_) {
      for (const SentEvent& e : batch) keys.push_back(e.key);
    }
    return keys;
  }

 private:
  std::unique_ptr<net::TcpClient> Connect(const std::string& address) {
    auto client = net::TcpClient::Connect(address);
    if (!client.ok()) return nullptr;
    if (!(*client)->Handshake("", "kill-loop-" + std::to_string(id_)).ok()) return nullptr;
    return std::move(client.value());
  }

  bool SendOne(net::TcpClient& client) {
    const std::vector<SentEvent>& batch = batches_[next_];
    std::vector<std::string> json;
    for (const SentEvent& e : batch) json.push_back(e.json);
    auto message = testing::BatchMessage(++batch_seq_, json);
    ++attempts_[next_];
    if (attempts_[next_] > 1) retries_.fetch_add(1);
    if (!client.Send(*message).ok()) return false;
    testing::Reply reply = testing::ReadReply(client, 30'000);
    if (reply.kind != testing::Reply::kAck) return false;
    Record(batch, reply);
    next_.fetch_add(1);
    return true;
  }

  // POST /v1/events with the batch as NDJSON; the 200 answer is the ack. A 503 (queue full) is retried on the
  // same server; anything else without an answer means the server went away.
  bool PostOne(testing::HttpClient& http) {
    std::string body;
    for (const SentEvent& e : batches_[next_]) body += e.json + "\n";
    if (++attempts_[next_] > 1) retries_.fetch_add(1);
    testing::HttpReply reply = http.Post("/v1/events", body);
    for (int i = 0; i < 100 && reply.status == 503; ++i) reply = http.Post("/v1/events", body);
    if (reply.status != 200) return Unexpected(reply);
    testing::Reply ack;
    ack.kind = testing::Reply::kAck;
    ack.first_seq = testing::JsonMemberUint(reply.body, "first_seq").value_or(0);
    ack.last_seq = testing::JsonMemberUint(reply.body, "last_seq").value_or(0);
    ack.accepted = static_cast<uint32_t>(testing::JsonMemberUint(reply.body, "accepted").value_or(0));
    std::string dups = testing::JsonMemberRaw(reply.body, "duplicate_of").value_or("");
    for (size_t at = dups.find("{\"index\":"); at != std::string::npos; at = dups.find("{\"index\":", at + 1)) {
      unsigned long long index = 0, seq = 0;
      if (std::sscanf(dups.c_str() + at, "{\"index\":%llu,\"seq\":%llu", &index, &seq) == 2) {
        ack.duplicates.emplace_back(static_cast<uint32_t>(index), seq);
      }
    }
    if (testing::JsonMemberRaw(reply.body, "rejected").value_or("[]") != "[]") errors_.push_back(reply.body);
    Record(batches_[next_], ack);
    next_.fetch_add(1);
    return true;
  }

  // No answer (status 0) is the server going away; any other status for a valid batch is a bug.
  bool Unexpected(const testing::HttpReply& reply) {
    if (reply.status != 0) errors_.push_back(std::to_string(reply.status) + " for a valid batch: " + reply.body);
    return false;
  }

  void Record(const std::vector<SentEvent>& batch, const testing::Reply& reply) {
    std::vector<bool> is_duplicate(batch.size(), false);
    for (const auto& [index, seq] : reply.duplicates) {
      if (index >= batch.size()) {
        errors_.push_back("duplicate index out of range");
        continue;
      }
      is_duplicate[index] = true;
      Expect(batch[index].key, seq);
    }
    for (const auto& r : reply.rejected) errors_.push_back("rejected " + r.event_id + ": " + r.code + " " + r.message);
    uint64_t seq = reply.first_seq;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!is_duplicate[i]) Expect(batch[i].key, seq++);
    }
    if (reply.accepted > 0 && seq != reply.last_seq + 1) errors_.push_back("ack seqs do not add up");
  }

  // An event acknowledged twice (a retry of a batch whose first ack was lost, or a repeated id) must carry the
  // same seq both times: the first copy's.
  void Expect(const std::string& key, uint64_t seq) {
    auto [it, inserted] = acked_.emplace(key, seq);
    if (!inserted && it->second != seq) {
      errors_.push_back(key + " acknowledged at seq " + std::to_string(it->second) + " and later at " +
                        std::to_string(seq));
    }
  }

  int id_;
  Transport transport_;
  std::vector<std::vector<SentEvent>> batches_;
  std::map<size_t, int> attempts_;
  std::atomic<size_t> next_{0};
  std::atomic<uint64_t> retries_{0};
  uint64_t batch_seq_ = 0;
  std::map<std::string, uint64_t> acked_;
  std::vector<std::string> errors_;
};

}  // namespace tally::reliability
