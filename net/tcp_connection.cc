#include "net/tcp_connection.h"

#include <capnp/serialize.h>
#include <kj/exception.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "core/wire_event.h"

namespace tally::net {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
// How long a closing connection waits for its final Error to be written before it just closes.
constexpr auto kErrorWriteGrace = std::chrono::seconds(2);
// How long a connection that has said everything waits for the peer to close before it closes anyway.
constexpr auto kLingerGrace = std::chrono::seconds(1);
// Retry delay when the storage queue is full (TryAppend answered unavailable).
constexpr auto kStorageRetryDelay = std::chrono::milliseconds(5);
// A frame buffer larger than this is released after use rather than kept for the next frame.
constexpr size_t kKeepFrameWords = (1 << 20) / sizeof(capnp::word);
// The buffer input is read into, and dropped, while a connection lingers.
constexpr size_t kDiscardWords = 4096 / sizeof(capnp::word);
}  // namespace

TcpShared::TcpShared(Ingest& ingest_in, std::shared_ptr<const Auth> auth_in, MetricsRegistry& metrics,
                     TcpServerOptions options_in)
    : ingest(ingest_in),
      auth(std::move(auth_in)),
      options(std::move(options_in)),
      connections_total(metrics.AddCounter("tally_tcp_connections_total", "TCP connections accepted")),
      errors(metrics.AddCounterFamily("tally_tcp_errors_total", "TCP connections closed with an Error, by code",
                                      {"code"})),
      batches(metrics.AddCounter("tally_tcp_batches_total", "TCP batches received")) {
  metrics.AddGauge("tally_tcp_open_connections", "Open TCP connections", {}, [this] {
    return std::vector<GaugeSample>{{{}, static_cast<double>(open.load())}};
  });
}

TcpConnection::TcpConnection(Socket socket, std::shared_ptr<TcpShared> shared)
    : socket_(std::move(socket)),
      shared_(std::move(shared)),
      timer_(socket_.get_executor()),
      retry_timer_(socket_.get_executor()) {
  shared_->open.fetch_add(1);
  shared_->connections_total.Inc();
}

TcpConnection::~TcpConnection() {
  shared_->open.fetch_sub(1);
  std::lock_guard<std::mutex> lock(shared_->mu);
  shared_->connections.erase(this);
}

void TcpConnection::Start() {
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->connections[this] = weak_from_this();
    if (shared_->stopping) draining_ = true;
  }
  error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  deadline_ = std::chrono::steady_clock::now() + shared_->options.handshake_timeout;
  ArmTimer();
  if (draining_) {
    Fail(tcp_error::kUnavailable, "the server is shutting down");
    return;
  }
  MaybeRead();
}

void TcpConnection::Refuse(const char* code, std::string message) {
  deadline_ = std::chrono::steady_clock::now() + kErrorWriteGrace;
  ArmTimer();
  Fail(code, std::move(message));
}

void TcpConnection::Drain() {
  if (closed_ || draining_) return;
  // Nothing more is read into a batch; a read in progress ends when it completes (ReadFailed).
  draining_ = true;
  MaybeFinishDrain();
}

// --- Reading ------------------------------------------------------------------------------------------------

void TcpConnection::MaybeRead() {
  if (reading_ || failing_ || closed_ || draining_) return;
  if (principal_ && Unacked() >= shared_->options.max_unacked_batches) return;  // backpressure: resumed by acks
  reading_ = true;
  ReadFrameStart();
}

bool TcpConnection::ReadFailed(const error_code& ec) {
  if (!ec && !failing_ && !closed_ && !draining_ && !lingering_) return false;
  reading_ = false;
  if (closed_) return true;
  if (lingering_) {  // a discard, or the read in progress when the connection began to linger: read on
    if (ec)
      Close();
    else
      DiscardInput();
    return true;
  }
  if (failing_) return true;
  // End of input, or a read completing while draining: answer what was received, then close.
  if (ec && ec != asio::error::eof && ec != asio::error::operation_aborted) {
    spdlog::debug("tcp: read failed from {}: {}", producer_id_, ec.message());
    Close();
    return true;
  }
  draining_ = true;
  MaybeFinishDrain();
  return true;
}

void TcpConnection::ReadFrameStart() {
  if (frame_.size() > kKeepFrameWords) FrameWords().swap(frame_);
  frame_.resize(1);
  asio::async_read(socket_, asio::buffer(frame_.data(), sizeof(capnp::word)),
                   [self = shared_from_this()](const error_code& ec, size_t) {
                     if (self->ReadFailed(ec)) return;
                     auto layout = ParseFrameStart(self->frame_.data());
                     if (!layout.ok()) return self->Fail(tcp_error::kBadFrame, layout.status().message());
                     self->layout_ = *layout;
                     self->ReadFrameTable();
                   });
}

