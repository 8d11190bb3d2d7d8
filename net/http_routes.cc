#include "net/http_routes.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <exception>
#include <thread>

#include "core/json_writer.h"

namespace tally::net {

namespace asio = boost::asio;
namespace http = boost::beast::http;

HttpApi::HttpApi(HttpApiDeps deps, HttpApiOptions options)
    : deps_(std::move(deps)),
      options_(options),
      requests_(deps_.metrics->AddCounterFamily("tally_http_requests_total",
                                                "HTTP requests answered, by route and status", {"route", "status"})),
      latency_(deps_.metrics->AddHistogramFamily("tally_http_request_seconds",
                                                 "HTTP request latency from routing to answer, by route", {"route"},
                                                 LatencyBucketsSeconds())),
      cache_(std::make_shared<AnswerCache>(options.answer_cache_bytes)),
      cache_hits_(
          deps_.metrics->AddCounter("tally_answer_cache_hits_total", "View answers served from the answer cache")),
      cache_misses_(deps_.metrics->AddCounter("tally_answer_cache_misses_total",
                                              "View answers looked up in the answer cache and not found")),
      not_modified_(deps_.metrics->AddCounter("tally_http_not_modified_total",
                                              "View requests answered 304: If-None-Match named the current ETag")),
      coalesced_(deps_.metrics->AddCounter("tally_answer_cache_coalesced_total",
                                           "Answer-cache misses that waited for the same query already running")),
      pool_(options.worker_threads),
      query_pool_(options.query_threads != 0 ? options.query_threads
                                             : std::max<size_t>(2, std::thread::hardware_concurrency())) {
  if (!deps_.auth) deps_.auth = Auth::Open();
  RegisterGauges();
}

HttpApi::~HttpApi() { Stop(); }

void HttpApi::Stop() {
  query_pool_.join();
  pool_.join();
}

void HttpApi::OnPool(std::shared_ptr<Call> call, std::function<HttpResponse(Call&)> fn) {
  OnPool(pool_, std::move(call), std::move(fn));
}

void HttpApi::OnPool(asio::thread_pool& pool, std::shared_ptr<Call> call, std::function<HttpResponse(Call&)> fn) {
  asio::post(pool, [call = std::move(call), fn = std::move(fn)] { Guarded(*call, [&] { call->respond(fn(*call)); }); });
}

void HttpApi::Guarded(Call& call, const std::function<void()>& work) {
  try {
    work();
  } catch (const std::exception& e) {
    call.respond(ErrorResponse(Code::kInternal, std::string("internal error: ") + e.what()));
  }
}

void HttpApi::Offload(std::function<void()> work) { asio::post(pool_, std::move(work)); }

TimeMs HttpApi::Now() const { return deps_.clock ? deps_.clock->NowMs() : SystemClock::Instance().NowMs(); }

void HttpApi::RegisterGauges() {
  if (deps_.engine) {
    ViewEngine* engine = deps_.engine;
    deps_.metrics->AddGauge("tally_log_head", "Last sequence appended to the log", {}, [engine] {
      return std::vector<GaugeSample>{{{}, static_cast<double>(engine->LogHead())}};
    });
    deps_.metrics->AddGauge("tally_view_offset", "Last sequence folded into each view", {"view"}, [engine] {
      std::vector<GaugeSample> samples;
      for (const ViewStatus& v : engine->GetStatus()) samples.push_back({{v.name}, static_cast<double>(v.offset)});
      return samples;
    });
    deps_.metrics->AddGauge("tally_view_lag", "Events appended but not yet folded into each view", {"view"}, [engine] {
      std::vector<GaugeSample> samples;
      for (const ViewStatus& v : engine->GetStatus()) {
        samples.push_back({{v.name}, static_cast<double>(v.lag)});
      }
      return samples;
    });
  }
  std::shared_ptr<AnswerCache> cache = cache_;
  deps_.metrics->AddGauge("tally_answer_cache_bytes", "Bytes charged to the answer cache's entries", {}, [cache] {
    return std::vector<GaugeSample>{{{}, static_cast<double>(cache->bytes())}};
  });
  deps_.metrics->AddGauge("tally_answer_cache_entries", "Answers held by the answer cache", {}, [cache] {
    return std::vector<GaugeSample>{{{}, static_cast<double>(cache->entries())}};
  });
  deps_.metrics->AddGauge("tally_answer_cache_evictions", "Answers evicted from the answer cache since start", {},
                          [cache] {
                            return std::vector<GaugeSample>{{{}, static_cast<double>(cache->evictions())}};
                          });
  std::shared_ptr<std::atomic<int64_t>> min_seq_queries = min_seq_queries_;
  deps_.metrics->AddGauge("tally_http_min_seq_queries",
                          "View queries with a min_seq running on the worker pool now (mostly waiting for the view)",
                          {}, [min_seq_queries] {
                            return std::vector<GaugeSample>{{{}, static_cast<double>(min_seq_queries->load())}};
                          });
  if (deps_.storage) {
    Storage* storage = deps_.storage;
    deps_.metrics->AddGauge("tally_rocksdb_bytes", "Approximate on-disk size per column family", {"column_family"},
                            [storage] {
                              std::vector<GaugeSample> samples;
                              for (const auto& [cf, bytes] : storage->SizesByColumnFamily()) {
                                samples.push_back({{cf}, static_cast<double>(bytes)});
                              }
                              return samples;
                            });
  }
}

Responder HttpApi::Instrument(std::string_view route, Responder respond) {
  auto start = std::chrono::steady_clock::now();
  return [this, route = std::string(route), start, respond = std::move(respond)](HttpResponse response) {
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    requests_.With({route, std::to_string(response.status)}).Inc();
    latency_.With({route}).Observe(elapsed.count());
    respond(std::move(response));
  };
}

void HttpApi::Handle(HttpRequest request, Responder respond) {
  try {
    Route(std::move(request), respond);
  } catch (const std::exception& e) {
    respond(ErrorResponse(Code::kInternal, std::string("internal error: ") + e.what()));
  }
}

void HttpApi::Route(HttpRequest request, Responder respond) {
  std::string_view target(request.target().data(), request.target().size());
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);

