// Key layouts of tally's RocksDB column families (internal to storage/ and its tests).
//
//   events      BE64(seq)                          -> EncodeStoredEvent(event)
//   dedup       store_id 0x00 event_id             -> BE64(seq of the first copy)
//   quarantine  store_id 0x00 BE64(id)             -> QuarantineValue (received_at, code, message, raw)
//               ("" store = the global quarantine: the key starts with 0x00)
//   state       opaque keys owned by the processors
//   meta        "format_version"                   -> BE64(kFormatVersion)  (1 to 3 are read; see below)
//               "log_head"                         -> BE64(last assigned seq)
//               "qdropped/" store_id               -> BE64(entries that quarantine dropped)
//               "offset/" view                     -> BE64(the view's committed offset)
//
// store_id never contains 0x00 (CONTRACT §1.1 limits it to [A-Za-z0-9_.:-]), so the separator makes every
// store's key range a distinct prefix; event_id may hold any byte because nothing follows it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/bytes.h"

namespace tally::storage_keys {

// Format 2 (2026-12-06): new events were stored packed Cap'n Proto; format 1 stored them flat. Format 3
// (2026-12-07): new events are stored in the compact form (core/event_codec.h). A directory of format 1 or 2 is
// upgraded when opened: its values stay as they are (DecodeStoredEvent reads every form) and new ones are
// compact, so from then on only a tally that reads format 3 may open it.
constexpr uint64_t kFormatVersion = 3;
constexpr uint64_t kOldestReadableFormat = 1;

inline constexpr std::string_view kEventsCf = "events";
inline constexpr std::string_view kDedupCf = "dedup";
inline constexpr std::string_view kQuarantineCf = "quarantine";
inline constexpr std::string_view kStateCf = "state";
inline constexpr std::string_view kMetaCf = "meta";

inline constexpr std::string_view kFormatVersionKey = "format_version";
inline constexpr std::string_view kLogHeadKey = "log_head";
inline constexpr std::string_view kQuarantineDroppedPrefix = "qdropped/";
inline constexpr std::string_view kOffsetPrefix = "offset/";

// Appends the dedup key (store_id, a 0 byte, event_id) to *out: EncodedEvents builds a batch's keys in one buffer.
inline void AppendDedupKey(std::string_view store_id, std::string_view event_id, std::string* out) {
  out->append(store_id);
  out->push_back('\0');
  out->append(event_id);
}

inline std::string DedupKey(std::string_view store_id, std::string_view event_id) {
  std::string key;
  key.reserve(store_id.size() + 1 + event_id.size());
  AppendDedupKey(store_id, event_id, &key);
  return key;
}

// The prefix shared by every entry of one quarantine.
inline std::string QuarantinePrefix(std::string_view store_id) {
  std::string prefix(store_id);
  prefix.push_back('\0');
  return prefix;
}

inline std::string QuarantineKey(std::string_view store_id, uint64_t id) {
  std::string key = QuarantinePrefix(store_id);
  PutBigEndian64(&key, id);
  return key;
}

inline std::string MetaKey(std::string_view prefix, std::string_view name) {
  std::string key(prefix);
  key.append(name);
  return key;
}

}  // namespace tally::storage_keys

namespace tally::storage_keys {

// Big-endian seq into a caller-provided 8-byte buffer: the events key without a heap allocation.
inline void EncodeSeq(uint64_t seq, char out[8]) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(seq & 0xFF);
    seq >>= 8;
  }
}

}  // namespace tally::storage_keys