void TcpConnection::ReadFrameTable() {
  frame_.resize(layout_.table_words);
  size_t rest = (layout_.table_words - 1) * sizeof(capnp::word);
  asio::async_read(
      socket_, asio::buffer(frame_.data() + 1, rest), [self = shared_from_this()](const error_code& ec, size_t) {
        if (self->ReadFailed(ec)) return;
        Status s = ParseFrameTable(self->frame_.data(), self->shared_->options.max_frame_bytes, &self->layout_);
        if (!s.ok()) return self->Fail(tcp_error::kFrameTooLarge, s.message());
        self->ReadFrameBody();
      });
}

void TcpConnection::ReadFrameBody() {
  frame_.resize(layout_.total_words);  // bounded by max_frame_bytes, checked above
  size_t bytes = (layout_.total_words - layout_.table_words) * sizeof(capnp::word);
  asio::async_read(socket_, asio::buffer(frame_.data() + layout_.table_words, bytes),
                   [self = shared_from_this()](const error_code& ec, size_t) {
                     if (self->ReadFailed(ec)) return;
                     self->reading_ = false;
                     self->Touch();
                     self->HandleFrame();
                     self->MaybeRead();
                   });
}

void TcpConnection::HandleFrame() {
  // Cap'n Proto reports malformed input with kj exceptions; none may escape an Asio handler.
  try {
    capnp::FlatArrayMessageReader reader(kj::arrayPtr(frame_.data(), frame_.size()), FrameReaderOptions(frame_.size()));
    Dispatch(reader.getRoot<wire::ClientMessage>());
  } catch (const kj::Exception& e) {
    Fail(tcp_error::kBadFrame, std::string("undecodable message: ") + e.getDescription().cStr());
  } catch (const std::exception& e) {
    Fail(tcp_error::kInternal, e.what());
  }
}

void TcpConnection::Dispatch(wire::ClientMessage::Reader message) {
  switch (message.which()) {
    case wire::ClientMessage::HELLO:
      if (principal_) return Fail(tcp_error::kUnexpectedHello, "Hello was already received on this connection");
      return HandleHello(message.getHello());
    case wire::ClientMessage::BATCH:
      if (!principal_) return Fail(tcp_error::kExpectedHello, "the first message must be a Hello");
      return HandleBatch(message.getBatch());
  }
  Fail(tcp_error::kBadFrame, "unknown ClientMessage variant");
}

void TcpConnection::HandleHello(wire::Hello::Reader hello) {
  if (hello.getProtocolVersion() != kProtocolVersion) {
    return Fail(tcp_error::kUnsupportedProtocol, "protocol version " + std::to_string(hello.getProtocolVersion()) +
                                                     " is not supported; this server speaks version " +
                                                     std::to_string(kProtocolVersion));
  }
  producer_id_ = hello.hasProducerId() ? std::string(hello.getProducerId().cStr()) : "";
  std::string token = hello.hasToken() ? std::string(hello.getToken().cStr()) : "";
  std::optional<Principal> principal = shared_->auth->Authenticate(token);
  if (!principal) return Fail(tcp_error::kUnauthorized, "missing or unknown token");
  if (!principal->CanPush()) return Fail(tcp_error::kForbidden, "a reader token may not push events");
  principal_ = std::move(principal);
  capnp::MallocMessageBuilder message;
  auto welcome = message.initRoot<wire::ServerMessage>().initWelcome();
  welcome.setServerVersion(shared_->options.server_version);
  welcome.setProtocolVersion(kProtocolVersion);
  Send(message, false);
}

void TcpConnection::HandleBatch(wire::Batch::Reader batch) {
  uint64_t seq = batch.getBatchSeq();
  if (last_batch_seq_ && seq <= *last_batch_seq_) {
    return Fail(tcp_error::kBadBatchSeq, "batchSeq " + std::to_string(seq) + " is not greater than the previous " +
                                             std::to_string(*last_batch_seq_));
  }
  last_batch_seq_ = seq;
  auto events = batch.getEvents();
  if (events.size() > shared_->options.max_events_per_batch) {
    return Fail(tcp_error::kTooManyEvents, "batch of " + std::to_string(events.size()) +
                                               " events exceeds the limit of " +
                                               std::to_string(shared_->options.max_events_per_batch));
  }
  std::optional<TimeMs> sent_at;
  if (batch.hasSentAt() && batch.getSentAt().size() > 0) {
    sent_at = ParseRfc3339(batch.getSentAt().cStr());
    if (!sent_at) return Fail(tcp_error::kBadSentAt, "sentAt is not an RFC 3339 time");
  }
  shared_->batches.Inc();
  PendingBatch pending;
  pending.id = next_id_++;
  pending.batch_seq = seq;
  pending.batch.emplace(ValidateBatch(batch, sent_at));
  pending_.push_back(std::move(pending));
  SubmitPending();
}

