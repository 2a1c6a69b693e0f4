#include "core/fixed_point.h"

#include <limits>

namespace kalshiflow::core {

std::string_view DecimalErrorName(DecimalError error) {
  switch (error) {
    case DecimalError::kEmpty:
      return "empty number";
    case DecimalError::kMalformed:
      return "malformed number";
    case DecimalError::kTooManyDecimals:
      return "too many decimal places";
    case DecimalError::kOutOfRange:
      return "number out of range";
  }
  return "unknown";
}

Result<int64_t, DecimalError> ParseDecimal(std::string_view text, int decimals) {
  KF_CHECK(decimals >= 0 && decimals <= 9, "decimals={}", decimals);
  std::size_t i = 0;
  bool negative = false;
  if (i < text.size() && text[i] == '-') {
    negative = true;
    ++i;
  }
  if (i == text.size()) return Err(DecimalError::kEmpty);
  // Accumulate as a negative number so INT64_MIN's magnitude fits.
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  int64_t acc = 0;
  auto push_digit = [&](int digit) -> bool {
    if (acc < kMin / 10) return false;
    acc *= 10;
    if (acc < kMin + digit) return false;
    acc -= digit;
    return true;
  };
  std::size_t int_digits = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (!push_digit(text[i] - '0')) return Err(DecimalError::kOutOfRange);
    ++i;
    ++int_digits;
  }
  if (int_digits == 0) return Err(DecimalError::kMalformed);
  int frac_digits = 0;
  if (i < text.size()) {
    if (text[i] != '.') return Err(DecimalError::kMalformed);
    ++i;
    if (i == text.size()) return Err(DecimalError::kMalformed);
    bool nonzero_beyond = false;
    while (i < text.size()) {
      char c = text[i];
      if (c < '0' || c > '9') return Err(DecimalError::kMalformed);
      if (frac_digits < decimals) {
        if (!push_digit(c - '0')) return Err(DecimalError::kOutOfRange);
        ++frac_digits;
      } else if (c != '0') {
        nonzero_beyond = true;
      }
      ++i;
    }
    if (nonzero_beyond) return Err(DecimalError::kTooManyDecimals);
  }
  for (; frac_digits < decimals; ++frac_digits) {
    if (!push_digit(0)) return Err(DecimalError::kOutOfRange);
  }
  if (negative) return acc;
  if (acc == kMin) return Err(DecimalError::kOutOfRange);
  return -acc;
}

std::size_t FormatDecimal(int64_t units, int decimals, char* out) {
  KF_CHECK(decimals >= 0 && decimals <= 9, "decimals={}", decimals);
  // Work on the unsigned magnitude so INT64_MIN formats correctly.
  uint64_t magnitude =
      units < 0 ? (~static_cast<uint64_t>(units) + 1) : static_cast<uint64_t>(units);
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  while (n <= decimals) digits[n++] = '0';  // at least one integer digit
  std::size_t len = 0;
  if (units < 0) out[len++] = '-';
  for (int k = n - 1; k >= decimals; --k) out[len++] = digits[k];
  if (decimals > 0) {
    out[len++] = '.';
    for (int k = decimals - 1; k >= 0; --k) out[len++] = digits[k];
  }
  return len;
}

}  // namespace kalshiflow::core
