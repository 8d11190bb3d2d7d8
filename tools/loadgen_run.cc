#include "tools/loadgen_run.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "core/event_codec.h"
#include "core/time.h"
#include "net/tcp_client.h"
#include "tools/loadgen_workload.h"

namespace tally::tools {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxReportedRejections = 5;

struct EncodedBatch {
  kj::Array<capnp::word> words;            // one framed ClientMessage; empty once copied into a PregeneratedArena
  kj::ArrayPtr<const capnp::word> framed;  // the bytes to send: words, or the arena's copy
  size_t events = 0;
  size_t resent = 0;
};

// Where pregenerated batches wait to be sent: anonymous mappings advised for transparent huge pages. On this
// kind of VM a TLB miss is expensive, and the kernel's copy of every sent byte out of 4 KiB pages cost loadgen
// ~1 us of CPU per event, taken from the server it measures on the same cores (docs/performance.md, fix 28).
// Without THP (or where madvise refuses) the mappings are plain memory.
class PregeneratedArena {
 public:
  PregeneratedArena() = default;
  PregeneratedArena(const PregeneratedArena&) = delete;
  PregeneratedArena& operator=(const PregeneratedArena&) = delete;
  ~PregeneratedArena() {
    for (const Region& r : regions_) munmap(r.base, r.size);
  }

  // Copies `words` into the arena; the copy lives as long as the arena. An empty span if no memory is left
  // (the caller then keeps its own copy).
  kj::ArrayPtr<const capnp::word> Copy(kj::ArrayPtr<const capnp::word> words) {
    const size_t bytes = words.size() * sizeof(capnp::word);
    if (regions_.empty() || regions_.back().size - regions_.back().used < bytes) {
      const size_t size = std::max(kRegionBytes, (bytes + kHugePage - 1) / kHugePage * kHugePage);
      void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (base == MAP_FAILED) return {};
      madvise(base, size, MADV_HUGEPAGE);  // advice only: failure leaves ordinary pages
      regions_.push_back(Region{static_cast<char*>(base), size, 0});
    }
    Region& r = regions_.back();
    auto* at = reinterpret_cast<capnp::word*>(r.base + r.used);
    std::copy(words.begin(), words.end(), at);
    r.used += bytes;
    return kj::ArrayPtr<const capnp::word>(at, words.size());
  }

 private:
  static constexpr size_t kHugePage = 2 << 20;
  static constexpr size_t kRegionBytes = 64 << 20;
  struct Region {
    char* base;
    size_t size;
    size_t used;
  };
  std::vector<Region> regions_;
};

struct InFlight {
  uint64_t batch_seq = 0;
  Clock::time_point due;
};

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// One producer connection: its own event stream, a sender and a receiver thread.
class Connection {
 public:
  Connection(const LoadOptions& options, uint32_t stream, uint64_t events, TimeMs start_ms)
      : options_(options), events_(events), workload_(MakeWorkloadOptions(options, stream, events, start_ms)) {}

  Status Open() {
    auto client = net::TcpClient::Connect(options_.to);
    if (!client.ok()) return client.status();
    client_ = std::move(*client);
    auto welcome = client_->Handshake(options_.token, "tally-loadgen");
    return welcome.ok() ? Status::Ok() : welcome.status();
  }

  void Pregenerate() {
    for (uint64_t done = 0; done < events_;) {
      EncodedBatch& batch = pregenerated_.emplace_back(Encode(events_ - done));
      done += batch.events;
      if (auto copy = arena_.Copy(batch.framed); copy.size() != 0) {
        batch.framed = copy;
        batch.words = nullptr;  // the arena's copy is sent; free the original now
      }
    }
  }

  void Start(Clock::time_point t0, double rate) {
    receiver_ = std::thread([this] { ReceiveLoop(); });
    sender_ = std::thread([this, t0, rate] { SendLoop(t0, rate); });
  }

  void Join() {
    if (sender_.joinable()) sender_.join();
    if (receiver_.joinable()) receiver_.join();
  }

