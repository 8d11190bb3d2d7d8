// The HTTP API's request and response values, independent of routing. A response is either a complete body
// or a BodyStream that produces the body in pieces (sent with chunked transfer encoding), so long exports never
// sit whole in memory. Error responses all carry the contract's body `{"error":{"code","message"}}`.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace tally::net {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;

// Produces a response body piece by piece. Next() is called repeatedly, never concurrently, possibly from a
// worker thread (it may block on storage reads); it appends the next piece to *piece and sets *last on the
// final call. A failed status after the first piece aborts the connection (the client sees a truncated
// chunked body rather than a wrong one).
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  virtual Status Next(std::string* piece, bool* last) = 0;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, e.g. Retry-After
  std::shared_ptr<BodyStream> stream;                        // set: body is ignored and streamed instead
  // Set: this same response already serialized by WireBytes (HTTP/1.1, keep-alive), shared and immutable, with
  // its body starting at wire_body_offset; `body` is then ignored. A connection that keeps HTTP/1.1 alive
  // writes these bytes as they are; any other takes the body from them and builds the response as usual.
  std::shared_ptr<const std::string> wire;
  size_t wire_body_offset = 0;

  // The body, wherever it is held.
  std::string_view BodyView() const {
    return wire ? std::string_view(*wire).substr(wire_body_offset) : std::string_view(body);
  }
};

// The Beast message every whole (not streamed) answer is sent as: status, Server, Content-Type, the extra
// headers, the body, keep-alive and Content-Length.
boost::beast::http::response<boost::beast::http::string_body> ToBeastResponse(HttpResponse response, unsigned version,
                                                                              bool keep_alive);
// The bytes ToBeastResponse(response, 11, true) puts on the wire; *body_offset receives where the body starts.
std::string WireBytes(const HttpResponse& response, size_t* body_offset);

// The HTTP status the contract assigns to an error code (400, 401, 403, 404, 405, 413, 503; 500 otherwise).
unsigned HttpStatusFor(Code code);
// The wire code of an error: the Code's name for the §4 codes and rejection codes that map to 400
// (`malformed` stays `malformed`), `internal` for anything the API does not expose (io_error, corruption).
std::string_view HttpErrorCode(Code code);

// `{"error":{"code":...,"message":...}}` with the status for code.
HttpResponse ErrorResponse(Code code, std::string_view message);
inline HttpResponse ErrorResponse(const Status& status) { return ErrorResponse(status.code(), status.message()); }
// 200 with a JSON body.
HttpResponse JsonResponse(std::string body);

}  // namespace tally::net