namespace {

// The quarantine keeps a rejected wire event in Cap'n Proto's text form: readable, and faithful to what was
// sent. A damaged event (the validator already called it malformed) can throw while being printed; it must
// cost only that event its text, not the whole connection.
std::string QuarantineText(wire::Event::Reader event) {
  try {
    return event.toString().flatten().cStr();
  } catch (const kj::Exception&) {
    return "<undecodable Cap'n Proto event>";
  }
}

}  // namespace

IngestBatch TcpConnection::ValidateBatch(wire::Batch::Reader batch, std::optional<TimeMs> sent_at) {
  ValidationContext ctx;
  ctx.now_ms = NowMs();
  ctx.received_at = ctx.now_ms;
  ctx.sent_at = sent_at;
  ctx.can_write = [principal = *principal_](std::string_view store) { return principal.CanWrite(store); };
  IngestBatch out(ctx);
  out.Reserve(batch.getEvents().size());  // HandleBatch checked it against max_events_per_batch
  for (wire::Event::Reader event : batch.getEvents()) {
    ValidationResult result = ValidateWireEvent(event, out.context());
    if (std::holds_alternative<Event>(result)) {
      out.AddResult(std::move(result), {});
    } else {
      out.AddResult(std::move(result), QuarantineText(event));
    }
  }
  return out;
}

// --- Batches in flight --------------------------------------------------------------------------------------

void TcpConnection::SubmitPending() {
  // Submit in receive order, so a connection's batches get increasing sequences.
  for (PendingBatch& p : pending_) {
    if (p.submitted) continue;
    auto done = [self = shared_from_this(), id = p.id](BatchOutcome outcome) {
      asio::post(self->executor(),
                 [self, id, outcome = std::move(outcome)]() mutable { self->OnOutcome(id, std::move(outcome)); });
    };
    Status s = shared_->ingest.Submit(*p.batch, std::move(done));
    if (!s.ok()) {
      // Storage is saturated: hold this and later batches (reading stays paused at the unacked limit) and
      // try again shortly.
      if (s.code() == Code::kUnavailable && !retry_armed_) {
        retry_armed_ = true;
        retry_timer_.expires_after(kStorageRetryDelay);
        retry_timer_.async_wait([self = shared_from_this()](const error_code&) {
          self->retry_armed_ = false;
          if (!self->closed_ && !self->closing_) self->SubmitPending();
        });
      }
      return;
    }
    p.submitted = true;
    p.batch.reset();
  }
}

void TcpConnection::OnOutcome(uint64_t id, BatchOutcome outcome) {
  if (closed_ || closing_) return;
  if (!outcome.status.ok()) {
    bool unavailable = outcome.status.code() == Code::kUnavailable;
    pending_.clear();  // nothing after a failed append can be acknowledged in order
    if (failing_) return MaybeSendError();
    return Fail(unavailable ? tcp_error::kUnavailable : tcp_error::kInternal,
                "append failed: " + outcome.status.message());
  }
  for (PendingBatch& p : pending_) {
    if (p.id == id) p.outcome = std::move(outcome);
  }
  FlushAcks();
}

void TcpConnection::FlushAcks() {
  while (!pending_.empty() && pending_.front().outcome) {
    const BatchOutcome& o = *pending_.front().outcome;
    capnp::MallocMessageBuilder message;
    auto ack = message.initRoot<wire::ServerMessage>().initAck();
    ack.setBatchSeq(pending_.front().batch_seq);
    ack.setFirstSeq(o.first_seq);
    ack.setLastSeq(o.last_seq);
    ack.setAccepted(o.accepted);
    auto duplicates = ack.initDuplicates(static_cast<unsigned>(o.duplicates.size()));
    for (size_t i = 0; i < o.duplicates.size(); ++i) {
      duplicates[i].setIndex(o.duplicates[i].index);
      duplicates[i].setSeq(o.duplicates[i].seq);
    }
    auto rejected = ack.initRejected(static_cast<unsigned>(o.rejected.size()));
    for (size_t i = 0; i < o.rejected.size(); ++i) {
      rejected[i].setIndex(o.rejected[i].index);
      rejected[i].setEventId(o.rejected[i].event_id);
      rejected[i].setCode(std::string(CodeName(o.rejected[i].code)));
      rejected[i].setMessage(o.rejected[i].message);
    }
    pending_.pop_front();
    Send(message, true);
  }
  MaybeSendError();
  MaybeFinishDrain();
}

// --- Writing ------------------------------------------------------------------------------------------------

void TcpConnection::Send(capnp::MessageBuilder& message, bool is_ack) {
  out_.push_back(OutFrame{EncodeFrame(message), is_ack});
  if (is_ack) ++acks_queued_;
  if (!writing_) WriteNext();
}