  // Adds this connection's counts to the report (after Join).
  void AddTo(LoadReport& report) {
    report.sent += sent_;
    report.resent += resent_;
    report.accepted += accepted_;
    report.duplicates += duplicates_;
    report.rejected += rejected_;
    report.batches_acked += latencies_ms_.size();
    report.latencies_ms.insert(report.latencies_ms.end(), latencies_ms_.begin(), latencies_ms_.end());
    for (std::string& e : errors_) report.errors.push_back(std::move(e));
    if (last_ack_ > report.end) report.end = last_ack_;
  }

  uint64_t acked_events() const { return acked_events_.load(); }

 private:
  static WorkloadOptions MakeWorkloadOptions(const LoadOptions& o, uint32_t stream, uint64_t events, TimeMs start) {
    WorkloadOptions w;
    w.seed = o.seed;
    w.stream = stream;
    w.stores = o.stores;
    w.events = events;
    w.start_ms = start;
    w.span_ms = static_cast<TimeMs>(o.span_days) * kMsPerDay - 60'000;
    w.duplicate_share = o.duplicate_percent / 100.0;
    return w;
  }

  // The next batch of up to options_.batch events (at most `left`), framed.
  EncodedBatch Encode(uint64_t left) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(options_.batch, left));
    // One segment for the whole batch (a loadgen event takes 40-90 words): the server reads every segment
    // alike, but each read that crosses into a later segment takes a lock inside Cap'n Proto (docs/protocol.md).
    capnp::MallocMessageBuilder message(static_cast<unsigned>(std::min<size_t>(n * 128 + 64, 1 << 24)));
    auto batch = message.initRoot<wire::ClientMessage>().initBatch();
    batch.setBatchSeq(++encoded_batches_);
    auto list = batch.initEvents(static_cast<unsigned>(n));
    EncodedBatch out;
    out.events = n;
    for (size_t i = 0; i < n; ++i) {
      bool resend = false;
      EventToWire(workload_.Next(&resend), list[static_cast<unsigned>(i)]);
      out.resent += resend ? 1 : 0;
    }
    out.words = capnp::messageToFlatArray(message);
    out.framed = out.words.asPtr();
    return out;
  }

  void SendLoop(Clock::time_point t0, double rate) {
    uint64_t done = 0;
    for (size_t k = 0; done < events_; ++k) {
      EncodedBatch batch = k < pregenerated_.size() ? std::move(pregenerated_[k]) : Encode(events_ - done);
      Clock::time_point due = Clock::now();
      if (rate > 0) {
        due = t0 + std::chrono::duration_cast<Clock::duration>(
                       std::chrono::duration<double>(static_cast<double>(done) / rate));
        std::this_thread::sleep_until(due);
      }
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return receiver_done_ || in_flight_.size() < options_.inflight; });
        if (receiver_done_) break;
        in_flight_.push_back({k + 1, rate > 0 ? due : Clock::now()});
      }
      auto bytes = batch.framed.asBytes();
      if (Status s = client_->SendRaw(std::string_view(reinterpret_cast<const char*>(bytes.begin()), bytes.size()));
          !s.ok()) {
        std::lock_guard<std::mutex> lock(mu_);
        errors_.push_back("send: " + s.message());
        break;
      }
      done += batch.events;
      sent_ += batch.events;
      resent_ += batch.resent;
    }
    pregenerated_.clear();
    client_->ShutdownSend();  // the server acknowledges what it received, then closes
  }

  void ReceiveLoop() {
    for (;;) {
      auto reply = client_->Receive();
      std::string error;
      if (!reply.ok()) {
        error = "receive: " + reply.status().message();
      } else if (!reply->has_value()) {
        break;
      } else if (auto message = (*reply)->message(); message.isAck()) {
        if (OnAck(message.getAck())) continue;
        error = "ack out of order";
      } else if (message.isError()) {
        error = std::string("server error ") + message.getError().getCode().cStr() + ": " +
                message.getError().getMessage().cStr();
      } else {
        error = "unexpected message from the server";
      }
      std::lock_guard<std::mutex> lock(mu_);
      errors_.push_back(error);
      break;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (!in_flight_.empty()) errors_.push_back(std::to_string(in_flight_.size()) + " batches never acknowledged");
    receiver_done_ = true;
    cv_.notify_all();
  }

  bool OnAck(wire::Ack::Reader ack) {
    Clock::time_point now = Clock::now();
    std::lock_guard<std::mutex> lock(mu_);
    if (in_flight_.empty() || in_flight_.front().batch_seq != ack.getBatchSeq()) return false;
    latencies_ms_.push_back(std::chrono::duration<double, std::milli>(now - in_flight_.front().due).count());
    in_flight_.pop_front();
    last_ack_ = now;
    accepted_ += ack.getAccepted();
    duplicates_ += ack.getDuplicates().size();
    rejected_ += ack.getRejected().size();
    for (auto r : ack.getRejected()) {
      if (errors_.size() >= kMaxReportedRejections) break;
      errors_.push_back(std::string("rejected ") + r.getEventId().cStr() + " " + r.getCode().cStr() + ": " +
                        r.getMessage().cStr());
    }
    acked_events_ += ack.getAccepted() + ack.getDuplicates().size() + ack.getRejected().size();
    cv_.notify_all();
    return true;
  }

  const LoadOptions& options_;
  const uint64_t events_;
  Workload workload_;
  std::unique_ptr<net::TcpClient> client_;
  std::vector<EncodedBatch> pregenerated_;
  PregeneratedArena arena_;  // the bytes of pregenerated_ (its batches only point into it)
  uint64_t encoded_batches_ = 0;
  std::thread sender_, receiver_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<InFlight> in_flight_;
  bool receiver_done_ = false;
  uint64_t sent_ = 0, resent_ = 0;  // sender thread only until Join
  uint64_t accepted_ = 0, duplicates_ = 0, rejected_ = 0;
  std::atomic<uint64_t> acked_events_{0};
  std::vector<double> latencies_ms_;
  std::vector<std::string> errors_;
  Clock::time_point last_ack_{};
};

