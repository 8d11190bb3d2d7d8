// HttpApi: tally's HTTP API (CONTRACT §2.2, §3, §4, §5) as an HttpHandler for HttpServer. It matches the
// route (404 / 405), authenticates the bearer token (401), checks the store id (400) and the role's access to
// the route (403 as a whole), then answers:
//   POST /v1/events          through the shared ingest pipeline, after durability (503 + Retry-After when full)
//   view routes              through the query API (processors/query.h), on a worker pool because a query may
//                            wait up to 5 s for min_seq; export is streamed in pieces
//   content gap status       a server-made content_gap_status_changed through the ingest pipeline
//   rejected, admin routes   storage quarantine, engine status and rebuild
//   /healthz, /metrics       open
// Every answer is counted in /metrics by route and status, with its latency.
//
// Threading: Handle runs on a connection's strand and never blocks it: blocking work goes to the pool, and
// durable appends answer from the storage writer's callback. Lifetime: the dependencies must outlive the
// HttpApi; call Stop() (or destroy it) before the io_context the server runs on is destroyed, since pool
// work posts answers to it.
#pragma once

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/time.h"
#include "net/answer_cache.h"
#include "net/auth.h"
#include "net/http_route_table.h"
#include "net/http_server.h"
#include "net/ingest.h"
#include "net/metrics.h"
#include "processors/engine.h"
#include "storage/storage.h"

namespace tally::net {

struct HttpApiDeps {
  ViewEngine* engine = nullptr;
  Storage* storage = nullptr;
  Ingest* ingest = nullptr;
  MetricsRegistry* metrics = nullptr;
  std::shared_ptr<const Auth> auth;  // Auth::Open() when serving without --auth
  const Clock* clock = nullptr;      // nullptr: the system clock
};

struct HttpApiOptions {
  // Threads for work that may wait without using a core: view queries with a min_seq the view has not
  // reached, exports (which honour min_seq too), rebuild requests and offloaded export pieces. More than the
  // core count, so that a few waiting clients do not hold up the others.
  size_t worker_threads = 8;
  // Threads for the requests that wait for nothing — view queries without a min_seq or with one already
  // reached, /metrics, admin status, quarantine pages. That is CPU work, so one thread per core; 0 means
  // std::thread::hardware_concurrency(), at least 2. On 2 cores, the 8 worker threads ran the uncached
  // daily_metrics query at ~13 K req/s with a p99 of ~5 ms, 2 threads at ~17 K and ~2 ms (docs/performance.md,
  // fix 41).
  size_t query_threads = 0;
  std::chrono::milliseconds min_seq_timeout{5000};
  size_t export_piece_bytes = 64 * 1024;
  int retry_after_seconds = 1;  // Retry-After when the ingest queue is full
  // Bound of the answer cache of view queries (net/answer_cache.h); 0 disables it.
  size_t answer_cache_bytes = size_t{32} << 20;
};

class HttpApi final : public HttpHandler {
 public:
  HttpApi(HttpApiDeps deps, HttpApiOptions options = {});
  ~HttpApi() override;
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  void Handle(HttpRequest request, Responder respond) override;

  // Runs blocking work on the worker pool; for HttpServerOptions::offload (streamed export pieces).
  void Offload(std::function<void()> work);
  // Waits for the worker pool to finish what it has. Idempotent.
  void Stop();

 private:
  // One routed, authenticated and authorised request.
  struct Call {
    HttpRequest request;
    Responder respond;
    const RouteSpec* route = nullptr;
    ParamMap path_params;
    ParamMap query;
    std::optional<Principal> principal;
    std::string store;  // the {store} path parameter, empty for routes without one
    TimeMs now_ms = 0;  // the clock reading the query gets; a view answer's cache key holds its day
  };

  void Route(HttpRequest request, Responder respond);
  Status Authorize(const RouteSpec& route, const ParamMap& path_params, const HttpRequest& request,
                   std::optional<Principal>* principal) const;
  Responder Instrument(std::string_view route, Responder respond);
  void Dispatch(std::shared_ptr<Call> call);
  // Runs fn on `pool` (the worker pool unless said) and answers with its response (500 if it throws).
  void OnPool(std::shared_ptr<Call> call, std::function<HttpResponse(Call&)> fn);
  void OnPool(boost::asio::thread_pool& pool, std::shared_ptr<Call> call, std::function<HttpResponse(Call&)> fn);
  // Runs work for call on a pool thread; if it throws, answers the call 500 instead of letting the exception
  // out of the pool.
  static void Guarded(Call& call, const std::function<void()>& work);

  // POST /v1/events: a body of at least kInlineEventsBodyBytes is split and validated on the query threads, not
  // on the HTTP io thread, which would otherwise hold up every other connection while it parses (a 15 MiB body
  // is ~76 K events); a smaller one is handled where it arrived, which costs less than the hand-off.
  static constexpr size_t kInlineEventsBodyBytes = 64 * 1024;
  void PostEvents(std::shared_ptr<Call> call);
  void SubmitEvents(const std::shared_ptr<Call>& call);
  void View(std::shared_ptr<Call> call);
  // The cache key of a view call at the view's current version, or nullopt when the answer must not come
  // from the cache (a min_seq the view has not reached, or not a valid one: the pool answers those).
  std::optional<std::string> ViewCacheKey(const Call& call, std::string_view view) const;
  // Answers a view call from the cache (or 304) on the calling thread; false when it has to be queried.
  // On a cache miss, *miss_key receives the key looked up.
  bool AnswerFromCache(Call& call, std::string_view view, std::optional<std::string>* miss_key);
  // Runs the query on the calling (pool) thread, stores a 200 answer in the cache, and builds the response.
  HttpResponse QueryView(Call& call, std::string_view view);
  // QueryView on the query pool, once per key at a time: calls missing the same key meanwhile share its answer.
  void QueryViewOnce(std::shared_ptr<Call> call, std::string_view view, std::string key);
  // The response, or 304 when it is a 200 whose ETag the call's If-None-Match names.
  HttpResponse Revalidate(const Call& call, HttpResponse response);
  void Export(std::shared_ptr<Call> call);
  void GapStatus(std::shared_ptr<Call> call);
  void Rejected(std::shared_ptr<Call> call, std::string store);
  void AdminStatus(std::shared_ptr<Call> call);
  void AdminRebuild(std::shared_ptr<Call> call);
  void RegisterGauges();
  TimeMs Now() const;

  HttpApiDeps deps_;
  HttpApiOptions options_;
  Family<Counter>& requests_;
  Family<Histogram>& latency_;
  std::shared_ptr<AnswerCache> cache_;  // shared with the /metrics gauges, which may outlive this
  Counter& cache_hits_;
  Counter& cache_misses_;
  Counter& not_modified_;
  Counter& coalesced_;
  std::mutex inflight_mu_;                                                        // only on the miss path
  std::unordered_map<std::string, std::vector<std::shared_ptr<Call>>> inflight_;  // key -> calls waiting for it
  // View queries with a min_seq on the worker pool right now (mostly waiting for their view), for /metrics.
  std::shared_ptr<std::atomic<int64_t>> min_seq_queries_ = std::make_shared<std::atomic<int64_t>>(0);
  boost::asio::thread_pool pool_;        // worker_threads: work that may block
  boost::asio::thread_pool query_pool_;  // query_threads: view queries that wait for nothing
};

}  // namespace tally::net
