// The HTTP API's routes (CONTRACT §2.2, §3, §4) as data: method, path pattern, who may call it, and for view
// routes the query-API route that answers it. Matching turns a request path into a route plus its decoded
// path parameters, or tells 404 (no such path) from 405 (known path, other method).
#pragma once

#include <boost/beast/http/verb.hpp>
#include <ostream>  // Boost 1.74 string_view needs it before the Beast headers under GCC 12
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "net/http_params.h"

namespace tally::net {

enum class RouteKind {
  kHealthz,
  kMetrics,
  kPostEvents,
  kView,           // answered by the query API (processors/query.h), route name in `query`
  kExport,         // a view route whose answer is streamed
  kGapStatus,      // POST content gap status
  kStoreRejected,  // the store's quarantine
  kAdminRejected,  // the global quarantine
  kAdminStatus,
  kAdminRebuild,
};

// Who may call a route (CONTRACT §5). Store-scoped kinds check the {store} path parameter.
enum class Access {
  kOpen,        // no token needed
  kPush,        // producer or admin; per-event store checks happen in the ingest pipeline
  kStoreRead,   // a reader or producer of {store}, or admin
  kStoreWrite,  // a producer of {store}, or admin
  kAdmin,
};

struct RouteSpec {
  boost::beast::http::verb method;
  std::string_view pattern;  // "/v1/stores/{store}/daily_metrics"; {name} segments become path parameters
  RouteKind kind;
  Access access;
  std::string_view query;  // query-API route name (kView, kExport)
};

const std::vector<RouteSpec>& Routes();

struct RouteMatch {
  const RouteSpec* route = nullptr;
  ParamMap path_params;  // by the names in the pattern, percent-decoded
};

// kNotFound when no pattern matches the path; kMethodNotAllowed (message lists the allowed methods) when
// one does but not for this method. *allow receives the allowed methods in that case ("GET, POST").
Result<RouteMatch> MatchRoute(boost::beast::http::verb method, const std::vector<std::string>& segments,
                              std::string* allow);

}  // namespace tally::net
