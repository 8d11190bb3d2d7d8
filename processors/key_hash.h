// HashKey: the one 64-bit hash of a view-state key, shared by the runner's row store (row_store.h) and its
// written-keys filter (written_keys.h), so a key read or written during a fold is hashed once. It follows the
// multiply-and-fold construction of wyhash: 16 bytes per 64x64->128-bit multiply, whose two halves are folded
// with xor. std::hash<std::string_view> (murmur2 over 8-byte words, plus the finalizer both structures need
// for their low bits) cost ~130 instructions per typical 40-byte key; this costs ~40.
// Not a keyed hash: fine for keys a processor builds from events, whose worst case is a slower probe.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace tally {

namespace key_hash_internal {

inline uint64_t Fold(uint64_t a, uint64_t b) {
  const unsigned __int128 product = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(product) ^ static_cast<uint64_t>(product >> 64);
}
inline uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline uint64_t Load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
constexpr uint64_t kSeed = 0xa0761d6478bd642fULL;
constexpr uint64_t kMix = 0xe7037ed1a0b428dbULL;

}  // namespace key_hash_internal

inline uint64_t HashKey(std::string_view key) {
  using namespace key_hash_internal;
  const char* p = key.data();
  size_t n = key.size();
  uint64_t state = kSeed ^ Fold(n ^ kSeed, kMix);
  for (; n > 16; p += 16, n -= 16) state = Fold(Load64(p) ^ kMix, Load64(p + 8) ^ state);
  // The last 1..16 bytes as two (possibly overlapping) words, so no byte loop is needed.
  uint64_t a = 0, b = 0;
  if (n >= 8) {
    a = Load64(p);
    b = Load64(p + n - 8);
  } else if (n >= 4) {
    a = Load32(p);
    b = Load32(p + n - 4);
  } else if (n > 0) {
    a = (uint64_t{static_cast<uint8_t>(p[0])} << 16) | (uint64_t{static_cast<uint8_t>(p[n >> 1])} << 8) |
        static_cast<uint8_t>(p[n - 1]);
  }
  return Fold(kMix ^ key.size(), Fold(a ^ kMix, b ^ state));
}

}  // namespace tally
