// TcpClient: a blocking Cap'n Proto ingest client (the producer side of docs/protocol.md), used by
// `tally push`, load generators and tests. One thread may send while another receives (the usual pipelining
// shape: a sender keeps up to N batches in flight, a receiver consumes Acks in order).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <capnp/message.h>
#include <kj/io.h>

#include "core/status.h"
#include "core/tally.capnp.h"

namespace tally::net {

// One server message, owning its bytes.
struct ServerReply {
  std::unique_ptr<capnp::MallocMessageBuilder> copy;
  wire::ServerMessage::Reader message() const { return copy->getRoot<wire::ServerMessage>().asReader(); }
};

class TcpClient {
 public:
  ~TcpClient();
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;

  // Connects to HOST:PORT. kIoError when unreachable, kBadParameter for a bad address.
  static Result<std::unique_ptr<TcpClient>> Connect(const std::string& address);

  // Sends Hello and waits for the answer. kUnauthorized / kUnavailable / ... with "code: message" from the
  // server's Error, kIoError when the connection fails. On ok, the server's version.
  Result<std::string> Handshake(std::string_view token, std::string_view producer_id);

  // Sends one ClientMessage. kIoError when the connection is broken. Thread-compatible with Receive (one
  // sender thread, one receiver thread).
  Status Send(capnp::MessageBuilder& message);
  // Sends raw bytes (tests: garbage, partial frames).
  Status SendRaw(std::string_view bytes);
  // The next server message; nullopt at end of stream. kIoError / kMalformed on a broken stream.
  Result<std::optional<ServerReply>> Receive();

  // Receive gives kIoError when nothing arrives for this long (0: wait forever).
  void SetReceiveTimeout(int timeout_ms);
  // Half-closes the sending side: the server answers what it received, then closes.
  void ShutdownSend();
  int fd() const { return fd_; }

 private:
  explicit TcpClient(int fd);

  int fd_;
  kj::FdInputStream input_;
  std::unique_ptr<kj::BufferedInputStreamWrapper> buffered_;
};

}  // namespace tally::net
