// Time in tally: instants are int64 milliseconds since the Unix epoch, UTC (TimeMs); calendar days are int32
// days since 1970-01-01 (DayNum). One parser and one formatter for each, used by every layer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tally {

using TimeMs = int64_t;
using DayNum = int32_t;

constexpr TimeMs kMsPerDay = 86'400'000;
constexpr TimeMs kMsPerHour = 3'600'000;

// Parses RFC 3339 ("2026-11-20T14:03:11.250+02:00", 'T'/'t' and 'Z'/'z' accepted, any number of fraction
// digits), truncating to milliseconds and converting to UTC. nullopt when the text is not a valid time
// (including impossible dates like 02-30 and offsets beyond ±23:59).
std::optional<TimeMs> ParseRfc3339(std::string_view text);
// "2026-11-20T14:03:11.250Z": always UTC, exactly three fraction digits.
std::string FormatRfc3339(TimeMs t);

// "YYYY-MM-DD" strictly; nullopt otherwise.
std::optional<DayNum> ParseDate(std::string_view text);
std::string FormatDate(DayNum day);
// "YYYY-MM" strictly, as the first day of that month.
std::optional<DayNum> ParseMonth(std::string_view text);
std::string FormatMonth(DayNum day);  // "YYYY-MM" of the month containing day

struct CivilDate {
  int32_t year;
  uint32_t month;  // 1..12
  uint32_t day;    // 1..31
};
DayNum DaysFromCivil(CivilDate date);
CivilDate CivilFromDays(DayNum day);
bool IsValidCivil(CivilDate date);

// Floor division of an instant into its UTC day / hour.
DayNum DayOf(TimeMs t);
int64_t HourOf(TimeMs t);  // hours since epoch

// Calendar buckets, each identified by the DayNum of its first day.
DayNum IsoWeekStart(DayNum day);  // the Monday on or before day
DayNum MonthStart(DayNum day);
DayNum QuarterStart(DayNum day);
DayNum YearStart(DayNum day);
DayNum NextMonthStart(DayNum day);
DayNum NextQuarterStart(DayNum day);
DayNum NextYearStart(DayNum day);

// Injectable wall clock (STYLE: time is injected so tests control it).
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs NowMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimeMs NowMs() const override;
  static const SystemClock& Instance();
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeMs now) : now_(now) {}
  TimeMs NowMs() const override { return now_; }
  void Set(TimeMs now) { now_ = now; }
  void Advance(TimeMs delta) { now_ += delta; }

 private:
  TimeMs now_;
};

}  // namespace tally
