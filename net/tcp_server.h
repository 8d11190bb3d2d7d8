// TcpServer: the Cap'n Proto ingest endpoint (CONTRACT §2.1). Accepts connections on a shared io_context; each
// connection runs on its own strand and speaks Hello → Welcome, then pipelined Batches answered by Acks in
// batch order once durable (see docs/protocol.md).
//
// Limits (TcpServerOptions) protect the server: a frame larger than max_frame_bytes is refused from its segment
// table before anything is allocated; a connection with max_unacked_batches batches not yet acknowledged is not
// read from until acks drain (backpressure: nothing is buffered without bound); beyond max_connections a new
// connection gets an Error and is closed; a connection that sends nothing (and has nothing in flight) for
// idle_timeout, or does not complete the Hello within handshake_timeout, is closed with an Error. A broken
// connection never affects the server or other connections.
//
// Threading: Start/Stop/port/open_connections may be called from any thread. The Ingest and Auth must outlive
// the io_context's last handler.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "core/status.h"
#include "net/auth.h"
#include "net/ingest.h"
#include "net/metrics.h"

namespace tally::net {

struct TcpServerOptions {
  size_t max_frame_bytes = 16 * 1024 * 1024;
  size_t max_events_per_batch = 10'000;
  size_t max_unacked_batches = 64;
  size_t max_connections = 1'024;
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds handshake_timeout{10'000};
  std::string server_version = "0.1.0";
};

struct TcpShared;

class TcpServer {
 public:
  TcpServer(boost::asio::io_context& io, Ingest& ingest, std::shared_ptr<const Auth> auth, MetricsRegistry& metrics,
            TcpServerOptions options = {});
  ~TcpServer();
  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  // Binds host:port (port 0 picks a free port) and starts accepting. kIoError when the address is unusable.
  Status Start(const std::string& host, uint16_t port);
  uint16_t port() const { return port_; }

  // Stops accepting. Every connection stops reading, sends the acks of the batches it already received once
  // they are durable, then closes. Safe to call more than once.
  void Stop();
  size_t open_connections() const;

 private:
  struct Acceptor;
  std::shared_ptr<TcpShared> shared_;
  std::shared_ptr<Acceptor> acceptor_;
  uint16_t port_ = 0;
};

}  // namespace tally::net
