// Conversions of a validated Event: to and from the log's storage format (event_compact.h; older directories
// also hold Cap'n Proto StoredEvents), to JSON
// (what `tally dump` prints; importing it again gives an identical Event), and onto the wire struct (for
// producers: the push client and load generators).
//
// All functions are stateless and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/event.h"
#include "core/json_writer.h"
#include "core/status.h"
#include "core/tally.capnp.h"

namespace tally {

// The log value of an event (format 3): the marker bytes ff fe, then the compact form — a presence mask and the
// present fields only, varints and raw bytes (core/event_compact.h). About as small as the packed form of
// format 2 and ~10 times cheaper to encode and decode.
std::string EncodeStoredEvent(const Event& event);
// The same value, appended to *out.
void AppendStoredEvent(const Event& event, std::string* out);
// The format 2 value: the marker bytes ff ff, then a StoredEvent message in Cap'n Proto's packed encoding
// (capnp::writePackedMessage). Directories written before format 3 hold these; kept for the tests and benches.
std::string EncodeStoredEventPacked(const Event& event);
// The format 1 value: the same message unpacked, as a flat array (capnp::messageToFlatArray). Data directories
// written before format 2 hold these. Kept for the tests of that.
std::string EncodeStoredEventFlat(const Event& event);

// Inverse of EncodeStoredEvent, EncodeStoredEventPacked and EncodeStoredEventFlat (the first bytes tell the
// form). Bytes that are not a well-formed value (wrong length, damaged segment table, packing or pointers, a
// length past the end, enum values or fields this build does not know, trailing bytes) give kCorruption; never
// crashes and never throws. The input need not be aligned.
Result<Event> DecodeStoredEvent(std::string_view bytes);
// The same into an existing event, every field replaced, its strings' capacity reused (a reader that decodes
// chunk after chunk into the same events allocates little). On an error *out is left partly decoded.
Status DecodeStoredEvent(std::string_view bytes, Event* out);

// Appends the event as one flat JSON object: the envelope (event_id, type, store_id, occurred_at in UTC with
// milliseconds, properties verbatim when present), then the type's fields in catalogue order, absent optional
// fields omitted. Validating the output gives back an equal Event (given a clock that accepts its time).
void WriteEventJson(const Event& event, JsonWriter* writer);
// Convenience: the JSON text of one event.
std::string EventToJson(const Event& event);

// Maps a JSON event onto the wire struct without judging it, so the server's verdict is the one the JSON
// would get. Every field whose JSON value fits its typed slot is set there; every other non-null field (an
// unknown name, or a value the slot cannot hold such as a string for `confidence` or 1.5 for `tokens`) goes,
// verbatim, into `unknownFields`. Fails only when the text is not a JSON object (kMalformed, with the message
// the validator gives). `builder` should be freshly initialised.
Status JsonToWireEvent(std::string_view json, wire::Event::Builder builder);

// Sets every field of a validated event on the wire struct (occurredAt as RFC 3339 UTC). Validating the wire
// event again gives an equal Event (with no sentAt and a clock that accepts its time).
void EventToWire(const Event& event, wire::Event::Builder builder);

}  // namespace tally
