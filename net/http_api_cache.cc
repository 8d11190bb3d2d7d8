// HttpApi's view answers: the answer cache (net/answer_cache.h) in front of the query API, and ETags.
//
// Why a cached answer is never stale: the key holds the view's serving generation and committed offset read
// from the runner BEFORE the query takes its storage snapshot, and the runner publishes a version only after
// committing it. So the answer stored under a version is at least that version (as_of_seq >= its offset),
// and once a fold commit is visible (GET /v1/admin/status shows the new offset) every lookup uses the new
// version and misses the older entries. Authorization happened before any of this (HttpApi::Route), and the
// store is part of the key, so one tenant's answer cannot be found under another tenant's key.
//
// Threading: lookups, 304s and hits run on the connection's strand; queries on the worker pool. Concurrent
// misses of one key wait in inflight_ for the query already running (its key was read later, so its answer is
// at least as new as theirs); the If-None-Match check is redone per request on the shared answer.
#include <boost/asio/post.hpp>
#include <boost/beast/http/field.hpp>
#include <charconv>

#include "net/http_routes.h"
#include "processors/query.h"

namespace tally::net {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;

constexpr std::string_view kCacheControl = "no-cache";  // clients may keep an answer but must revalidate it

// The cached answer as a response that shares its wire bytes (the aliasing pointer keeps the answer alive).
HttpResponse ResponseOf(std::shared_ptr<const CachedAnswer> answer) {
  HttpResponse response;
  response.status = answer->status;
  response.content_type = answer->content_type;
  response.headers.emplace_back("ETag", answer->etag);
  response.headers.emplace_back("Cache-Control", kCacheControl);
  response.wire_body_offset = answer->body_offset;
  response.wire = std::shared_ptr<const std::string>(answer, &answer->wire);
  return response;
}

HttpResponse NotModified(std::string etag) {
  HttpResponse response;
  response.status = 304;
  response.headers.emplace_back("ETag", std::move(etag));
  response.headers.emplace_back("Cache-Control", kCacheControl);
  return response;
}

std::string_view IfNoneMatch(const HttpRequest& request) {
  auto value = request[http::field::if_none_match];
  return std::string_view(value.data(), value.size());
}

}  // namespace

std::optional<std::string> HttpApi::ViewCacheKey(const Call& c, std::string_view view) const {
  uint32_t generation = 0;
  uint64_t offset = 0;
  if (view.empty() || !deps_.engine->ServingVersion(view, &generation, &offset)) return std::nullopt;
  if (auto it = c.query.find("min_seq"); it != c.query.end()) {
    const std::string& text = it->second;
    uint64_t seq = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seq);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || seq > offset) return std::nullopt;
  }
  AnswerKeyParts parts;
  parts.route = c.route->pattern;
  parts.store = c.store;
  parts.query = &c.query;
  parts.path = &c.path_params;
  parts.today = DayOf(c.now_ms);
  parts.view = view;
  parts.generation = generation;
  parts.offset = offset;
  return AnswerKey(parts);
}

bool HttpApi::AnswerFromCache(Call& c, std::string_view view, std::optional<std::string>* miss_key) {
  std::string_view if_none_match = IfNoneMatch(c.request);
  if (!cache_->enabled() && if_none_match.empty()) return false;
  std::optional<std::string> key = ViewCacheKey(c, view);
  if (!key) return false;
  if (!if_none_match.empty()) {
    // The ETag names the key, so a client holding it holds this version's answer, cached here or not.
    std::string etag = AnswerEtag(*key);
    if (EtagMatches(if_none_match, etag)) {
      not_modified_.Inc();
      c.respond(NotModified(std::move(etag)));
      return true;
    }
  }
  if (!cache_->enabled()) return false;
  std::shared_ptr<const CachedAnswer> answer = cache_->Find(*key);
  if (!answer) {
    cache_misses_.Inc();
    *miss_key = std::move(key);
    return false;
  }
  cache_hits_.Inc();
  c.respond(ResponseOf(std::move(answer)));
  return true;
}

HttpResponse HttpApi::QueryView(Call& c, std::string_view view) {
  QueryArgs args;
  args.store = c.store;
  args.params = c.query;
  for (const auto& [name, value] : c.path_params) {
    if (name != "store") args.params[name] = value;
  }
  args.now_ms = c.now_ms;
  args.min_seq_timeout = options_.min_seq_timeout;
  // Before the query's snapshot: the answer is then at least this version (see the top of the file).
  std::optional<std::string> key = ViewCacheKey(c, view);
  auto body = RunQuery(*deps_.engine, c.route->query, args);
  if (!body.ok()) return ErrorResponse(body.status());
  if (!key) return JsonResponse(std::move(*body));
  std::string etag = AnswerEtag(*key);
  HttpResponse response = JsonResponse(std::move(*body));
  response.headers.emplace_back("ETag", etag);
  response.headers.emplace_back("Cache-Control", kCacheControl);
  if (!cache_->enabled()) return response;
  auto answer = std::make_shared<CachedAnswer>();
  answer->status = response.status;
  answer->content_type = response.content_type;
  answer->etag = std::move(etag);
  answer->wire = WireBytes(response, &answer->body_offset);
  response = ResponseOf(answer);
  cache_->Insert(std::move(*key), std::move(answer));
  return response;
}

HttpResponse HttpApi::Revalidate(const Call& c, HttpResponse response) {
  if (response.status != 200) return response;
  std::string_view if_none_match = IfNoneMatch(c.request);
  if (if_none_match.empty()) return response;
  for (const auto& [name, value] : response.headers) {
    if (name == "ETag" && EtagMatches(if_none_match, value)) {
      not_modified_.Inc();
      return NotModified(value);
    }
  }
  return response;
}

// Misses of one key while its query runs wait for that query instead of running it again: after a fold commit
// changes the key, a hundred dashboards polling the same answer cost one query, not a hundred.
void HttpApi::QueryViewOnce(std::shared_ptr<Call> call, std::string_view view, std::string key) {
  {
    std::lock_guard lock(inflight_mu_);
    auto [it, first] = inflight_.try_emplace(key);
    if (!first) {
      it->second.push_back(std::move(call));
      coalesced_.Inc();
      return;
    }
  }
  asio::post(query_pool_, [this, call = std::move(call), view, key = std::move(key)] {
    HttpResponse response;
    try {
      response = QueryView(*call, view);
    } catch (const std::exception& e) {
      response = ErrorResponse(Code::kInternal, std::string("internal error: ") + e.what());
    } catch (...) {
      response = ErrorResponse(Code::kInternal, "internal error");
    }
    std::vector<std::shared_ptr<Call>> waiters;
    {
      std::lock_guard lock(inflight_mu_);
      auto it = inflight_.find(key);
      waiters = std::move(it->second);
      inflight_.erase(it);
    }
    // The query's key was read after the waiters' (the version only moves forward), so its answer is at least
    // as new as what each of them asked for.
    for (const std::shared_ptr<Call>& waiter : waiters) waiter->respond(Revalidate(*waiter, response));
    call->respond(Revalidate(*call, std::move(response)));
  });
}

}  // namespace tally::net
