#include "core/time.h"

#include <gtest/gtest.h>

namespace tally {
namespace {

constexpr TimeMs k2026_11_20 = 1'795'132'800'000;  // 2026-11-20T00:00:00Z

TEST(Rfc3339Test, ParsesUtcAndOffsets) {
  EXPECT_EQ(ParseRfc3339("2026-11-20T00:00:00Z"), k2026_11_20);
  EXPECT_EQ(ParseRfc3339("2026-11-20t00:00:00z"), k2026_11_20);
  EXPECT_EQ(ParseRfc3339("2026-11-20T02:00:00+02:00"), k2026_11_20);
  EXPECT_EQ(ParseRfc3339("2026-11-19T19:30:00-04:30"), k2026_11_20);
  EXPECT_EQ(ParseRfc3339("2026-11-20T00:00:00+00:00"), k2026_11_20);
  EXPECT_EQ(ParseRfc3339("2026-11-20T00:00:00-00:00"), k2026_11_20);
  EXPECT_EQ(ParseRfc3339("2026-11-20T23:59:00+23:59"), k2026_11_20);
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), 0);
}

TEST(Rfc3339Test, FractionsAreTruncatedToMillisecondsNotRounded) {
  EXPECT_EQ(ParseRfc3339("2026-11-20T00:00:00.9999999Z"), k2026_11_20 + 999);
  EXPECT_EQ(ParseRfc3339("2026-11-20T00:00:00.0005Z"), k2026_11_20);
  EXPECT_EQ(ParseRfc3339("2026-11-20T00:00:00.5Z"), k2026_11_20 + 500);
  EXPECT_EQ(ParseRfc3339("2026-11-20T00:00:00.25Z"), k2026_11_20 + 250);
  EXPECT_EQ(ParseRfc3339("2026-11-20T00:00:00.123456789123456789Z"), k2026_11_20 + 123);
  // Before the epoch truncation still keeps the written digits (towards the earlier instant's millisecond).
  EXPECT_EQ(ParseRfc3339("1969-12-31T23:59:59.9999Z"), -1);
}

TEST(Rfc3339Test, RejectsWhatIsNotRfc3339) {
  for (const char* bad :
       {"", "2026-11-20", "2026-11-20T00:00:00", "2026-11-20 00:00:00Z", "2026-11-20T00:00Z",
        "2026-11-20T00:00:00.Z", "2026-11-20T24:00:00Z", "2026-11-20T00:60:00Z", "2026-11-20T00:00:61Z",
        "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-11-31T00:00:00Z", "2026-02-29T00:00:00Z",
        "2026-11-20T00:00:00+24:00", "2026-11-20T00:00:00+0200", "2026-11-20T00:00:00+02", "26-11-20T00:00:00Z",
        "2026-11-20T00:00:00ZZ", "2026-11-20T00:00:00Z ", " 2026-11-20T00:00:00Z", "2026-11-20T0:00:00Z",
        "2026-11-20T00:00:00+02:60"}) {
    EXPECT_FALSE(ParseRfc3339(bad).has_value()) << bad;
  }
}

TEST(Rfc3339Test, LeapYears) {
  EXPECT_TRUE(ParseRfc3339("2024-02-29T12:00:00Z").has_value());
  EXPECT_TRUE(ParseRfc3339("2000-02-29T12:00:00Z").has_value());   // divisible by 400
  EXPECT_FALSE(ParseRfc3339("2100-02-29T12:00:00Z").has_value());  // divisible by 100 only
  EXPECT_FALSE(ParseRfc3339("2023-02-29T12:00:00Z").has_value());
  EXPECT_EQ(*ParseRfc3339("2024-03-01T00:00:00Z") - *ParseRfc3339("2024-02-28T00:00:00Z"), 2 * kMsPerDay);
  EXPECT_EQ(*ParseRfc3339("2023-03-01T00:00:00Z") - *ParseRfc3339("2023-02-28T00:00:00Z"), 1 * kMsPerDay);
}

