#include "tests/testing/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <fstream>
#include <functional>
#include <ostream>
#include <sstream>

#include "core/json_reader.h"

namespace tally::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

struct HttpClient::Impl {
  uint16_t port;
  std::chrono::milliseconds timeout;
  asio::io_context io;
  tcp::socket socket{io};
  beast::flat_buffer buffer;
  bool connected = false;

  // Runs the io_context until done or the deadline; on timeout closes the socket so pending ops finish.
  bool RunUntil(const bool& done, std::chrono::milliseconds limit) {
    io.restart();
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done && std::chrono::steady_clock::now() < deadline) {
      io.run_one_until(deadline);
    }
    if (done) return true;
    beast::error_code ignored;
    socket.close(ignored);
    io.restart();
    io.run();  // let the aborted handlers run
    connected = false;
    return false;
  }
};

HttpClient::HttpClient(uint16_t port, std::chrono::milliseconds timeout) : impl_(std::make_unique<Impl>()) {
  impl_->port = port;
  impl_->timeout = timeout;
}

HttpClient::~HttpClient() { Close(); }

bool HttpClient::connected() const { return impl_->connected; }

bool HttpClient::Connect() {
  if (impl_->connected) return true;
  impl_->socket = tcp::socket(impl_->io);
  impl_->buffer.clear();
  bool done = false;
  beast::error_code result;
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), impl_->port);
  impl_->socket.async_connect(endpoint, [&](beast::error_code ec) {
    result = ec;
    done = true;
  });
  if (!impl_->RunUntil(done, impl_->timeout) || result) return false;
  impl_->connected = true;
  return true;
}

bool HttpClient::WriteRaw(std::string_view bytes) {
  if (!Connect()) return false;
  bool done = false;
  beast::error_code result;
  asio::async_write(impl_->socket, asio::buffer(bytes.data(), bytes.size()), [&](beast::error_code ec, size_t) {
    result = ec;
    done = true;
  });
  if (!impl_->RunUntil(done, impl_->timeout)) return false;
  return !result;
}

HttpReply HttpClient::ReadReply() {
  HttpReply reply;
  if (!impl_->connected) {
    reply.error = "not connected";
    return reply;
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(256 * 1024 * 1024);
  bool done = false;
  beast::error_code result;
  http::async_read(impl_->socket, impl_->buffer, parser, [&](beast::error_code ec, size_t) {
    result = ec;
    done = true;
  });
  if (!impl_->RunUntil(done, impl_->timeout)) {
    reply.error = "timed out reading the answer";
    return reply;
  }
  if (result) {
    reply.error = result.message();
    impl_->connected = false;
    return reply;
  }
  auto& res = parser.get();
  reply.status = static_cast<int>(res.result_int());
  reply.body = res.body();
  reply.keep_alive = res.keep_alive();
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    reply.headers[name] = std::string(field.value());
  }
  if (!reply.keep_alive) Close();
  return reply;
}

HttpReply HttpClient::Send(const HttpCall& call) {
  http::request<http::string_body> req(http::string_to_verb(call.method), call.target, 11);
  req.set(http::field::host, "127.0.0.1");
  if (!call.token.empty()) req.set(http::field::authorization, "Bearer " + call.token);
  for (const auto& [name, value] : call.headers) req.set(name, value);
  req.body() = call.body;
  req.prepare_payload();
  std::ostringstream wire;
  wire << req;
  if (!WriteRaw(wire.str())) {
    HttpReply reply;
    reply.error = "could not send the request";
    return reply;
  }
  return ReadReply();
}

HttpReply HttpClient::Get(const std::string& target, const std::string& token) {
  HttpCall call;
  call.target = target;
  call.token = token;
  return Send(call);
}

HttpReply HttpClient::Post(const std::string& target, const std::string& body, const std::string& token) {
  HttpCall call;
  call.method = "POST";
  call.target = target;
  call.body = body;
  call.token = token;
  return Send(call);
}

bool HttpClient::WaitForClose(std::chrono::milliseconds timeout) {
  if (!impl_->connected) return true;
  char scratch[4096];
  bool done = false;
  bool closed = false;
  std::function<void()> read_more;
  read_more = [&] {
    impl_->socket.async_read_some(asio::buffer(scratch), [&](beast::error_code ec, size_t) {
      if (ec) {
        closed = true;
        done = true;
        return;
      }
      read_more();
    });
  };
  read_more();
  if (!impl_->RunUntil(done, timeout)) return false;
  impl_->connected = false;
  return closed;
}

void HttpClient::Close() {
  beast::error_code ignored;
  impl_->socket.shutdown(tcp::socket::shutdown_both, ignored);
  impl_->socket.close(ignored);
  impl_->connected = false;
}

HttpReply HttpRequestOnce(uint16_t port, const HttpCall& call) {
  HttpClient client(port);
  return client.Send(call);
}

std::string UrlEncode(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      unsigned char u = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

namespace {

std::optional<JsonValue> FindMember(JsonReader& reader, std::string_view object, std::string_view key) {
  std::vector<JsonMember> members;
  if (!reader.ParseObject(object, &members).ok()) return std::nullopt;
  for (const JsonMember& m : members) {
    if (m.key == key) return m.value;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> JsonMemberRaw(std::string_view object, std::string_view key) {
  JsonReader reader;
  auto value = FindMember(reader, object, key);
  if (!value) return std::nullopt;
  return std::string(value->raw);
}

std::optional<std::string> JsonMemberString(std::string_view object, std::string_view key) {
  JsonReader reader;
  auto value = FindMember(reader, object, key);
  if (!value || value->kind != JsonKind::kString) return std::nullopt;
  return std::string(value->string);
}

std::optional<uint64_t> JsonMemberUint(std::string_view object, std::string_view key) {
  JsonReader reader;
  auto value = FindMember(reader, object, key);
  if (!value || value->kind != JsonKind::kInteger || !value->int_fits || value->integer < 0) return std::nullopt;
  return static_cast<uint64_t>(value->integer);
}

std::string ReadFileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string DemoEvents() {
  return ReadFileText(std::string(TALLY_TEST_DATA_DIR) + "/../../tools/demo/events.ndjson");
}

double MetricValue(const std::string& text, const std::string& series) {
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

}  // namespace tally::testing
