// HttpApi's read routes: views (through the query API), export, quarantines, admin status and rebuild.
#include <algorithm>
#include <atomic>
#include <memory>

#include "core/json_reader.h"
#include "core/json_writer.h"
#include "net/http_routes.h"
#include "processors/query.h"

namespace tally::net {
namespace {

// Serves a body that already exists in pieces, so a long export goes out chunked without one huge write.
class PiecesStream final : public BodyStream {
 public:
  PiecesStream(std::string body, size_t piece_bytes) : body_(std::move(body)), piece_bytes_(piece_bytes) {}
  Status Next(std::string* piece, bool* last) override {
    size_t n = std::min(piece_bytes_, body_.size() - pos_);
    piece->append(body_, pos_, n);
    pos_ += n;
    *last = pos_ >= body_.size();
    return Status::Ok();
  }

 private:
  std::string body_;
  size_t piece_bytes_;
  size_t pos_ = 0;
};

// Quarantined bytes are whatever a producer sent; JSON text must be UTF-8, so invalid sequences become
// U+FFFD (the bytes themselves stay untouched in storage).
std::string ToValidUtf8(std::string_view raw) {
  if (IsValidUtf8(raw)) return std::string(raw);
  std::string out;
  size_t i = 0;
  while (i < raw.size()) {
    size_t best = 0;
    for (size_t len = 1; len <= 4 && i + len <= raw.size(); ++len) {
      if (IsValidUtf8(raw.substr(i, len))) best = len;
      if (best) break;
    }
    if (best) {
      out.append(raw.substr(i, best));
      i += best;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

std::string QuarantineJson(const QuarantinePage& page) {
  std::string body;
  JsonWriter w(&body);
  w.BeginObject().Key("rejected").BeginArray();
  for (const QuarantineEntry& e : page.entries) {
    w.BeginObject();
    w.Field("received_at", FormatRfc3339(e.received_at));
    w.Field("code", CodeName(e.code));
    w.Field("message", e.message);
    w.Field("raw", ToValidUtf8(e.raw));
    w.EndObject();
  }
  w.EndArray();
  w.Field("next_cursor", page.next_cursor);
  w.Field("dropped", page.dropped);
  w.EndObject();
  return body;
}

}  // namespace

// A hit is answered here, on the connection's strand; a miss goes to the query pool, one thread per core. A
// query whose min_seq the view has not reached may wait for it without using a core: the worker pool runs
// those, so that waiting clients never hold up the others' queries. The clock is read once, so the key and the
// query agree on "today".
void HttpApi::View(std::shared_ptr<Call> call) {
  call->now_ms = Now();
  const QueryRoute* query = FindQueryRoute(call->route->query);
  std::string_view view = query ? query->view : std::string_view();
  std::optional<std::string> miss_key;
  if (AnswerFromCache(*call, view, &miss_key)) return;
  if (miss_key) return QueryViewOnce(std::move(call), view, std::move(*miss_key));
  auto run = [this, view](Call& c) { return Revalidate(c, QueryView(c, view)); };
  if (!call->query.contains("min_seq")) return OnPool(query_pool_, std::move(call), run);
  OnPool(pool_, std::move(call), [run, running = min_seq_queries_](Call& c) {
    running->fetch_add(1);
    // Counted down however the query ends (OnPool answers 500 if it throws).
    std::unique_ptr<std::atomic<int64_t>, void (*)(std::atomic<int64_t>*)> done(
        running.get(), [](std::atomic<int64_t>* n) { n->fetch_sub(1); });
    return run(c);
  });
}

void HttpApi::Export(std::shared_ptr<Call> call) {
  OnPool(std::move(call), [this](Call& c) {
    QueryArgs args;
    args.store = c.store;
    args.params = c.query;
    args.now_ms = Now();
    args.min_seq_timeout = options_.min_seq_timeout;
    auto body = RunQuery(*deps_.engine, c.route->query, args);
    if (!body.ok()) return ErrorResponse(body.status());
    HttpResponse response;
    response.content_type = ExportIsCsv(args) ? "text/csv; charset=utf-8" : "application/json";
    response.stream = std::make_shared<PiecesStream>(std::move(*body), options_.export_piece_bytes);
    return response;
  });
}

void HttpApi::Rejected(std::shared_ptr<Call> call, std::string store) {
  OnPool(query_pool_, std::move(call), [this, store = std::move(store)](Call& c) {
    QueryArgs args;
    args.params = c.query;
    auto limit = IntParamOr(args, "limit", 100, 1, 1000);
    if (!limit.ok()) return ErrorResponse(limit.status());
    std::optional<std::string_view> cursor = args.Param("cursor");
    auto page = deps_.storage->ReadQuarantine(store, static_cast<size_t>(*limit), cursor);
    if (!page.ok()) return ErrorResponse(page.status());
    return JsonResponse(QuarantineJson(*page));
  });
}

void HttpApi::AdminStatus(std::shared_ptr<Call> call) {
  OnPool(query_pool_, std::move(call), [this](Call&) {
    std::string body;
    JsonWriter w(&body);
    w.BeginObject().Field("log_head", deps_.engine->LogHead()).Key("views").BeginArray();
    for (const ViewStatus& v : deps_.engine->GetStatus()) {
      w.BeginObject().Field("name", v.name).Field("offset", v.offset).Field("lag", v.lag);
      w.Field("state", v.rebuilding ? "rebuilding" : "live").EndObject();
    }
    w.EndArray().EndObject();
    return JsonResponse(std::move(body));
  });
}

// Starting a rebuild only switches the view to a new generation; the fold runs in the background, so the
// answer is 202 with the views now rebuilding (GET /v1/admin/status shows progress).
void HttpApi::AdminRebuild(std::shared_ptr<Call> call) {
  OnPool(std::move(call), [this](Call& c) {
    auto it = c.query.find("view");
    if (it == c.query.end() || it->second.empty()) {
      return ErrorResponse(Code::kBadParameter, "view: is required (a view name or all)");
    }
    Status s = deps_.engine->Rebuild(it->second);
    if (s.code() == Code::kNotFound) return ErrorResponse(Code::kBadParameter, "view: no view named " + it->second);
    if (!s.ok()) return ErrorResponse(s);
    HttpResponse response;
    response.status = 202;
    JsonWriter w(&response.body);
    w.BeginObject().Key("rebuilding").BeginArray();
    for (const ViewStatus& v : deps_.engine->GetStatus()) {
      if (v.rebuilding) w.String(v.name);
    }
    w.EndArray().EndObject();
    return response;
  });
}

}  // namespace tally::net
