#include "kalshi/decoder.h"

#include <simdjson.h>

#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "core/market.h"
#include "core/time.h"

namespace kalshiflow::kalshi {
namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;
using Kind = DecodeErrorKind;

static_assert(simdjson::SIMDJSON_PADDING <= Decoder::kPadding,
              "Decoder::kPadding too small for simdjson");

constexpr int64_t kMaxI64 = std::numeric_limits<int64_t>::max();
constexpr int64_t kMinI64 = std::numeric_limits<int64_t>::min();
constexpr std::string_view kRoot = "<root>";
constexpr std::size_t kMaxQuotedChars = 48;

// "text" for error details, shortened so that a huge field does not make a huge message.
std::string Quote(std::string_view text) {
  std::string out = "\"";
  if (text.size() > kMaxQuotedChars) {
    out.append(text.substr(0, kMaxQuotedChars));
    out.append("...");
  } else {
    out.append(text);
  }
  out.push_back('"');
  return out;
}

// value * factor, or nullopt on int64 overflow.
std::optional<int64_t> CheckedScale(int64_t value, int64_t factor) {
  if (value > kMaxI64 / factor || value < kMinI64 / factor) return std::nullopt;
  return value * factor;
}

// A value that may come from a fixed-point field or from its legacy integer twin.
template <typename T>
struct Twin {
  std::optional<T> fixed;
  std::optional<T> legacy;
  std::optional<T> Get() const { return fixed.has_value() ? fixed : legacy; }
};

enum class LevelEncoding {
  kFixedPoint,  // ["0.0800", "300.00"]   (yes_dollars_fp)
  kDollarsInt,  // ["0.080", 300]         (legacy yes_dollars)
  kCents,       // [8, 300]               (legacy yes)
};

enum class Sign { kAny, kNonNegative };

}  // namespace

std::string_view DecodeErrorKindName(DecodeErrorKind kind) {
  switch (kind) {
    case Kind::kMalformedJson:
      return "malformed_json";
    case Kind::kMissingField:
      return "missing_field";
    case Kind::kWrongType:
      return "wrong_type";
    case Kind::kBadNumber:
      return "bad_number";
    case Kind::kBadValue:
      return "bad_value";
    case Kind::kUnknownMessageType:
      return "unknown_message_type";
    case Kind::kOutOfRange:
      return "out_of_range";
  }
  return "unknown";
}

namespace {
std::string_view KindPhrase(DecodeErrorKind kind) {
  switch (kind) {
    case Kind::kMalformedJson:
      return "malformed JSON";
    case Kind::kMissingField:
      return "missing field";
    case Kind::kWrongType:
      return "wrong type";
    case Kind::kBadNumber:
      return "bad number";
    case Kind::kBadValue:
      return "bad value";
    case Kind::kUnknownMessageType:
      return "unknown message type";
    case Kind::kOutOfRange:
      return "out of range";
  }
  return "error";
}
}  // namespace

std::string DecodeError::ToString() const {
  std::string out(KindPhrase(kind));
  out.append(" in ");
  out.append(field.empty() ? kRoot : field);
  if (index >= 0) {
    out.push_back('[');
    out.append(std::to_string(index));
    out.push_back(']');
  }
  std::string reason;
  if (decimal_error.has_value()) {
    reason.append(core::DecimalErrorName(*decimal_error));
    if (!detail.empty()) {
      reason.append(" (");
      reason.append(detail);
      reason.push_back(')');
    }
  } else {
    reason = detail;
  }
  if (!reason.empty()) {
    out.append(": ");
    out.append(reason);
  }
  return out;
}

// The decoder state. All Read* helpers return false after recording the error in `error`.
struct Decoder::Impl {
  explicit Impl(std::size_t max_bytes) : max_frame_bytes(max_bytes) {
    for (auto* v : {&yes_fp, &no_fp, &yes_dollars, &no_dollars, &yes_cents, &no_cents}) {
      v->reserve(128);
    }
    strings_a.reserve(32);
    strings_b.reserve(32);
    entries.reserve(16);
    ranges.reserve(8);
  }

  od::parser parser;
  std::unique_ptr<char[]> buffer;
  std::size_t buffer_capacity = 0;
  std::size_t max_frame_bytes;
  Message message;
  DecodeError error;
  bool legacy = false;

  // Reusable scratch storage the Message's spans point into.
  std::vector<core::PriceLevel> yes_fp, no_fp, yes_dollars, no_dollars, yes_cents, no_cents;
  std::vector<std::string_view> strings_a, strings_b;
  std::vector<SubscriptionEntry> entries;
  std::vector<PriceRange> ranges;

  // ---------------------------------------------------------------------------------------
  // Errors

  bool Fail(Kind kind, std::string_view field, std::string_view detail, int32_t index = -1) {
    error.kind = kind;
    error.field = field;
    error.index = index;
    error.decimal_error.reset();
    error.detail.assign(detail);
    return false;
  }

  bool FailJson(error_code code, std::string_view field, std::string_view expected,
                int32_t index = -1) {
    switch (code) {
      case simdjson::INCORRECT_TYPE:
        return Fail(Kind::kWrongType, field, expected, index);
      case simdjson::NUMBER_OUT_OF_RANGE:
        return Fail(Kind::kOutOfRange, field, "integer does not fit in 64 bits", index);
      default:
        return Fail(Kind::kMalformedJson, field, simdjson::error_message(code), index);
    }
  }

  bool FailDecimal(std::string_view field, core::DecimalError decimal, std::string_view text,
                   int32_t index) {
    Fail(Kind::kBadNumber, field, Quote(text), index);
    error.decimal_error = decimal;
    return false;
  }

  bool Missing(std::string_view field) { return Fail(Kind::kMissingField, field, ""); }

  // ---------------------------------------------------------------------------------------
  // Scalar readers

  // True (and consumes the value) when it is JSON null.
  bool IsNull(od::value& v, std::string_view field, bool& is_null) {
    error_code code = v.is_null().get(is_null);
    if (code == simdjson::INCORRECT_TYPE)
      return Fail(Kind::kMalformedJson, field, "invalid literal");
    if (code) return FailJson(code, field, "expected null or a value");
    return true;
  }

  bool ReadObject(od::value& v, std::string_view field, od::object& out) {
    error_code code = v.get_object().get(out);
    if (code) return FailJson(code, field, "expected an object");
    return true;
  }

  bool ReadArray(od::value& v, std::string_view field, od::array& out, int32_t index = -1) {
    error_code code = v.get_array().get(out);
    if (code) return FailJson(code, field, "expected an array", index);
    return true;
  }

  bool ReadString(od::value& v, std::string_view field, std::string_view& out, int32_t index = -1) {
    // Fast path: a string without escapes is viewed in place in the input buffer (no copy,
    // no unescaping call); the value is then skipped by the enclosing iteration.
    std::string_view token = v.raw_json_token();
    if (!token.empty() && token[0] == '"') [[likely]] {
      for (std::size_t i = 1; i < token.size(); ++i) {
        char c = token[i];
        if (c == '"') {
          out = token.substr(1, i - 1);
          return true;
        }
        if (c == '\\') break;
      }
    }
    return ReadStringSlow(v, field, out, index);
  }

  // Strings with escapes (unescaped into the parser's string buffer) and non-strings.
  [[gnu::noinline]] bool ReadStringSlow(od::value& v, std::string_view field, std::string_view& out,
                                        int32_t index) {
    error_code code = v.get_string().get(out);
    if (code) return FailJson(code, field, "expected a string", index);
    return true;
  }

  // Optional string: null -> empty.
  bool ReadOptString(od::value& v, std::string_view field, std::string_view& out) {
    bool is_null = false;
    if (!IsNull(v, field, is_null)) return false;
    if (is_null) {
      out = {};
      return true;
    }
    return ReadString(v, field, out);
  }

  bool ReadInt(od::value& v, std::string_view field, int64_t& out, int32_t index = -1) {
    error_code code = v.get_int64().get(out);
    if (code) [[unlikely]]
      return FailInt(v, code, field, index);
    return true;
  }

  [[gnu::noinline]] bool FailInt(od::value& v, error_code code, std::string_view field,
                                 int32_t index) {
    if (code == simdjson::INCORRECT_TYPE) {
      // A JSON number that is not an int64: fractional/exponent, or an integer too large.
      od::json_type type;
      if (!v.type().get(type) && type == od::json_type::number) {
        std::string_view raw = v.raw_json_token();
        std::size_t end = raw.find_first_of(" \t\r\n,]}");
        raw = raw.substr(0, end);
        if (raw.find_first_of(".eE") == std::string_view::npos) {
          return Fail(Kind::kOutOfRange, field,
                      "integer " + Quote(raw) + " does not fit in 64 bits", index);
        }
        return Fail(Kind::kWrongType, field, "expected an integer, got " + Quote(raw), index);
      }
    }
    return FailJson(code, field, "expected an integer", index);
  }

  // Optional integer: null -> nullopt.
  bool ReadOptInt(od::value& v, std::string_view field, std::optional<int64_t>& out) {
    bool is_null = false;
    if (!IsNull(v, field, is_null)) return false;
    if (is_null) {
      out.reset();
      return true;
    }
    int64_t value = 0;
    if (!ReadInt(v, field, value)) return false;
    out = value;
    return true;
  }

