#include "processors/decimal_sum.h"

#include <gtest/gtest.h>

#include <initializer_list>

namespace tally {
namespace {

double Mean(std::initializer_list<double> values) {
  DecimalSum sum;
  for (double v : values) sum.Add(v);
  return sum.Mean(values.size());
}

TEST(DecimalSumTest, MeansOfWrittenDecimalsAreTheDecimalMeans) {
  EXPECT_EQ(Mean({0.1, 0.2}), 0.15);
  EXPECT_EQ(Mean({0.8, 0.9}), 0.85);
  EXPECT_EQ(Mean({0.72, 0.72, 0.72, 0.72, 0.72, 0.72}), 0.72);
  EXPECT_EQ(Mean({0.3, 0.2, 0.6}), 11.0 / 30.0);  // 11/30 rounded once
  EXPECT_EQ(Mean({-2.5, 1}), -0.75);
}

TEST(DecimalSumTest, OneValueComesBackUnchanged) {
  for (double v : {0.3, 0.123456789012, 0.0012345678901234568, 7.505268199233717, 1e-7, 9.999999999999998}) {
    EXPECT_EQ(Mean({v}), v) << v;
  }
}

TEST(DecimalSumTest, OrderDoesNotMatter) {
  EXPECT_EQ(Mean({0.1, 0.7, 0.2, 0.9, 0.35}), Mean({0.35, 0.9, 0.2, 0.7, 0.1}));
}

TEST(DecimalSumTest, RoundTripsThroughTheValueCodec) {
  DecimalSum sum;
  sum.Add(0.25);
  sum.Add(-1.5);
  ValueWriter w;
  sum.Write(w);
  std::string bytes = w.Take();
  ValueReader r(bytes);
  DecimalSum back = DecimalSum::Read(r);
  EXPECT_TRUE(r.ok() && r.done());
  EXPECT_EQ(back.Value(), -1.25);
  EXPECT_EQ(back.Mean(5), -0.25);
}

}  // namespace
}  // namespace tally
