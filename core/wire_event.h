// Validation of events that arrive as Cap'n Proto wire structs (the TCP path, CONTRACT §2.1). The wire event is
// adapted into the same neutral field list as a JSON event and judged by the same rule engine, so a wire event
// gets exactly the verdict (code and message) its JSON twin would get.
#pragma once

#include "core/tally.capnp.h"
#include "core/validator.h"

namespace tally {

// Validates one wire event. Not decodable (a Text field that is not UTF-8, `properties` or `unknownFields`
// that is not JSON, a damaged message) is `malformed`. The event's size for the too_large rule is the size of
// its Cap'n Proto struct with everything it points to. Thread-safe (per-thread scratch); never throws.
ValidationResult ValidateWireEvent(wire::Event::Reader event, const ValidationContext& ctx);

}  // namespace tally
