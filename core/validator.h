// The one validator shared by every input path (NDJSON/JSON over HTTP, `tally import`, Cap'n Proto over TCP).
// It applies CONTRACT §1 in the §1.3 order and reports the first failure with a code and a message naming the
// field. Stateless and thread-safe; dedup is not its business (storage does it after validation).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/event.h"
#include "core/status.h"
#include "core/time.h"

namespace tally {

constexpr size_t kMaxEventBytes = 64 * 1024;
constexpr size_t kMaxIdBytes = 128;
constexpr size_t kMaxFreeTextBytes = 16 * 1024;
constexpr TimeMs kMaxFutureMs = 24 * kMsPerHour;

struct ValidationContext {
  TimeMs now_ms = 0;       // server clock, for the 24 h future limit
  TimeMs received_at = 0;  // when the batch arrived (skew correction)
  std::optional<TimeMs> sent_at;  // the batch's client clock, if given (CONTRACT §2.1 point 5)
  // May the caller write this store? Empty function: every store allowed.
  std::function<bool(std::string_view store_id)> can_write;
};

struct Rejection {
  Code code = Code::kMalformed;
  std::string message;   // names the field
  std::string event_id;  // as sent, if it could be read (empty otherwise)
  // The store whose quarantine keeps this event: set when store_id was valid and writable, else empty
  // (global quarantine).
  std::string quarantine_store;
};

using ValidationResult = std::variant<Event, Rejection>;

// Parses and validates one JSON event (one NDJSON line or one array element's bytes).
ValidationResult ValidateJsonEvent(std::string_view json, const ValidationContext& ctx);

}  // namespace tally
