#include "core/json_reader.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace tally {
namespace {

// Length of the well-formed UTF-8 sequence starting at p (p[0] >= 0x80), or 0 if it is not one. Follows the
// Unicode table of well-formed byte sequences, which rules out overlong forms, surrogates and > U+10FFFF.
size_t Utf8SequenceLength(const unsigned char* p, size_t avail) {
  auto cont = [&](size_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return i < avail && p[i] >= lo && p[i] <= hi;
  };
  unsigned char c = p[0];
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
  if (c >= 0xE1 && c <= 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Bytes that may appear raw in a string and need no further thought: printable ASCII except '"' and '\\'.
constexpr std::array<bool, 256> kPlainAscii = [] {
  std::array<bool, 256> table{};
  for (int c = 0x20; c < 0x80; ++c) table[c] = c != '"' && c != '\\';
  return table;
}();

// from_chars leaves the value alone on a range error; decide from the decimal magnitude whether the literal
// overflowed (±inf: "not finite", an invalid value) or underflowed (±0, a fine finite number).
double OutOfRangeDouble(std::string_view lit) {
  bool negative = !lit.empty() && lit[0] == '-';
  size_t i = negative ? 1 : 0;
  int64_t magnitude = 0;  // position of the first significant digit relative to the decimal point
  bool seen_nonzero = false;
  for (; i < lit.size() && IsDigit(lit[i]); ++i) {
    if (lit[i] != '0') seen_nonzero = true;
    if (seen_nonzero) ++magnitude;
  }
  if (i < lit.size() && lit[i] == '.') {
    for (++i; i < lit.size() && IsDigit(lit[i]); ++i) {
      if (seen_nonzero) continue;
      if (lit[i] != '0') seen_nonzero = true; else --magnitude;
    }
  }
  int64_t exponent = 0;
  if (i < lit.size() && (lit[i] == 'e' || lit[i] == 'E')) {
    bool exp_negative = lit[++i] == '-';
    if (lit[i] == '-' || lit[i] == '+') ++i;
    for (; i < lit.size(); ++i) exponent = std::min<int64_t>(exponent * 10 + (lit[i] - '0'), 1'000'000'000);
    if (exp_negative) exponent = -exponent;
  }
  double result = magnitude + exponent > 0 ? std::numeric_limits<double>::infinity() : 0.0;
  return negative ? -result : result;
}

}  // namespace

bool JsonValue::IsFiniteNumber() const {
  return (kind == JsonKind::kInteger || kind == JsonKind::kNumber) && std::isfinite(number);
}

bool IsValidUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  size_t n = text.size();
  for (size_t i = 0; i < n;) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    size_t len = Utf8SequenceLength(p + i, n - i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

// One parse over one text. Methods return false after recording the first error in error_.
class JsonReader::Parser {
 public:
  Parser(JsonReader* reader, std::string_view text) : reader_(reader), text_(text) {}

  Status Run(JsonValue* value, std::vector<JsonMember>* members) {
    // Sized once so a reference to one depth's vector survives parsing the levels below it.
    if (reader_->keys_by_depth_.size() < kMaxJsonDepth + 2) reader_->keys_by_depth_.resize(kMaxJsonDepth + 2);
    SkipSpace();
    bool ok = members != nullptr ? ParseTopObject(value, members) : ParseAny(1, value);
    if (ok) {
      SkipSpace();
      if (pos_ != text_.size()) ok = Fail("unexpected data after the JSON value");
    }
    if (!ok) return Status(Code::kMalformed, std::move(error_));
    return Status::Ok();
  }

 private:
  bool Fail(std::string_view what) {
    if (error_.empty()) error_ = fmt::format("malformed JSON at byte {}: {}", pos_, what);
    return false;
  }

  void SkipSpace() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      ++pos_;
    }
  }

  bool Consume(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool ParseTopObject(JsonValue* value, std::vector<JsonMember>* members) {
    if (pos_ >= text_.size() || text_[pos_] != '{') return Fail("an event must be a JSON object");
    size_t start = pos_;
    if (!ParseObject(1, members)) return false;
    *value = JsonValue{};
    value->kind = JsonKind::kObject;
    value->raw = text_.substr(start, pos_ - start);
    return true;
  }

  bool ParseAny(int depth, JsonValue* out) {
    SkipSpace();
    if (pos_ >= text_.size()) return Fail("unexpected end of input, expected a value");
    size_t start = pos_;
    *out = JsonValue{};
    char c = text_[pos_];
    bool ok;
    switch (c) {
      case '{': out->kind = JsonKind::kObject; ok = ParseObject(depth, nullptr); break;
      case '[': out->kind = JsonKind::kArray; ok = ParseArray(depth); break;
      case '"': out->kind = JsonKind::kString; ok = ParseString(&out->string); break;
      case 't': out->kind = JsonKind::kBool; out->boolean = true; ok = ParseWord("true"); break;
      case 'f': out->kind = JsonKind::kBool; ok = ParseWord("false"); break;
      case 'n': out->kind = JsonKind::kNull; ok = ParseWord("null"); break;
      default:
        if (c == '-' || IsDigit(c)) {
          ok = ParseNumber(out);
        } else {
          ok = Fail(fmt::format("unexpected character '{}'", PrintableChar(c)));
        }
    }
    out->raw = text_.substr(start, pos_ - start);
    return ok;
  }

  static std::string PrintableChar(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F) return std::string(1, c);
    return fmt::format("\\x{:02x}", u);
  }

  bool ParseWord(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return Fail("invalid literal");
    pos_ += word.size();
    return true;
  }

  bool ParseObject(int depth, std::vector<JsonMember>* members) {
    if (depth > kMaxJsonDepth) return Fail(fmt::format("nesting deeper than {} levels", kMaxJsonDepth));
    ++pos_;  // '{'
    std::vector<std::string_view>& keys = KeysAt(depth);
    if (Consume('}')) return true;
    while (true) {
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') return Fail("expected a string key");
      std::string_view key;
      if (!ParseString(&key)) return false;
      keys.push_back(key);
      if (!Consume(':')) return Fail("expected ':' after a key");
      JsonValue value;
      if (!ParseAny(depth + 1, &value)) return false;
      if (members != nullptr) members->push_back(JsonMember{key, value});
      if (Consume(',')) continue;
      if (Consume('}')) break;
      return Fail("expected ',' or '}' in an object");
    }
    return CheckRepeatedKeys(&keys);
  }

  std::vector<std::string_view>& KeysAt(int depth) {
    std::vector<std::string_view>& keys = reader_->keys_by_depth_[depth];
    keys.clear();
    return keys;
  }

  // Quadratic for the small objects events are made of, sort-based beyond that so a hostile object with many
  // keys costs O(n log n). The key vector is scratch, so sorting it in place is fine.
  bool CheckRepeatedKeys(std::vector<std::string_view>* keys) {
    std::string_view repeated;
    bool found = false;
    if (keys->size() <= 16) {
      for (size_t i = 1; i < keys->size() && !found; ++i) {
        for (size_t j = 0; j < i; ++j) {
          if ((*keys)[i] == (*keys)[j]) {
            repeated = (*keys)[i];
            found = true;
            break;
          }
        }
      }
    } else {
      std::sort(keys->begin(), keys->end());
      auto it = std::adjacent_find(keys->begin(), keys->end());
      if (it != keys->end()) {
        repeated = *it;
        found = true;
      }
    }
    if (!found) return true;
    error_ = fmt::format("malformed JSON: repeated key \"{}\"", repeated.substr(0, 128));
    return false;
  }

  bool ParseArray(int depth) {
    if (depth > kMaxJsonDepth) return Fail(fmt::format("nesting deeper than {} levels", kMaxJsonDepth));
    ++pos_;  // '['
    if (Consume(']')) return true;
    while (true) {
      JsonValue element;
      if (!ParseAny(depth + 1, &element)) return false;
      if (Consume(',')) continue;
      if (Consume(']')) return true;
      return Fail("expected ',' or ']' in an array");
    }
  }

  bool ParseNumber(JsonValue* out) {
    size_t start = pos_;
    bool integral = true;
    if (text_[pos_] == '-') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '0') {
      ++pos_;
    } else if (pos_ < text_.size() && IsDigit(text_[pos_])) {
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    } else {
      return Fail("invalid number");
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      integral = false;
      if (!SkipDigits()) return Fail("invalid number: digits expected after '.'");
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      integral = false;
      if (pos_ + 1 < text_.size() && (text_[pos_ + 1] == '+' || text_[pos_ + 1] == '-')) ++pos_;
      if (!SkipDigits()) return Fail("invalid number: digits expected in the exponent");
    }
    std::string_view lit = text_.substr(start, pos_ - start);
    const char* end = lit.data() + lit.size();
    out->kind = integral ? JsonKind::kInteger : JsonKind::kNumber;
    if (integral) {
      auto [ptr, ec] = std::from_chars(lit.data(), end, out->integer);
      out->int_fits = ec == std::errc() && ptr == end;
    }
    auto [ptr, ec] = std::from_chars(lit.data(), end, out->number);
    if (ec == std::errc::result_out_of_range) out->number = OutOfRangeDouble(lit);
    return true;
  }

  // Skips the character at pos_ ('.', 'e', sign) and then one or more digits.
  bool SkipDigits() {
    ++pos_;
    size_t first = pos_;
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    return pos_ > first;
  }

  // pos_ is at the opening quote. Fast path: no escapes, the result is a view into the input.
  bool ParseString(std::string_view* out) {
    size_t start = ++pos_;
    const auto* p = reinterpret_cast<const unsigned char*>(text_.data());
    const size_t n = text_.size();
    while (pos_ < n) {
      // Plain printable ASCII is by far the common case: skip it without per-character branching on rules.
      while (pos_ < n && kPlainAscii[p[pos_]]) ++pos_;
      if (pos_ >= n) break;
      unsigned char c = p[pos_];
      if (c == '"') {
        *out = text_.substr(start, pos_ - start);
        ++pos_;
        return true;
      }
      if (c == '\\') return ParseEscapedString(start, out);
      if (!StepChar(p, c)) return false;
    }
    return Fail("unterminated string");
  }

  // Advances over one unescaped character, checking it is allowed raw in a string and is valid UTF-8.
  bool StepChar(const unsigned char* p, unsigned char c) {
    if (c < 0x20) return Fail("control character in a string");
    if (c < 0x80) {
      ++pos_;
      return true;
    }
    size_t len = Utf8SequenceLength(p + pos_, text_.size() - pos_);
    if (len == 0) return Fail("invalid UTF-8 in a string");
    pos_ += len;
    return true;
  }

  bool ParseEscapedString(size_t start, std::string_view* out) {
    std::string& buf = reader_->NextScratch();
    buf.assign(text_.substr(start, pos_ - start));
    const auto* p = reinterpret_cast<const unsigned char*>(text_.data());
    while (pos_ < text_.size()) {
      unsigned char c = p[pos_];
      if (c == '"') {
        ++pos_;
        *out = buf;
        return true;
      }
      if (c == '\\') {
        if (!DecodeEscape(&buf)) return false;
        continue;
      }
      size_t from = pos_;
      if (!StepChar(p, c)) return false;
      buf.append(text_.substr(from, pos_ - from));
    }
    return Fail("unterminated string");
  }

  bool DecodeEscape(std::string* buf) {
    if (++pos_ >= text_.size()) return Fail("unterminated escape");
    char c = text_[pos_++];
    switch (c) {
      case '"': buf->push_back('"'); return true;
      case '\\': buf->push_back('\\'); return true;
      case '/': buf->push_back('/'); return true;
      case 'b': buf->push_back('\b'); return true;
      case 'f': buf->push_back('\f'); return true;
      case 'n': buf->push_back('\n'); return true;
      case 'r': buf->push_back('\r'); return true;
      case 't': buf->push_back('\t'); return true;
      case 'u': return DecodeUnicodeEscape(buf);
      default: return Fail("invalid escape");
    }
  }

  bool ReadHex4(uint32_t* cp) {
    if (pos_ + 4 > text_.size()) return Fail("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      int d = HexDigit(text_[pos_ + i]);
      if (d < 0) return Fail("invalid \\u escape");
      v = v * 16 + static_cast<uint32_t>(d);
    }
    pos_ += 4;
    *cp = v;
    return true;
  }

  // pos_ is just after "\u". A high surrogate must be followed by "\u" and a low one; a lone surrogate
  // cannot be represented in UTF-8, so it is malformed rather than silently replaced.
  bool DecodeUnicodeEscape(std::string* buf) {
    uint32_t cp;
    if (!ReadHex4(&cp)) return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return Fail("lone low surrogate in a \\u escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (text_.substr(pos_, 2) != "\\u") return Fail("lone high surrogate in a \\u escape");
      pos_ += 2;
      uint32_t low;
      if (!ReadHex4(&low)) return false;
      if (low < 0xDC00 || low > 0xDFFF) return Fail("lone high surrogate in a \\u escape");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    AppendUtf8(buf, cp);
    return true;
  }

  JsonReader* reader_;
  std::string_view text_;
  size_t pos_ = 0;
  std::string error_;
};

void JsonReader::Clear() {
  decoded_used_ = 0;
  // Don't let one pathological event pin thousands of buffers in a long-lived reader.
  if (decoded_.size() > 256) decoded_.resize(256);
}

std::string& JsonReader::NextScratch() {
  if (decoded_used_ == decoded_.size()) decoded_.emplace_back();
  std::string& s = decoded_[decoded_used_++];
  s.clear();
  return s;
}

Status JsonReader::ParseObject(std::string_view text, std::vector<JsonMember>* members) {
  members->clear();
  JsonValue value;
  return Parser(this, text).Run(&value, members);
}

Status JsonReader::ParseValue(std::string_view text, JsonValue* value) {
  return Parser(this, text).Run(value, nullptr);
}

}  // namespace tally
