// HttpServer: an asynchronous HTTP/1.1 server on Boost.Beast, running on a shared io_context (no thread per
// connection). It knows no routes: each complete request goes to an HttpHandler, which answers through a
// Responder from any thread, now or later (after a durable append, a view catching up, a worker-pool query).
//
// Protection (CONTRACT §4, the brief's limits): request header and body limits (413 `too_large`), a header
// read timeout against slow-header clients, an idle timeout between keep-alive requests, a body read timeout,
// a write timeout, a maximum number of open connections (503 `unavailable` beyond it). A request that does
// not parse gets 400 and the connection is closed. A handler that throws or never answers gets a 500
// `internal`: nothing escapes an Asio handler and the other connections carry on.
//
// Threading: each connection runs on its own strand; Start/Stop/port are safe from any thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "net/http_message.h"

namespace tally::net {

// Called exactly once per request with its response; may be called from any thread.
using Responder = std::function<void(HttpResponse)>;

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // May answer synchronously (calling respond before returning) or later. Exceptions are caught by the
  // server and turned into a 500.
  virtual void Handle(HttpRequest request, Responder respond) = 0;
};

struct HttpServerOptions {
  size_t header_limit = 64 * 1024;
  size_t body_limit = 16 * 1024 * 1024;
  // From the first byte of a request to the end of its header: bounds slow-header (slowloris) clients.
  std::chrono::milliseconds header_timeout{10'000};
  // Waiting for the next request on a keep-alive connection (and for the first one).
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds body_timeout{60'000};
  std::chrono::milliseconds write_timeout{60'000};
  size_t max_connections = 1024;
  // Where BodyStream::Next runs (it may block on storage reads). Empty: on the connection's strand.
  std::function<void(std::function<void()>)> offload;
};

class HttpServer {
 public:
  // handler must outlive every connection, i.e. stay alive until the io_context has stopped running. The
  // io_context may be run by any number of threads.
  HttpServer(boost::asio::io_context& io, HttpHandler& handler, HttpServerOptions options = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting ("127.0.0.1", 0 picks a free port). kIoError when the address is unusable.
  Status Start(const std::string& address, uint16_t port);
  // The bound port (after Start).
  uint16_t port() const { return port_; }
  // Stops accepting and closes idle connections; a request being handled still gets its answer, then its
  // connection closes. Safe to call more than once.
  void Stop();

  size_t open_connections() const;

  // Shared with the connections, which may outlive the server object by their last write.
  struct State;

 private:
  std::shared_ptr<State> state_;
  uint16_t port_ = 0;
};

}  // namespace tally::net
