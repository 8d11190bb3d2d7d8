#include "tools/loadgen_http.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/json_reader.h"

namespace tally::tools {
namespace {

using Clock = std::chrono::steady_clock;

// Connects to HOST:PORT with send/receive timeouts set; -1 on failure.
int ConnectTo(const std::string& address, std::chrono::milliseconds timeout) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return -1;
  std::string host = address.substr(0, colon), port = address.substr(colon + 1);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) return -1;
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  return fd;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The value of header `name` (lower case) in a header block, or empty.
std::string HeaderValue(const std::string& lower_headers, std::string_view name) {
  size_t at = lower_headers.find("\r\n" + std::string(name) + ":");
  if (at == std::string::npos) return "";
  size_t begin = at + 3 + name.size();
  size_t end = lower_headers.find("\r\n", begin);
  std::string value = lower_headers.substr(begin, end - begin);
  value.erase(0, value.find_first_not_of(' '));
  return value;
}

// Decodes a chunked body; nullopt when incomplete.
std::optional<std::string> Dechunk(std::string_view body) {
  std::string out;
  size_t pos = 0;
  for (;;) {
    size_t line_end = body.find("\r\n", pos);
    if (line_end == std::string_view::npos) return std::nullopt;
    size_t size = 0;
    std::from_chars(body.data() + pos, body.data() + line_end, size, 16);
    if (size == 0) return out;
    if (line_end + 2 + size > body.size()) return std::nullopt;
    out.append(body.substr(line_end + 2, size));
    pos = line_end + 2 + size + 2;
  }
}

// Splits a complete response; nullopt while more bytes are needed (complete at EOF regardless).
std::optional<std::pair<int, std::string>> ParseResponse(const std::string& raw, bool eof) {
  size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos || raw.size() < 12) return std::nullopt;
  int status = std::atoi(raw.c_str() + 9);
  std::string headers = Lower(std::string_view(raw).substr(0, head_end + 2));
  std::string_view body = std::string_view(raw).substr(head_end + 4);
  if (HeaderValue(headers, "transfer-encoding").find("chunked") != std::string::npos) {
    auto decoded = Dechunk(body);
    if (!decoded) return std::nullopt;
    return std::make_pair(status, std::move(*decoded));
  }
  std::string length = HeaderValue(headers, "content-length");
  if (!length.empty()) {
    size_t n = std::stoul(length);
    if (body.size() < n) return std::nullopt;
    return std::make_pair(status, std::string(body.substr(0, n)));
  }
  if (!eof) return std::nullopt;
  return std::make_pair(status, std::string(body));
}

}  // namespace

Result<std::string> HttpGet(const std::string& address, const std::string& target, const std::string& token,
                            std::chrono::milliseconds timeout) {
  int fd = ConnectTo(address, timeout);
  if (fd < 0) return Status(Code::kIoError, "cannot connect to " + address);
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: " + address + "\r\nConnection: close\r\n";
  if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
  request += "\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return Status(Code::kIoError, "cannot send to " + address);
  }
  std::string raw;
  char buffer[16384];
  std::optional<std::pair<int, std::string>> response;
  for (;;) {
    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n < 0) break;
    raw.append(buffer, static_cast<size_t>(n));
    response = ParseResponse(raw, n == 0);
    if (response || n == 0) break;
  }
  close(fd);
  if (!response) return Status(Code::kIoError, "no complete answer from " + address + target);
  if (response->first != 200) {
    return Status(Code::kUnavailable, "GET " + target + " answered " + std::to_string(response->first));
  }
  return std::move(response->second);
}

Result<StatusSample> ParseAdminStatus(std::string_view body) {
  JsonReader reader;
  std::vector<JsonMember> members;
  if (Status s = reader.ParseObject(body, &members); !s.ok()) return s;
  StatusSample sample;
  sample.at = Clock::now();
  std::string_view views;
  bool has_head = false;
  for (const JsonMember& m : members) {
    if (m.key == "log_head" && m.value.kind == JsonKind::kInteger) {
      sample.log_head = static_cast<uint64_t>(m.value.integer);
      has_head = true;
    } else if (m.key == "views") {
      views = m.value.raw;
    }
  }
  if (!has_head) return Status(Code::kMalformed, "admin status has no log_head");
  // The views array holds flat objects; each "offset" member is one view's committed offset.
  sample.min_offset = sample.log_head;
  constexpr std::string_view kKey = "\"offset\":";
  for (size_t at = views.find(kKey); at != std::string_view::npos; at = views.find(kKey, at + 1)) {
    uint64_t offset = 0;
    const char* begin = views.data() + at + kKey.size();
    std::from_chars(begin, views.data() + views.size(), offset);
    sample.min_offset = std::min(sample.min_offset, offset);
  }
  return sample;
}

LagSampler::LagSampler(std::string address, std::string token, std::chrono::milliseconds interval)
    : address_(std::move(address)), token_(std::move(token)), interval_(interval) {}

LagSampler::~LagSampler() { Stop(); }

void LagSampler::Start() {
  thread_ = std::thread([this] {
    while (!stop_.load()) {
      auto next = Clock::now() + interval_;
      PollOnce();
      std::this_thread::sleep_until(next);
    }
  });
}

bool LagSampler::PollOnce() {
  auto body = HttpGet(address_, "/v1/admin/status", token_, std::chrono::seconds(5));
  Result<StatusSample> sample = body.ok() ? ParseAdminStatus(*body) : Result<StatusSample>(body.status());
  std::lock_guard<std::mutex> lock(mu_);
  if (!sample.ok()) {
    ++failures_;
    last_error_ = sample.status().ToString();
    return false;
  }
  samples_.push_back(*sample);
  return true;
}

void LagSampler::WaitCaughtUp(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  auto since = Clock::now();
  while (Clock::now() < deadline && thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!samples_.empty() && samples_.back().at >= since && samples_.back().min_offset >= samples_.back().log_head) {
        break;
      }
    }
    std::this_thread::sleep_for(interval_ / 2);
  }
  Stop();
}

void LagSampler::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::string LagSampler::last_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_error_;
}

LagSummary SummarizeLag(const std::vector<StatusSample>& samples, Clock::time_point load_end) {
  LagSummary summary;
  summary.samples = samples.size();
  std::vector<double> lags;
  for (const StatusSample& s : samples) {
    if (s.at > load_end && !summary.catch_up_s && s.min_offset >= s.log_head) {
      summary.catch_up_s = std::chrono::duration<double>(s.at - load_end).count();
    }
    if (s.at > load_end) continue;  // lag while loading; the drain after it is catch_up_s
    double lag_s = 0;
    if (s.min_offset < s.log_head) {
      summary.max_lag_events = std::max(summary.max_lag_events, s.log_head - s.min_offset);
      // The first sample whose head was past this offset (s itself at the latest); the one before it is the
      // last that saw the head at or below it, when the view still had every event.
      size_t j = 0;
      while (samples[j].log_head <= s.min_offset) ++j;
      lag_s = std::chrono::duration<double>(s.at - samples[j == 0 ? 0 : j - 1].at).count();
    }
    lags.push_back(lag_s);
    summary.max_lag_s = std::max(summary.max_lag_s, lag_s);
  }
  if (!lags.empty()) {
    std::sort(lags.begin(), lags.end());
    summary.p99_lag_s = lags[std::min(lags.size() - 1, (lags.size() * 99 + 99) / 100 - 1)];
  }
  return summary;
}

LagSummary LagSampler::Summarize(Clock::time_point load_end) const {
  std::lock_guard<std::mutex> lock(mu_);
  return SummarizeLag(samples_, load_end);
}

}  // namespace tally::tools
