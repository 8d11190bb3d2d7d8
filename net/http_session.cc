#include "net/http_session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <exception>

namespace tally::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {
constexpr size_t kDrainLimit = 64 * 1024 * 1024;
constexpr std::chrono::seconds kDrainTimeout{5};
constexpr size_t kDrainBufferBytes = 64 * 1024;
}  // namespace

// Hands the handler a one-shot responder. Whatever thread answers, the answer is posted to the strand; if the
// handler drops every copy without answering, the guard answers 500 so the client is never left hanging.
class HttpSession::ResponderGuard {
 public:
  explicit ResponderGuard(std::shared_ptr<HttpSession> session) : session_(std::move(session)) {}
  ~ResponderGuard() {
    if (!answered_.exchange(true)) Post(ErrorResponse(Code::kInternal, "the request was not answered"));
  }
  void Respond(HttpResponse response) {
    if (answered_.exchange(true)) return;
    Post(std::move(response));
  }

 private:
  // dispatch: an answer given on the connection's strand (a cache hit) is sent at once, without a queue trip.
  void Post(HttpResponse response) {
    auto session = session_;
    asio::dispatch(session->stream_.get_executor(),
               [session, response = std::move(response)]() mutable { session->Send(std::move(response)); });
  }

  std::shared_ptr<HttpSession> session_;
  std::atomic<bool> answered_{false};
};

HttpSession::HttpSession(tcp::socket socket, std::shared_ptr<HttpServer::State> state)
    : stream_(std::move(socket)), state_(std::move(state)) {
  state_->open.fetch_add(1);
}

HttpSession::~HttpSession() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->sessions.erase(this);
  }
  state_->open.fetch_sub(1);
}

void HttpSession::Start(bool over_limit) {
  asio::dispatch(stream_.get_executor(), [self = shared_from_this(), over_limit] {
    if (over_limit) {
      self->FailAndClose(Code::kUnavailable, "too many open connections");
      return;
    }
    self->WaitForRequest();
  });
}

void HttpSession::Shutdown() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    self->keep_alive_ = false;
    if (self->waiting_for_request_) self->CloseNow();
  });
}

// Waits for the first byte of the next request under the idle timeout, then reads its header under the
// (shorter) header timeout, so a keep-alive connection may sit quietly but a trickling header may not.
void HttpSession::WaitForRequest() {
  waiting_for_request_ = true;
  if (state_->stopping.load()) return CloseNow();
  if (buffer_.size() > 0) return ReadHeader();  // a pipelined request is already here
  stream_.expires_after(state_->options.idle_timeout);
  stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, size_t n) {
    if (ec) return self->CloseNow();
    self->buffer_.commit(n);
    self->ReadHeader();
  });
}

void HttpSession::ReadHeader() {
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(state_->options.header_limit));
  parser_->body_limit(state_->options.body_limit);
  stream_.expires_after(state_->options.header_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
}

void HttpSession::OnHeader(beast::error_code ec) {
  waiting_for_request_ = false;
  if (ec == http::error::body_limit) return FailAndClose(Code::kTooLarge, "request body exceeds 16 MiB");
  if (ec == http::error::header_limit) return FailAndClose(Code::kTooLarge, "request header too large");
  if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == asio::error::eof ||
      ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
    return CloseNow();
  }
  if (ec) return FailAndClose(Code::kBadParameter, "malformed HTTP request: " + ec.message());
  version_ = parser_->get().version();
  auto expect = parser_->get()[http::field::expect];
  if (beast::iequals(expect, "100-continue") && !parser_->is_done()) {
    // Clients like curl wait for this before sending a large body.
    auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, version_);
    stream_.expires_after(state_->options.write_timeout);
    http::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code wec, size_t) {
      if (wec) return self->CloseNow();
      self->ReadBody();
    });
    return;
  }
  ReadBody();
}