  bool ReadBool(od::value& v, std::string_view field, bool& out) {
    error_code code = v.get_bool().get(out);
    if (code == simdjson::INCORRECT_TYPE && StartsLike(v, od::json_type::boolean)) {
      return Fail(Kind::kMalformedJson, field, "invalid literal");
    }
    if (code) return FailJson(code, field, "expected true or false");
    return true;
  }

  // True when the value's first character says `type` (e.g. 't' for a boolean), used to tell
  // a mistyped literal ("tru") from a value of another type.
  static bool StartsLike(od::value& v, od::json_type type) {
    od::json_type actual;
    return !v.type().get(actual) && actual == type;
  }

  // A JSON number kept as its raw text (strikes, fee multipliers); null -> empty.
  bool ReadRawNumber(od::value& v, std::string_view field, std::string_view& out) {
    bool is_null = false;
    if (!IsNull(v, field, is_null)) return false;
    if (is_null) {
      out = {};
      return true;
    }
    od::json_type type;
    error_code code = v.type().get(type);
    if (code) return FailJson(code, field, "expected a number");
    if (type != od::json_type::number) return Fail(Kind::kWrongType, field, "expected a number");
    double ignored = 0;  // validates the number's syntax
    code = v.get_double().get(ignored);
    if (code) return FailJson(code, field, "expected a number");
    std::string_view raw = v.raw_json_token();
    while (!raw.empty() &&
           (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\n' || raw.back() == '\r')) {
      raw.remove_suffix(1);
    }
    out = raw;
    return true;
  }

  bool ReadTicker(od::value& v, std::string_view field, std::string_view& out, int32_t index = -1) {
    if (!ReadString(v, field, out, index)) return false;
    core::Status status = core::ValidateTicker(out);
    if (!status.ok()) return Fail(Kind::kBadValue, field, status.message(), index);
    return true;
  }

  bool ReadOutcomeSide(od::value& v, std::string_view field, core::OutcomeSide& out) {
    std::string_view text;
    if (!ReadString(v, field, text)) return false;
    auto side = core::ParseOutcomeSide(text);
    if (!side.has_value()) {
      return Fail(Kind::kBadValue, field, Quote(text) + " is not \"yes\" or \"no\"");
    }
    out = *side;
    return true;
  }

  bool ReadBookSide(od::value& v, std::string_view field, core::BookSide& out) {
    std::string_view text;
    if (!ReadString(v, field, text)) return false;
    auto side = core::ParseBookSide(text);
    if (!side.has_value()) {
      return Fail(Kind::kBadValue, field, Quote(text) + " is not \"bid\" or \"ask\"");
    }
    out = *side;
    return true;
  }

  bool ReadAction(od::value& v, std::string_view field, OrderAction& out) {
    std::string_view text;
    if (!ReadString(v, field, text)) return false;
    if (text == "buy") {
      out = OrderAction::kBuy;
    } else if (text == "sell") {
      out = OrderAction::kSell;
    } else {
      return Fail(Kind::kBadValue, field, Quote(text) + " is not \"buy\" or \"sell\"");
    }
    return true;
  }

  bool CheckPriceRange(int64_t units, std::string_view field, int32_t index) {
    if (units < 0 || units > core::Price::kUnitsPerDollar) {
      char buf[core::kMaxDecimalChars];
      std::string text(buf, core::FormatDecimal(units, core::Price::kDecimals, buf));
      return Fail(Kind::kOutOfRange, field, "price " + text + " is outside [0, 1] dollar", index);
    }
    return true;
  }

  // Decimal string with `decimals` places -> units.
  bool ReadDecimalString(od::value& v, std::string_view field, int decimals, int64_t& out,
                         int32_t index) {
    std::string_view text;
    if (!ReadString(v, field, text, index)) return false;
    auto parsed = core::ParseDecimal(text, decimals);
    if (!parsed.ok()) return FailDecimal(field, parsed.error(), text, index);
    out = *parsed;
    return true;
  }

  // Dollar price string in [0, 1].
  bool ReadPrice(od::value& v, std::string_view field, core::Price& out, int32_t index = -1) {
    int64_t units = 0;
    if (!ReadDecimalString(v, field, core::Price::kDecimals, units, index)) return false;
    if (!CheckPriceRange(units, field, index)) return false;
    out = core::Price::FromUnits(units);
    return true;
  }
  bool ReadPrice(od::value& v, std::string_view field, std::optional<core::Price>& out) {
    core::Price price;
    if (!ReadPrice(v, field, price)) return false;
    out = price;
    return true;
  }

  bool CheckSign(int64_t units, Sign sign, std::string_view field, int32_t index) {
    if (sign == Sign::kNonNegative && units < 0) {
      return Fail(Kind::kOutOfRange, field, "count must not be negative", index);
    }
    return true;
  }

  // Fixed-point count string ("10.00").
  bool ReadCount(od::value& v, std::string_view field, Sign sign, core::Count& out,
                 int32_t index = -1) {
    int64_t units = 0;
    if (!ReadDecimalString(v, field, core::Count::kDecimals, units, index)) return false;
    if (!CheckSign(units, sign, field, index)) return false;
    out = core::Count::FromUnits(units);
    return true;
  }
  bool ReadCount(od::value& v, std::string_view field, Sign sign, std::optional<core::Count>& out) {
    core::Count count;
    if (!ReadCount(v, field, sign, count)) return false;
    out = count;
    return true;
  }

  // Fixed-point money string (up to 6 decimals).
  bool ReadMoney(od::value& v, std::string_view field, std::optional<core::Money>& out) {
    int64_t units = 0;
    if (!ReadDecimalString(v, field, core::Money::kDecimals, units, -1)) return false;
    out = core::Money::FromUnits(units);
    return true;
  }

  // Legacy integer cents -> Price, in [0, 100] cents.
  bool ReadCents(od::value& v, std::string_view field, core::Price& out, int32_t index = -1) {
    int64_t cents = 0;
    if (!ReadInt(v, field, cents, index)) return false;
    if (cents < 0 || cents > 100) {
      return Fail(Kind::kOutOfRange, field,
                  "price " + std::to_string(cents) + " cents is outside [0, 100]", index);
    }
    out = core::Price::FromCents(cents);
    legacy = true;
    return true;
  }
  bool ReadCents(od::value& v, std::string_view field, std::optional<core::Price>& out) {
    core::Price price;
    if (!ReadCents(v, field, price)) return false;
    out = price;
    return true;
  }

  // Legacy integer contracts -> Count.
  bool ReadContracts(od::value& v, std::string_view field, Sign sign, core::Count& out,
                     int32_t index = -1) {
    int64_t contracts = 0;
    if (!ReadInt(v, field, contracts, index)) return false;
    auto units = CheckedScale(contracts, core::Count::kUnitsPerContract);
    if (!units.has_value()) return Fail(Kind::kOutOfRange, field, "count too large", index);
    if (!CheckSign(*units, sign, field, index)) return false;
    out = core::Count::FromUnits(*units);
    legacy = true;
    return true;
  }
  bool ReadContracts(od::value& v, std::string_view field, Sign sign,
                     std::optional<core::Count>& out) {
    core::Count count;
    if (!ReadContracts(v, field, sign, count)) return false;
    out = count;
    return true;
  }

  // Legacy integer centi-cents (1/10,000 $) -> Money.
  bool ReadCentiCents(od::value& v, std::string_view field, std::optional<core::Money>& out) {
    int64_t centi_cents = 0;
    if (!ReadInt(v, field, centi_cents)) return false;
    auto units = CheckedScale(centi_cents, 100);
    if (!units.has_value()) return Fail(Kind::kOutOfRange, field, "amount too large");
    out = core::Money::FromUnits(*units);
    legacy = true;
    return true;
  }

  // Unix seconds -> ms.
  bool ReadSecondsAsMillis(od::value& v, std::string_view field, std::optional<int64_t>& out) {
    std::optional<int64_t> seconds;
    if (!ReadOptInt(v, field, seconds)) return false;
    if (!seconds.has_value()) return true;
    auto ms = CheckedScale(*seconds, 1000);
    if (!ms.has_value()) return Fail(Kind::kOutOfRange, field, "timestamp too large");
    out = ms;
    return true;
  }

  // RFC 3339 string -> Unix ms; null -> unchanged.
  bool ReadIsoAsMillis(od::value& v, std::string_view field, std::optional<int64_t>& out) {
    std::string_view text;
    if (!ReadOptString(v, field, text)) return false;
    if (text.empty()) return true;
    // core parses RFC 3339 (zone optional = UTC) for years 1678..2261 without overflow.
    auto ts = core::Timestamp::ParseIso8601(text);
    if (!ts.ok()) return Fail(Kind::kBadValue, field, Quote(text) + " is not an RFC 3339 time");
    out = ts->millis();
    return true;
  }

  // Reads the next member of an object iteration into `field` and its key into `key`.
  bool NextField(simdjson::simdjson_result<od::field> result, std::string_view where,
                 od::field& field, std::string_view& key) {
    error_code code = std::move(result).get(field);
    if (code) return FailJson(code, where, "expected an object member");
    // Fast path: a key without escapes is viewed in place (stage 1 guarantees the closing
    // quote exists). Keys with escapes are unescaped into the parser's string buffer.
    const char* raw = field.key().raw();
    std::size_t n = 0;
    while (raw[n] != '"' && raw[n] != '\\') ++n;
    if (raw[n] == '"') {
      key = std::string_view(raw, n);
      return true;
    }
    code = field.unescaped_key().get(key);
    if (code) return FailJson(code, where, "bad object key");
    return true;
  }

  // Array of strings into `out` (cleared first); tickers are validated when `tickers`.
  bool ReadStringArray(od::value& v, std::string_view field, bool tickers,
                       std::vector<std::string_view>& out) {
    out.clear();
    bool is_null = false;
    if (!IsNull(v, field, is_null)) return false;
    if (is_null) return true;
    od::array array;
    if (!ReadArray(v, field, array)) return false;
    int32_t index = 0;
    for (auto element : array) {
      od::value item;
      error_code code = element.get(item);
      if (code) return FailJson(code, field, "bad array element", index);
      std::string_view text;
      if (tickers) {
        if (!ReadTicker(item, field, text, index)) return false;
      } else {
        if (!ReadString(item, field, text, index)) return false;
      }
      out.push_back(text);
      ++index;
    }
    return true;
  }

  // ---------------------------------------------------------------------------------------
  // Book levels

  bool ReadLevels(od::value& v, std::string_view field, LevelEncoding encoding,
                  std::vector<core::PriceLevel>& out) {
    out.clear();
    if (encoding != LevelEncoding::kFixedPoint) legacy = true;
    bool is_null = false;
    if (!IsNull(v, field, is_null)) return false;
    if (is_null) return true;  // an empty side is normally omitted; null means the same
    od::array levels;
    if (!ReadArray(v, field, levels)) return false;
    int32_t index = 0;
    for (auto level_result : levels) {
      od::value level_value;
      error_code code = level_result.get(level_value);
      if (code) return FailJson(code, field, "bad level", index);
      od::array pair;
      code = level_value.get_array().get(pair);
      if (code) return FailJson(code, field, "level is not an array", index);
      int n = 0;
      core::PriceLevel level;
      for (auto element_result : pair) {
        od::value element;
        code = element_result.get(element);
        if (code) return FailJson(code, field, "bad level element", index);
        if (n == 0) {
          bool ok = encoding == LevelEncoding::kCents
                        ? ReadCents(element, field, level.price, index)
                        : ReadPrice(element, field, level.price, index);
          if (!ok) return false;
        } else if (n == 1) {
          bool ok = encoding == LevelEncoding::kFixedPoint
                        ? ReadCount(element, field, Sign::kNonNegative, level.count, index)
                        : ReadContracts(element, field, Sign::kNonNegative, level.count, index);
          if (!ok) return false;
        }
        ++n;
      }
      if (n != 2) {
        return Fail(Kind::kBadValue, field,
                    "level has " + std::to_string(n) + " elements, not [price, count]", index);
      }
      out.push_back(level);
      ++index;
    }
    return true;
  }

  // ---------------------------------------------------------------------------------------
  // Bodies

  bool DecodeSubscribed(od::value& v) {
    SubscribedBody& body = message.subscribed;
    body = {};
    od::object object;
    if (!ReadObject(v, "msg", object)) return false;
    bool have_channel = false;
    bool have_sid = false;
    for (auto member : object) {
      od::field member_field;
      std::string_view key;
      if (!NextField(std::move(member), "msg", member_field, key)) return false;
      od::value& value = member_field.value();
      if (key == "channel") {
        if (!ReadString(value, "msg.channel", body.channel_name)) return false;
        body.channel = ParseChannel(body.channel_name);
        have_channel = true;
      } else if (key == "sid") {
        if (!ReadInt(value, "msg.sid", body.sid)) return false;
        if (body.sid < 1) return Fail(Kind::kOutOfRange, "msg.sid", "sid must be >= 1");
        have_sid = true;
      }
    }
    if (!have_channel) return Missing("msg.channel");
    if (!have_sid) return Missing("msg.sid");
    return true;
  }

  bool DecodeOk(od::value& v) {
    OkBody& body = message.ok;
    body = {};
    strings_a.clear();
    strings_b.clear();
    entries.clear();
    od::json_type type;
    error_code code = v.type().get(type);
    if (code) return FailJson(code, "msg", "expected an object or an array");
    if (type == od::json_type::null) return true;
    if (type == od::json_type::array) {
      body.shape = OkShape::kSubscriptionList;
      od::array array;
      if (!ReadArray(v, "msg", array)) return false;
      int32_t index = 0;
      for (auto element : array) {
        od::value item;
        code = element.get(item);
        if (code) return FailJson(code, "msg", "bad array element", index);
        od::object object;
        code = item.get_object().get(object);
        if (code) return FailJson(code, "msg", "expected a {channel, sid} object", index);
        SubscriptionEntry entry;
        bool have_channel = false;
        bool have_sid = false;
        for (auto member : object) {
          od::field member_field;
          std::string_view key;
          if (!NextField(std::move(member), "msg", member_field, key)) return false;
          od::value& value = member_field.value();
          if (key == "channel") {
            if (!ReadString(value, "msg.channel", entry.channel_name, index)) return false;
            entry.channel = ParseChannel(entry.channel_name);
            have_channel = true;
          } else if (key == "sid") {
            if (!ReadInt(value, "msg.sid", entry.sid, index)) return false;
            if (entry.sid < 1) return Fail(Kind::kOutOfRange, "msg.sid", "sid must be >= 1", index);
            have_sid = true;
          }
        }
        if (!have_channel) return Fail(Kind::kMissingField, "msg.channel", "", index);
        if (!have_sid) return Fail(Kind::kMissingField, "msg.sid", "", index);
        entries.push_back(entry);
        ++index;
      }
      body.subscriptions = entries;
      return true;
    }
    body.shape = OkShape::kMarkets;
    od::object object;
    if (!ReadObject(v, "msg", object)) return false;
    for (auto member : object) {
      od::field member_field;
      std::string_view key;
      if (!NextField(std::move(member), "msg", member_field, key)) return false;
      od::value& value = member_field.value();
      if (key == "market_tickers") {
        if (!ReadStringArray(value, "msg.market_tickers", true, strings_a)) return false;
      } else if (key == "market_ids") {
        if (!ReadStringArray(value, "msg.market_ids", false, strings_b)) return false;
      }
    }
    body.market_tickers = strings_a;
    body.market_ids = strings_b;
    return true;
  }

  bool DecodeErrorBody(od::value& v) {
    ErrorBody& body = message.error;
    body = {};
    strings_a.clear();
    od::object object;
    if (!ReadObject(v, "msg", object)) return false;
    bool have_code = false;
    bool have_msg = false;
    for (auto member : object) {
      od::field member_field;
      std::string_view key;
      if (!NextField(std::move(member), "msg", member_field, key)) return false;
      od::value& value = member_field.value();
      if (key == "code") {
        if (!ReadInt(value, "msg.code", body.code)) return false;
        have_code = true;
      } else if (key == "msg") {
        if (!ReadString(value, "msg.msg", body.message)) return false;
        have_msg = true;
      } else if (key == "market_ticker") {
        if (!ReadOptString(value, "msg.market_ticker", body.market_ticker)) return false;
      } else if (key == "market_id") {
        if (!ReadOptString(value, "msg.market_id", body.market_id)) return false;
      } else if (key == "market_tickers") {
        if (!ReadStringArray(value, "msg.market_tickers", false, strings_a)) return false;
      }
    }
    if (!have_code) return Missing("msg.code");
    if (!have_msg) return Missing("msg.msg");
    body.market_tickers = strings_a;
    return true;
  }

  bool DecodeSnapshot(od::value& v) {
    OrderbookSnapshot& body = message.snapshot;
    body = {};
    od::object object;
    if (!ReadObject(v, "msg", object)) return false;
    bool have_ticker = false;
    bool yes_fp_seen = false, no_fp_seen = false, yes_dollars_seen = false, no_dollars_seen = false,
         yes_cents_seen = false, no_cents_seen = false;
    for (auto member : object) {
      od::field member_field;
      std::string_view key;
      if (!NextField(std::move(member), "msg", member_field, key)) return false;
      od::value& value = member_field.value();
      if (key == "market_ticker") {
        if (!ReadTicker(value, "msg.market_ticker", body.market_ticker)) return false;
        have_ticker = true;
      } else if (key == "market_id") {
        if (!ReadOptString(value, "msg.market_id", body.market_id)) return false;
      } else if (key == "yes_dollars_fp") {
        if (!ReadLevels(value, "msg.yes_dollars_fp", LevelEncoding::kFixedPoint, yes_fp)) {
          return false;
        }
        yes_fp_seen = true;
      } else if (key == "no_dollars_fp") {
        if (!ReadLevels(value, "msg.no_dollars_fp", LevelEncoding::kFixedPoint, no_fp)) {
          return false;
        }
        no_fp_seen = true;
      } else if (key == "yes_dollars") {
        if (!ReadLevels(value, "msg.yes_dollars", LevelEncoding::kDollarsInt, yes_dollars)) {
          return false;
        }
        yes_dollars_seen = true;
      } else if (key == "no_dollars") {
        if (!ReadLevels(value, "msg.no_dollars", LevelEncoding::kDollarsInt, no_dollars)) {
          return false;
        }
        no_dollars_seen = true;
      } else if (key == "yes") {
        if (!ReadLevels(value, "msg.yes", LevelEncoding::kCents, yes_cents)) return false;
        yes_cents_seen = true;
      } else if (key == "no") {
        if (!ReadLevels(value, "msg.no", LevelEncoding::kCents, no_cents)) return false;
        no_cents_seen = true;
      }
    }
    if (!have_ticker) return Missing("msg.market_ticker");
    auto pick = [](bool fp_seen, const std::vector<core::PriceLevel>& fp, bool dollars_seen,
                   const std::vector<core::PriceLevel>& dollars, bool cents_seen,
                   const std::vector<core::PriceLevel>& cents) {
      if (fp_seen) return std::span<const core::PriceLevel>(fp);
      if (dollars_seen) return std::span<const core::PriceLevel>(dollars);
      if (cents_seen) return std::span<const core::PriceLevel>(cents);
      return std::span<const core::PriceLevel>();
    };
    body.yes_bids =
        pick(yes_fp_seen, yes_fp, yes_dollars_seen, yes_dollars, yes_cents_seen, yes_cents);
    body.no_bids = pick(no_fp_seen, no_fp, no_dollars_seen, no_dollars, no_cents_seen, no_cents);
    return true;
  }

  bool DecodeDelta(od::value& v) {
    OrderbookDelta& body = message.delta;
    body = {};
    od::object object;
    if (!ReadObject(v, "msg", object)) return false;
    bool have_ticker = false;
    bool have_side = false;
    Twin<core::Price> price;
    Twin<core::Count> delta;
    std::optional<int64_t> ts_from_iso;
    for (auto member : object) {
      od::field member_field;
      std::string_view key;
      if (!NextField(std::move(member), "msg", member_field, key)) return false;
      od::value& value = member_field.value();
      if (key == "market_ticker") {
        if (!ReadTicker(value, "msg.market_ticker", body.market_ticker)) return false;
        have_ticker = true;
      } else if (key == "price_dollars") {
        if (!ReadPrice(value, "msg.price_dollars", price.fixed)) return false;
      } else if (key == "delta_fp") {
        if (!ReadCount(value, "msg.delta_fp", Sign::kAny, delta.fixed)) return false;
      } else if (key == "side") {
        if (!ReadOutcomeSide(value, "msg.side", body.side)) return false;
        have_side = true;
      } else if (key == "market_id") {
        if (!ReadOptString(value, "msg.market_id", body.market_id)) return false;
      } else if (key == "ts_ms") {
        if (!ReadOptInt(value, "msg.ts_ms", body.ts_ms)) return false;
      } else if (key == "ts") {
        if (!ReadIsoAsMillis(value, "msg.ts", ts_from_iso)) return false;
      } else if (key == "client_order_id") {
        if (!ReadOptString(value, "msg.client_order_id", body.client_order_id)) return false;
      } else if (key == "subaccount") {
        if (!ReadOptInt(value, "msg.subaccount", body.subaccount)) return false;
      } else if (key == "price") {
        if (!ReadCents(value, "msg.price", price.legacy)) return false;
      } else if (key == "delta") {
        if (!ReadContracts(value, "msg.delta", Sign::kAny, delta.legacy)) return false;
      }
    }
    if (!have_ticker) return Missing("msg.market_ticker");
    if (!price.Get()) return Missing("msg.price_dollars");
    if (!delta.Get()) return Missing("msg.delta_fp");
    if (!have_side) return Missing("msg.side");
    body.price = *price.Get();
    body.delta = *delta.Get();
    if (!body.ts_ms.has_value()) body.ts_ms = ts_from_iso;
    return true;
  }

  bool DecodeTicker(od::value& v) {
    Ticker& body = message.ticker;
    body = {};
    od::object object;
    if (!ReadObject(v, "msg", object)) return false;
    bool have_ticker = false, have_dollar_volume = false, have_dollar_oi = false;
    Twin<core::Price> last, bid, ask;
    Twin<core::Count> volume, open_interest;
    std::optional<int64_t> ts_ms, ts_from_seconds;
    for (auto member : object) {
      od::field member_field;
      std::string_view key;
      if (!NextField(std::move(member), "msg", member_field, key)) return false;
      od::value& value = member_field.value();
      if (key == "market_ticker") {
        if (!ReadTicker(value, "msg.market_ticker", body.market_ticker)) return false;
        have_ticker = true;
      } else if (key == "market_id") {
        if (!ReadOptString(value, "msg.market_id", body.market_id)) return false;
      } else if (key == "price_dollars") {
        if (!ReadPrice(value, "msg.price_dollars", last.fixed)) return false;
      } else if (key == "yes_bid_dollars") {
        if (!ReadPrice(value, "msg.yes_bid_dollars", bid.fixed)) return false;
      } else if (key == "yes_ask_dollars") {
        if (!ReadPrice(value, "msg.yes_ask_dollars", ask.fixed)) return false;
      } else if (key == "volume_fp") {
        if (!ReadCount(value, "msg.volume_fp", Sign::kNonNegative, volume.fixed)) return false;
      } else if (key == "open_interest_fp") {
        if (!ReadCount(value, "msg.open_interest_fp", Sign::kNonNegative, open_interest.fixed)) {
          return false;
        }
      } else if (key == "dollar_volume") {
        if (!ReadInt(value, "msg.dollar_volume", body.dollar_volume)) return false;
        have_dollar_volume = true;
      } else if (key == "dollar_open_interest") {
        if (!ReadInt(value, "msg.dollar_open_interest", body.dollar_open_interest)) return false;
        have_dollar_oi = true;
      } else if (key == "yes_bid_size_fp") {
        if (!ReadCount(value, "msg.yes_bid_size_fp", Sign::kNonNegative, body.yes_bid_size)) {
          return false;
        }
      } else if (key == "yes_ask_size_fp") {
        if (!ReadCount(value, "msg.yes_ask_size_fp", Sign::kNonNegative, body.yes_ask_size)) {
          return false;
        }
      } else if (key == "last_trade_size_fp") {
        if (!ReadCount(value, "msg.last_trade_size_fp", Sign::kNonNegative, body.last_trade_size)) {
          return false;
        }
      } else if (key == "ts_ms") {
        if (!ReadOptInt(value, "msg.ts_ms", ts_ms)) return false;
      } else if (key == "ts") {
        if (!ReadSecondsAsMillis(value, "msg.ts", ts_from_seconds)) return false;
      } else if (key == "price") {
        if (!ReadCents(value, "msg.price", last.legacy)) return false;
      } else if (key == "yes_bid") {
        if (!ReadCents(value, "msg.yes_bid", bid.legacy)) return false;
      } else if (key == "yes_ask") {
        if (!ReadCents(value, "msg.yes_ask", ask.legacy)) return false;
      } else if (key == "volume") {
        if (!ReadContracts(value, "msg.volume", Sign::kNonNegative, volume.legacy)) return false;
      } else if (key == "open_interest") {
        if (!ReadContracts(value, "msg.open_interest", Sign::kNonNegative, open_interest.legacy)) {
          return false;
        }
      }
    }
    if (!have_ticker) return Missing("msg.market_ticker");
    if (!last.Get()) return Missing("msg.price_dollars");
    if (!bid.Get()) return Missing("msg.yes_bid_dollars");
    if (!ask.Get()) return Missing("msg.yes_ask_dollars");
    if (!volume.Get()) return Missing("msg.volume_fp");
    if (!open_interest.Get()) return Missing("msg.open_interest_fp");
    if (!have_dollar_volume) return Missing("msg.dollar_volume");
    if (!have_dollar_oi) return Missing("msg.dollar_open_interest");
    if (!ts_ms.has_value()) ts_ms = ts_from_seconds;
    if (!ts_ms.has_value()) return Missing("msg.ts_ms");
    body.last_price = *last.Get();
    body.yes_bid = *bid.Get();
    body.yes_ask = *ask.Get();
    body.volume = *volume.Get();
    body.open_interest = *open_interest.Get();
    body.ts_ms = *ts_ms;
    return true;
  }

  bool DecodeTrade(od::value& v) {
    Trade& body = message.trade;
    body = {};
    od::object object;
    if (!ReadObject(v, "msg", object)) return false;
    bool have_trade_id = false, have_ticker = false;
    Twin<core::Price> yes_price, no_price;
    Twin<core::Count> count;
    std::optional<core::OutcomeSide> outcome, legacy_side;
    std::optional<core::BookSide> book;
    std::optional<int64_t> ts_ms, ts_from_seconds;
    for (auto member : object) {
      od::field member_field;
      std::string_view key;
      if (!NextField(std::move(member), "msg", member_field, key)) return false;
      od::value& value = member_field.value();
      if (key == "trade_id") {
        if (!ReadString(value, "msg.trade_id", body.trade_id)) return false;
        have_trade_id = true;
      } else if (key == "market_ticker") {
        if (!ReadTicker(value, "msg.market_ticker", body.market_ticker)) return false;
        have_ticker = true;
      } else if (key == "yes_price_dollars") {
        if (!ReadPrice(value, "msg.yes_price_dollars", yes_price.fixed)) return false;
      } else if (key == "no_price_dollars") {
        if (!ReadPrice(value, "msg.no_price_dollars", no_price.fixed)) return false;
      } else if (key == "count_fp") {
        if (!ReadCount(value, "msg.count_fp", Sign::kNonNegative, count.fixed)) return false;
      } else if (key == "taker_outcome_side") {
        core::OutcomeSide side;
        if (!ReadOutcomeSide(value, "msg.taker_outcome_side", side)) return false;
        outcome = side;
      } else if (key == "taker_side") {
        core::OutcomeSide side;
        if (!ReadOutcomeSide(value, "msg.taker_side", side)) return false;
        legacy_side = side;
      } else if (key == "taker_book_side") {
        core::BookSide side;
        if (!ReadBookSide(value, "msg.taker_book_side", side)) return false;
        book = side;
      } else if (key == "is_block_trade") {
        if (!ReadBool(value, "msg.is_block_trade", body.is_block_trade)) return false;
      } else if (key == "ts_ms") {
        if (!ReadOptInt(value, "msg.ts_ms", ts_ms)) return false;
      } else if (key == "ts") {
        if (!ReadSecondsAsMillis(value, "msg.ts", ts_from_seconds)) return false;
      } else if (key == "yes_price") {
        if (!ReadCents(value, "msg.yes_price", yes_price.legacy)) return false;
      } else if (key == "no_price") {
        if (!ReadCents(value, "msg.no_price", no_price.legacy)) return false;
      } else if (key == "count") {
        if (!ReadContracts(value, "msg.count", Sign::kNonNegative, count.legacy)) return false;
      }
    }
    if (!have_trade_id) return Missing("msg.trade_id");
    if (!have_ticker) return Missing("msg.market_ticker");
    if (!yes_price.Get()) return Missing("msg.yes_price_dollars");
    if (!count.Get()) return Missing("msg.count_fp");
    if (!outcome.has_value()) outcome = legacy_side;
    if (!outcome.has_value() && book.has_value()) {
      outcome = *book == core::BookSide::kBid ? core::OutcomeSide::kYes : core::OutcomeSide::kNo;
    }
    if (!outcome.has_value()) return Missing("msg.taker_outcome_side");
    if (!CheckBookSide(*outcome, book, "msg.taker_book_side")) return false;
    if (!ts_ms.has_value()) ts_ms = ts_from_seconds;
    if (!ts_ms.has_value()) return Missing("msg.ts_ms");
    body.yes_price = *yes_price.Get();
    body.no_price = no_price.Get().value_or(body.yes_price.Complement());
    body.count = *count.Get();
    body.taker_outcome_side = *outcome;
    body.taker_book_side = BookSideOf(*outcome);
    body.ts_ms = *ts_ms;
    return true;
  }

  static core::BookSide BookSideOf(core::OutcomeSide outcome) {
    return outcome == core::OutcomeSide::kYes ? core::BookSide::kBid : core::BookSide::kAsk;
  }

  // book_side is the same directional bit as outcome_side (bid = yes, ask = no).
  bool CheckBookSide(core::OutcomeSide outcome, std::optional<core::BookSide> book,
                     std::string_view field) {
    if (book.has_value() && *book != BookSideOf(outcome)) {
      return Fail(Kind::kBadValue, field,
                  std::string(core::BookSideName(*book)) + " contradicts outcome side " +
                      std::string(core::OutcomeSideName(outcome)));
    }
    return true;
  }

  bool DecodeFill(od::value& v) {
    Fill& body = message.fill;
    body = {};
    od::object object;
    if (!ReadObject(v, "msg", object)) return false;
    bool have_trade_id = false, have_order_id = false, have_ticker = false, have_taker = false;
    Twin<core::Price> yes_price;
    Twin<core::Count> count, post_position;
    std::optional<core::OutcomeSide> outcome, side, purchased;
    std::optional<core::BookSide> book;
    std::optional<OrderAction> action;
    std::optional<int64_t> ts_ms, ts_from_seconds;
    for (auto member : object) {
      od::field member_field;
      std::string_view key;
      if (!NextField(std::move(member), "msg", member_field, key)) return false;
      od::value& value = member_field.value();
      if (key == "trade_id") {
        if (!ReadString(value, "msg.trade_id", body.trade_id)) return false;
        have_trade_id = true;
      } else if (key == "order_id") {
        if (!ReadString(value, "msg.order_id", body.order_id)) return false;
        have_order_id = true;
      } else if (key == "market_ticker") {
        if (!ReadTicker(value, "msg.market_ticker", body.market_ticker)) return false;
        have_ticker = true;
      } else if (key == "exchange_index") {
        if (!ReadOptInt(value, "msg.exchange_index", body.exchange_index)) return false;
      } else if (key == "is_taker") {
        if (!ReadBool(value, "msg.is_taker", body.is_taker)) return false;
        have_taker = true;
      } else if (key == "outcome_side") {
        core::OutcomeSide s;
        if (!ReadOutcomeSide(value, "msg.outcome_side", s)) return false;
        outcome = s;
      } else if (key == "book_side") {
        core::BookSide s;
        if (!ReadBookSide(value, "msg.book_side", s)) return false;
        book = s;
      } else if (key == "side") {
        core::OutcomeSide s;
        if (!ReadOutcomeSide(value, "msg.side", s)) return false;
        side = s;
      } else if (key == "purchased_side") {
        core::OutcomeSide s;
        if (!ReadOutcomeSide(value, "msg.purchased_side", s)) return false;
        purchased = s;
      } else if (key == "action") {
        OrderAction a;
        if (!ReadAction(value, "msg.action", a)) return false;
        action = a;
      } else if (key == "yes_price_dollars") {
        if (!ReadPrice(value, "msg.yes_price_dollars", yes_price.fixed)) return false;
      } else if (key == "count_fp") {
        if (!ReadCount(value, "msg.count_fp", Sign::kNonNegative, count.fixed)) return false;
      } else if (key == "fee_cost") {
        bool is_null = false;
        if (!IsNull(value, "msg.fee_cost", is_null)) return false;
        if (!is_null && !ReadMoney(value, "msg.fee_cost", body.fee_cost)) return false;
      } else if (key == "post_position_fp") {
        if (!ReadCount(value, "msg.post_position_fp", Sign::kAny, post_position.fixed)) {
          return false;
        }
      } else if (key == "client_order_id") {
        if (!ReadOptString(value, "msg.client_order_id", body.client_order_id)) return false;
      } else if (key == "subaccount") {
        if (!ReadOptInt(value, "msg.subaccount", body.subaccount)) return false;
      } else if (key == "ts_ms") {
        if (!ReadOptInt(value, "msg.ts_ms", ts_ms)) return false;
      } else if (key == "ts") {
        if (!ReadSecondsAsMillis(value, "msg.ts", ts_from_seconds)) return false;
      } else if (key == "yes_price") {
        if (!ReadCents(value, "msg.yes_price", yes_price.legacy)) return false;
      } else if (key == "count") {
        if (!ReadContracts(value, "msg.count", Sign::kNonNegative, count.legacy)) return false;
      } else if (key == "post_position") {
        if (!ReadContracts(value, "msg.post_position", Sign::kAny, post_position.legacy)) {
          return false;
        }
      }
    }
    if (!have_trade_id) return Missing("msg.trade_id");
    if (!have_order_id) return Missing("msg.order_id");
    if (!have_ticker) return Missing("msg.market_ticker");
    if (!have_taker) return Missing("msg.is_taker");
    if (!yes_price.Get()) return Missing("msg.yes_price_dollars");
    if (!count.Get()) return Missing("msg.count_fp");
    if (!post_position.Get()) return Missing("msg.post_position_fp");
    if (!outcome.has_value() && book.has_value()) {
      outcome = *book == core::BookSide::kBid ? core::OutcomeSide::kYes : core::OutcomeSide::kNo;
    }
    if (!outcome.has_value() && side.has_value() && action.has_value()) {
      outcome = *action == OrderAction::kBuy ? *side : core::Opposite(*side);
    }
    if (!outcome.has_value()) outcome = purchased;
    if (!outcome.has_value()) return Missing("msg.outcome_side");
    if (!CheckBookSide(*outcome, book, "msg.book_side")) return false;
    if (!ts_ms.has_value()) ts_ms = ts_from_seconds;
    if (!ts_ms.has_value()) return Missing("msg.ts_ms");
    body.outcome_side = *outcome;
    body.book_side = BookSideOf(*outcome);
    body.yes_price = *yes_price.Get();
    body.count = *count.Get();
    body.post_position = *post_position.Get();
    body.ts_ms = *ts_ms;
    return true;
  }

  bool DecodeMarketPosition(od::value& v) {
    MarketPosition& body = message.market_position;
    body = {};
    od::object object;
    if (!ReadObject(v, "msg", object)) return false;
    bool have_user = false, have_ticker = false;
    Twin<core::Count> position, volume;
    Twin<core::Money> cost, pnl, fees, fee_cost;
    for (auto member : object) {
      od::field member_field;
      std::string_view key;
      if (!NextField(std::move(member), "msg", member_field, key)) return false;
      od::value& value = member_field.value();
      if (key == "user_id") {
        if (!ReadString(value, "msg.user_id", body.user_id)) return false;
        have_user = true;
      } else if (key == "market_ticker") {
        if (!ReadTicker(value, "msg.market_ticker", body.market_ticker)) return false;
        have_ticker = true;
      } else if (key == "position_fp") {
        if (!ReadCount(value, "msg.position_fp", Sign::kAny, position.fixed)) return false;
      } else if (key == "position_cost_dollars") {
        if (!ReadMoney(value, "msg.position_cost_dollars", cost.fixed)) return false;
      } else if (key == "realized_pnl_dollars") {
        if (!ReadMoney(value, "msg.realized_pnl_dollars", pnl.fixed)) return false;
      } else if (key == "fees_paid_dollars") {
        if (!ReadMoney(value, "msg.fees_paid_dollars", fees.fixed)) return false;
      } else if (key == "position_fee_cost_dollars") {
        if (!ReadMoney(value, "msg.position_fee_cost_dollars", fee_cost.fixed)) return false;
      } else if (key == "volume_fp") {
        if (!ReadCount(value, "msg.volume_fp", Sign::kNonNegative, volume.fixed)) return false;
      } else if (key == "subaccount") {
        if (!ReadOptInt(value, "msg.subaccount", body.subaccount)) return false;
      } else if (key == "position") {
        if (!ReadContracts(value, "msg.position", Sign::kAny, position.legacy)) return false;
      } else if (key == "position_cost") {
        if (!ReadCentiCents(value, "msg.position_cost", cost.legacy)) return false;
      } else if (key == "realized_pnl") {
        if (!ReadCentiCents(value, "msg.realized_pnl", pnl.legacy)) return false;
      } else if (key == "fees_paid") {
        if (!ReadCentiCents(value, "msg.fees_paid", fees.legacy)) return false;
      } else if (key == "position_fee_cost") {
        if (!ReadCentiCents(value, "msg.position_fee_cost", fee_cost.legacy)) return false;
      } else if (key == "volume") {
        if (!ReadContracts(value, "msg.volume", Sign::kNonNegative, volume.legacy)) return false;
      }
    }
    if (!have_user) return Missing("msg.user_id");
    if (!have_ticker) return Missing("msg.market_ticker");
    if (!position.Get()) return Missing("msg.position_fp");
    if (!cost.Get()) return Missing("msg.position_cost_dollars");
    if (!pnl.Get()) return Missing("msg.realized_pnl_dollars");
    if (!fees.Get()) return Missing("msg.fees_paid_dollars");
    if (!fee_cost.Get()) return Missing("msg.position_fee_cost_dollars");
    if (!volume.Get()) return Missing("msg.volume_fp");
    body.position = *position.Get();
    body.position_cost = *cost.Get();
    body.realized_pnl = *pnl.Get();
    body.fees_paid = *fees.Get();
    body.position_fee_cost = *fee_cost.Get();
    body.volume = *volume.Get();
    return true;
  }

  bool DecodeUserOrder(od::value& v) {
    UserOrder& body = message.user_order;
    body = {};
    od::object object;
    if (!ReadObject(v, "msg", object)) return false;
    bool have_order = false, have_user = false, have_ticker = false, have_status = false;
    std::optional<core::Price> yes_price;
    std::optional<core::Count> fill_count, remaining, initial;
    std::optional<core::Money> taker_cost, maker_cost;
    std::optional<int64_t> created_iso, updated_iso, expiration_iso;
    for (auto member : object) {
      od::field member_field;
      std::string_view key;
      if (!NextField(std::move(member), "msg", member_field, key)) return false;
      od::value& value = member_field.value();
      if (key == "order_id") {
        if (!ReadString(value, "msg.order_id", body.order_id)) return false;
        have_order = true;
      } else if (key == "user_id") {
        if (!ReadString(value, "msg.user_id", body.user_id)) return false;
        have_user = true;
      } else if (key == "ticker") {
        if (!ReadTicker(value, "msg.ticker", body.market_ticker)) return false;
        have_ticker = true;
      } else if (key == "status") {
        std::string_view text;
        if (!ReadString(value, "msg.status", text)) return false;
        if (text == "resting") {
          body.status = OrderStatus::kResting;
        } else if (text == "canceled") {
          body.status = OrderStatus::kCanceled;
        } else if (text == "executed") {
          body.status = OrderStatus::kExecuted;
        } else if (text == "unknown") {
          body.status = OrderStatus::kUnknown;
        } else {
          return Fail(Kind::kBadValue, "msg.status", Quote(text) + " is not an order status");
        }
        have_status = true;
      } else if (key == "outcome_side") {
        core::OutcomeSide s;
        if (!ReadOutcomeSide(value, "msg.outcome_side", s)) return false;
        body.outcome_side = s;
      } else if (key == "book_side") {
        core::BookSide s;
        if (!ReadBookSide(value, "msg.book_side", s)) return false;
        body.book_side = s;
      } else if (key == "side") {
        core::OutcomeSide s;
        if (!ReadOutcomeSide(value, "msg.side", s)) return false;
        body.side = s;
      } else if (key == "yes_price_dollars") {
        if (!ReadPrice(value, "msg.yes_price_dollars", yes_price)) return false;
      } else if (key == "fill_count_fp") {
        if (!ReadCount(value, "msg.fill_count_fp", Sign::kNonNegative, fill_count)) return false;
      } else if (key == "remaining_count_fp") {
        if (!ReadCount(value, "msg.remaining_count_fp", Sign::kNonNegative, remaining)) {
          return false;
        }
      } else if (key == "initial_count_fp") {
        if (!ReadCount(value, "msg.initial_count_fp", Sign::kNonNegative, initial)) return false;
      } else if (key == "taker_fill_cost_dollars") {
        if (!ReadMoney(value, "msg.taker_fill_cost_dollars", taker_cost)) return false;
      } else if (key == "maker_fill_cost_dollars") {
        if (!ReadMoney(value, "msg.maker_fill_cost_dollars", maker_cost)) return false;
      } else if (key == "taker_fees_dollars") {
        if (!ReadOptMoney(value, "msg.taker_fees_dollars", body.taker_fees)) return false;
      } else if (key == "maker_fees_dollars") {
        if (!ReadOptMoney(value, "msg.maker_fees_dollars", body.maker_fees)) return false;
      } else if (key == "client_order_id") {
        if (!ReadOptString(value, "msg.client_order_id", body.client_order_id)) return false;
      } else if (key == "order_group_id") {
        if (!ReadOptString(value, "msg.order_group_id", body.order_group_id)) return false;
      } else if (key == "self_trade_prevention_type") {
        if (!ReadOptString(value, "msg.self_trade_prevention_type",
                           body.self_trade_prevention_type)) {
          return false;
        }
      } else if (key == "last_update_reason") {
        if (!ReadOptString(value, "msg.last_update_reason", body.last_update_reason)) {
          return false;
        }
      } else if (key == "created_ts_ms") {
        if (!ReadOptInt(value, "msg.created_ts_ms", body.created_ts_ms)) return false;
      } else if (key == "last_updated_ts_ms") {
        if (!ReadOptInt(value, "msg.last_updated_ts_ms", body.last_updated_ts_ms)) return false;
      } else if (key == "expiration_ts_ms") {
        if (!ReadOptInt(value, "msg.expiration_ts_ms", body.expiration_ts_ms)) return false;
      } else if (key == "created_time") {
        if (!ReadIsoAsMillis(value, "msg.created_time", created_iso)) return false;
      } else if (key == "last_update_time") {
        if (!ReadIsoAsMillis(value, "msg.last_update_time", updated_iso)) return false;
      } else if (key == "expiration_time") {
        if (!ReadIsoAsMillis(value, "msg.expiration_time", expiration_iso)) return false;
      } else if (key == "exchange_index") {
        if (!ReadOptInt(value, "msg.exchange_index", body.exchange_index)) return false;
      } else if (key == "subaccount_number") {
        if (!ReadOptInt(value, "msg.subaccount_number", body.subaccount_number)) return false;
      }
    }
    if (!have_order) return Missing("msg.order_id");
    if (!have_user) return Missing("msg.user_id");
    if (!have_ticker) return Missing("msg.ticker");
    if (!have_status) return Missing("msg.status");
    if (!yes_price) return Missing("msg.yes_price_dollars");
    if (!fill_count) return Missing("msg.fill_count_fp");
    if (!remaining) return Missing("msg.remaining_count_fp");
    if (!initial) return Missing("msg.initial_count_fp");
    if (!taker_cost) return Missing("msg.taker_fill_cost_dollars");
    if (!maker_cost) return Missing("msg.maker_fill_cost_dollars");
    if (body.outcome_side.has_value()) {
      if (!CheckBookSide(*body.outcome_side, body.book_side, "msg.book_side")) return false;
      body.book_side = BookSideOf(*body.outcome_side);
    } else if (body.book_side.has_value()) {
      body.outcome_side = *body.book_side == core::BookSide::kBid ? core::OutcomeSide::kYes
                                                                  : core::OutcomeSide::kNo;
    }
    if (!body.created_ts_ms.has_value()) body.created_ts_ms = created_iso;
    if (!body.last_updated_ts_ms.has_value()) body.last_updated_ts_ms = updated_iso;
    if (!body.expiration_ts_ms.has_value()) body.expiration_ts_ms = expiration_iso;
    body.yes_price = *yes_price;
    body.fill_count = *fill_count;
    body.remaining_count = *remaining;
    body.initial_count = *initial;
    body.taker_fill_cost = *taker_cost;
    body.maker_fill_cost = *maker_cost;
    return true;
  }

  bool ReadOptMoney(od::value& v, std::string_view field, std::optional<core::Money>& out) {
    bool is_null = false;
    if (!IsNull(v, field, is_null)) return false;
    if (is_null) {
      out.reset();
      return true;
    }
    return ReadMoney(v, field, out);
  }

  bool DecodeOrderGroup(od::value& v) {
    OrderGroupUpdate& body = message.order_group;
    body = {};
    od::object object;
    if (!ReadObject(v, "msg", object)) return false;
    bool have_event = false, have_id = false;
    for (auto member : object) {
      od::field member_field;
      std::string_view key;
      if (!NextField(std::move(member), "msg", member_field, key)) return false;
      od::value& value = member_field.value();
      if (key == "event_type") {
        std::string_view text;
        if (!ReadString(value, "msg.event_type", text)) return false;
        if (text == "created") {
          body.event_type = OrderGroupEventType::kCreated;
        } else if (text == "triggered") {
          body.event_type = OrderGroupEventType::kTriggered;
        } else if (text == "reset") {
          body.event_type = OrderGroupEventType::kReset;
        } else if (text == "deleted") {
          body.event_type = OrderGroupEventType::kDeleted;
        } else if (text == "limit_updated") {
          body.event_type = OrderGroupEventType::kLimitUpdated;
        } else {
          return Fail(Kind::kBadValue, "msg.event_type",
                      Quote(text) + " is not an order group event type");
        }
        have_event = true;
      } else if (key == "order_group_id") {
        if (!ReadString(value, "msg.order_group_id", body.order_group_id)) return false;
        have_id = true;
      } else if (key == "contracts_limit_fp") {
        bool is_null = false;
        if (!IsNull(value, "msg.contracts_limit_fp", is_null)) return false;
        if (!is_null &&
            !ReadCount(value, "msg.contracts_limit_fp", Sign::kNonNegative, body.contracts_limit)) {
          return false;
        }
      } else if (key == "ts_ms") {
        if (!ReadOptInt(value, "msg.ts_ms", body.ts_ms)) return false;
      }
    }
    if (!have_event) return Missing("msg.event_type");
    if (!have_id) return Missing("msg.order_group_id");
    return true;
  }

  bool ReadPriceRanges(od::value& v) {
    ranges.clear();
    bool is_null = false;
    if (!IsNull(v, "msg.price_ranges", is_null)) return false;
    if (is_null) return true;
    od::array array;
    if (!ReadArray(v, "msg.price_ranges", array)) return false;
    int32_t index = 0;
    for (auto element : array) {
      od::value item;
      error_code code = element.get(item);
      if (code) return FailJson(code, "msg.price_ranges", "bad array element", index);
      od::object object;
      code = item.get_object().get(object);
      if (code) {
        return FailJson(code, "msg.price_ranges", "expected a {start, end, step} object", index);
      }
      PriceRange range;
      bool have_start = false, have_end = false, have_step = false;
      for (auto member : object) {
        od::field member_field;
        std::string_view key;
        if (!NextField(std::move(member), "msg.price_ranges", member_field, key)) return false;
        od::value& value = member_field.value();
        if (key == "start") {
          if (!ReadPrice(value, "msg.price_ranges.start", range.start, index)) return false;
          have_start = true;
        } else if (key == "end") {
          if (!ReadPrice(value, "msg.price_ranges.end", range.end, index)) return false;
          have_end = true;
        } else if (key == "step") {
          if (!ReadPrice(value, "msg.price_ranges.step", range.step, index)) return false;
          have_step = true;
        }
      }
      if (!have_start) return Fail(Kind::kMissingField, "msg.price_ranges.start", "", index);
      if (!have_end) return Fail(Kind::kMissingField, "msg.price_ranges.end", "", index);
      if (!have_step) return Fail(Kind::kMissingField, "msg.price_ranges.step", "", index);
      ranges.push_back(range);
      ++index;
    }
    return true;
  }

  bool DecodeLifecycle(od::value& v) {
    MarketLifecycle& body = message.lifecycle;
    body = {};
    ranges.clear();
    od::object object;
    if (!ReadObject(v, "msg", object)) return false;
    bool have_ticker = false, have_event = false;
    for (auto member : object) {
      od::field member_field;
      std::string_view key;
      if (!NextField(std::move(member), "msg", member_field, key)) return false;
      od::value& value = member_field.value();
      if (key == "market_ticker") {
        if (!ReadTicker(value, "msg.market_ticker", body.market_ticker)) return false;
        have_ticker = true;
      } else if (key == "event_type") {
        std::string_view text;
        if (!ReadString(value, "msg.event_type", text)) return false;
        auto type = ParseLifecycleEvent(text);
        if (!type.has_value()) {
          return Fail(Kind::kBadValue, "msg.event_type",
                      Quote(text) + " is not a market lifecycle event type");
        }
        body.event_type = *type;
        have_event = true;
      } else if (key == "exchange_index") {
        if (!ReadOptInt(value, "msg.exchange_index", body.exchange_index)) return false;
      } else if (key == "open_ts") {
        if (!ReadOptInt(value, "msg.open_ts", body.open_ts)) return false;
      } else if (key == "close_ts") {
        if (!ReadOptInt(value, "msg.close_ts", body.close_ts)) return false;
      } else if (key == "result") {
        if (!ReadOptString(value, "msg.result", body.result)) return false;
      } else if (key == "determination_ts") {
        if (!ReadOptInt(value, "msg.determination_ts", body.determination_ts)) return false;
      } else if (key == "settlement_value") {
        bool is_null = false;
        if (!IsNull(value, "msg.settlement_value", is_null)) return false;
        if (!is_null && !ReadPrice(value, "msg.settlement_value", body.settlement_value)) {
          return false;
        }
      } else if (key == "settled_ts") {
        if (!ReadOptInt(value, "msg.settled_ts", body.settled_ts)) return false;
      } else if (key == "is_deactivated") {
        bool flag = false;
        if (!ReadBool(value, "msg.is_deactivated", flag)) return false;
        body.is_deactivated = flag;
      } else if (key == "price_level_structure") {
        if (!ReadOptString(value, "msg.price_level_structure", body.price_level_structure)) {
          return false;
        }
      } else if (key == "price_ranges") {
        if (!ReadPriceRanges(value)) return false;
      } else if (key == "strike_type") {
        if (!ReadOptString(value, "msg.strike_type", body.strike_type)) return false;
      } else if (key == "floor_strike") {
        if (!ReadRawNumber(value, "msg.floor_strike", body.floor_strike)) return false;
      } else if (key == "cap_strike") {
        if (!ReadRawNumber(value, "msg.cap_strike", body.cap_strike)) return false;
      } else if (key == "yes_sub_title") {
        if (!ReadOptString(value, "msg.yes_sub_title", body.yes_sub_title)) return false;
      } else if (key == "additional_metadata") {
        bool is_null = false;
        if (!IsNull(value, "msg.additional_metadata", is_null)) return false;
        if (!is_null) {
          od::object metadata;
          if (!ReadObject(value, "msg.additional_metadata", metadata)) return false;
          error_code code = metadata.raw_json().get(body.additional_metadata);
          if (code) return FailJson(code, "msg.additional_metadata", "expected an object");
        }
      }
    }
    if (!have_ticker) return Missing("msg.market_ticker");
    if (!have_event) return Missing("msg.event_type");
    body.price_ranges = ranges;
    return true;
  }

  static std::optional<LifecycleEventType> ParseLifecycleEvent(std::string_view text) {
    using T = LifecycleEventType;
    if (text == "created") return T::kCreated;
    if (text == "activated") return T::kActivated;
    if (text == "deactivated") return T::kDeactivated;
    if (text == "close_date_updated") return T::kCloseDateUpdated;
    if (text == "determined") return T::kDetermined;
    if (text == "settled") return T::kSettled;
    if (text == "price_level_structure_updated") return T::kPriceLevelStructureUpdated;
    if (text == "metadata_updated") return T::kMetadataUpdated;
    return std::nullopt;
  }

  bool DecodeEventLifecycle(od::value& v) {
    EventLifecycle& body = message.event_lifecycle;
    body = {};
    od::object object;
    if (!ReadObject(v, "msg", object)) return false;
    bool have_event = false, have_title = false, have_subtitle = false, have_collateral = false,
         have_series = false;
    for (auto member : object) {
      od::field member_field;
      std::string_view key;
      if (!NextField(std::move(member), "msg", member_field, key)) return false;
      od::value& value = member_field.value();
      if (key == "event_ticker") {
        if (!ReadTicker(value, "msg.event_ticker", body.event_ticker)) return false;
        have_event = true;
      } else if (key == "exchange_index") {
        if (!ReadOptInt(value, "msg.exchange_index", body.exchange_index)) return false;
      } else if (key == "title") {
        if (!ReadString(value, "msg.title", body.title)) return false;
        have_title = true;
      } else if (key == "subtitle") {
        if (!ReadString(value, "msg.subtitle", body.subtitle)) return false;
        have_subtitle = true;
      } else if (key == "collateral_return_type") {
        if (!ReadString(value, "msg.collateral_return_type", body.collateral_return_type)) {
          return false;
        }
        have_collateral = true;
      } else if (key == "series_ticker") {
        if (!ReadTicker(value, "msg.series_ticker", body.series_ticker)) return false;
        have_series = true;
      } else if (key == "strike_date") {
        if (!ReadOptInt(value, "msg.strike_date", body.strike_date)) return false;
      } else if (key == "strike_period") {
        if (!ReadOptString(value, "msg.strike_period", body.strike_period)) return false;
      }
    }
    if (!have_event) return Missing("msg.event_ticker");
    if (!have_title) return Missing("msg.title");
    if (!have_subtitle) return Missing("msg.subtitle");
    if (!have_collateral) return Missing("msg.collateral_return_type");
    if (!have_series) return Missing("msg.series_ticker");
    return true;
  }

  bool DecodeEventFeeUpdate(od::value& v) {
    EventFeeUpdate& body = message.event_fee_update;
    body = {};
    od::object object;
    if (!ReadObject(v, "msg", object)) return false;
    bool have_event = false;
    for (auto member : object) {
      od::field member_field;
      std::string_view key;
      if (!NextField(std::move(member), "msg", member_field, key)) return false;
      od::value& value = member_field.value();
      if (key == "event_ticker") {
        if (!ReadTicker(value, "msg.event_ticker", body.event_ticker)) return false;
        have_event = true;
      } else if (key == "fee_type_override") {
        if (!ReadOptString(value, "msg.fee_type_override", body.fee_type_override)) return false;
      } else if (key == "fee_multiplier_override") {
        if (!ReadRawNumber(value, "msg.fee_multiplier_override", body.fee_multiplier_override)) {
          return false;
        }
      }
    }
    if (!have_event) return Missing("msg.event_ticker");
    return true;
  }

  bool DecodeBody(MessageType type, od::value& v) {
    switch (type) {
      case MessageType::kOrderbookDelta:
        return DecodeDelta(v);
      case MessageType::kOrderbookSnapshot:
        return DecodeSnapshot(v);
      case MessageType::kSubscribed:
        return DecodeSubscribed(v);
      case MessageType::kUnsubscribed:
        return true;  // no body; msg ignored if present
      case MessageType::kOk:
        return DecodeOk(v);
      case MessageType::kError:
        return DecodeErrorBody(v);
      case MessageType::kTicker:
        return DecodeTicker(v);
      case MessageType::kTrade:
        return DecodeTrade(v);
      case MessageType::kFill:
        return DecodeFill(v);
      case MessageType::kMarketPosition:
        return DecodeMarketPosition(v);
      case MessageType::kUserOrder:
        return DecodeUserOrder(v);
      case MessageType::kOrderGroupUpdates:
        return DecodeOrderGroup(v);
      case MessageType::kMarketLifecycleV2:
      case MessageType::kMultivariateMarketLifecycle:
        return DecodeLifecycle(v);
      case MessageType::kEventLifecycle:
        return DecodeEventLifecycle(v);
      case MessageType::kEventFeeUpdate:
        return DecodeEventFeeUpdate(v);
    }
    return Fail(Kind::kUnknownMessageType, "type", "");
  }

  // ---------------------------------------------------------------------------------------
  // Envelope

  bool DecodeDocument(od::document& doc) {
    legacy = false;
    message.sid = 0;
    message.seq.reset();
    message.id = 0;
    od::object root;
    error_code code = doc.get_object().get(root);
    if (code) {
      if (code == simdjson::INCORRECT_TYPE) {
        return Fail(Kind::kWrongType, kRoot, "top level is not a JSON object");
      }
      return FailJson(code, kRoot, "top level is not a JSON object");
    }
    std::optional<MessageType> type;
    bool have_sid = false;
    bool have_msg = false;
    bool msg_deferred = false;
    for (auto member : root) {
      od::field member_field;
      std::string_view key;
      if (!NextField(std::move(member), kRoot, member_field, key)) return false;
      od::value& value = member_field.value();
      if (key == "type") {
        std::string_view name;
        if (!ReadString(value, "type", name)) return false;
        auto parsed = ParseMessageType(name);
        if (!parsed.has_value()) return Fail(Kind::kUnknownMessageType, "type", Quote(name));
        if (type.has_value() && *type != *parsed) {
          return Fail(Kind::kBadValue, "type", "conflicting duplicate type fields");
        }
        type = parsed;
      } else if (key == "sid") {
        int64_t sid = 0;
        if (!ReadInt(value, "sid", sid)) return false;
        if (sid < 1) return Fail(Kind::kOutOfRange, "sid", "sid must be >= 1");
        message.sid = sid;
        have_sid = true;
      } else if (key == "seq") {
        int64_t seq = 0;
        if (!ReadInt(value, "seq", seq)) return false;
        if (seq < 1) return Fail(Kind::kOutOfRange, "seq", "seq must be >= 1");
        message.seq = seq;
      } else if (key == "id") {
        int64_t id = 0;
        if (!ReadInt(value, "id", id)) return false;
        if (id < 0) return Fail(Kind::kOutOfRange, "id", "id must be >= 0");
        message.id = id;
      } else if (key == "msg") {
        if (type.has_value()) {
          if (!DecodeBody(*type, value)) return false;
          have_msg = true;
        } else {
          msg_deferred = true;  // `msg` before `type`: decode it after a rewind
        }
      }
    }
    const char* trailing = nullptr;
    if (doc.current_location().get(trailing) != simdjson::OUT_OF_BOUNDS) {
      return Fail(Kind::kMalformedJson, kRoot, "trailing content after the JSON object");
    }
    if (!type.has_value()) return Missing("type");
    if (msg_deferred) {
      doc.rewind();
      od::value value;
      code = doc.find_field_unordered("msg").get(value);
      if (code) return FailJson(code, "msg", "cannot re-read msg");
      if (!DecodeBody(*type, value)) return false;
      have_msg = true;
    }
    if (!have_msg) {
      switch (*type) {
        case MessageType::kUnsubscribed:
          break;
        case MessageType::kOk:  // skip_ticker_ack may leave the ack without a list
          message.ok = {};
          break;
        default:
          return Missing("msg");
      }
    }
    // Envelope requirements (PROTOCOL §3.3-3.5).
    switch (*type) {
      case MessageType::kOrderbookSnapshot:
      case MessageType::kOrderbookDelta:
      case MessageType::kOrderGroupUpdates:
      case MessageType::kUnsubscribed:
        if (!message.seq.has_value()) return Missing("seq");
        if (!have_sid) return Missing("sid");
        break;
      case MessageType::kSubscribed:
      case MessageType::kOk:
      case MessageType::kError:
        break;
      default:
        if (!have_sid) return Missing("sid");
        break;
    }
    message.type = *type;
    message.format = legacy ? WireFormat::kLegacyCents : WireFormat::kFixedPoint;
    return true;
  }

  core::Result<const Message*, DecodeError> Run(const char* data, std::size_t size,
                                                std::size_t capacity) {
    if (size == 0) {
      Fail(Kind::kMalformedJson, kRoot, "empty frame");
      return core::Err(error);
    }
    od::document doc;
    error_code code = parser.iterate(data, size, capacity).get(doc);
    if (code) {
      FailJson(code, kRoot, "");
      error.kind = Kind::kMalformedJson;  // nothing else can fail at this stage
      return core::Err(error);
    }
    if (!DecodeDocument(doc)) return core::Err(error);
    return static_cast<const Message*>(&message);
  }

  bool EnsureBuffer(std::size_t needed) {
    if (needed <= buffer_capacity) return true;
    std::size_t capacity = std::max<std::size_t>(needed, 4096);
    capacity = std::max(capacity, buffer_capacity * 2);
    buffer = std::make_unique<char[]>(capacity);  // value-initialized: padding is zeroed
    buffer_capacity = capacity;
    return true;
  }

  core::Result<const Message*, DecodeError> TooLarge(std::size_t size) {
    Fail(Kind::kMalformedJson, kRoot,
         "frame of " + std::to_string(size) + " bytes exceeds the limit of " +
             std::to_string(max_frame_bytes));
    return core::Err(error);
  }
};

Decoder::Decoder(std::size_t max_frame_bytes) : impl_(std::make_unique<Impl>(max_frame_bytes)) {}
Decoder::~Decoder() = default;
Decoder::Decoder(Decoder&&) noexcept = default;
Decoder& Decoder::operator=(Decoder&&) noexcept = default;

core::Result<const Message*, DecodeError> Decoder::Decode(std::string_view frame) {
  Impl& impl = *impl_;
  if (frame.size() > impl.max_frame_bytes) return impl.TooLarge(frame.size());
  impl.EnsureBuffer(frame.size() + kPadding);
  if (!frame.empty()) std::memcpy(impl.buffer.get(), frame.data(), frame.size());
  // Clear the padding: stale bytes of an earlier, longer frame there (a '}' right after the
  // document) make simdjson rescan the whole document for balance (simdjson issue #1834).
  std::memset(impl.buffer.get() + frame.size(), 0, kPadding);
  return impl.Run(impl.buffer.get(), frame.size(), impl.buffer_capacity);
}

core::Result<const Message*, DecodeError> Decoder::DecodePadded(std::string_view frame,
                                                                std::size_t readable_bytes) {
  if (readable_bytes < frame.size() + kPadding) return Decode(frame);
  Impl& impl = *impl_;
  if (frame.size() > impl.max_frame_bytes) return impl.TooLarge(frame.size());
  return impl.Run(frame.data(), frame.size(), readable_bytes);
}

}  // namespace kalshiflow::kalshi
