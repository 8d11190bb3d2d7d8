#include "tests/testing/tally_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

namespace tally::testing {

bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout,
             std::chrono::milliseconds poll) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(poll);
  }
  return true;
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/tally-test-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) std::abort();
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::Sub(std::string_view name) const { return path_ + "/" + std::string(name); }

bool WriteFile(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  return static_cast<bool>(out);
}

std::unique_ptr<ChildProcess> ChildProcess::Start(const std::vector<std::string>& argv,
                                                  std::optional<std::string> stdin_data) {
  int out_pipe[2], err_pipe[2], in_pipe[2] = {-1, -1};
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) return nullptr;
  if (stdin_data && pipe2(in_pipe, O_CLOEXEC) != 0) return nullptr;
  // Everything the child needs is prepared before fork: between fork and exec only async-signal-safe calls
  // are allowed (the test process has other threads, which may hold the allocator's locks).
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return nullptr;
  if (pid == 0) {
    int in_fd = stdin_data ? in_pipe[0] : open("/dev/null", O_RDONLY);
    dup2(in_fd, 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  std::unique_ptr<ChildProcess> child(new ChildProcess());
  child->pid_ = pid;
  child->out_reader_ = std::thread([c = child.get(), fd = out_pipe[0]] { c->ReadLoop(fd, &c->out_); });
  child->err_reader_ = std::thread([c = child.get(), fd = err_pipe[0]] { c->ReadLoop(fd, &c->err_); });
  if (stdin_data) {
    close(in_pipe[0]);
    child->stdin_writer_ = std::thread([fd = in_pipe[1], data = std::move(*stdin_data)] {
      size_t done = 0;
      while (done < data.size()) {
        ssize_t n = write(fd, data.data() + done, data.size() - done);
        if (n <= 0) break;
        done += static_cast<size_t>(n);
      }
      close(fd);
    });
  }
  return child;
}

void ChildProcess::ReadLoop(int fd, std::string* sink) {
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::lock_guard<std::mutex> lock(mu_);
    sink->append(buf, static_cast<size_t>(n));
  }
  close(fd);
  std::lock_guard<std::mutex> lock(mu_);
  if (sink == &out_) out_closed_ = true;
}

ChildProcess::~ChildProcess() {
  if (!exit_code_) {
    kill(pid_, SIGKILL);
    Wait(10s);
  }
  if (out_reader_.joinable()) out_reader_.join();
  if (err_reader_.joinable()) err_reader_.join();
  if (stdin_writer_.joinable()) stdin_writer_.join();
  // In a sanitizer build the children are instrumented too. A child that stops on a report exits with an error,
  // but a test that kills its server anyway (the kill loop) or never looks at the exit code would not notice,
  // and the report would stay in a pipe nobody prints.
  if (std::string_view report = SanitizerReport(err_); !report.empty()) {
    ADD_FAILURE() << "sanitizer report in child process " << pid_ << ":\n" << report;
  }
}

std::string_view SanitizerReport(std::string_view stderr_text) {
  // TSan and ASan reports start at their marker's line; UBSan's summary line comes last, after the report.
  for (std::string_view marker : {"WARNING: ThreadSanitizer:", "ERROR: AddressSanitizer:", "ERROR: LeakSanitizer:"}) {
    size_t at = stderr_text.find(marker);
    if (at == std::string_view::npos) continue;
    size_t line = stderr_text.rfind('\n', at);
    return stderr_text.substr(line == std::string_view::npos ? 0 : line + 1);
  }
  if (stderr_text.find("SUMMARY: UndefinedBehaviorSanitizer:") != std::string_view::npos) return stderr_text;
  return {};
}

std::string ChildProcess::Stdout() const {
  std::lock_guard<std::mutex> lock(mu_);
  return out_;
}

std::string ChildProcess::Stderr() const {
  std::lock_guard<std::mutex> lock(mu_);
  return err_;
}

