#include "core/validator.h"

#include "core/event_rules.h"
#include "core/json_reader.h"

namespace tally {
namespace {

// Per-thread scratch so validating a stream of events allocates almost nothing per event.
struct JsonScratch {
  JsonReader reader;
  std::vector<JsonMember> members;
  EventInput input;
};

}  // namespace

ValidationResult ValidateJsonEvent(std::string_view json, const ValidationContext& ctx) {
  thread_local JsonScratch scratch;
  scratch.reader.Clear();
  scratch.input.Clear();
  Status parsed = scratch.reader.ParseObject(json, &scratch.members);
  if (!parsed.ok()) return MalformedRejection(parsed.message());
  scratch.input.size_bytes = json.size();
  for (const JsonMember& m : scratch.members) {
    if (m.value.kind == JsonKind::kNull) continue;  // JSON null means absent
    if (std::optional<FieldId> id = FieldFromName(m.key)) {
      scratch.input.Mutable(*id) = m.value;
    } else {
      scratch.input.unknown_names.push_back(m.key);
    }
  }
  return ApplyEventRules(scratch.input, ctx);
}

}  // namespace tally