void HttpSession::ReadBody() {
  stream_.expires_after(state_->options.body_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
}

void HttpSession::OnBody(beast::error_code ec) {
  if (ec == http::error::body_limit) return FailAndClose(Code::kTooLarge, "request body exceeds 16 MiB");
  if (ec == beast::error::timeout || ec == asio::error::operation_aborted) return CloseNow();
  if (ec) return FailAndClose(Code::kBadParameter, "malformed HTTP request: " + ec.message());
  keep_alive_ = parser_->get().keep_alive() && !state_->stopping.load();
  Dispatch();
}

void HttpSession::Dispatch() {
  stream_.expires_never();  // the handler may take a while (min_seq waits, durable appends)
  auto guard = std::make_shared<ResponderGuard>(shared_from_this());
  Responder respond = [guard](HttpResponse response) { guard->Respond(std::move(response)); };
  HttpRequest request = parser_->release();
  parser_.reset();
  try {
    state_->handler->Handle(std::move(request), respond);
  } catch (const std::exception& e) {
    respond(ErrorResponse(Code::kInternal, std::string("internal error: ") + e.what()));
  } catch (...) {
    respond(ErrorResponse(Code::kInternal, "internal error"));
  }
}

void HttpSession::Send(HttpResponse response) {
  if (state_->stopping.load()) keep_alive_ = false;
  if (response.stream) return SendStreamed(std::move(response));
  SendWhole(std::move(response));
}

void HttpSession::SendWhole(HttpResponse response) {
  stream_.expires_after(state_->options.write_timeout);
  if (response.wire && version_ == 11 && keep_alive_) {
    // Already serialized (a cached answer): one write of shared bytes, no serializer, no copy.
    auto wire = std::move(response.wire);
    asio::async_write(stream_, asio::buffer(*wire),
                      [self = shared_from_this(), wire](beast::error_code ec, size_t) { self->AfterResponse(ec); });
    return;
  }
  auto res = std::make_shared<http::response<http::string_body>>(
      ToBeastResponse(std::move(response), version_, keep_alive_));
  http::async_write(stream_, *res,
                    [self = shared_from_this(), res](beast::error_code ec, size_t) { self->AfterResponse(ec); });
}

// HTTP/1.1 streams with chunked transfer encoding; HTTP/1.0 has no chunks, so the body is written raw and
// the end of the body is the end of the connection.
void HttpSession::SendStreamed(HttpResponse response) {
  chunked_ = version_ >= 11;
  if (!chunked_) keep_alive_ = false;
  auto res = std::make_shared<http::response<http::empty_body>>(static_cast<http::status>(response.status), version_);
  res->set(http::field::server, "tally");
  res->set(http::field::content_type, response.content_type);
  for (auto& [name, value] : response.headers) res->set(name, value);
  res->keep_alive(keep_alive_);
  if (chunked_) res->chunked(true);
  auto sr = std::make_shared<http::response_serializer<http::empty_body>>(*res);
  stream_.expires_after(state_->options.write_timeout);
  http::async_write_header(stream_, *sr,
                           [self = shared_from_this(), res, sr, body = response.stream](beast::error_code ec, size_t) {
                             if (ec) return self->CloseNow();
                             self->NextPiece(body);
                           });
}

void HttpSession::NextPiece(std::shared_ptr<BodyStream> body) {
  auto produce = [self = shared_from_this(), body] {
    auto piece = std::make_shared<std::string>();
    bool last = false;
    Status status;
    try {
      status = body->Next(piece.get(), &last);
    } catch (const std::exception& e) {
      status = Status(Code::kInternal, e.what());
    }
    asio::post(self->stream_.get_executor(), [self, body, piece, status, last] {
      self->piece_ = std::move(*piece);
      self->WritePiece(body, status, last);
    });
  };
  if (state_->options.offload) {
    state_->options.offload(std::move(produce));
  } else {
    asio::post(stream_.get_executor(), std::move(produce));
  }
}

void HttpSession::WritePiece(std::shared_ptr<BodyStream> body, Status status, bool last) {
  if (!status.ok()) return CloseNow();  // a truncated body tells the client the answer is incomplete
  auto self = shared_from_this();
  auto after = [self, body, last](beast::error_code ec, size_t) {
    if (ec) return self->CloseNow();
    if (!last) return self->NextPiece(body);
    if (!self->chunked_) return self->AfterResponse(ec);
    asio::async_write(self->stream_, http::make_chunk_last(),
                      [self](beast::error_code lec, size_t) { self->AfterResponse(lec); });
  };
  stream_.expires_after(state_->options.write_timeout);
  if (piece_.empty()) return after(beast::error_code{}, 0);  // an empty chunk would end the body
  if (chunked_) {
    asio::async_write(stream_, http::make_chunk(asio::buffer(piece_)), std::move(after));
  } else {
    asio::async_write(stream_, asio::buffer(piece_), std::move(after));
  }
}

void HttpSession::AfterResponse(beast::error_code ec) {
  if (ec || !keep_alive_) return CloseNow();
  WaitForRequest();
}

void HttpSession::FailAndClose(Code code, std::string_view message) {
  keep_alive_ = false;
  HttpResponse response = ErrorResponse(code, message);
  auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(response.status), version_);
  res->set(http::field::server, "tally");
  res->set(http::field::content_type, response.content_type);
  res->body() = std::move(response.body);
  res->keep_alive(false);
  res->prepare_payload();
  stream_.expires_after(state_->options.write_timeout);
  http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code wec, size_t) {
    if (wec) return self->CloseNow();
    self->CloseGracefully();
  });
}

// After an error answer the client may still be sending (a 17 MiB body): closing at once would reset the
// connection and could destroy the answer in flight, so stop sending and read the rest away for a while.
void HttpSession::CloseGracefully() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  drain_buf_ = std::make_unique<char[]>(kDrainBufferBytes);
  stream_.expires_after(kDrainTimeout);
  Drain();
}

void HttpSession::Drain() {
  stream_.async_read_some(asio::buffer(drain_buf_.get(), kDrainBufferBytes),
                          [self = shared_from_this()](beast::error_code ec, size_t n) {
                            self->drained_ += n;
                            if (ec || self->drained_ > kDrainLimit) return self->CloseNow();
                            self->Drain();
                          });
}

void HttpSession::CloseNow() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
}

}  // namespace tally::net
