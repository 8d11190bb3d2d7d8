#include "net/http_message.h"

#include <boost/beast/http/write.hpp>
#include <sstream>

#include "core/json_writer.h"

namespace tally::net {

unsigned HttpStatusFor(Code code) {
  switch (code) {
    case Code::kOk:
      return 200;
    case Code::kMalformed:
    case Code::kUnknownType:
    case Code::kMissingField:
    case Code::kUnknownField:
    case Code::kInvalidValue:
    case Code::kFutureTimestamp:
    case Code::kBadParameter:
      return 400;
    case Code::kUnauthorized:
      return 401;
    case Code::kForbidden:
      return 403;
    case Code::kNotFound:
      return 404;
    case Code::kMethodNotAllowed:
      return 405;
    case Code::kTooLarge:
      return 413;
    case Code::kUnavailable:
      return 503;
    case Code::kIoError:
    case Code::kCorruption:
    case Code::kInternal:
      return 500;
  }
  return 500;
}

std::string_view HttpErrorCode(Code code) {
  // Storage-level failures are an implementation detail: the API reports them as `internal` (§4).
  if (HttpStatusFor(code) == 500) return "internal";
  return CodeName(code);
}

HttpResponse ErrorResponse(Code code, std::string_view message) {
  HttpResponse response;
  response.status = HttpStatusFor(code);
  JsonWriter w(&response.body);
  w.BeginObject().Key("error").BeginObject();
  w.Field("code", HttpErrorCode(code)).Field("message", message);
  w.EndObject().EndObject();
  return response;
}

HttpResponse JsonResponse(std::string body) {
  HttpResponse response;
  response.body = std::move(body);
  return response;
}

namespace http = boost::beast::http;

http::response<http::string_body> ToBeastResponse(HttpResponse response, unsigned version, bool keep_alive) {
  http::response<http::string_body> res(static_cast<http::status>(response.status), version);
  res.set(http::field::server, "tally");
  res.set(http::field::content_type, response.content_type);
  for (auto& [name, value] : response.headers) res.set(name, value);
  if (response.wire) {
    res.body() = response.wire->substr(response.wire_body_offset);
  } else {
    res.body() = std::move(response.body);
  }
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

std::string WireBytes(const HttpResponse& response, size_t* body_offset) {
  HttpResponse copy = response;
  copy.stream = nullptr;
  size_t body_size = copy.wire ? copy.wire->size() - copy.wire_body_offset : copy.body.size();
  std::ostringstream out;
  out << ToBeastResponse(std::move(copy), 11, true);
  std::string bytes = std::move(out).str();
  *body_offset = bytes.size() - body_size;
  return bytes;
}

}  // namespace tally::net
