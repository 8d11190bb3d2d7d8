// One HTTP connection of HttpServer (private to net/). Reads requests one at a time (pipelined bytes wait in
// the buffer), hands each to the HttpHandler, writes its answer, and keeps the connection alive when both
// sides want it. All its work runs on the connection's strand.
#pragma once

#include <atomic>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "net/http_server.h"

namespace tally::net {

class HttpSession;

struct HttpServer::State {
  explicit State(boost::asio::io_context& io_context) : io(io_context), acceptor(io_context) {}
  // Accepts connections until the acceptor is closed. Runs on the io_context.
  static void Accept(std::shared_ptr<State> state);

  boost::asio::io_context& io;
  boost::asio::ip::tcp::acceptor acceptor;  // touched only on the io_context (Start is before run)
  HttpHandler* handler = nullptr;
  HttpServerOptions options;
  std::atomic<size_t> open{0};
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::unordered_map<HttpSession*, std::weak_ptr<HttpSession>> sessions;
};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket socket, std::shared_ptr<HttpServer::State> state);
  ~HttpSession();

  // over_limit: the server is at max_connections; answer 503 and close.
  void Start(bool over_limit);
  // From HttpServer::Stop (any thread): close now if idle, else after the current answer.
  void Shutdown();

 private:
  class ResponderGuard;

  void WaitForRequest();
  void ReadHeader();
  void OnHeader(boost::beast::error_code ec);
  void ReadBody();
  void OnBody(boost::beast::error_code ec);
  void Dispatch();
  void Send(HttpResponse response);
  void SendWhole(HttpResponse response);
  void SendStreamed(HttpResponse response);
  void NextPiece(std::shared_ptr<BodyStream> body);
  void WritePiece(std::shared_ptr<BodyStream> body, Status status, bool last);
  void AfterResponse(boost::beast::error_code ec);
  void FailAndClose(Code code, std::string_view message);
  void CloseGracefully();
  void Drain();
  void CloseNow();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::shared_ptr<HttpServer::State> state_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool waiting_for_request_ = false;  // no request in progress: Shutdown may close at once
  bool chunked_ = false;
  std::string piece_;  // the streamed piece being written
  std::unique_ptr<char[]> drain_buf_;
  size_t drained_ = 0;
};

}  // namespace tally::net
