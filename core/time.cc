#include "core/time.h"

#include <chrono>
#include <cstdio>

namespace tally {
namespace {

// Reads exactly n ASCII digits at text[pos..pos+n); advances pos.
bool ReadDigits(std::string_view text, size_t& pos, size_t n, int& out) {
  if (pos + n > text.size()) return false;
  int value = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += n;
  out = value;
  return true;
}

bool Expect(std::string_view text, size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

uint32_t DaysInMonth(int32_t year, uint32_t month) {
  static constexpr uint32_t kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

std::optional<CivilDate> ReadDate(std::string_view text, size_t& pos) {
  int y, m, d;
  if (!ReadDigits(text, pos, 4, y) || !Expect(text, pos, '-') || !ReadDigits(text, pos, 2, m) ||
      !Expect(text, pos, '-') || !ReadDigits(text, pos, 2, d)) {
    return std::nullopt;
  }
  CivilDate date{y, static_cast<uint32_t>(m), static_cast<uint32_t>(d)};
  if (!IsValidCivil(date)) return std::nullopt;
  return date;
}

}  // namespace

bool IsValidCivil(CivilDate date) {
  return date.month >= 1 && date.month <= 12 && date.day >= 1 && date.day <= DaysInMonth(date.year, date.month);
}

// Proleptic Gregorian day count; the era decomposition keeps every step in non-negative integers.
DayNum DaysFromCivil(CivilDate date) {
  int32_t y = date.year - (date.month <= 2 ? 1 : 0);
  int32_t era = (y >= 0 ? y : y - 399) / 400;
  uint32_t yoe = static_cast<uint32_t>(y - era * 400);
  uint32_t mp = date.month > 2 ? date.month - 3 : date.month + 9;
  uint32_t doy = (153 * mp + 2) / 5 + date.day - 1;
  uint32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int32_t>(doe) - 719468;
}

CivilDate CivilFromDays(DayNum day) {
  int32_t z = day + 719468;
  int32_t era = (z >= 0 ? z : z - 146096) / 146097;
  uint32_t doe = static_cast<uint32_t>(z - era * 146097);
  uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int32_t y = static_cast<int32_t>(yoe) + era * 400;
  uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  uint32_t mp = (5 * doy + 2) / 153;
  uint32_t d = doy - (153 * mp + 2) / 5 + 1;
  uint32_t m = mp < 10 ? mp + 3 : mp - 9;
  return CivilDate{y + (m <= 2 ? 1 : 0), m, d};
}

std::optional<TimeMs> ParseRfc3339(std::string_view text) {
  size_t pos = 0;
  auto date = ReadDate(text, pos);
  if (!date) return std::nullopt;
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't')) return std::nullopt;
  ++pos;
  int hh, mm, ss;
  if (!ReadDigits(text, pos, 2, hh) || !Expect(text, pos, ':') || !ReadDigits(text, pos, 2, mm) ||
      !Expect(text, pos, ':') || !ReadDigits(text, pos, 2, ss)) {
    return std::nullopt;
  }
  // RFC 3339 allows a leap second (:60); like most stores we fold it into the next second.
  if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  int64_t millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (size_t i = digits; i < 3; ++i) millis *= 10;
  }
  if (pos >= text.size()) return std::nullopt;
  int64_t offset_min = 0;
  char zone = text[pos++];
  if (zone == 'Z' || zone == 'z') {
    offset_min = 0;
  } else if (zone == '+' || zone == '-') {
    int oh, om;
    if (!ReadDigits(text, pos, 2, oh) || !Expect(text, pos, ':') || !ReadDigits(text, pos, 2, om)) {
      return std::nullopt;
    }
    if (oh > 23 || om > 59) return std::nullopt;
    offset_min = (oh * 60 + om) * (zone == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  int64_t days = DaysFromCivil(*date);
  int64_t secs = days * 86400 + hh * 3600 + mm * 60 + ss - offset_min * 60;
  return secs * 1000 + millis;
}

std::string FormatRfc3339(TimeMs t) {
  DayNum day = DayOf(t);
  int64_t ms_of_day = t - static_cast<int64_t>(day) * kMsPerDay;
  CivilDate c = CivilFromDays(day);
  int64_t secs = ms_of_day / 1000;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", c.year, c.month, c.day,
                static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60),
                static_cast<int>(ms_of_day % 1000));
  return buf;
}

