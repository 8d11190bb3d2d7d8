// Helpers for ingest tests: valid JSON events, NDJSON files, and Cap'n Proto batches for a raw TCP client.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <capnp/message.h>

#include "net/tcp_client.h"

namespace tally::testing {

// A valid conversation_started event for (store, event_id), as one JSON line (no newline).
std::string StartedEvent(const std::string& store, const std::string& event_id,
                         const std::string& occurred_at = "2026-11-20T10:00:00Z");
// n valid events for store with ids prefix0..prefix{n-1}, joined as NDJSON (trailing newline).
std::string Ndjson(const std::string& store, const std::string& prefix, size_t n);

// A ClientMessage Batch holding the JSON events converted to wire events.
std::unique_ptr<capnp::MallocMessageBuilder> BatchMessage(uint64_t batch_seq, const std::vector<std::string>& json,
                                                          const std::string& sent_at = "");
std::unique_ptr<capnp::MallocMessageBuilder> HelloMessage(const std::string& token, uint32_t version = 1);

// Connects and completes the handshake; nullptr (with a gtest failure) otherwise.
std::unique_ptr<net::TcpClient> ConnectAndHello(const std::string& address, const std::string& token = "");

// The next server message: kEnd at end of stream, kTimeout when nothing came within timeout_ms (or the
// stream broke).
struct Reply {
  enum Kind { kEnd, kTimeout, kWelcome, kAck, kError } kind = kEnd;
  uint64_t batch_seq = 0, first_seq = 0, last_seq = 0;
  uint32_t accepted = 0;
  std::vector<std::pair<uint32_t, uint64_t>> duplicates;  // index, seq
  struct Rejected {
    uint32_t index;
    std::string event_id, code, message;
  };
  std::vector<Rejected> rejected;
  std::string error_code, error_message;
};
Reply ReadReply(net::TcpClient& client, int timeout_ms = 10'000);

// Parses "accepted N duplicates N rejected N" from tally push's output; false when absent.
bool ParsePushSummary(const std::string& out, uint64_t* accepted, uint64_t* duplicates, uint64_t* rejected);

}  // namespace tally::testing
