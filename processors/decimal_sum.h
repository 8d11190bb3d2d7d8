// DecimalSum: sums doubles as the decimals they were written as, exactly. Each value is taken at its
// shortest round-trip decimal (what a producer sent: 0.1 is 1/10, not the binary neighbour of 0.1), held as a
// 128-bit integer count of 10^-24 units, and a mean is the exact decimal quotient rounded once to a double.
// So the mean of 0.1 and 0.2 is 0.15, of 0.8 and 0.9 is 0.85, whatever the order — the "no
// 0.30000000000000004" rule of the contract for averages of scores and confidences.
//
// Values must be finite with |x| < 1e13 (scores, confidences and CSI are far smaller); digits below 10^-24
// are rounded away.
#pragma once

#include <cstdint>

#include "core/bytes.h"

namespace tally {

class DecimalSum {
 public:
  void Add(double x);
  // The sum / the mean over n values (REQUIRES n > 0), each rounded once to the nearest double.
  double Value() const { return Mean(1); }
  double Mean(uint64_t n) const;

  void Write(ValueWriter& w) const;
  static DecimalSum Read(ValueReader& r);

 private:
  __int128 units_ = 0;  // the sum in 10^-24
};

}  // namespace tally
