// libFuzzer target: raw bytes of an HTTP/1.1 request through what the server does before storage or a view is
// touched — Beast's parser with the server's header and body limits, the target split into path and query,
// percent-decoding, route matching, and for POST /v1/events the body split (array or NDJSON) and every event's
// validation. The parts behind (auth, storage, query API) are exercised by the integration tests in tests/net and
// tests/reliability, not here.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "core/validator.h"
#include "net/http_events_body.h"
#include "net/http_params.h"
#include "net/http_route_table.h"

namespace http = boost::beast::http;

namespace {

void Route(const http::request<http::string_body>& request) {
  std::string_view target(request.target().data(), request.target().size());
  size_t q = target.find('?');
  auto segments = tally::net::SplitPath(target.substr(0, q));
  if (q != std::string_view::npos) (void)tally::net::ParseQueryString(target.substr(q + 1));
  if (!segments.ok()) return;
  std::string allow;
  auto match = tally::net::MatchRoute(request.method(), *segments, &allow);
  if (!match.ok()) return;
  for (const auto& [name, value] : match->path_params) (void)tally::net::IsValidStoreId(value);
  if (request.method() != http::verb::post || *segments != std::vector<std::string>{"v1", "events"}) return;
  tally::ValidationContext ctx;
  ctx.now_ms = 1'795'435'200'000;
  ctx.received_at = ctx.now_ms;
  tally::net::EventsBody body = tally::net::SplitEventsBody(request.body());
  for (std::string_view event : body.events) (void)tally::ValidateJsonEvent(event, ctx);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(64 * 1024);  // the server's defaults (net/http_server.h)
  parser.body_limit(16 * 1024 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  size_t used = parser.put(boost::asio::buffer(data, size), ec);
  if (!ec && !parser.is_done() && used < size) parser.put(boost::asio::buffer(data + used, size - used), ec);
  if (ec || !parser.is_done()) return 0;
  Route(parser.get());
  return 0;
}
