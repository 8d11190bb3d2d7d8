#include "net/http_events_body.h"

namespace tally::net {
namespace {

// Nesting deeper than the validator accepts still parses here, so such an element is rejected on its own;
// only absurd depth (a stack risk) makes the whole array unparseable.
constexpr int kMaxScanDepth = 512;

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// A syntax-only JSON scanner: accepts exactly RFC 8259 values without building anything.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : s_(text) {}

  bool Fail(std::string what) {
    if (error_.empty()) error_ = what + " at byte " + std::to_string(i_);
    return false;
  }
  void SkipSpace() {
    while (i_ < s_.size() && IsJsonSpace(s_[i_])) ++i_;
  }
  bool AtEnd() const { return i_ >= s_.size(); }
  char Peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  size_t pos() const { return i_; }
  const std::string& error() const { return error_; }

  bool Value(int depth) {
    SkipSpace();
    if (AtEnd()) return Fail("unexpected end of input");
    if (depth > kMaxScanDepth) return Fail("nesting too deep");
    switch (s_[i_]) {
      case '{':
        return Object(depth + 1);
      case '[':
        return Array(depth + 1);
      case '"':
        return String();
      case 't':
        return Literal("true");
      case 'f':
        return Literal("false");
      case 'n':
        return Literal("null");
      default:
        return Number();
    }
  }

  bool Consume(char c) {
    SkipSpace();
    if (Peek() != c) return Fail(std::string("expected '") + c + "'");
    ++i_;
    return true;
  }

 private:
  bool Object(int depth) {
    ++i_;  // '{'
    SkipSpace();
    if (Peek() == '}') return ++i_, true;
    while (true) {
      SkipSpace();
      if (Peek() != '"') return Fail("expected a string key");
      if (!String() || !Consume(':') || !Value(depth)) return false;
      SkipSpace();
      if (Peek() == '}') return ++i_, true;
      if (!Consume(',')) return false;
    }
  }

  bool Array(int depth) {
    ++i_;  // '['
    SkipSpace();
    if (Peek() == ']') return ++i_, true;
    while (true) {
      if (!Value(depth)) return false;
      SkipSpace();
      if (Peek() == ']') return ++i_, true;
      if (!Consume(',')) return false;
    }
  }

  bool String() {
    ++i_;  // opening quote
    while (i_ < s_.size()) {
      unsigned char c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') return ++i_, true;
      if (c < 0x20) return Fail("control character in string");
      if (c == '\\') {
        if (++i_ >= s_.size()) break;
        char e = s_[i_];
        if (e == 'u') {
          for (int k = 1; k <= 4; ++k) {
            if (i_ + k >= s_.size() || !IsHex(s_[i_ + k])) return Fail("bad \\u escape");
          }
          i_ += 4;
        } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
          return Fail("bad escape");
        }
      }
      ++i_;
    }
    return Fail("unterminated string");
  }

  bool Literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return Fail("unexpected character");
    i_ += word.size();
    return true;
  }

  bool Digits() {
    size_t start = i_;
    while (i_ < s_.size() && IsDigit(s_[i_])) ++i_;
    return i_ > start;
  }

  bool Number() {
    if (Peek() == '-') ++i_;
    if (Peek() == '0') {
      ++i_;
    } else if (!Digits()) {
      return Fail("unexpected character");
    }
    if (Peek() == '.') {
      ++i_;
      if (!Digits()) return Fail("bad number");
    }
    if (Peek() == 'e' || Peek() == 'E') {
      ++i_;
      if (Peek() == '+' || Peek() == '-') ++i_;
      if (!Digits()) return Fail("bad number");
    }
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
  std::string error_;
};

bool IsBlankLine(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

}  // namespace

bool SplitJsonArray(std::string_view body, std::vector<std::string_view>* elements, std::string* error) {
  elements->clear();
  Scanner scan(body);
  bool ok = [&] {
    if (!scan.Consume('[')) return false;
    scan.SkipSpace();
    if (scan.Peek() == ']') return scan.Consume(']');
    while (true) {
      scan.SkipSpace();
      size_t start = scan.pos();
      if (!scan.Value(1)) return false;
      elements->push_back(body.substr(start, scan.pos() - start));
      scan.SkipSpace();
      if (scan.Peek() == ']') return scan.Consume(']');
      if (!scan.Consume(',')) return false;
    }
  }();
  if (ok) {
    scan.SkipSpace();
    if (!scan.AtEnd()) ok = scan.Fail("unexpected bytes after the array");
  }
  if (!ok) {
    elements->clear();
    *error = "the body is not a valid JSON array: " + scan.error();
  }
  return ok;
}

EventsBody SplitEventsBody(std::string_view body) {
  EventsBody out;
  size_t first = 0;
  while (first < body.size() && IsJsonSpace(body[first])) ++first;
  if (first < body.size() && body[first] == '[') {
    out.is_array = true;
    out.array_unparseable = !SplitJsonArray(body, &out.events, &out.error);
    return out;
  }
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!IsBlankLine(line)) out.events.push_back(line);
    start = end + 1;
  }
  return out;
}

}  // namespace tally::net
