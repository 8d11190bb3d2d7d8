// `tally push`: the reference producer. Reads NDJSON, converts each line to a wire event, sends Batches over
// the Cap'n Proto TCP protocol with many in flight, and reads the Acks in order. Prints each rejected line
// (line number, event_id, code, message) and finally "accepted N duplicates N rejected N". Exit status: 0 when
// every batch was acknowledged (rejections are data problems, reported but not fatal); 1 when the connection
// or the Hello fails, or the server closes before acknowledging everything; 2 for bad arguments.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "core/event_codec.h"
#include "core/time.h"
#include "net/tcp_client.h"
#include "tools/command.h"

namespace tally::tools {
namespace {

struct PushFlags {
  std::string to;
  std::string token;
  std::string producer_id = "tally-push";
  size_t batch = 1000;
  // A batch is also cut when its JSON text reaches this size, so big events stay under the server's frame
  // limit (16 MiB by default; the Cap'n Proto form of an event is about the size of its JSON).
  size_t batch_bytes = 4 * 1024 * 1024;
  size_t inflight = 16;
  bool sent_at = false;
  int retries = 0;  // reconnections after a lost connection (unacknowledged batches are sent again)
  std::string file;
};

struct SentBatch {
  uint64_t batch_seq = 0;
  std::vector<size_t> lines;  // input line number of each event, by batch index
  std::shared_ptr<capnp::MallocMessageBuilder> message;  // kept until acknowledged, for a resend
};

// Shared by the sending (main) thread and the receiving thread.
struct PushState {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<SentBatch> in_flight;
  bool receiver_done = false;
  std::string error;   // set when the connection failed
  bool fatal = false;  // the server refused us in a way a retry cannot fix
  uint64_t next_seq = 1;
  uint64_t accepted = 0, duplicates = 0, rejected = 0;
  // Progress line on stderr when it is a terminal (a rejected line printed on stdout may interleave).
  bool tty = isatty(STDERR_FILENO) != 0;
  std::chrono::steady_clock::time_point last_progress;

  void ShowProgress() {
    auto now = std::chrono::steady_clock::now();
    if (!tty || now - last_progress < std::chrono::milliseconds(200)) return;
    last_progress = now;
    std::fprintf(stderr, "\racknowledged %llu events (%llu accepted, %llu duplicates, %llu rejected)",
                 static_cast<unsigned long long>(accepted + duplicates + rejected),
                 static_cast<unsigned long long>(accepted), static_cast<unsigned long long>(duplicates),
                 static_cast<unsigned long long>(rejected));
  }

