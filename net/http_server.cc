#include "net/http_server.h"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "net/http_session.h"

namespace tally::net {

namespace asio = boost::asio;
using tcp = boost::asio::ip::tcp;

HttpServer::HttpServer(asio::io_context& io, HttpHandler& handler, HttpServerOptions options)
    : state_(std::make_shared<State>(io)) {
  state_->handler = &handler;
  state_->options = std::move(options);
}

HttpServer::~HttpServer() { Stop(); }

size_t HttpServer::open_connections() const { return state_->open.load(); }

Status HttpServer::Start(const std::string& address, uint16_t port) {
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(address, ec);
  if (ec) return Status(Code::kIoError, "bad HTTP listen address '" + address + "': " + ec.message());
  tcp::endpoint endpoint(ip, port);
  tcp::acceptor& acceptor = state_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status(Code::kIoError,
                  "cannot listen for HTTP on " + address + ":" + std::to_string(port) + ": " + ec.message());
  }
  port_ = acceptor.local_endpoint().port();
  asio::post(state_->io, [state = state_] { State::Accept(state); });
  return Status::Ok();
}

void HttpServer::Stop() {
  if (state_->stopping.exchange(true)) return;
  // The acceptor belongs to the accept loop on the io_context: close it there.
  asio::post(state_->io, [state = state_] {
    boost::system::error_code ignored;
    state->acceptor.close(ignored);
  });
  std::vector<std::shared_ptr<HttpSession>> open;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    for (auto& [ptr, weak] : state_->sessions) {
      if (auto session = weak.lock()) open.push_back(std::move(session));
    }
  }
  for (auto& session : open) session->Shutdown();
}

void HttpServer::State::Accept(std::shared_ptr<State> state) {
  if (state->stopping.load() || !state->acceptor.is_open()) return;
  state->acceptor.async_accept(asio::make_strand(state->io), [state](boost::system::error_code ec, tcp::socket socket) {
    if (state->stopping.load()) return;
    if (!ec) {
      // Answers are one write each: without TCP_NODELAY a small answer after a larger one waits for the
      // client's delayed ACK (Nagle), ~40 ms on Linux.
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      bool over_limit = state->open.load() >= state->options.max_connections;
      auto session = std::make_shared<HttpSession>(std::move(socket), state);
      {
        std::lock_guard<std::mutex> lock(state->mu);
        state->sessions.emplace(session.get(), session);
      }
      session->Start(over_limit);
    }
    // An accept error (e.g. out of file descriptors) concerns one connection; keep accepting.
    if (ec != asio::error::operation_aborted) Accept(state);
  });
}

}  // namespace tally::net
