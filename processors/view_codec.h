// Small codecs shared by the quality, content-gap, file and usage views: order-preserving string keys, opaque
// page cursors, and an order-independent floating-point sum. Header-only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"

namespace tally {

// Appends s so that byte order of the encodings equals byte order of the strings and no encoding is a prefix
// of another: 0x00 becomes 0x00 0xFF, and the string ends with 0x00 0x01. Ids may hold any byte, so a plain
// separator would not do.
inline void AppendOrderedString(std::string* out, std::string_view s) {
  // Runs without a 0x00 (all of an id, usually) are appended whole: every view key is built through here.
  for (size_t zero; (zero = s.find('\0')) != std::string_view::npos; s.remove_prefix(zero + 1)) {
    out->append(s.data(), zero + 1);
    out->push_back('\xFF');
  }
  out->append(s);
  out->append("\0\x01", 2);
}

// Reads one AppendOrderedString encoding from the front of *in and drops it; nullopt if *in holds none.
inline std::optional<std::string> ConsumeOrderedString(std::string_view* in) {
  std::string s;
  for (size_t i = 0; i + 1 < in->size(); ++i) {
    char c = (*in)[i];
    if (c != '\0') {
      s.push_back(c);
      continue;
    }
    char next = (*in)[i + 1];
    if (next == '\x01') {
      in->remove_prefix(i + 2);
      return s;
    }
    if (next != '\xFF') return std::nullopt;
    s.push_back('\0');
    ++i;
  }
  return std::nullopt;
}

// The key prefix of one store's rows inside a view, followed by a one-byte row kind.
inline std::string StoreKey(std::string_view store_id, char kind) {
  std::string k;
  AppendOrderedString(&k, store_id);
  k.push_back(kind);
  return k;
}

inline std::string DayKeyPart(int32_t day) {
  std::string s;
  PutOrderedI32(&s, day);
  return s;
}

// Cursors are the hex of a key suffix: opaque to clients, safe in a query string.
inline std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    s.push_back(kHex[c >> 4]);
    s.push_back(kHex[c & 0xF]);
  }
  return s;
}

inline std::optional<std::string> HexDecode(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

// A double-double running sum (Knuth's TwoSum): carries the rounding error of every addition, so the total
// is the exact sum rounded once for any realistic count, whatever order the values came in. Means built on
// it are therefore the same after a replay or a different chunking.
struct ExactSum {
  double hi = 0;
  double lo = 0;

  void Add(double x) {
    double s = hi + x;
    double bp = s - hi;
    double err = (hi - (s - bp)) + (x - bp);
    hi = s;
    lo += err;
  }
  double Value() const { return hi + lo; }
  // Mean over n values; REQUIRES n > 0.
  double Mean(uint64_t n) const { return Value() / static_cast<double>(n); }

  void Write(ValueWriter& w) const { w.F64(hi).F64(lo); }
  static ExactSum Read(ValueReader& r) {
    ExactSum s;
    s.hi = r.F64();
    s.lo = r.F64();
    return s;
  }
};

}  // namespace tally
