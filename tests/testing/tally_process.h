// Integration-test helpers: run the real `tally` binary (TALLY_BINARY) as a child process, capture its output,
// and wait for conditions with deadlines (tests never sleep to wait).
//
// Typical use:
//   TempDir dir;
//   auto server = TallyServer::Start(dir.path());          // serve on free loopback ports (port 0)
//   ASSERT_TRUE(server) << ...;
//   RunResult push = RunTally({"push", "--to", server->tcp_address(), "events.ndjson"});
//   EXPECT_EQ(server->Stop(), 0);                          // SIGTERM, wait for a clean exit
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace tally::testing {

using namespace std::chrono_literals;

// Polls pred (every `poll`) until it returns true or `timeout` passes; returns its last answer.
bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 10s,
             std::chrono::milliseconds poll = 2ms);

// A fresh directory under $TMPDIR (or /tmp), removed recursively on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // path() + "/" + name
  std::string Sub(std::string_view name) const;

 private:
  std::string path_;
};

// Writes text to a file (replacing it). Returns false on failure.
bool WriteFile(const std::string& path, std::string_view text);

// A running child process with stdout and stderr captured by background threads. Destruction kills it
// (SIGKILL) if it is still running and reaps it.
class ChildProcess {
 public:
  // argv[0] is the program path. stdin_data, when given, is written to the child's stdin, which is then closed
  // (otherwise stdin is /dev/null).
  static std::unique_ptr<ChildProcess> Start(const std::vector<std::string>& argv,
                                             std::optional<std::string> stdin_data = std::nullopt);
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  std::string Stdout() const;
  std::string Stderr() const;
  // Waits until stdout contains needle (or the deadline, or the process exits without printing it).
  bool WaitForStdout(std::string_view needle, std::chrono::milliseconds timeout = 10s) const;
  void Signal(int sig) const;
  // Waits for exit; returns the exit code (128 + signal when killed), nullopt on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout = 30s);
  bool Exited();

 private:
  ChildProcess() = default;
  void ReadLoop(int fd, std::string* sink);

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  mutable std::mutex mu_;
  std::string out_;
  std::string err_;
  bool out_closed_ = false;
  std::thread out_reader_;
  std::thread err_reader_;
  std::thread stdin_writer_;
};

// The first sanitizer report (ThreadSanitizer, AddressSanitizer, LeakSanitizer, UBSan summary) in a process's
// stderr and everything after it; empty when there is none. A ChildProcess whose stderr holds one adds a test
// failure (with the report) when it is destroyed.
std::string_view SanitizerReport(std::string_view stderr_text);

struct RunResult {
  int exit_code = -1;  // -1: did not finish within the timeout (it was killed)
  std::string out;
  std::string err;
};

// Runs `tally args...` to completion and captures its output.
RunResult RunTally(const std::vector<std::string>& args, std::optional<std::string> stdin_data = std::nullopt,
                   std::chrono::milliseconds timeout = 60s);

// `tally serve` on free loopback ports. Start() binds port 0 for TCP and HTTP and reads the
// "listening tcp=HOST:PORT http=HOST:PORT" line that serve prints once it accepts connections.
class TallyServer {
 public:
  // extra_args are appended to `serve --data DIR --tcp 127.0.0.1:0 --http 127.0.0.1:0`. Returns nullptr (and
  // prints the server's output to stderr) if it did not come up within the timeout.
  static std::unique_ptr<TallyServer> Start(const std::string& data_dir,
                                            const std::vector<std::string>& extra_args = {},
                                            std::chrono::milliseconds timeout = 20s);

  uint16_t tcp_port() const { return tcp_port_; }
  uint16_t http_port() const { return http_port_; }
  std::string tcp_address() const { return "127.0.0.1:" + std::to_string(tcp_port_); }
  std::string http_address() const { return "127.0.0.1:" + std::to_string(http_port_); }
  ChildProcess& process() { return *process_; }
  pid_t pid() const { return process_->pid(); }

  // SIGTERM and wait; returns the exit code (nullopt if it did not exit in time).
  std::optional<int> Stop(std::chrono::milliseconds timeout = 30s);
  // SIGKILL and reap (crash simulation).
  void Kill();

 private:
  std::unique_ptr<ChildProcess> process_;
  uint16_t tcp_port_ = 0;
  uint16_t http_port_ = 0;
};

// Parses "listening tcp=H:P http=H:P" (either part optional) from serve's output. Ports 0 when absent.
bool ParseListeningLine(std::string_view output, uint16_t* tcp_port, uint16_t* http_port);

// Resident set size of a process in KiB, from /proc/<pid>/status (VmRSS); nullopt if unreadable.
std::optional<long> ResidentKib(pid_t pid);

}  // namespace tally::testing
