#include "processors/decimal_sum.h"

#include <charconv>
#include <cstdlib>
#include <string>

namespace tally {

namespace {

constexpr int kScale = 24;  // units are 10^-24

__int128 Pow10(int e) {
  __int128 p = 1;
  for (int i = 0; i < e; ++i) p *= 10;
  return p;
}

// x = mantissa × 10^exponent, read from its shortest round-trip decimal text.
void Decompose(double x, __int128* mantissa, int* exponent) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  std::string_view text(buf, ec == std::errc() ? static_cast<size_t>(end - buf) : 0);
  bool negative = !text.empty() && text[0] == '-';
  __int128 m = 0;
  int fraction_digits = 0;
  bool after_point = false;
  size_t i = negative ? 1 : 0;
  for (; i < text.size() && text[i] != 'e'; ++i) {
    if (text[i] == '.') {
      after_point = true;
      continue;
    }
    m = m * 10 + (text[i] - '0');
    if (after_point) ++fraction_digits;
  }
  int e = i < text.size() ? std::atoi(std::string(text.substr(i + 1)).c_str()) : 0;
  *mantissa = negative ? -m : m;
  *exponent = e - fraction_digits;
}

std::string DecimalDigits(unsigned __int128 v) {
  if (v == 0) return "0";
  std::string s;
  while (v > 0) {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  return s;
}

}  // namespace

void DecimalSum::Add(double x) {
  __int128 mantissa = 0;
  int exponent = 0;
  Decompose(x, &mantissa, &exponent);
  int shift = exponent + kScale;
  if (shift >= 0) {
    units_ += mantissa * Pow10(shift);
    return;
  }
  // Digits below the unit: round half away from zero.
  __int128 divisor = shift < -38 ? 0 : Pow10(-shift);
  if (divisor == 0) return;
  __int128 q = mantissa / divisor, r = mantissa % divisor;
  if (2 * (r < 0 ? -r : r) >= divisor) q += mantissa < 0 ? -1 : 1;
  units_ += q;
}

double DecimalSum::Mean(uint64_t n) const {
  // The quotient units / n as a decimal with 20 digits beyond the unit, then one rounding by strtod: exact
  // except for halfway cases decided beyond those digits.
  constexpr int kExtraDigits = 20;
  bool negative = units_ < 0;
  unsigned __int128 magnitude = negative ? -static_cast<unsigned __int128>(units_) : units_;
  unsigned __int128 q = magnitude / n, r = magnitude % n;
  std::string digits = DecimalDigits(q);
  for (int i = 0; i < kExtraDigits; ++i) {
    r *= 10;
    digits.push_back(static_cast<char>('0' + static_cast<int>(r / n)));
    r %= n;
  }
  std::string text = (negative ? "-" : "") + digits + "e-" + std::to_string(kScale + kExtraDigits);
  return std::strtod(text.c_str(), nullptr);
}

void DecimalSum::Write(ValueWriter& w) const {
  auto bits = static_cast<unsigned __int128>(units_);
  w.U64(static_cast<uint64_t>(bits >> 64)).U64(static_cast<uint64_t>(bits));
}

DecimalSum DecimalSum::Read(ValueReader& r) {
  unsigned __int128 hi = r.U64();
  unsigned __int128 lo = r.U64();
  DecimalSum s;
  s.units_ = static_cast<__int128>((hi << 64) | lo);
  return s;
}

}  // namespace tally
