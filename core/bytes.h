// Byte encodings shared by storage keys and view state values. Keys use big-endian fixed-width integers so
// that byte order is numeric order; values use a simple append/read codec. Header-only and allocation-light.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace tally {

inline void PutBigEndian64(std::string* out, uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
  out->append(buf, 8);
}

inline void PutBigEndian32(std::string* out, uint32_t v) {
  char buf[4];
  for (int i = 3; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
  out->append(buf, 4);
}

// Signed values flip the sign bit so negative numbers sort before positive ones.
inline void PutOrderedI64(std::string* out, int64_t v) { PutBigEndian64(out, static_cast<uint64_t>(v) ^ (1ULL << 63)); }
inline void PutOrderedI32(std::string* out, int32_t v) { PutBigEndian32(out, static_cast<uint32_t>(v) ^ (1U << 31)); }

inline uint64_t GetBigEndian64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}
inline uint32_t GetBigEndian32(std::string_view in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}
inline int64_t GetOrderedI64(std::string_view in) { return static_cast<int64_t>(GetBigEndian64(in) ^ (1ULL << 63)); }
inline int32_t GetOrderedI32(std::string_view in) { return static_cast<int32_t>(GetBigEndian32(in) ^ (1U << 31)); }

inline std::string BigEndianKey64(uint64_t v) {
  std::string s;
  PutBigEndian64(&s, v);
  return s;
}

// Value codec: little-endian fixed fields and length-prefixed strings, written in order and read back in the
// same order. The reader never reads past the end: a short or corrupt value makes ok() false.
class ValueWriter {
 public:
  ValueWriter() = default;
  // Reserves the value's expected size up front: a value grown field by field would otherwise be copied into a
  // new buffer at every doubling (15, 30, 60, 120 bytes...), several allocations per encoded row.
  explicit ValueWriter(size_t expected_size) { out_.reserve(expected_size); }

  ValueWriter& U64(uint64_t v) { return Fixed(v); }
  ValueWriter& I64(int64_t v) { return Fixed(v); }
  ValueWriter& I32(int32_t v) { return Fixed(v); }
  ValueWriter& F64(double v) { return Fixed(v); }
  ValueWriter& U8(uint8_t v) { return Fixed(v); }
  ValueWriter& U16(uint16_t v) { return Fixed(v); }
  ValueWriter& Bool(bool v) { return U8(v ? 1 : 0); }
  ValueWriter& Str(std::string_view s) {
    U64(s.size());
    out_.append(s);
    return *this;
  }
  template <typename T>
  ValueWriter& Opt(const std::optional<T>& v) {
    Bool(v.has_value());
    if (v) Put(*v);
    return *this;
  }
  std::string Take() { return std::move(out_); }
  const std::string& str() const { return out_; }

 private:
  template <typename T>
  ValueWriter& Fixed(T v) {
    char buf[sizeof(T)];
    std::memcpy(buf, &v, sizeof(T));
    out_.append(buf, sizeof(T));
    return *this;
  }
  void Put(const std::string& s) { Str(s); }
  void Put(uint64_t v) { U64(v); }
  void Put(int64_t v) { I64(v); }
  void Put(int32_t v) { I32(v); }
  void Put(double v) { F64(v); }
  void Put(bool v) { Bool(v); }
  void Put(uint8_t v) { U8(v); }

  std::string out_;
};

class ValueReader {
 public:
  explicit ValueReader(std::string_view in) : in_(in) {}
  uint64_t U64() { return Fixed<uint64_t>(); }
  int64_t I64() { return Fixed<int64_t>(); }
  int32_t I32() { return Fixed<int32_t>(); }
  double F64() { return Fixed<double>(); }
  uint8_t U8() { return Fixed<uint8_t>(); }
  bool Bool() { return U8() != 0; }
  std::string Str() {
    uint64_t n = U64();
    if (!ok_ || n > in_.size() - pos_) {
      ok_ = false;
      return {};
    }
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  template <typename T>
  std::optional<T> Opt() {
    if (!Bool()) return std::nullopt;
    return Get<T>();
  }
  bool ok() const { return ok_; }
  bool done() const { return pos_ == in_.size(); }
  size_t remaining() const { return in_.size() - pos_; }

 private:
  template <typename T>
  T Fixed() {
    T v{};
    if (!ok_ || in_.size() - pos_ < sizeof(T)) {
      ok_ = false;
      return v;
    }
    std::memcpy(&v, in_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  template <typename T>
  T Get() {
    if constexpr (std::is_same_v<T, std::string>)
      return Str();
    else
      return Fixed<T>();
  }

  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace tally