TEST(Rfc3339Test, Year2000Boundary) {
  TimeMs y2k = *ParseRfc3339("2000-01-01T00:00:00Z");
  EXPECT_EQ(y2k, 946'684'800'000);
  EXPECT_EQ(*ParseRfc3339("1999-12-31T23:59:59.999Z"), y2k - 1);
  EXPECT_EQ(*ParseRfc3339("2000-01-01T01:00:00+01:00"), y2k);
  EXPECT_EQ(*ParseRfc3339("1999-12-31T19:00:00-05:00"), y2k);
}

TEST(Rfc3339Test, LeapSecondFoldsIntoTheNextSecond) {
  EXPECT_EQ(ParseRfc3339("2016-12-31T23:59:60Z"), ParseRfc3339("2017-01-01T00:00:00Z"));
}

TEST(Rfc3339Test, FormatIsUtcWithThreeFractionDigits) {
  EXPECT_EQ(FormatRfc3339(k2026_11_20 + 14 * kMsPerHour + 3 * 60'000 + 11'250), "2026-11-20T14:03:11.250Z");
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59.999Z");
  for (const char* text : {"2024-02-29T23:59:59.999Z", "2000-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z"}) {
    EXPECT_EQ(FormatRfc3339(*ParseRfc3339(text)), text);
  }
}

TEST(DateTest, ParseAndFormat) {
  EXPECT_EQ(ParseDate("1970-01-01"), 0);
  EXPECT_EQ(ParseDate("2026-11-20"), DayOf(k2026_11_20));
  EXPECT_EQ(FormatDate(DayOf(k2026_11_20)), "2026-11-20");
  EXPECT_EQ(FormatDate(-1), "1969-12-31");
  EXPECT_EQ(FormatDate(*ParseDate("0001-01-01")), "0001-01-01");
  EXPECT_EQ(FormatDate(*ParseDate("9999-12-31")), "9999-12-31");
  // Every day from 1900 to 2100 prints as a date that parses back to it.
  for (DayNum day = *ParseDate("1900-01-01"); day <= *ParseDate("2100-12-31"); ++day) {
    std::string text = FormatDate(day);
    ASSERT_EQ(text.size(), 10u) << day;
    ASSERT_EQ(ParseDate(text), day) << text;
  }
  for (const char* bad : {"2026-11-20T00:00:00Z", "2026-1-20", "2026-11-31", "2023-02-29", "20261120", "",
                          "2026-11-20 "}) {
    EXPECT_FALSE(ParseDate(bad).has_value()) << bad;
  }
  EXPECT_TRUE(ParseDate("2024-02-29").has_value());
}

TEST(DateTest, Months) {
  EXPECT_EQ(ParseMonth("2026-11"), ParseDate("2026-11-01"));
  EXPECT_FALSE(ParseMonth("2026-13").has_value());
  EXPECT_FALSE(ParseMonth("2026-11-01").has_value());
  EXPECT_EQ(FormatMonth(*ParseDate("2026-11-30")), "2026-11");
}

TEST(DateTest, CivilRoundTripOverManyYears) {
  for (DayNum day = -800'000; day <= 800'000; day += 97) {
    CivilDate c = CivilFromDays(day);
    ASSERT_TRUE(IsValidCivil(c)) << day;
    ASSERT_EQ(DaysFromCivil(c), day);
  }
}

TEST(BucketTest, DayAndHourFloorBeforeTheEpoch) {
  EXPECT_EQ(DayOf(-1), -1);
  EXPECT_EQ(DayOf(0), 0);
  EXPECT_EQ(DayOf(kMsPerDay - 1), 0);
  EXPECT_EQ(HourOf(-1), -1);
  EXPECT_EQ(HourOf(kMsPerHour), 1);
}

TEST(BucketTest, CalendarBuckets) {
  DayNum d = *ParseDate("2026-11-20");  // a Friday
  EXPECT_EQ(FormatDate(IsoWeekStart(d)), "2026-11-16");
  EXPECT_EQ(FormatDate(IsoWeekStart(*ParseDate("2026-11-16"))), "2026-11-16");
  EXPECT_EQ(FormatDate(IsoWeekStart(*ParseDate("2026-11-22"))), "2026-11-16");  // Sunday
  EXPECT_EQ(FormatDate(IsoWeekStart(*ParseDate("2027-01-01"))), "2026-12-28");  // across a year
  EXPECT_EQ(FormatDate(IsoWeekStart(*ParseDate("1969-12-31"))), "1969-12-29");  // before the epoch
  EXPECT_EQ(FormatDate(MonthStart(d)), "2026-11-01");
  EXPECT_EQ(FormatDate(QuarterStart(d)), "2026-10-01");
  EXPECT_EQ(FormatDate(YearStart(d)), "2026-01-01");
  EXPECT_EQ(FormatDate(NextMonthStart(*ParseDate("2026-12-15"))), "2027-01-01");
  EXPECT_EQ(FormatDate(NextQuarterStart(d)), "2027-01-01");
  EXPECT_EQ(FormatDate(NextQuarterStart(*ParseDate("2026-02-03"))), "2026-04-01");
  EXPECT_EQ(FormatDate(NextYearStart(d)), "2027-01-01");
}

TEST(ClockTest, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(1000);
  EXPECT_EQ(clock.NowMs(), 1000);
  clock.Advance(500);
  EXPECT_EQ(clock.NowMs(), 1500);
  clock.Set(7);
  EXPECT_EQ(clock.NowMs(), 7);
}

}  // namespace
}  // namespace tally
