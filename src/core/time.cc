#include "core/time.h"

#include <fmt/format.h>

#include <chrono>

namespace kalshiflow::core {

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

namespace {

bool ReadDigits(std::string_view text, std::size_t& pos, int count, int& out) {
  if (pos + static_cast<std::size_t>(count) > text.size()) return false;
  int value = 0;
  for (int k = 0; k < count; ++k) {
    char c = text[pos + static_cast<std::size_t>(k)];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += static_cast<std::size_t>(count);
  out = value;
  return true;
}

bool Expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

bool IsLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

}  // namespace

Result<Timestamp> Timestamp::ParseIso8601(std::string_view text, int default_offset_minutes) {
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError(fmt::format("bad ISO 8601 timestamp '{}': {}", text, why));
  };
  std::size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(text, pos, 4, year) || !Expect(text, pos, '-') ||
      !ReadDigits(text, pos, 2, month) || !Expect(text, pos, '-') ||
      !ReadDigits(text, pos, 2, day)) {
    return bad("expected YYYY-MM-DD");
  }
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != ' ')) return bad("expected 'T'");
  ++pos;
  if (!ReadDigits(text, pos, 2, hour) || !Expect(text, pos, ':') ||
      !ReadDigits(text, pos, 2, minute) || !Expect(text, pos, ':') ||
      !ReadDigits(text, pos, 2, second)) {
    return bad("expected HH:MM:SS");
  }
  // int64 nanoseconds span 1677-09-21 .. 2262-04-11; accept whole years inside that range.
  if (year < 1678 || year > 2261) return bad("year outside 1678..2261");
  if (month < 1 || month > 12) return bad("month out of range");
  if (day < 1 || day > DaysInMonth(year, month)) return bad("day out of range");
  if (hour > 23 || minute > 59 || second > 60) return bad("time of day out of range");
  int64_t frac_ns = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 9) {
        frac_ns = frac_ns * 10 + (text[pos] - '0');
        ++digits;
      } else if (text[pos] != '0') {
        return bad("more than 9 fractional digits");
      }
      ++pos;
    }
    if (digits == 0) return bad("empty fraction");
    for (int k = digits; k < 9; ++k) frac_ns *= 10;
  }
  int offset_minutes = default_offset_minutes;
  if (pos < text.size()) {
    if (text[pos] == 'Z' || text[pos] == 'z') {
      offset_minutes = 0;
      ++pos;
    } else if (text[pos] == '+' || text[pos] == '-') {
      int sign = text[pos] == '-' ? -1 : 1;
      ++pos;
      int oh = 0, om = 0;
      if (!ReadDigits(text, pos, 2, oh) || !Expect(text, pos, ':') ||
          !ReadDigits(text, pos, 2, om) || oh > 23 || om > 59) {
        return bad("bad zone offset");
      }
      offset_minutes = sign * (oh * 60 + om);
    }
  }
  if (pos != text.size()) return bad("trailing characters");
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t secs = days * 86'400 + hour * 3'600 + minute * 60 + second - offset_minutes * 60;
  return Timestamp::FromNanos(secs * 1'000'000'000 + frac_ns);
}

std::string Timestamp::ToIso8601() const {
  int64_t secs = ns_ / 1'000'000'000;  // floor division without overflow near INT64_MIN
  int64_t frac = ns_ % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  int64_t days = secs >= 0 ? secs / 86'400 : (secs - 86'399) / 86'400;
  int64_t sod = secs - days * 86'400;
  // civil_from_days (Hinnant).
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:09d}Z", y, m, d, sod / 3600,
                     (sod / 60) % 60, sod % 60, frac);
}

Timestamp RealClock::Now() const {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return Timestamp::FromNanos(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count());
}

const RealClock& RealClock::Instance() {
  static const RealClock clock;
  return clock;
}

}  // namespace kalshiflow::core
