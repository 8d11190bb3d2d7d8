// HttpServer on its own, with a scripted handler: keep-alive, limits, timeouts, failures at the boundary,
// streaming. The full API over the real binary is in http_api_test.cc and friends.
#include "net/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <stdexcept>
#include <thread>

#include "tests/testing/http_client.h"
#include "tests/testing/tally_process.h"

namespace tally::net {
namespace {

using namespace std::chrono_literals;
using testing::HttpCall;
using testing::HttpClient;
using testing::HttpReply;

class CountingStream final : public BodyStream {
 public:
  explicit CountingStream(int pieces) : pieces_(pieces) {}
  Status Next(std::string* piece, bool* last) override {
    *piece = "piece" + std::to_string(next_++) + ";";
    *last = next_ >= pieces_;
    return Status::Ok();
  }

 private:
  int pieces_;
  int next_ = 0;
};

class ScriptedHandler final : public HttpHandler {
 public:
  void Handle(HttpRequest request, Responder respond) override {
    ++calls;
    std::string target(request.target());
    if (target == "/throw") throw std::runtime_error("boom");
    if (target == "/never") return;  // drops the responder without answering
    if (target == "/later") {
      std::thread([respond] { respond(JsonResponse(R"({"later":true})")); }).detach();
      return;
    }
    if (target == "/stream") {
      HttpResponse response;
      response.content_type = "text/plain";
      response.stream = std::make_shared<CountingStream>(5);
      return respond(std::move(response));
    }
    respond(JsonResponse("echo:" + target + ":" + request.body()));
  }
  std::atomic<int> calls{0};
};

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpServerOptions options) {
    server_ = std::make_unique<HttpServer>(io_, handler_, options);
    ASSERT_TRUE(server_->Start("127.0.0.1", 0).ok());
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (server_) server_->Stop();
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  uint16_t port() const { return server_->port(); }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ = boost::asio::make_work_guard(io_);
  ScriptedHandler handler_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  StartServer({});
  HttpClient client(port());
  for (int i = 0; i < 3; ++i) {
    HttpReply reply = client.Post("/r" + std::to_string(i), "body" + std::to_string(i));
    ASSERT_EQ(reply.status, 200) << reply.error;
    EXPECT_EQ(reply.body, "echo:/r" + std::to_string(i) + ":body" + std::to_string(i));
    EXPECT_TRUE(reply.keep_alive);
    EXPECT_TRUE(client.connected());
  }
  EXPECT_EQ(handler_.calls.load(), 3);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer({});
  HttpClient client(port());
  ASSERT_TRUE(client.WriteRaw("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(client.ReadReply().body, "echo:/a:");
  EXPECT_EQ(client.ReadReply().body, "echo:/b:");
}

TEST_F(HttpServerTest, BodyOverTheLimitIs413AndTheServerCarriesOn) {
  HttpServerOptions options;
  options.body_limit = 1024;
  StartServer(options);
  HttpReply big = HttpClient(port()).Post("/big", std::string(4096, 'x'));
  EXPECT_EQ(big.status, 413) << big.error;
  EXPECT_NE(big.body.find("\"too_large\""), std::string::npos) << big.body;
  EXPECT_EQ(HttpClient(port()).Post("/small", "ok").status, 200);
}

TEST_F(HttpServerTest, ChunkedBodyOverTheLimitIs413) {
  HttpServerOptions options;
  options.body_limit = 1024;
  StartServer(options);
  HttpClient client(port());
  std::string chunk(800, 'y');
  std::string raw = "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) raw += "320\r\n" + chunk + "\r\n";
  raw += "0\r\n\r\n";
  ASSERT_TRUE(client.WriteRaw(raw));
  EXPECT_EQ(client.ReadReply().status, 413);
}

TEST_F(HttpServerTest, GarbageRequestGets400AndClose) {
  StartServer({});
  HttpClient client(port());
  ASSERT_TRUE(client.WriteRaw("THIS IS NOT HTTP\r\n\r\n"));
  HttpReply reply = client.ReadReply();
  EXPECT_EQ(reply.status, 400) << reply.error;
  EXPECT_FALSE(reply.keep_alive);
  EXPECT_TRUE(client.WaitForClose(5s));
}

TEST_F(HttpServerTest, ThrowingHandlerGets500AndOthersAreServed) {
  StartServer({});
  HttpClient client(port());
  HttpReply reply = client.Get("/throw");
  EXPECT_EQ(reply.status, 500);
  EXPECT_NE(reply.body.find("\"internal\""), std::string::npos) << reply.body;
  EXPECT_EQ(client.Get("/fine").status, 200);  // same connection still usable
}

TEST_F(HttpServerTest, HandlerThatNeverAnswersGets500) {
  StartServer({});
  EXPECT_EQ(HttpClient(port()).Get("/never").status, 500);
}

TEST_F(HttpServerTest, AnswerFromAnotherThreadArrives) {
  StartServer({});
  HttpReply reply = HttpClient(port()).Get("/later");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, R"({"later":true})");
}

TEST_F(HttpServerTest, StreamedBodyIsChunkedAndComplete) {
  StartServer({});
  HttpClient client(port());
  HttpReply reply = client.Get("/stream");
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(reply.Header("transfer-encoding"), "chunked");
  EXPECT_EQ(reply.body, "piece0;piece1;piece2;piece3;piece4;");
  EXPECT_EQ(client.Get("/after").status, 200);  // keep-alive after a chunked answer
}

TEST_F(HttpServerTest, SlowHeaderClientIsCutOffAndDoesNotBlockOthers) {
  HttpServerOptions options;
  options.header_timeout = 300ms;
  StartServer(options);
  HttpClient slow(port());
  ASSERT_TRUE(slow.WriteRaw("GET /slow HTTP/1.1\r\nHost: x\r\nX-Drip: "));
  // While it dawdles, others are served at once.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(HttpClient(port()).Get("/quick").status, 200);
  EXPECT_TRUE(slow.WaitForClose(5s));
  EXPECT_EQ(handler_.calls.load(), 3);
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosed) {
  HttpServerOptions options;
  options.idle_timeout = 200ms;
  StartServer(options);
  HttpClient client(port());
  EXPECT_EQ(client.Get("/one").status, 200);
  EXPECT_TRUE(client.WaitForClose(5s));
}

TEST_F(HttpServerTest, ConnectionsBeyondTheMaximumGet503) {
  HttpServerOptions options;
  options.max_connections = 2;
  StartServer(options);
  HttpClient a(port());
  HttpClient b(port());
  ASSERT_EQ(a.Get("/a").status, 200);
  ASSERT_EQ(b.Get("/b").status, 200);
  HttpReply third = HttpClient(port()).Get("/c");
  EXPECT_EQ(third.status, 503);
  EXPECT_NE(third.body.find("\"unavailable\""), std::string::npos);
  a.Close();
  EXPECT_TRUE(testing::WaitFor([&] { return server_->open_connections() < 2; }, 5s));
  EXPECT_EQ(HttpClient(port()).Get("/d").status, 200);
}

TEST_F(HttpServerTest, ExpectContinueGetsTheBodyRead) {
  StartServer({});
  HttpClient client(port());
  ASSERT_TRUE(client.WriteRaw("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  HttpReply interim = client.ReadReply();
  EXPECT_EQ(interim.status, 100);
  ASSERT_TRUE(client.WriteRaw("hello"));
  HttpReply reply = client.ReadReply();
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "echo:/e:hello");
}

TEST_F(HttpServerTest, Http10GetsAStreamedBodyWithoutChunks) {
  StartServer({});
  HttpClient client(port());
  ASSERT_TRUE(client.WriteRaw("GET /stream HTTP/1.0\r\n\r\n"));
  HttpReply reply = client.ReadReply();
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "piece0;piece1;piece2;piece3;piece4;");
}

}  // namespace
}  // namespace tally::net