void TcpConnection::WriteNext() {
  if (out_.empty() || closed_) return;
  writing_ = true;
  auto bytes = out_.front().words.asBytes();
  asio::async_write(socket_, asio::buffer(bytes.begin(), bytes.size()),
                    [self = shared_from_this()](const error_code& ec, size_t) {
                      self->writing_ = false;
                      if (ec) return self->Close();
                      if (self->out_.front().is_ack) --self->acks_queued_;
                      self->out_.pop_front();
                      if (self->closing_ && self->out_.empty()) return self->Linger();
                      self->Touch();
                      self->WriteNext();
                      self->MaybeFinishDrain();
                      self->MaybeRead();
                    });
}

void TcpConnection::Fail(const char* code, std::string message) {
  if (failing_ || closed_) return;
  spdlog::info("tcp: closing connection ({}): {} {}", producer_id_.empty() ? "no producer id" : producer_id_, code,
               message);
  shared_->errors.With({code}).Inc();
  failing_ = true;
  // Batches never handed to storage are dropped (unacknowledged: the producer retries them).
  while (!pending_.empty() && !pending_.back().submitted) pending_.pop_back();
  error_code_ = code;
  error_message_ = std::move(message);
  deadline_ = std::chrono::steady_clock::now() + kErrorWriteGrace;
  if (deadline_ < timer_.expiry()) ArmTimer();
  MaybeSendError();
}

void TcpConnection::MaybeSendError() {
  if (!failing_ || closing_ || closed_ || !pending_.empty()) return;
  closing_ = true;
  capnp::MallocMessageBuilder builder;
  auto error = builder.initRoot<wire::ServerMessage>().initError();
  error.setCode(error_code_);
  error.setMessage(error_message_);
  out_.push_back(OutFrame{EncodeFrame(builder), false});
  if (!writing_) WriteNext();
}

void TcpConnection::MaybeFinishDrain() {
  if (draining_ && !failing_ && !closed_ && pending_.empty() && out_.empty()) Linger();
}

// Closing a socket with unread input makes the kernel send a reset, which also throws away whatever of our
// acks and Error is still in its send queue. So the end is a FIN after the last frame, then input is read and
// dropped until the peer closes too (or the grace passes).
void TcpConnection::Linger() {
  if (closed_ || lingering_) return;
  lingering_ = true;
  error_code ec;
  socket_.shutdown(Socket::shutdown_send, ec);
  deadline_ = std::chrono::steady_clock::now() + kLingerGrace;
  ArmTimer();
  if (!reading_) DiscardInput();  // else the read in progress continues as a discard (ReadFailed)
}

void TcpConnection::DiscardInput() {
  if (frame_.size() < kDiscardWords) frame_.resize(kDiscardWords);
  reading_ = true;
  socket_.async_read_some(asio::buffer(frame_.data(), frame_.size() * sizeof(capnp::word)),
                          [self = shared_from_this()](const error_code& ec, size_t) { self->ReadFailed(ec); });
}

void TcpConnection::Close() {
  if (closed_) return;
  closed_ = true;
  error_code ec;
  socket_.shutdown(Socket::shutdown_both, ec);
  socket_.close(ec);
  timer_.cancel();
  retry_timer_.cancel();
  pending_.clear();
  out_.clear();
}

// --- Deadline -----------------------------------------------------------------------------------------------

void TcpConnection::Touch() {
  if (failing_ || lingering_ || !principal_) return;
  deadline_ = std::chrono::steady_clock::now() + shared_->options.idle_timeout;
  // The timer only ever fires early and re-arms; when the deadline moved earlier (the idle timeout is shorter
  // than what remained of the handshake timeout) it must be re-armed now.
  if (deadline_ < timer_.expiry()) ArmTimer();
}

void TcpConnection::ArmTimer() {
  timer_.expires_at(deadline_);
  timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (ec || self->closed_) return;
    self->OnTimer();
  });
}

void TcpConnection::OnTimer() {
  auto now = std::chrono::steady_clock::now();
  if (now < deadline_) return ArmTimer();      // the deadline moved on since the timer was armed
  if (failing_ || lingering_) return Close();  // the final frames could not go out, or the peer did not close
  bool awaiting_storage = false;
  for (const PendingBatch& p : pending_) awaiting_storage |= !p.outcome;
  if (awaiting_storage) {
    // Waiting on our own storage is not the client's idleness.
    deadline_ = now + shared_->options.idle_timeout;
    return ArmTimer();
  }
  ArmTimer();  // the Error's write grace
  if (!principal_) return Fail(tcp_error::kHandshakeTimeout, "no Hello within the handshake timeout");
  Fail(tcp_error::kIdleTimeout, "no activity within the idle timeout");
}

}  // namespace tally::net