std::optional<DayNum> ParseDate(std::string_view text) {
  size_t pos = 0;
  auto date = ReadDate(text, pos);
  if (!date || pos != text.size()) return std::nullopt;
  return DaysFromCivil(*date);
}

// Digits by hand: answers print a date per row, and snprintf was 11 % of an uncached daily_metrics query.
std::string FormatDate(DayNum day) {
  CivilDate c = CivilFromDays(day);
  if (c.year < 0 || c.year > 9999) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", c.year, c.month, c.day);
    return buf;
  }
  const auto y = static_cast<unsigned>(c.year);
  const char text[10] = {static_cast<char>('0' + y / 1000),      static_cast<char>('0' + y / 100 % 10),
                         static_cast<char>('0' + y / 10 % 10),   static_cast<char>('0' + y % 10),
                         '-',
                         static_cast<char>('0' + c.month / 10), static_cast<char>('0' + c.month % 10),
                         '-',
                         static_cast<char>('0' + c.day / 10),   static_cast<char>('0' + c.day % 10)};
  return std::string(text, sizeof text);
}

std::optional<DayNum> ParseMonth(std::string_view text) {
  size_t pos = 0;
  int y, m;
  if (!ReadDigits(text, pos, 4, y) || !Expect(text, pos, '-') || !ReadDigits(text, pos, 2, m) ||
      pos != text.size() || m < 1 || m > 12) {
    return std::nullopt;
  }
  return DaysFromCivil(CivilDate{y, static_cast<uint32_t>(m), 1});
}

std::string FormatMonth(DayNum day) {
  CivilDate c = CivilFromDays(day);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u", c.year, c.month);
  return buf;
}

DayNum DayOf(TimeMs t) { return static_cast<DayNum>(FloorDiv(t, kMsPerDay)); }
int64_t HourOf(TimeMs t) { return FloorDiv(t, kMsPerHour); }

// 1970-01-01 was a Thursday: weekday index (Monday = 0) is (day + 3) mod 7.
DayNum IsoWeekStart(DayNum day) { return day - static_cast<DayNum>(((static_cast<int64_t>(day) + 3) % 7 + 7) % 7); }

DayNum MonthStart(DayNum day) {
  CivilDate c = CivilFromDays(day);
  return DaysFromCivil({c.year, c.month, 1});
}

DayNum QuarterStart(DayNum day) {
  CivilDate c = CivilFromDays(day);
  return DaysFromCivil({c.year, (c.month - 1) / 3 * 3 + 1, 1});
}

DayNum YearStart(DayNum day) { return DaysFromCivil({CivilFromDays(day).year, 1, 1}); }

DayNum NextMonthStart(DayNum day) {
  CivilDate c = CivilFromDays(day);
  return c.month == 12 ? DaysFromCivil({c.year + 1, 1, 1}) : DaysFromCivil({c.year, c.month + 1, 1});
}

DayNum NextQuarterStart(DayNum day) {
  CivilDate c = CivilFromDays(QuarterStart(day));
  return c.month == 10 ? DaysFromCivil({c.year + 1, 1, 1}) : DaysFromCivil({c.year, c.month + 3, 1});
}

DayNum NextYearStart(DayNum day) { return DaysFromCivil({CivilFromDays(day).year + 1, 1, 1}); }

TimeMs SystemClock::NowMs() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

const SystemClock& SystemClock::Instance() {
  static const SystemClock clock;
  return clock;
}

}  // namespace tally
