// The one rule engine behind every validation path. Each input format (JSON text, a Cap'n Proto wire event)
// is first adapted into an EventInput — a neutral list of field values keyed by FieldId — and then judged here,
// so every rule of CONTRACT §1 and the §1.3 order are written exactly once.
//
// Internal to core/: callers outside use core/validator.h and core/wire_event.h.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event_fields.h"
#include "core/json_reader.h"
#include "core/validator.h"

namespace tally {

// One event's fields as the adapter found them, before any rule is applied. Values are JsonValues because
// JSON is the most general of the inputs: a wire Float64 becomes a kNumber, a wire Text a kString, and so on.
// String views point into the adapter's input and scratch, which must outlive the EventInput's use.
struct EventInput {
  std::array<JsonValue, kFieldCount> fields;       // JsonKind::kNull = absent (JSON null means absent)
  std::vector<std::string_view> unknown_names;     // non-null fields the catalogue does not know, input order
  size_t size_bytes = 0;                           // the event's encoded size, for the too_large rule

  void Clear();
  const JsonValue& Get(FieldId id) const { return fields[static_cast<size_t>(id)]; }
  JsonValue& Mutable(FieldId id) { return fields[static_cast<size_t>(id)]; }
  bool Has(FieldId id) const { return Get(id).kind != JsonKind::kNull; }
};

// Applies every check after `malformed` (too_large, type, forbidden, missing_field, unknown_field,
// invalid_value, future_timestamp), in that order, and builds the Event when all pass.
ValidationResult ApplyEventRules(const EventInput& input, const ValidationContext& ctx);

// The rejection for an event that could not be decoded at all.
Rejection MalformedRejection(std::string message);

// Reads a csi_weights value (a JSON object, possibly from a wire struct rendered as JSON); nullopt when it
// breaks a rule (wrong shape, unknown or missing key, negative or non-finite weight, all zero).
std::optional<CsiWeights> ReadCsiWeights(const JsonValue& value);

}  // namespace tally