  auto segments = SplitPath(path);
  if (!segments.ok()) return Instrument("unmatched", respond)(ErrorResponse(segments.status()));
  std::string allow;
  auto match = MatchRoute(request.method(), *segments, &allow);
  if (!match.ok()) {
    HttpResponse response = ErrorResponse(match.status());
    if (!allow.empty()) response.headers.emplace_back("Allow", allow);
    return Instrument("unmatched", respond)(std::move(response));
  }
  auto call = std::make_shared<Call>();
  call->route = match->route;
  call->respond = Instrument(call->route->pattern, std::move(respond));
  call->path_params = std::move(match->path_params);
  if (Status s = Authorize(*call->route, call->path_params, request, &call->principal); !s.ok()) {
    HttpResponse response = ErrorResponse(s);
    if (s.code() == Code::kUnauthorized) response.headers.emplace_back("WWW-Authenticate", "Bearer");
    return call->respond(std::move(response));
  }
  auto params = ParseQueryString(query);
  if (!params.ok()) return call->respond(ErrorResponse(params.status()));
  call->query = std::move(*params);
  if (auto it = call->path_params.find("store"); it != call->path_params.end()) call->store = it->second;
  call->request = std::move(request);
  Dispatch(std::move(call));
}

namespace {

// The token of "Authorization: Bearer T" (scheme case-insensitive); empty when absent or another scheme.
std::string_view BearerToken(const HttpRequest& request) {
  auto header = request[http::field::authorization];
  std::string_view value(header.data(), header.size());
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size()) return {};
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(value[i])) != kScheme[i]) return {};
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  return value;
}

}  // namespace

// 401 before 400 before 403: an unknown caller learns nothing about store ids, and a bad store id is a client
// error whatever the caller's role.
Status HttpApi::Authorize(const RouteSpec& route, const ParamMap& path_params, const HttpRequest& request,
                          std::optional<Principal>* principal) const {
  if (route.access == Access::kOpen) return Status::Ok();
  *principal = deps_.auth->Authenticate(BearerToken(request));
  if (!*principal) return Status(Code::kUnauthorized, "a valid bearer token is required");
  std::string_view store;
  if (auto it = path_params.find("store"); it != path_params.end()) {
    store = it->second;
    if (!IsValidStoreId(store)) {
      return Status(Code::kBadParameter, "store: must be 1-128 bytes of [A-Za-z0-9_.:-]");
    }
  }
  const Principal& who = **principal;
  bool allowed = false;
  switch (route.access) {
    case Access::kOpen:
      allowed = true;
      break;
    case Access::kPush:
      allowed = who.CanPush();
      break;
    case Access::kStoreRead:
      allowed = who.CanRead(store);
      break;
    case Access::kStoreWrite:
      allowed = who.CanWrite(store);
      break;
    case Access::kAdmin:
      allowed = who.IsAdmin();
      break;
  }
  if (!allowed) {
    return Status(Code::kForbidden, "a " + std::string(RoleName(who.role())) + " token may not use " +
                                        std::string(route.pattern) + (store.empty() ? "" : " for this store"));
  }
  return Status::Ok();
}

void HttpApi::Dispatch(std::shared_ptr<Call> call) {
  bool needs_engine = call->route->kind == RouteKind::kView || call->route->kind == RouteKind::kExport ||
                      call->route->kind == RouteKind::kAdminStatus || call->route->kind == RouteKind::kAdminRebuild;
  if (needs_engine && !deps_.engine) {
    return call->respond(ErrorResponse(Code::kUnavailable, "views are not served here"));
  }
  switch (call->route->kind) {
    case RouteKind::kHealthz: {
      return call->respond(JsonResponse(R"({"status":"ok"})"));
    }
    case RouteKind::kMetrics: {
      // On the query pool: rendering asks storage for its on-disk sizes (quick, and never a wait).
      return OnPool(query_pool_, std::move(call), [this](Call&) {
        HttpResponse response;
        response.content_type = "text/plain; version=0.0.4; charset=utf-8";
        response.body = deps_.metrics->RenderPrometheus();
        return response;
      });
    }
    case RouteKind::kPostEvents:
      return PostEvents(std::move(call));
    case RouteKind::kView:
      return View(std::move(call));
    case RouteKind::kExport:
      return Export(std::move(call));
    case RouteKind::kGapStatus:
      return GapStatus(std::move(call));
    case RouteKind::kStoreRejected: {
      std::string store = call->store;
      return Rejected(std::move(call), std::move(store));
    }
    case RouteKind::kAdminRejected:
      return Rejected(std::move(call), "");
    case RouteKind::kAdminStatus:
      return AdminStatus(std::move(call));
    case RouteKind::kAdminRebuild:
      return AdminRebuild(std::move(call));
  }
  call->respond(ErrorResponse(Code::kInternal, "unhandled route"));
}

}  // namespace tally::net
