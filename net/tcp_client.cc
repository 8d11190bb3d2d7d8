#include "net/tcp_client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <capnp/serialize.h>
#include <kj/exception.h>

#include "net/auth.h"
#include "net/tcp_frame.h"

namespace tally::net {

TcpClient::TcpClient(int fd)
    : fd_(fd), input_(fd), buffered_(std::make_unique<kj::BufferedInputStreamWrapper>(input_)) {}

TcpClient::~TcpClient() {
  buffered_.reset();
  ::close(fd_);
}

Result<std::unique_ptr<TcpClient>> TcpClient::Connect(const std::string& address) {
  std::string host;
  uint16_t port = 0;
  if (Status s = SplitHostPort(address, &host, &port); !s.ok()) return s;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0) {
    return Status(Code::kIoError, "cannot resolve " + host + ": " + gai_strerror(rc));
  }
  int fd = -1;
  std::string error = "no address";
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      error = std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) return Status(Code::kIoError, "cannot connect to " + address + ": " + error);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return std::unique_ptr<TcpClient>(new TcpClient(fd));
}

Status TcpClient::SendRaw(std::string_view bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status(Code::kIoError, std::string("send failed: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status TcpClient::Send(capnp::MessageBuilder& message) {
  kj::Array<capnp::word> words = EncodeFrame(message);
  auto bytes = words.asBytes();
  return SendRaw(std::string_view(reinterpret_cast<const char*>(bytes.begin()), bytes.size()));
}

Result<std::optional<ServerReply>> TcpClient::Receive() {
  try {
    if (buffered_->tryGetReadBuffer().size() == 0) return std::optional<ServerReply>();
    capnp::ReaderOptions options;
    options.traversalLimitInWords = uint64_t{1} << 32;  // acks of huge batches are legitimately large
    capnp::InputStreamMessageReader reader(*buffered_, options);
    // Copied out so the reply does not depend on the shared input buffer once the next message is read.
    ServerReply reply;
    reply.copy = std::make_unique<capnp::MallocMessageBuilder>();
    reply.copy->setRoot(reader.getRoot<wire::ServerMessage>());
    return std::optional<ServerReply>(std::move(reply));
  } catch (const kj::Exception& e) {
    return Status(Code::kIoError, std::string("receive failed: ") + e.getDescription().cStr());
  }
}

void TcpClient::SetReceiveTimeout(int timeout_ms) {
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

void TcpClient::ShutdownSend() { ::shutdown(fd_, SHUT_WR); }

Result<std::string> TcpClient::Handshake(std::string_view token, std::string_view producer_id) {
  capnp::MallocMessageBuilder message;
  auto hello = message.initRoot<wire::ClientMessage>().initHello();
  hello.setProtocolVersion(kProtocolVersion);
  hello.setProducerId(std::string(producer_id));
  if (!token.empty()) hello.setToken(std::string(token));
  if (Status s = Send(message); !s.ok()) return s;
  auto reply = Receive();
  if (!reply.ok()) return reply.status();
  if (!reply->has_value()) return Status(Code::kIoError, "connection closed before Welcome");
  auto answer = (*reply)->message();
  if (answer.isWelcome()) return std::string(answer.getWelcome().getServerVersion().cStr());
  if (answer.isError()) {
    std::string code = answer.getError().getCode().cStr();
    Code mapped = code == "unauthorized" ? Code::kUnauthorized
                  : code == "forbidden"  ? Code::kForbidden
                                         : Code::kUnavailable;
    return Status(mapped, code + ": " + answer.getError().getMessage().cStr());
  }
  return Status(Code::kMalformed, "unexpected answer to Hello");
}

}  // namespace tally::net
