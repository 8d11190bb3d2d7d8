// A small blocking HTTP/1.1 client for tests, on Beast. Every operation runs on the client's own io_context
// with a deadline, so a misbehaving server fails the test instead of hanging it. One connection per client;
// requests on it use keep-alive unless the server closes.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tally::testing {

struct HttpReply {
  int status = 0;  // 0: no answer (connection failed, closed or timed out)
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased
  bool keep_alive = false;
  std::string error;  // why status is 0

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HttpCall {
  std::string method = "GET";
  std::string target = "/";
  std::string body;
  std::string token;  // sent as "Authorization: Bearer <token>" when not empty
  std::vector<std::pair<std::string, std::string>> headers;
};

class HttpClient {
 public:
  explicit HttpClient(uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(15));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Connects if not connected. False on failure.
  bool Connect();
  bool connected() const;
  // Sends one request on the connection (connecting first if needed) and reads its answer.
  HttpReply Send(const HttpCall& call);
  HttpReply Get(const std::string& target, const std::string& token = "");
  HttpReply Post(const std::string& target, const std::string& body, const std::string& token = "");

  // Raw access for protocol tests: write bytes / read one response / wait for the server to close.
  bool WriteRaw(std::string_view bytes);
  HttpReply ReadReply();
  // True when the server closed the connection (EOF or reset) within the timeout.
  bool WaitForClose(std::chrono::milliseconds timeout);
  void Close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One request on a fresh connection.
HttpReply HttpRequestOnce(uint16_t port, const HttpCall& call);

// Percent-encodes everything but unreserved characters (RFC 3986), for path segments and query values.
std::string UrlEncode(std::string_view text);

// The raw JSON text of a top-level member of a JSON object (`"x"` for strings, quotes included), nullopt when
// the text is not an object or has no such member.
std::optional<std::string> JsonMemberRaw(std::string_view object, std::string_view key);
// The same member as a string (decoded) or an unsigned integer, nullopt when absent or of another kind.
std::optional<std::string> JsonMemberString(std::string_view object, std::string_view key);
std::optional<uint64_t> JsonMemberUint(std::string_view object, std::string_view key);

// The whole content of a file (empty when unreadable).
std::string ReadFileText(const std::string& path);
// The demo data set shipped with tally (tools/demo/events.ndjson), as NDJSON text.
std::string DemoEvents();

// The value of one series (`name` or `name{labels}`) in a Prometheus text body; -1 when absent.
double MetricValue(const std::string& text, const std::string& series);

}  // namespace tally::testing