  void PrintRejected(size_t line, std::string_view event_id, std::string_view code, std::string_view message) {
    std::printf("rejected line=%zu event_id=%.*s code=%.*s message=%.*s\n", line, static_cast<int>(event_id.size()),
                event_id.data(), static_cast<int>(code.size()), code.data(), static_cast<int>(message.size()),
                message.data());
    ++rejected;
  }
};

// Consumes one Ack; false (with state.error set) when it does not match the oldest batch in flight.
bool ApplyAck(PushState& state, wire::Ack::Reader ack) {
  std::lock_guard<std::mutex> lock(state.mu);
  if (state.in_flight.empty() || state.in_flight.front().batch_seq != ack.getBatchSeq()) {
    state.error = "server acknowledged batch " + std::to_string(ack.getBatchSeq()) + " out of order";
    return false;
  }
  const SentBatch& batch = state.in_flight.front();
  state.accepted += ack.getAccepted();
  state.duplicates += ack.getDuplicates().size();
  for (auto r : ack.getRejected()) {
    size_t line = r.getIndex() < batch.lines.size() ? batch.lines[r.getIndex()] : 0;
    state.PrintRejected(line, r.getEventId().cStr(), r.getCode().cStr(), r.getMessage().cStr());
  }
  state.in_flight.pop_front();
  state.ShowProgress();
  return true;
}

void ReceiveAcks(net::TcpClient& client, PushState& state) {
  for (;;) {
    auto reply = client.Receive();
    std::string error;
    if (!reply.ok()) {
      error = reply.status().message();
    } else if (!reply->has_value()) {
      break;  // end of stream
    } else {
      auto message = (*reply)->message();
      if (message.isAck()) {
        if (ApplyAck(state, message.getAck())) {
          state.cv.notify_all();
          continue;
        }
      } else if (message.isError()) {
        std::string code = message.getError().getCode().cStr();
        error = "server error " + code + ": " + message.getError().getMessage().cStr();
        // Shutdown, idleness and storage trouble pass; anything else would happen again on a retry.
        bool transient = code == "unavailable" || code == "idle_timeout" || code == "internal";
        std::lock_guard<std::mutex> lock(state.mu);
        state.fatal = state.fatal || !transient;
      } else {
        error = "unexpected message from server";
      }
    }
    std::lock_guard<std::mutex> lock(state.mu);
    if (state.error.empty()) state.error = error;
    break;
  }
  std::lock_guard<std::mutex> lock(state.mu);
  state.receiver_done = true;
  state.cv.notify_all();
}

// Converts and sends one batch of lines. The batch joins the in-flight list even when the connection is
// gone, so that a reconnection sends it. False when the connection failed.
bool SendBatch(net::TcpClient& client, PushState& state, const PushFlags& flags,
               const std::vector<std::pair<size_t, std::string>>& lines) {
  capnp::MallocMessageBuilder scratch;  // conversions land here first: a bad line must not leave a hole
  std::vector<capnp::Orphan<wire::Event>> events;
  SentBatch sent;
  for (const auto& [line_no, text] : lines) {
    auto orphan = scratch.getOrphanage().newOrphan<wire::Event>();
    if (Status s = JsonToWireEvent(text, orphan.get()); !s.ok()) {
      std::lock_guard<std::mutex> lock(state.mu);
      state.PrintRejected(line_no, "", CodeName(s.code()), s.message());
      continue;
    }
    events.push_back(std::move(orphan));
    sent.lines.push_back(line_no);
  }
  if (events.empty()) return true;
  sent.message = std::make_shared<capnp::MallocMessageBuilder>();
  auto batch = sent.message->initRoot<wire::ClientMessage>().initBatch();
  if (flags.sent_at) batch.setSentAt(FormatRfc3339(SystemClock::Instance().NowMs()));
  auto list = batch.initEvents(static_cast<unsigned>(events.size()));
  for (size_t i = 0; i < events.size(); ++i) list.setWithCaveats(static_cast<unsigned>(i), events[i].getReader());
  std::shared_ptr<capnp::MallocMessageBuilder> message = sent.message;
  {
    std::unique_lock<std::mutex> lock(state.mu);
    state.cv.wait(lock, [&] { return state.receiver_done || state.in_flight.size() < flags.inflight; });
    sent.batch_seq = state.next_seq++;
    batch.setBatchSeq(sent.batch_seq);
    state.in_flight.push_back(std::move(sent));
    if (state.receiver_done) return false;
  }
  Status s = client.Send(*message);
  if (!s.ok()) {
    std::lock_guard<std::mutex> lock(state.mu);
    if (state.error.empty()) state.error = s.message();
    return false;
  }
  return true;
}

// After a reconnection: sends every unacknowledged batch again, under new batch sequence numbers.
bool Resend(net::TcpClient& client, PushState& state) {
  std::vector<std::shared_ptr<capnp::MallocMessageBuilder>> messages;
  {
    std::lock_guard<std::mutex> lock(state.mu);
    for (SentBatch& b : state.in_flight) {
      b.batch_seq = state.next_seq++;
      b.message->getRoot<wire::ClientMessage>().getBatch().setBatchSeq(b.batch_seq);
      messages.push_back(b.message);
    }
  }
  for (auto& message : messages) {
    if (!client.Send(*message).ok()) return false;
  }
  return true;
}

// Streams the rest of the input in batches of flags.batch non-blank lines (or flags.batch_bytes of JSON).
// False when the connection failed; calling it again on a new connection resumes where the input stopped.
bool SendAll(std::istream& in, net::TcpClient& client, PushState& state, const PushFlags& flags, size_t& line_no) {
  std::vector<std::pair<size_t, std::string>> lines;
  std::string line;
  size_t bytes = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    bytes += line.size();
    lines.emplace_back(line_no, std::move(line));
    if (lines.size() >= flags.batch || bytes >= flags.batch_bytes) {
      if (!SendBatch(client, state, flags, lines)) return false;
      lines.clear();
      bytes = 0;
    }
  }
  return lines.empty() || SendBatch(client, state, flags, lines);
}

// One connection: hello, resend what is unacknowledged, push the rest of the input, read every ack.
Status Session(std::istream& in, const PushFlags& flags, PushState& state, size_t& line_no) {
  auto client = net::TcpClient::Connect(flags.to);
  if (!client.ok()) return client.status();
  auto welcome = (*client)->Handshake(flags.token, flags.producer_id);
  if (!welcome.ok()) return Status(welcome.status().code(), "hello refused: " + welcome.status().message());
  {
    std::lock_guard<std::mutex> lock(state.mu);
    state.receiver_done = false;
    state.error.clear();
  }
  std::thread receiver([&] { ReceiveAcks(**client, state); });
  if (Resend(**client, state)) SendAll(in, **client, state, flags, line_no);
  (*client)->ShutdownSend();  // the server acknowledges everything it received, then closes
  receiver.join();
  if (!state.error.empty()) return Status(Code::kUnavailable, state.error);
  if (!state.in_flight.empty()) return Status(Code::kUnavailable, "connection closed");
  return Status::Ok();
}

int RunPush(const PushFlags& flags) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("tally-push"));
  signal(SIGPIPE, SIG_IGN);
  if (flags.batch == 0 || flags.inflight == 0) {
    std::fprintf(stderr, "error: --batch and --inflight must be at least 1\n");
    return 2;
  }
  std::ifstream file;
  if (flags.file != "-") {
    file.open(flags.file, std::ios::binary);
    if (!file) {
      std::fprintf(stderr, "error: cannot read %s\n", flags.file.c_str());
      return 2;
    }
  }
  std::istream& in = flags.file == "-" ? std::cin : file;
  PushState state;
  size_t line_no = 0;
  Status status;
  for (int attempt = 0;; ++attempt) {
    status = Session(in, flags, state, line_no);
    bool refused = status.code() == Code::kUnauthorized || status.code() == Code::kForbidden;
    if (status.ok() || refused || state.fatal || attempt >= flags.retries) break;
    auto backoff = std::chrono::milliseconds(std::min(2000, 100 << std::min(attempt, 5)));
    spdlog::warn("{}; reconnecting in {} ms ({} batches to send again)", status.message(), backoff.count(),
                 state.in_flight.size());
    std::this_thread::sleep_for(backoff);
  }
  if (state.tty && state.last_progress != std::chrono::steady_clock::time_point()) std::fprintf(stderr, "\n");
  std::printf("accepted %llu duplicates %llu rejected %llu\n", static_cast<unsigned long long>(state.accepted),
              static_cast<unsigned long long>(state.duplicates), static_cast<unsigned long long>(state.rejected));
  std::fflush(stdout);
  if (!status.ok()) {
    std::fprintf(stderr, "error: %s (%zu batches not acknowledged)\n", status.message().c_str(),
                 state.in_flight.size());
    return 1;
  }
  return 0;
}