bool ChildProcess::WaitForStdout(std::string_view needle, std::chrono::milliseconds timeout) const {
  return WaitFor(
      [&] {
        std::lock_guard<std::mutex> lock(mu_);
        return out_.find(needle) != std::string::npos || out_closed_;
      },
      timeout) &&
         Stdout().find(needle) != std::string::npos;
}

void ChildProcess::Signal(int sig) const {
  if (!exit_code_) kill(pid_, sig);
}

bool ChildProcess::Exited() {
  if (exit_code_) return true;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r != pid_) return false;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return true;
}

std::optional<int> ChildProcess::Wait(std::chrono::milliseconds timeout) {
  if (!WaitFor([&] { return Exited(); }, timeout)) return std::nullopt;
  // The output pipes close when the process (and any child holding them) exits: drain fully.
  if (out_reader_.joinable()) out_reader_.join();
  if (err_reader_.joinable()) err_reader_.join();
  return exit_code_;
}

RunResult RunTally(const std::vector<std::string>& args, std::optional<std::string> stdin_data,
                   std::chrono::milliseconds timeout) {
  std::vector<std::string> argv{TALLY_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  auto child = ChildProcess::Start(argv, std::move(stdin_data));
  RunResult result;
  if (!child) return result;
  auto code = child->Wait(timeout);
  if (!code) {
    child->Signal(SIGKILL);
    child->Wait(10s);
  }
  result.exit_code = code.value_or(-1);
  result.out = child->Stdout();
  result.err = child->Stderr();
  return result;
}

bool ParseListeningLine(std::string_view output, uint16_t* tcp_port, uint16_t* http_port) {
  // The line must start with "listening " (log lines may mention the word elsewhere).
  size_t start = output.rfind("listening ", 0) == 0 ? 0 : output.find("\nlistening ");
  if (start == std::string_view::npos) return false;
  if (output[start] == '\n') ++start;
  size_t end = output.find('\n', start);
  if (end == std::string_view::npos) return false;
  std::istringstream line(std::string(output.substr(start + 10, end - start - 10)));
  *tcp_port = 0;
  *http_port = 0;
  std::string word;
  while (line >> word) {
    size_t colon = word.rfind(':');
    if (colon == std::string::npos) continue;
    auto port = static_cast<uint16_t>(std::strtoul(word.c_str() + colon + 1, nullptr, 10));
    if (word.rfind("tcp=", 0) == 0) *tcp_port = port;
    if (word.rfind("http=", 0) == 0) *http_port = port;
  }
  return true;
}

std::unique_ptr<TallyServer> TallyServer::Start(const std::string& data_dir,
                                                const std::vector<std::string>& extra_args,
                                                std::chrono::milliseconds timeout) {
  std::vector<std::string> argv{TALLY_BINARY, "serve", "--data", data_dir, "--tcp", "127.0.0.1:0",
                                "--http", "127.0.0.1:0"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  auto server = std::unique_ptr<TallyServer>(new TallyServer());
  server->process_ = ChildProcess::Start(argv);
  if (!server->process_) return nullptr;
  ChildProcess& child = *server->process_;
  bool up = WaitFor(
      [&] { return ParseListeningLine(child.Stdout(), &server->tcp_port_, &server->http_port_) || child.Exited(); },
      timeout);
  if (!up || !ParseListeningLine(child.Stdout(), &server->tcp_port_, &server->http_port_)) {
    std::fprintf(stderr, "tally serve did not come up.\nstdout:\n%s\nstderr:\n%s\n",
                 server->process_->Stdout().c_str(), server->process_->Stderr().c_str());
    return nullptr;
  }
  return server;
}

std::optional<int> TallyServer::Stop(std::chrono::milliseconds timeout) {
  process_->Signal(SIGTERM);
  return process_->Wait(timeout);
}

void TallyServer::Kill() {
  process_->Signal(SIGKILL);
  process_->Wait(10s);
}

std::optional<long> ResidentKib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return std::nullopt;
}

}  // namespace tally::testing
