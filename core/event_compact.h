// Private to core/ (event_codec.cc): the compact form of a stored event, the log value of data format 3.
//
// Layout (after the caller's two marker bytes ff fe), every integer little-endian:
//   u8      type (EventType ordinal)
//   varint  occurred_at_ms, zigzag
//   varint  presence mask: bit i set when optional field i (kCompactFields order, below) is present
//   varint  length, bytes: event_id;  varint length, bytes: store_id
//   then each present field in bit order:
//     text            varint length, bytes
//     double          8 bytes, IEEE 754
//     integer         varint, zigzag (tokens, processing_time_ms, entities, pass, analysis_date)
//     bool, enum      1 byte (0/1; the enum's ordinal)
//     csi_weights     4 doubles (effectiveness, effort, efficiency, empathy)
// Bit positions are stored in the log: fields are only ever appended. A bit this build does not know, an enum
// or bool byte out of range, a length past the end or trailing bytes make the value corrupt.
//
// Why not Cap'n Proto here: packing and unpacking a StoredEvent of ~40 mostly unset fields cost 0.5 us to encode
// and 0.6 us to decode per event, paid by the writer for every event and by every reader of the log (the live
// fold, replay); this form takes a tenth of that (docs/performance.md, fix 29).
#pragma once

#include <string>
#include <string_view>

#include "core/event.h"
#include "core/status.h"

namespace tally {

// Appends the compact form of `event` to *out.
void AppendCompactEvent(const Event& event, std::string* out);
// Decodes a compact form (without the marker) into *out, every field replaced and its strings' capacity reused.
// kCorruption on any malformed input; *out is then partly decoded.
Status DecodeCompactEvent(std::string_view bytes, Event* out);

}  // namespace tally
