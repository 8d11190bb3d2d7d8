// JsonReader: tally's strict RFC 8259 parser for incoming events. Written for the validator rather than taken
// from a library because the contract needs things general parsers hide: a repeated key at any depth is an
// error, every value's exact bytes are available (`properties` is stored byte for byte), integers are told
// apart from other numbers lexically, and int64 overflow and non-finite numbers are reported rather than
// rounded away.
//
// Only the members of the outermost object are materialised; nested values are fully checked (depth, repeated
// keys, UTF-8, escapes) but handed back as raw spans, which the caller may parse again if it cares.
//
// Threading: a JsonReader is not thread-safe; use one per thread (it keeps scratch buffers between calls so a
// steady stream of events allocates almost nothing). Lifetime: string_views handed out point into the input
// text or into the reader's scratch; the input must outlive them, and the scratch lives until Clear(), so
// several texts belonging to one event may be parsed and their results used together.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace tally {

constexpr int kMaxJsonDepth = 64;

enum class JsonKind : uint8_t { kNull, kBool, kInteger, kNumber, kString, kObject, kArray };

struct JsonValue {
  JsonKind kind = JsonKind::kNull;
  std::string_view raw;        // the value's exact bytes in the input (no surrounding whitespace)
  bool boolean = false;        // kBool
  bool int_fits = false;       // kInteger: the literal fits in int64 (then `integer` holds it)
  int64_t integer = 0;         // kInteger
  double number = 0;           // kInteger and kNumber: nearest double, ±inf when beyond double's range
  std::string_view string;     // kString: the decoded text (escapes resolved, valid UTF-8)

  // A number that is finite as a double (1e400 is a valid JSON number but not finite).
  bool IsFiniteNumber() const;
};

struct JsonMember {
  std::string_view key;  // decoded
  JsonValue value;
};

class JsonReader {
 public:
  // Parses `text`, which must be exactly one JSON object (whitespace around it allowed), into its members in
  // input order. Errors: kMalformed with a message saying what and where (byte offset).
  Status ParseObject(std::string_view text, std::vector<JsonMember>* members);

  // Parses `text`, which must be exactly one JSON value of any kind. Errors: kMalformed.
  Status ParseValue(std::string_view text, JsonValue* value);

  // Forgets decoded strings of earlier parses (invalidating views into them). Call between unrelated events.
  void Clear();

 private:
  class Parser;
  std::string& NextScratch();

  // Decoded copies of strings that contained escapes; a deque so earlier views stay valid as it grows.
  std::deque<std::string> decoded_;
  size_t decoded_used_ = 0;
  // Keys of the objects currently open, one vector per depth, reused between calls.
  std::vector<std::vector<std::string_view>> keys_by_depth_;
};

// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view text);

}  // namespace tally
