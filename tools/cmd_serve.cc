// `tally serve`: runs the server (TCP ingest, HTTP API, live views) until SIGTERM or SIGINT, then stops
// gracefully: stop accepting, acknowledge the batches already received, stop the views, flush storage, exit 0.
#include <pthread.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "net/server.h"
#include "tools/command.h"

namespace tally::tools {
namespace {

struct ServeFlags {
  net::ServerOptions server;
  std::string durability = "sync";
  std::string log_level;  // empty: the root --log-level
  int64_t idle_timeout_ms = 60'000;
  int64_t handshake_timeout_ms = 10'000;
  size_t answer_cache_mb = 32;
};

void AddLimitFlags(CLI::App* sub, ServeFlags& f) {
  net::TcpServerOptions& tcp = f.server.tcp;
  sub->add_option("--max-frame-bytes", tcp.max_frame_bytes, "Largest TCP frame accepted")->capture_default_str();
  sub->add_option("--max-batch-events", tcp.max_events_per_batch, "Most events in one TCP batch")
      ->capture_default_str();
  sub->add_option("--max-unacked-batches", tcp.max_unacked_batches,
                  "TCP batches a connection may have unacknowledged before the server stops reading it")
      ->capture_default_str();
  sub->add_option("--max-connections", tcp.max_connections, "Most simultaneous TCP connections")->capture_default_str();
  sub->add_option("--idle-timeout-ms", f.idle_timeout_ms, "Close a TCP connection idle this long")
      ->capture_default_str();
  sub->add_option("--handshake-timeout-ms", f.handshake_timeout_ms, "Close a TCP connection without Hello by then")
      ->capture_default_str();
  sub->add_option("--quarantine-capacity", f.server.quarantine_capacity, "Newest rejected events kept per quarantine")
      ->capture_default_str();
  sub->add_option("--io-threads", f.server.io_threads, "Threads of each endpoint's event loop (TCP ingest, HTTP API)")
      ->capture_default_str();
  sub->add_option("--answer-cache-mb", f.answer_cache_mb,
                  "MiB of whole view answers kept for repeated queries (0: off)")
      ->capture_default_str();
}

// Blocks SIGTERM/SIGINT in every thread (set before any thread starts, inherited by all) so that the main
// thread can take them synchronously with sigwait.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int RunServe(ServeFlags& f) {
  // Logs go to stderr: stdout carries the "listening ..." line that scripts and tests parse.
  spdlog::set_default_logger(spdlog::stderr_color_mt("tally-serve"));
  if (!f.log_level.empty()) spdlog::set_level(spdlog::level::from_str(f.log_level));
  if (f.durability != "sync" && f.durability != "async") {
    std::fprintf(stderr, "error: --durability must be sync or async\n");
    return 2;
  }
  f.server.durability = f.durability == "sync" ? Durability::kSync : Durability::kAsync;
  f.server.tcp.idle_timeout = std::chrono::milliseconds(f.idle_timeout_ms);
  f.server.tcp.handshake_timeout = std::chrono::milliseconds(f.handshake_timeout_ms);
  f.server.api.answer_cache_bytes = f.answer_cache_mb << 20;
  if (f.server.tcp_address == "off") f.server.tcp_address.clear();
  if (f.server.http_address == "off") f.server.http_address.clear();

  sigset_t signals = BlockStopSignals();
  net::Server server(f.server);
  if (Status s = server.Start(); !s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("%s\n", server.ListeningLine().c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("signal {}: shutting down", sig);
  if (Status s = server.Shutdown(); !s.ok()) {
    std::fprintf(stderr, "error: shutdown: %s\n", s.ToString().c_str());
    return 1;
  }
  spdlog::info("stopped");
  return 0;
}

const CommandRegistrar kRegistrar([](CLI::App& root) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* sub = root.add_subcommand("serve", "Run the server: TCP ingest, HTTP API and live views");
  sub->add_option("--data", flags->server.data_dir, "Data directory")->required();
  sub->add_option("--tcp", flags->server.tcp_address, "Cap'n Proto ingest address HOST:PORT (port 0: any; off)")
      ->capture_default_str();
  sub->add_option("--http", flags->server.http_address, "HTTP API address HOST:PORT (port 0: any; off)")
      ->capture_default_str();
  sub->add_option("--auth", flags->server.auth_file, "Tokens file; without it only loopback addresses are allowed");
  sub->add_option("--durability", flags->durability, "sync (fsync before ack) or async")->capture_default_str();
  sub->add_option("--log-level", flags->log_level, "trace|debug|info|warn|error|off (default: info)");
  AddLimitFlags(sub, *flags);
  return Command{sub, [flags] { return RunServe(*flags); }};
});

}  // namespace
}  // namespace tally::tools