// Redraws one stderr line about twice a second until every connection is done.
void ShowProgress(const std::vector<std::unique_ptr<Connection>>& connections, uint64_t total, Clock::time_point t0,
                  const std::atomic<bool>& finished) {
  while (!finished.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    uint64_t acked = 0;
    for (const auto& c : connections) acked += c->acked_events();
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    std::fprintf(stderr, "\r%llu/%llu events acknowledged, %.0f events/s   ", static_cast<unsigned long long>(acked),
                 static_cast<unsigned long long>(total), s > 0 ? static_cast<double>(acked) / s : 0.0);
  }
  std::fprintf(stderr, "\n");
}

}  // namespace

double LoadReport::LatencyPercentile(double p) const {
  if (latencies_ms.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(latencies_ms.size())));
  return latencies_ms[std::clamp<size_t>(rank, 1, latencies_ms.size()) - 1];
}

Result<LoadReport> RunLoad(const LoadOptions& options) {
  TimeMs start_ms = SystemClock::Instance().NowMs() - static_cast<TimeMs>(options.span_days) * kMsPerDay;
  std::vector<std::unique_ptr<Connection>> connections;
  for (size_t i = 0; i < options.connections; ++i) {
    uint64_t share = options.events / options.connections + (i < options.events % options.connections ? 1 : 0);
    connections.push_back(std::make_unique<Connection>(options, static_cast<uint32_t>(i), share, start_ms));
    if (Status s = connections.back()->Open(); !s.ok()) return s;
    if (options.pregenerate) connections.back()->Pregenerate();
  }
  LoadReport report;
  double cpu0 = CpuSeconds();
  Clock::time_point t0 = Clock::now();
  for (auto& c : connections) c->Start(t0, options.rate / static_cast<double>(options.connections));
  std::atomic<bool> finished{false};
  std::thread progress;
  if (options.progress) progress = std::thread([&] { ShowProgress(connections, options.events, t0, finished); });
  for (auto& c : connections) c->Join();
  finished = true;
  if (progress.joinable()) progress.join();
  report.client_cpu_s = CpuSeconds() - cpu0;
  report.end = t0;
  for (auto& c : connections) c->AddTo(report);
  report.seconds = std::chrono::duration<double>(report.end - t0).count();
  std::sort(report.latencies_ms.begin(), report.latencies_ms.end());
  return report;
}

}  // namespace tally::tools
