#include "net/tcp_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <spdlog/spdlog.h>

#include "net/tcp_connection.h"

namespace tally::net {

namespace asio = boost::asio;
using asio::ip::tcp;

// The acceptor lives on its own strand and is shared with its pending accept handler, so Stop from another
// thread and a completing accept never race.
struct TcpServer::Acceptor : std::enable_shared_from_this<TcpServer::Acceptor> {
  Acceptor(asio::io_context& io_in, std::shared_ptr<TcpShared> shared_in)
      : io(io_in), strand(asio::make_strand(io_in)), acceptor(strand), shared(std::move(shared_in)) {}

  void Accept() {
    acceptor.async_accept(asio::make_strand(io), [self = shared_from_this()](const boost::system::error_code& ec,
                                                                             tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
      if (!ec) self->Admit(std::move(socket));
      self->Accept();
    });
  }

  void Admit(tcp::socket socket) {
    // The new connection counts itself as open from construction; compare before creating it.
    bool full = shared->open.load() >= shared->options.max_connections;
    auto connection = std::make_shared<TcpConnection>(std::move(socket), shared);
    asio::post(connection->executor(), [connection, full, max = shared->options.max_connections] {
      if (full) {
        connection->Refuse(tcp_error::kTooManyConnections,
                           "the server already has " + std::to_string(max) + " connections");
      } else {
        connection->Start();
      }
    });
  }

  asio::io_context& io;
  asio::strand<asio::io_context::executor_type> strand;
  tcp::acceptor acceptor;
  std::shared_ptr<TcpShared> shared;
};

TcpServer::TcpServer(asio::io_context& io, Ingest& ingest, std::shared_ptr<const Auth> auth,
                     MetricsRegistry& metrics, TcpServerOptions options)
    : shared_(std::make_shared<TcpShared>(ingest, std::move(auth), metrics, std::move(options))),
      acceptor_(std::make_shared<Acceptor>(io, shared_)) {}

TcpServer::~TcpServer() { Stop(); }

Status TcpServer::Start(const std::string& host, uint16_t port) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) return Status(Code::kBadParameter, "bad TCP listen address \"" + host + "\": " + ec.message());
  tcp::endpoint endpoint(address, port);
  tcp::acceptor& acceptor = acceptor_->acceptor;
  if (acceptor.open(endpoint.protocol(), ec); ec) return Status(Code::kIoError, "tcp open: " + ec.message());
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (acceptor.bind(endpoint, ec); ec) {
    return Status(Code::kIoError, "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  }
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return Status(Code::kIoError, "tcp listen: " + ec.message());
  }
  port_ = acceptor.local_endpoint(ec).port();
  asio::post(acceptor_->strand, [acceptor = acceptor_] { acceptor->Accept(); });
  return Status::Ok();
}

void TcpServer::Stop() {
  std::vector<std::shared_ptr<TcpConnection>> connections;
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    if (shared_->stopping) return;
    shared_->stopping = true;
    for (auto& [ptr, weak] : shared_->connections) {
      if (auto connection = weak.lock()) connections.push_back(std::move(connection));
    }
  }
  asio::post(acceptor_->strand, [acceptor = acceptor_] {
    boost::system::error_code ec;
    acceptor->acceptor.close(ec);
  });
  for (auto& connection : connections) {
    asio::post(connection->executor(), [connection] { connection->Drain(); });
  }
}

size_t TcpServer::open_connections() const { return shared_->open.load(); }

}  // namespace tally::net
