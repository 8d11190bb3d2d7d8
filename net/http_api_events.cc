// HttpApi's write routes: POST /v1/events and the content gap status change, both through the one ingest
// pipeline so validation, quarantine, dedup and durability are exactly those of the TCP path.
#include <boost/asio/post.hpp>
#include <random>

#include "core/event.h"
#include "core/json_reader.h"
#include "core/json_writer.h"
#include "net/http_events_body.h"
#include "net/http_routes.h"

namespace tally::net {
namespace {

std::string OutcomeJson(const BatchOutcome& outcome) {
  std::string body;
  JsonWriter w(&body);
  w.BeginObject();
  w.Field("accepted", uint64_t{outcome.accepted});
  w.Field("duplicates", uint64_t{outcome.duplicates.size()});
  w.Key("duplicate_of").BeginArray();
  for (const DuplicateOutcome& d : outcome.duplicates) {
    w.BeginObject().Field("index", uint64_t{d.index}).Field("seq", d.seq).EndObject();
  }
  w.EndArray().Key("rejected").BeginArray();
  for (const RejectionOutcome& r : outcome.rejected) {
    w.BeginObject().Field("index", uint64_t{r.index});
    if (r.event_id.empty()) {
      w.FieldNull("event_id");
    } else {
      w.Field("event_id", r.event_id);
    }
    w.Field("code", CodeName(r.code)).Field("message", r.message).EndObject();
  }
  w.EndArray();
  if (outcome.accepted > 0) {
    w.Field("first_seq", outcome.first_seq).Field("last_seq", outcome.last_seq);
  } else {
    w.FieldNull("first_seq").FieldNull("last_seq");
  }
  w.EndObject();
  return body;
}

ValidationContext MakeContext(const Principal& principal, TimeMs now) {
  ValidationContext ctx;
  ctx.now_ms = now;
  ctx.received_at = now;
  ctx.can_write = [principal](std::string_view store) { return principal.CanWrite(store); };
  return ctx;
}

// A random (version 4) UUID for server-made events.
std::string NewUuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi = rng();
  uint64_t lo = rng();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;                  // version 4
  lo = (lo & ~(0xC000ULL << 48)) | (0x8000ULL << 48);  // RFC 4122 variant
  char buf[37];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48), static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buf;
}

HttpResponse QueueFull(int retry_after_seconds) {
  HttpResponse response = ErrorResponse(Code::kUnavailable, "the ingest queue is full; retry later");
  response.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds));
  return response;
}

}  // namespace

void HttpApi::PostEvents(std::shared_ptr<Call> call) {
  if (call->request.body().size() < kInlineEventsBodyBytes) return SubmitEvents(call);
  boost::asio::post(query_pool_, [this, call = std::move(call)] { Guarded(*call, [&] { SubmitEvents(call); }); });
}

void HttpApi::SubmitEvents(const std::shared_ptr<Call>& call) {
  EventsBody split = SplitEventsBody(call->request.body());
  IngestBatch batch(MakeContext(*call->principal, Now()));
  if (split.array_unparseable) {
    // One input, one quarantine entry (global: no event, so no store to file it under).
    batch.AddMalformed(call->request.body(), split.error);
  } else {
    for (std::string_view event : split.events) batch.AddJson(event);
  }
  bool whole_malformed = split.array_unparseable;
  std::string error = split.error;
  Status submitted = deps_.ingest->Submit(batch, [call, whole_malformed, error](BatchOutcome outcome) {
    if (!outcome.status.ok()) return call->respond(ErrorResponse(outcome.status));
    if (whole_malformed) return call->respond(ErrorResponse(Code::kMalformed, error));
    call->respond(JsonResponse(OutcomeJson(outcome)));
  });
  if (submitted.code() == Code::kUnavailable) return call->respond(QueueFull(options_.retry_after_seconds));
  if (!submitted.ok()) call->respond(ErrorResponse(submitted));
}

namespace {

// The body of POST .../content_gaps/{topic}/status: exactly {"status": "identified|in_progress|resolved"}.
Result<GapStatus> ParseGapStatusBody(std::string_view body) {
  JsonReader reader;
  std::vector<JsonMember> members;
  if (Status s = reader.ParseObject(body, &members); !s.ok()) {
    return Status(Code::kBadParameter, "status: the body must be a JSON object {\"status\": S}: " + s.message());
  }
  std::optional<GapStatus> status;
  for (const JsonMember& m : members) {
    if (m.key != "status") return Status(Code::kBadParameter, std::string(m.key) + ": unknown field");
    if (m.value.kind == JsonKind::kString) status = GapStatusFromName(m.value.string);
    if (!status) return Status(Code::kBadParameter, "status: must be identified, in_progress or resolved");
  }
  if (!status) return Status(Code::kBadParameter, "status: is required");
  return *status;
}

}  // namespace

void HttpApi::GapStatus(std::shared_ptr<Call> call) {
  auto status = ParseGapStatusBody(call->request.body());
  if (!status.ok()) return call->respond(ErrorResponse(status.status()));
  const std::string& topic = call->path_params.at("topic");
  if (topic.size() > 128) return call->respond(ErrorResponse(Code::kBadParameter, "topic: at most 128 bytes"));
  TimeMs now = Now();
  std::string event;
  JsonWriter w(&event);
  w.BeginObject().Field("event_id", NewUuid()).Field("type", "content_gap_status_changed");
  w.Field("store_id", call->store).Field("occurred_at", FormatRfc3339(now));
  w.Field("topic", topic).Field("status", GapStatusName(*status)).EndObject();

  IngestBatch batch(MakeContext(*call->principal, now));
  batch.AddJson(event);
  Status submitted = deps_.ingest->Submit(batch, [call](BatchOutcome outcome) {
    if (!outcome.status.ok()) return call->respond(ErrorResponse(outcome.status));
    if (!outcome.rejected.empty()) {
      // Only a topic the validator refuses (e.g. not UTF-8) gets here: the rest was checked above.
      const RejectionOutcome& r = outcome.rejected.front();
      return call->respond(ErrorResponse(Code::kBadParameter, r.message));
    }
    std::string body;
    JsonWriter out(&body);
    out.BeginObject().Field("seq", outcome.first_seq).EndObject();
    call->respond(JsonResponse(std::move(body)));
  });
  if (submitted.code() == Code::kUnavailable) return call->respond(QueueFull(options_.retry_after_seconds));
  if (!submitted.ok()) call->respond(ErrorResponse(submitted));
}

}  // namespace tally::net
