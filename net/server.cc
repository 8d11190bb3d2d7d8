#include "net/server.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <fstream>

#include "core/thread_name.h"

namespace tally::net {

namespace {

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    // Shutdown only: the connections drain on the io threads; poll their count.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// The process's resident set from /proc/self/statm (0 where there is no /proc).
double ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

void AddMemoryGauges(MetricsRegistry& metrics, Storage* storage) {
  metrics.AddGauge("tally_process_resident_bytes", "Resident set size of the tally process", {}, [] {
    return std::vector<GaugeSample>{{{}, ResidentBytes()}};
  });
  metrics.AddGauge("tally_rocksdb_memory_bytes",
                   "RocksDB memory by component (block_cache includes cached index/filter blocks and the memtable "
                   "charge; the components overlap)",
                   {"component"}, [storage] {
                     std::vector<GaugeSample> samples;
                     for (const auto& [component, bytes] : storage->MemoryUsage()) {
                       samples.push_back({{component}, static_cast<double>(bytes)});
                     }
                     return samples;
                   });
}

}  // namespace

Server::Server(ServerOptions options) : options_(std::move(options)) {}

Server::~Server() {
  Status s = Shutdown();
  if (!s.ok()) spdlog::error("shutdown: {}", s.ToString());
}

Status Server::Start() {
  if (!options_.tcp_address.empty()) {
    if (Status s = SplitHostPort(options_.tcp_address, &tcp_host_, &tcp_port_); !s.ok()) return s;
  }
  if (!options_.http_address.empty()) {
    if (Status s = SplitHostPort(options_.http_address, &http_host_, &http_port_); !s.ok()) return s;
  }
  if (options_.auth_file.empty()) {
    std::vector<std::string> hosts;
    if (!tcp_host_.empty()) hosts.push_back(tcp_host_);
    if (!http_host_.empty()) hosts.push_back(http_host_);
    if (Status s = CheckOpenModeAllowed(hosts); !s.ok()) return s;
    auth_ = Auth::Open();
  } else {
    auto auth = Auth::Load(options_.auth_file);
    if (!auth.ok()) return auth.status();
    auth_ = std::move(auth.value());
  }
  StorageOptions storage_options;
  storage_options.path = options_.data_dir;
  storage_options.durability = options_.durability;
  storage_options.quarantine_capacity = options_.quarantine_capacity;
  storage_options.env = options_.storage_env;
  auto storage = Storage::Open(storage_options);
  if (!storage.ok()) return storage.status();
  storage_ = std::move(storage.value());
  AddMemoryGauges(metrics_, storage_.get());
  auto engine = ViewEngine::Open(storage_.get());
  if (!engine.ok()) return engine.status();
  engine_ = std::move(engine.value());
  engine_->StartLive();
  ingest_ = std::make_unique<Ingest>(*storage_, metrics_);
  started_ = true;
  return StartListeners();
}

Status Server::StartListeners() {
  const int threads = static_cast<int>(std::max<size_t>(1, options_.io_threads));
  if (!tcp_host_.empty()) {
    tcp_io_ = std::make_unique<boost::asio::io_context>(threads);
    tcp_ = std::make_unique<TcpServer>(*tcp_io_, *ingest_, auth_, metrics_, options_.tcp);
    if (Status s = tcp_->Start(tcp_host_, tcp_port_); !s.ok()) return s;
    tcp_port_ = tcp_->port();
    RunLoop(*tcp_io_, "tally-tcp-io", threads);
  }
  if (!http_host_.empty()) {
    http_io_ = std::make_unique<boost::asio::io_context>(threads);
    HttpApiDeps deps;
    deps.engine = engine_.get();
    deps.storage = storage_.get();
    deps.ingest = ingest_.get();
    deps.metrics = &metrics_;
    deps.auth = auth_;
    http_api_ = std::make_unique<HttpApi>(std::move(deps), options_.api);
    HttpServerOptions http_options = options_.http;
    http_options.offload = [api = http_api_.get()](std::function<void()> work) { api->Offload(std::move(work)); };
    http_ = std::make_unique<HttpServer>(*http_io_, *http_api_, http_options);
    if (Status s = http_->Start(http_host_, http_port_); !s.ok()) return s;
    http_port_ = http_->port();
    RunLoop(*http_io_, "tally-http-io", threads);
  }
  return Status::Ok();
}

void Server::RunLoop(boost::asio::io_context& io, const char* thread_name, int threads) {
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([&io, thread_name] {
      NameThisThread(thread_name);
      auto guard = boost::asio::make_work_guard(io);  // keep running while idle, until stop()
      io.run();
    });
  }
}

std::string Server::ListeningLine() const {
  std::string line = "listening";
  if (tcp_) line += " tcp=" + tcp_host_ + ":" + std::to_string(tcp_port_);
  if (http_) line += " http=" + http_host_ + ":" + std::to_string(http_port_);
  return line;
}

uint16_t Server::tcp_port() const { return tcp_port_; }
uint16_t Server::http_port() const { return http_port_; }

void Server::WaitForDrain() {
  auto open = [this] { return (tcp_ ? tcp_->open_connections() : 0) + (http_ ? http_->open_connections() : 0); };
  if (!WaitUntil([&] { return open() == 0; }, options_.drain_timeout)) {
    spdlog::warn("shutdown: {} connections still open after {} ms; closing them", open(),
                 options_.drain_timeout.count());
  }
}

Status Server::Shutdown() {
  if (shut_down_) return Status::Ok();
  shut_down_ = true;
  if (tcp_) tcp_->Stop();
  if (http_) http_->Stop();
  if (!threads_.empty()) WaitForDrain();
  if (http_api_) http_api_->Stop();
  if (tcp_io_) tcp_io_->stop();
  if (http_io_) http_io_->stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  if (engine_) engine_->Stop();
  // Storage closes while the io_contexts still exist: appends finishing now post their answers to them (they
  // are dropped with them, unanswered, which a producer treats as "retry").
  Status status;
  if (storage_ && started_) status = storage_->Close();
  http_.reset();
  http_api_.reset();
  tcp_.reset();
  tcp_io_.reset();
  http_io_.reset();
  engine_.reset();
  ingest_.reset();
  return status;
}

}  // namespace tally::net
