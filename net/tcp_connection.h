// One Cap'n Proto ingest connection (implementation detail of TcpServer). Every handler runs on the
// connection's strand (the socket's executor); storage completions are posted back onto it.
#pragma once

#include <capnp/message.h>
#include <kj/array.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/tally.capnp.h"
#include "net/auth.h"
#include "net/ingest.h"
#include "net/metrics.h"
#include "net/tcp_frame.h"
#include "net/tcp_server.h"

namespace tally::net {

class TcpConnection;

// What the server and its connections share; outlives both (held by shared_ptr).
struct TcpShared {
  TcpShared(Ingest& ingest, std::shared_ptr<const Auth> auth, MetricsRegistry& metrics, TcpServerOptions options);

  Ingest& ingest;
  std::shared_ptr<const Auth> auth;
  TcpServerOptions options;
  Counter& connections_total;
  Family<Counter>& errors;  // by code
  Counter& batches;

  std::mutex mu;
  bool stopping = false;
  std::map<const TcpConnection*, std::weak_ptr<TcpConnection>> connections;
  std::atomic<size_t> open{0};
};

class TcpConnection : public std::enable_shared_from_this<TcpConnection> {
 public:
  using Socket = boost::asio::ip::tcp::socket;
  TcpConnection(Socket socket, std::shared_ptr<TcpShared> shared);
  ~TcpConnection();

  // Registers with the server and starts the handshake (handshake timeout running).
  void Start();
  // Sends Error{code, message} and closes, without reading anything (used for too_many_connections).
  void Refuse(const char* code, std::string message);
  // Stops reading; closes once every received batch is acknowledged. Call through the connection's executor.
  void Drain();
  Socket::executor_type executor() { return socket_.get_executor(); }

 private:
  struct PendingBatch {
    uint64_t id = 0;
    uint64_t batch_seq = 0;
    bool submitted = false;
    std::optional<IngestBatch> batch;  // until submitted
    std::optional<BatchOutcome> outcome;
  };
  struct OutFrame {
    kj::Array<capnp::word> words;
    bool is_ack = false;
  };

  // Reading, one frame at a time.
  void MaybeRead();
  void ReadFrameStart();
  void ReadFrameTable();
  void ReadFrameBody();
  // Whether a completed read ends frame reading (an error, end of input, draining, failing); a lingering
  // connection's reads all end here and continue the discard.
  bool ReadFailed(const boost::system::error_code& ec);
  void HandleFrame();
  void Dispatch(wire::ClientMessage::Reader message);
  void HandleHello(wire::Hello::Reader hello);
  void HandleBatch(wire::Batch::Reader batch);
  IngestBatch ValidateBatch(wire::Batch::Reader batch, std::optional<TimeMs> sent_at);

  // Batches in flight.
  void SubmitPending();
  void OnOutcome(uint64_t id, BatchOutcome outcome);
  void FlushAcks();
  size_t Unacked() const { return pending_.size() + acks_queued_; }

  // Writing, through a queue with one write in flight.
  void Send(capnp::MessageBuilder& message, bool is_ack);
  void WriteNext();
  // Ends the connection with Error{code, message}: nothing more is read; the acks of batches already
  // received still go out first (once durable), then the Error, then the connection closes.
  void Fail(const char* code, std::string message);
  void MaybeSendError();
  void MaybeFinishDrain();
  void Linger();
  void DiscardInput();
  void Close();

  // One deadline for the handshake, idleness and the final Error write.
  void ArmTimer();
  void OnTimer();
  void Touch();

  Socket socket_;
  std::shared_ptr<TcpShared> shared_;
  boost::asio::steady_timer timer_;
  boost::asio::steady_timer retry_timer_;
  std::chrono::steady_clock::time_point deadline_;

  std::optional<Principal> principal_;  // set by a successful Hello
  std::string producer_id_;
  std::optional<uint64_t> last_batch_seq_;

  FrameWords frame_;
  FrameLayout layout_;
  bool reading_ = false;
  bool draining_ = false;
  bool failing_ = false;    // Fail was called: nothing more is read; the Error follows the remaining acks
  bool closing_ = false;    // the Error is queued; the connection closes once it is written
  bool lingering_ = false;  // everything is written and the send side shut: input is dropped until the peer closes
  std::string error_code_;
  std::string error_message_;
  bool closed_ = false;
  bool retry_armed_ = false;

  uint64_t next_id_ = 1;
  std::deque<PendingBatch> pending_;
  std::deque<OutFrame> out_;
  bool writing_ = false;
  size_t acks_queued_ = 0;
};

}  // namespace tally::net