const CommandRegistrar kRegistrar([](CLI::App& root) {
  auto flags = std::make_shared<PushFlags>();
  CLI::App* sub = root.add_subcommand("push", "Push NDJSON events to a server over TCP (Cap'n Proto)");
  sub->add_option("--to", flags->to, "Server TCP address HOST:PORT")->required();
  sub->add_option("--token", flags->token, "Auth token (producer or admin)");
  sub->add_option("--producer-id", flags->producer_id, "Name sent in Hello, for the server's logs")
      ->capture_default_str();
  sub->add_option("--batch", flags->batch, "Events per batch")->capture_default_str();
  sub->add_option("--batch-bytes", flags->batch_bytes, "Cut a batch when its JSON reaches this many bytes")
      ->capture_default_str();
  sub->add_option("--inflight", flags->inflight, "Batches in flight before waiting for acks")->capture_default_str();
  sub->add_option("--retries", flags->retries,
                  "Reconnect this many times after a lost connection, sending unacknowledged batches again "
                  "(dedup makes that safe)")
      ->capture_default_str();
  sub->add_flag("--sent-at", flags->sent_at, "Send the client clock so the server corrects occurred_at for skew");
  sub->add_option("file", flags->file, "NDJSON file, or - for standard input")->required();
  return Command{sub, [flags] { return RunPush(*flags); }};
});

}  // namespace
}  // namespace tally::tools
