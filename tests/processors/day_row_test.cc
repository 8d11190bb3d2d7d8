// Rows of conversation_metrics (conversation_metrics_state.h) with an encoding of their own: the day row (the
// day's counters and each of its hours', one value edited in place by the fold, checked against plain MetricsRow
// sums kept beside it) and a customer's presence in a year.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <random>
#include <string>

#include "processors/conversation_metrics_state.h"

namespace tally {
namespace {

MetricsRow RandomDelta(std::mt19937_64& rng) {
  MetricsRow d;
  d.total_conversations = rng() % 2;
  d.resolved_conversations = rng() % 2;
  d.escalated_conversations = rng() % 2;
  d.abandoned_conversations = rng() % 2;
  d.ai_resolved_conversations = rng() % 2;
  d.total_messages = rng() % 3;
  d.customer_messages = rng() % 2;
  d.agent_messages = rng() % 2;
  d.responses = rng() % 2;
  d.response_time_sum_ms = static_cast<int64_t>(rng() % 1'000'000) - 1000;  // a sum may go below zero
  d.unique_customers = rng() % 2;
  return d;
}

TEST(DayRowTest, EveryHourAndTheDayAddUpInAnyOrder) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 20; ++round) {
    std::string row;
    MetricsRow day;
    std::array<MetricsRow, 24> hours{};
    int edits = 1 + static_cast<int>(rng() % 200);
    for (int i = 0; i < edits; ++i) {
      int hour = static_cast<int>(rng() % 24);
      MetricsRow day_delta = RandomDelta(rng), hour_delta = RandomDelta(rng);
      AddToDayRow(&row, hour, day_delta, hour_delta);
      day.Add(day_delta);
      hours[static_cast<size_t>(hour)].Add(hour_delta);
    }
    EXPECT_EQ(DayRowTotals(row), day);
    std::array<MetricsRow, 24> decoded;
    DayRowHours(row, &decoded);
    for (size_t h = 0; h < 24; ++h) EXPECT_EQ(decoded[h], hours[h]) << "hour " << h;
  }
}

TEST(DayRowTest, OnlyHoursWithDataTakeSpace) {
  std::string row;
  MetricsRow one;
  one.total_messages = 1;
  AddToDayRow(&row, 23, one, one);
  AddToDayRow(&row, 0, one, one);
  AddToDayRow(&row, 23, one, one);
  EXPECT_EQ(row.size(), 88u + 2 * 89u);
  EXPECT_EQ(DayRowTotals(row).total_messages, 3u);
  // The day's counters are the plain MetricsRow encoding, so a row written without hours reads the same.
  MetricsRow plain;
  plain.resolved_conversations = 5;
  EXPECT_EQ(DayRowTotals(EncodeMetricsRow(plain)), plain);
}

TEST(DayRowTest, AMalformedValueReadsAsZerosAndStartsAfresh) {
  MetricsRow one;
  one.agent_messages = 1;
  std::string valid;
  AddToDayRow(&valid, 5, one, one);
  std::string unsorted = valid;
  AddToDayRow(&unsorted, 7, one, one);
  std::swap(unsorted[88], unsorted[88 + 89]);  // hours 7, 5
  std::string bad_hour = valid;
  bad_hour[88] = 24;
  for (std::string bad : {std::string("short"), valid + "x", valid.substr(0, valid.size() - 1), unsorted, bad_hour}) {
    EXPECT_TRUE(DayRowTotals(bad).IsZero()) << bad.size();
    std::array<MetricsRow, 24> hours;
    hours[3] = one;
    DayRowHours(bad, &hours);
    for (const MetricsRow& h : hours) EXPECT_TRUE(h.IsZero());
    AddToDayRow(&bad, 3, one, one);
    EXPECT_EQ(DayRowTotals(bad), one);
    DayRowHours(bad, &hours);
    EXPECT_EQ(hours[3], one);
    EXPECT_EQ(bad.size(), 88u + 89u);
  }
}

TEST(CustomerYearTest, SeenMonthsRoundTripAndOnlyThemTakeSpace) {
  CustomerYear year;
  EXPECT_EQ(EncodeCustomerYear(year).size(), 2u);
  year.months[0].days = 1;
  year.months[0].hours[0] = 5;
  year.months[11].days = uint32_t{1} << 30;
  year.months[11].hours[11] = uint64_t{1} << 63;
  std::string encoded = EncodeCustomerYear(year);
  EXPECT_EQ(encoded.size(), 2u + 2 * 104u);
  EXPECT_EQ(DecodeCustomerYear(encoded), year);
  // Damaged values read as never seen: cut short, a byte too many, a mask beyond December, a seen month
  // without a day.
  CustomerYear never;
  EXPECT_EQ(DecodeCustomerYear(encoded.substr(0, encoded.size() - 1)), never);
  EXPECT_EQ(DecodeCustomerYear(encoded + "x"), never);
  std::string bad_mask = encoded;
  bad_mask[1] = static_cast<char>(bad_mask[1] | 0x10);
  EXPECT_EQ(DecodeCustomerYear(bad_mask), never);
  std::string no_day = encoded;
  std::fill(no_day.begin() + 2, no_day.begin() + 10, '\0');
  EXPECT_EQ(DecodeCustomerYear(no_day), never);
  EXPECT_EQ(DecodeCustomerYear(""), never);
}

}  // namespace
}  // namespace tally
