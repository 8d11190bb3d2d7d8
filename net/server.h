// Server: the whole of `tally serve` as one object — storage, the view engine folding the log live, the
// shared ingest pipeline, the Cap'n Proto TCP endpoint and the HTTP API. Each endpoint has its own io_context
// and threads (ServerOptions::io_threads each): decoding a large ingest batch never holds up a query's
// connection, and with one thread per loop no handler is handed between threads of a shared loop.
//
// Lifecycle: Start() once; Shutdown() once (also run by the destructor): stop accepting, let every connection
// acknowledge the batches it already received, stop the views, close storage (which flushes). Threading:
// Start and Shutdown from one controlling thread; the accessors from any thread after Start.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "net/auth.h"
#include "net/http_routes.h"
#include "net/http_server.h"
#include "net/ingest.h"
#include "net/metrics.h"
#include "net/tcp_server.h"
#include "processors/engine.h"
#include "storage/storage.h"

namespace tally::net {

struct ServerOptions {
  std::string data_dir;
  std::string tcp_address = "127.0.0.1:7070";   // HOST:PORT; empty = no TCP endpoint
  std::string http_address = "127.0.0.1:8080";  // HOST:PORT; empty = no HTTP endpoint
  std::string auth_file;                        // empty = open mode (loopback only)
  Durability durability = Durability::kSync;
  size_t quarantine_capacity = 10'000;
  // Threads of each endpoint's event loop (the TCP endpoint's and the HTTP API's). One each on 2 cores: one
  // loop of 2 threads for both endpoints answered ~17 % fewer cached and ~7 % fewer uncached queries, handing
  // handlers between its threads, for the same ingest (docs/performance.md, fix 43).
  size_t io_threads = 1;
  TcpServerOptions tcp;
  HttpServerOptions http;
  HttpApiOptions api;  // worker threads, the answer cache's bound, ...
  // Test hook: the RocksDB Env storage runs on (StorageOptions::env), e.g. a fault-injecting one. nullptr: the
  // default Env. Not settable from the command line.
  rocksdb::Env* storage_env = nullptr;
  // How long Shutdown waits for connections to drain before closing them anyway.
  std::chrono::milliseconds drain_timeout{10'000};
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Checks the addresses and auth, opens storage, starts the views and binds the listeners. On failure
  // everything started so far is shut down again. kBadParameter (addresses, auth file, open mode off
  // loopback), kIoError (bind, storage), kCorruption (data directory).
  Status Start();
  // "listening tcp=HOST:PORT http=HOST:PORT" with the bound ports (the parts for disabled endpoints left
  // out). Tests and scripts parse this line.
  std::string ListeningLine() const;
  uint16_t tcp_port() const;
  uint16_t http_port() const;

  // Graceful stop. Returns the first error met (storage close); idempotent.
  Status Shutdown();

 private:
  Status StartListeners();
  // Starts `threads` threads named thread_name running io until it is stopped.
  void RunLoop(boost::asio::io_context& io, const char* thread_name, int threads);
  void WaitForDrain();

  ServerOptions options_;
  std::string tcp_host_;
  uint16_t tcp_port_ = 0;
  std::string http_host_;
  uint16_t http_port_ = 0;
  bool started_ = false;
  bool shut_down_ = false;

  // Destruction runs bottom-up: listeners before the io_context, the io_context before what its queued
  // handlers refer to (ingest, engine, storage), and the metrics registry last.
  MetricsRegistry metrics_;
  std::shared_ptr<const Auth> auth_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<ViewEngine> engine_;
  std::unique_ptr<Ingest> ingest_;
  std::unique_ptr<boost::asio::io_context> tcp_io_;   // the TCP endpoint's loop
  std::unique_ptr<boost::asio::io_context> http_io_;  // the HTTP API's loop
  std::unique_ptr<TcpServer> tcp_;
  std::unique_ptr<HttpApi> http_api_;
  std::unique_ptr<HttpServer> http_;
  std::vector<std::thread> threads_;
};

}  // namespace tally::net
