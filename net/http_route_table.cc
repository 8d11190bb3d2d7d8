#include "net/http_route_table.h"

namespace tally::net {

namespace http = boost::beast::http;

const std::vector<RouteSpec>& Routes() {
  using http::verb;
  static const std::vector<RouteSpec> routes = {
      {verb::get, "/healthz", RouteKind::kHealthz, Access::kOpen, ""},
      {verb::get, "/metrics", RouteKind::kMetrics, Access::kOpen, ""},
      {verb::post, "/v1/events", RouteKind::kPostEvents, Access::kPush, ""},
      {verb::get, "/v1/stores/{store}/daily_metrics", RouteKind::kView, Access::kStoreRead, "daily_metrics"},
      {verb::get, "/v1/stores/{store}/metrics", RouteKind::kView, Access::kStoreRead, "metrics"},
      {verb::get, "/v1/stores/{store}/trends", RouteKind::kView, Access::kStoreRead, "trends"},
      {verb::get, "/v1/stores/{store}/roi", RouteKind::kView, Access::kStoreRead, "roi"},
      {verb::get, "/v1/stores/{store}/quality", RouteKind::kView, Access::kStoreRead, "quality"},
      {verb::get, "/v1/stores/{store}/conversations/{conversation_id}", RouteKind::kView, Access::kStoreRead,
       "conversation"},
      {verb::get, "/v1/stores/{store}/content_gaps", RouteKind::kView, Access::kStoreRead, "content_gaps"},
      {verb::post, "/v1/stores/{store}/content_gaps/{topic}/status", RouteKind::kGapStatus, Access::kStoreWrite, ""},
      {verb::get, "/v1/stores/{store}/files", RouteKind::kView, Access::kStoreRead, "files"},
      {verb::get, "/v1/stores/{store}/files/{shell_file_id}", RouteKind::kView, Access::kStoreRead, "file"},
      {verb::get, "/v1/stores/{store}/usage/daily", RouteKind::kView, Access::kStoreRead, "usage_daily"},
      {verb::get, "/v1/stores/{store}/usage/monthly", RouteKind::kView, Access::kStoreRead, "usage_monthly"},
      {verb::get, "/v1/stores/{store}/export", RouteKind::kExport, Access::kStoreRead, "export"},
      {verb::get, "/v1/stores/{store}/rejected", RouteKind::kStoreRejected, Access::kStoreRead, ""},
      {verb::get, "/v1/admin/rejected", RouteKind::kAdminRejected, Access::kAdmin, ""},
      {verb::get, "/v1/admin/status", RouteKind::kAdminStatus, Access::kAdmin, ""},
      {verb::post, "/v1/admin/rebuild", RouteKind::kAdminRebuild, Access::kAdmin, ""},
  };
  return routes;
}

namespace {

// Matches the decoded segments against a pattern, filling path parameters.
bool MatchPattern(std::string_view pattern, const std::vector<std::string>& segments, ParamMap* params) {
  params->clear();
  size_t index = 0;
  size_t start = 1;  // skip the leading '/'
  while (start <= pattern.size()) {
    size_t end = pattern.find('/', start);
    if (end == std::string_view::npos) end = pattern.size();
    std::string_view part = pattern.substr(start, end - start);
    start = end + 1;
    if (index >= segments.size()) return false;
    const std::string& segment = segments[index++];
    if (part.size() > 2 && part.front() == '{' && part.back() == '}') {
      if (segment.empty()) return false;
      params->emplace(std::string(part.substr(1, part.size() - 2)), segment);
    } else if (part != segment) {
      return false;
    }
  }
  return index == segments.size();
}

}  // namespace

Result<RouteMatch> MatchRoute(http::verb method, const std::vector<std::string>& segments, std::string* allow) {
  allow->clear();
  // HEAD is answered like GET by most servers; tally keeps to the contract's methods and treats it as 405.
  RouteMatch match;
  ParamMap params;
  for (const RouteSpec& route : Routes()) {
    if (!MatchPattern(route.pattern, segments, &params)) continue;
    if (route.method == method) {
      match.route = &route;
      match.path_params = std::move(params);
      return match;
    }
    if (!allow->empty()) *allow += ", ";
    *allow += std::string(http::to_string(route.method));
  }
  if (!allow->empty()) {
    return Status(Code::kMethodNotAllowed,
                  "method " + std::string(http::to_string(method)) + " is not allowed here; allowed: " + *allow);
  }
  return Status(Code::kNotFound, "no such route");
}

}  // namespace tally::net
