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
};

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
