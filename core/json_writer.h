// JsonWriter: the one JSON emitter of tally. Appends compact JSON to a std::string; commas are inserted
// automatically. Doubles print as the shortest text that reads back to the same value; non-finite values
// (never produced by a view) print as null.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tally {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // Inserts already-valid JSON text verbatim (e.g. stored `properties`).
  JsonWriter& Raw(std::string_view json);

  // Key + value shorthands; optionals write null when empty.
  JsonWriter& Field(std::string_view key, std::string_view value) { return Key(key).String(value); }
  JsonWriter& Field(std::string_view key, const char* value) { return Key(key).String(value); }
  JsonWriter& Field(std::string_view key, int64_t value) { return Key(key).Int(value); }
  JsonWriter& Field(std::string_view key, uint64_t value) { return Key(key).Uint(value); }
  JsonWriter& Field(std::string_view key, int value) { return Key(key).Int(value); }
  JsonWriter& Field(std::string_view key, double value) { return Key(key).Double(value); }
  JsonWriter& Field(std::string_view key, bool value) { return Key(key).Bool(value); }
  JsonWriter& FieldNull(std::string_view key) { return Key(key).Null(); }
  template <typename T>
  JsonWriter& Field(std::string_view key, const std::optional<T>& value) {
    if (!value) return Key(key).Null();
    return Field(key, *value);
  }

 private:
  void Separate();

  std::string* out_;
  bool need_comma_ = false;
};

// Appends the JSON string literal for value (quotes included) to out.
void AppendJsonString(std::string* out, std::string_view value);
// Shortest round-trip decimal for a finite double ("0.3", "1e+21", "-0"); "null" if not finite.
std::string FormatDouble(double value);

}  // namespace tally
