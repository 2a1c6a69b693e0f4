#include "kalshi/trading_messages.h"

#include <fmt/format.h>

#include <array>
#include <limits>
#include <utility>

namespace kalshiflow::kalshi {
namespace {

using Json = nlohmann::json;
using core::Count;
using core::Money;
using core::Price;

// ---- enum tables ------------------------------------------------------------------------------

template <typename E, std::size_t N>
std::optional<E> FindByName(const std::array<std::pair<E, std::string_view>, N>& table,
                            std::string_view text) {
  for (const auto& [value, name] : table) {
    if (name == text) return value;
  }
  return std::nullopt;
}
template <typename E, std::size_t N>
std::string_view NameOf(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "unknown";
}

constexpr std::array<std::pair<TimeInForce, std::string_view>, 3> kTimeInForceNames{{
    {TimeInForce::kGoodTillCanceled, "good_till_canceled"},
    {TimeInForce::kImmediateOrCancel, "immediate_or_cancel"},
    {TimeInForce::kFillOrKill, "fill_or_kill"},
}};
constexpr std::array<std::pair<SelfTradePrevention, std::string_view>, 2> kStpNames{{
    {SelfTradePrevention::kTakerAtCross, "taker_at_cross"},
    {SelfTradePrevention::kMaker, "maker"},
}};
constexpr std::array<std::pair<OrderStatus, std::string_view>, 4> kOrderStatusNames{{
    {OrderStatus::kResting, "resting"},
    {OrderStatus::kCanceled, "canceled"},
    {OrderStatus::kExecuted, "executed"},
    {OrderStatus::kUnknown, "unknown"},
}};
constexpr std::array<std::pair<OrderGroupEventType, std::string_view>, 5> kGroupEventNames{{
    {OrderGroupEventType::kCreated, "created"},
    {OrderGroupEventType::kTriggered, "triggered"},
    {OrderGroupEventType::kReset, "reset"},
    {OrderGroupEventType::kDeleted, "deleted"},
    {OrderGroupEventType::kLimitUpdated, "limit_updated"},
}};

// ---- reading ----------------------------------------------------------------------------------

enum class Req { kRequired, kOptional };

/// Quotes a value for an error message, truncated to 64 characters.
std::string Quote(std::string_view text) {
  constexpr std::size_t kMax = 64;
  if (text.size() > kMax) return fmt::format("'{}...'", text.substr(0, kMax));
  return fmt::format("'{}'", text);
}

/// Reads typed fields of one JSON object, remembering the first error ("<context>.<key>:
/// <what>"). Getters return a default after an error, so a parser reads every field and
/// checks status() once at the end.
class Reader {
 public:
  Reader(const Json& json, std::string context) : json_(json), context_(std::move(context)) {
    if (!json_.is_object()) {
      status_ = core::InvalidArgumentError(
          fmt::format("{}: expected an object, got {}", context_, json_.type_name()));
    }
  }

  bool ok() const { return status_.ok(); }
  const core::Status& status() const { return status_; }
  const std::string& context() const { return context_; }

  void Fail(std::string_view key, std::string_view what) {
    if (status_.ok()) {
      status_ = core::InvalidArgumentError(fmt::format("{}.{}: {}", context_, key, what));
    }
  }

  /// The value at `key`, nullptr when absent or null (and records "missing" if required).
  const Json* Find(std::string_view key, Req req) {
    if (!json_.is_object()) return nullptr;
    auto it = json_.find(std::string(key));
    if (it == json_.end() || it->is_null()) {
      if (req == Req::kRequired) Fail(key, "missing");
      return nullptr;
    }
    return &*it;
  }

  std::optional<std::string> OptString(std::string_view key, Req req = Req::kOptional) {
    const Json* v = Find(key, req);
    if (v == nullptr) return std::nullopt;
    if (!v->is_string()) {
      Fail(key, fmt::format("expected a string, got {}", v->type_name()));
      return std::nullopt;
    }
    return v->get<std::string>();
  }
  std::string String(std::string_view key, Req req = Req::kOptional) {
    return OptString(key, req).value_or(std::string());
  }

  std::optional<int64_t> OptInt(std::string_view key, Req req = Req::kOptional) {
    const Json* v = Find(key, req);
    if (v == nullptr) return std::nullopt;
    if (v->is_number_unsigned()) {
      const auto u = v->get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        Fail(key, fmt::format("out of range: {}", u));
        return std::nullopt;
      }
      return static_cast<int64_t>(u);
    }
    if (v->is_number_integer()) return v->get<int64_t>();
    Fail(key, fmt::format("expected an integer, got {} {}", v->type_name(), Quote(v->dump())));
    return std::nullopt;
  }
  int64_t Int(std::string_view key, Req req = Req::kOptional, int64_t fallback = 0) {
    return OptInt(key, req).value_or(fallback);
  }
  /// An integer that must fit in `int` and be >= `min`.
  std::optional<int> OptSmallInt(std::string_view key, Req req = Req::kOptional,
                                 int64_t min = std::numeric_limits<int>::min()) {
    auto v = OptInt(key, req);
    if (!v) return std::nullopt;
    if (*v < min || *v > std::numeric_limits<int>::max()) {
      Fail(key, fmt::format("out of range: {}", *v));
      return std::nullopt;
    }
    return static_cast<int>(*v);
  }
  int SmallInt(std::string_view key, Req req = Req::kOptional, int fallback = 0) {
    return OptSmallInt(key, req).value_or(fallback);
  }

  std::optional<bool> OptBool(std::string_view key, Req req = Req::kOptional) {
    const Json* v = Find(key, req);
    if (v == nullptr) return std::nullopt;
    if (!v->is_boolean()) {
      Fail(key, fmt::format("expected a boolean, got {}", v->type_name()));
      return std::nullopt;
    }
    return v->get<bool>();
  }
  bool Bool(std::string_view key, Req req = Req::kOptional, bool fallback = false) {
    return OptBool(key, req).value_or(fallback);
  }

  /// A fixed-point decimal string (Price / Count / Money).
  template <typename T>
  std::optional<T> OptFixed(std::string_view key, Req req = Req::kOptional) {
    auto text = OptString(key, req);
    if (!text) return std::nullopt;
    auto units = core::ParseDecimal(*text, T::kDecimals);
    if (!units.ok()) {
      FailDecimal(key, units.error(), *text, T::kDecimals);
      return std::nullopt;
    }
    return T::FromUnits(*units);
  }
  template <typename T>
  T Fixed(std::string_view key, Req req = Req::kOptional) {
    return OptFixed<T>(key, req).value_or(T());
  }

  /// An average price: up to 6 dp (averages need not be on a tick), rounded half away from
  /// zero to the nearest 1/10,000 $.
  std::optional<Price> OptAveragePrice(std::string_view key) {
    auto text = OptString(key, Req::kOptional);
    if (!text) return std::nullopt;
    auto micros = core::ParseDecimal(*text, 6);
    if (!micros.ok()) {
      FailDecimal(key, micros.error(), *text, 6);
      return std::nullopt;
    }
    const int64_t m = *micros;
    const int64_t rounded = m >= 0 ? (m + 50) / 100 : -((-m + 50) / 100);
    return Price::FromUnits(rounded);
  }

  template <typename E>
  std::optional<E> OptEnum(std::string_view key, Req req,
                           std::optional<E> (*parse)(std::string_view), std::string_view expected) {
    auto text = OptString(key, req);
    if (!text) return std::nullopt;
    auto value = parse(*text);
    if (!value) Fail(key, fmt::format("expected {}, got {}", expected, Quote(*text)));
    return value;
  }

  /// The array at `key` (nullptr when absent/null or not an array: error if required or
  /// present with another type).
  const Json* Array(std::string_view key, Req req) {
    const Json* v = Find(key, req);
    if (v == nullptr) return nullptr;
    if (!v->is_array()) {
      Fail(key, fmt::format("expected an array, got {}", v->type_name()));
      return nullptr;
    }
    return v;
  }

 private:
  void FailDecimal(std::string_view key, core::DecimalError error, std::string_view text,
                   int decimals) {
    switch (error) {
      case core::DecimalError::kEmpty:
      case core::DecimalError::kMalformed:
        Fail(key, fmt::format("not a decimal: {}", Quote(text)));
        break;
      case core::DecimalError::kTooManyDecimals:
        Fail(key, fmt::format("more than {} decimals: {}", decimals, Quote(text)));
        break;
      case core::DecimalError::kOutOfRange:
        Fail(key, fmt::format("out of range: {}", Quote(text)));
        break;
    }
  }

  const Json& json_;
  std::string context_;
  core::Status status_;
};

// Local versions of core's side parsers with the same signature shape as ours.
std::optional<core::BookSide> ParseBook(std::string_view text) { return core::ParseBookSide(text); }
std::optional<core::OutcomeSide> ParseOutcome(std::string_view text) {
  return core::ParseOutcomeSide(text);
}
constexpr std::string_view kBookSideExpected = "'bid' or 'ask'";
constexpr std::string_view kOutcomeSideExpected = "'yes' or 'no'";
constexpr std::string_view kTifExpected =
    "'good_till_canceled', 'immediate_or_cancel' or 'fill_or_kill'";
constexpr std::string_view kStpExpected = "'taker_at_cross' or 'maker'";
constexpr std::string_view kStatusExpected = "'resting', 'canceled', 'executed' or 'unknown'";
constexpr std::string_view kGroupEventExpected =
    "'created', 'triggered', 'reset', 'deleted' or 'limit_updated'";

/// Reads `outcome_side` and `book_side`; when only one is sent the other is derived (yes ↔ bid,
/// no ↔ ask: V2 orders are YES-leg bids or asks), when neither, outcome_side is missing.
/// For fills (`legacy_fill`), when neither is sent, the deprecated `side` + `action` (buy yes /
/// sell no → yes; buy no / sell yes → no) or `purchased_side` give the outcome side, as the
/// AsyncAPI 2026-08 fill example carries only those.
void ReadSides(Reader& r, core::OutcomeSide* outcome, core::BookSide* book,
               bool legacy_fill = false) {
  auto o = r.OptEnum("outcome_side", Req::kOptional, ParseOutcome, kOutcomeSideExpected);
  auto b = r.OptEnum("book_side", Req::kOptional, ParseBook, kBookSideExpected);
  if (!r.ok()) return;
  if (!o && !b && legacy_fill) {
    auto side = r.OptEnum("side", Req::kOptional, ParseOutcome, kOutcomeSideExpected);
    auto action = r.OptString("action");
    if (side && (action == "buy" || action == "sell")) {
      o = (*action == "buy") == (*side == core::OutcomeSide::kYes) ? core::OutcomeSide::kYes
                                                                   : core::OutcomeSide::kNo;
    } else {
      o = r.OptEnum("purchased_side", Req::kOptional, ParseOutcome, kOutcomeSideExpected);
    }
    if (!r.ok()) return;
  }
  if (!o && !b) {
    r.Fail("outcome_side", "missing (and no book_side)");
    return;
  }
  if (!o) o = *b == core::BookSide::kBid ? core::OutcomeSide::kYes : core::OutcomeSide::kNo;
  if (!b) b = *o == core::OutcomeSide::kYes ? core::BookSide::kBid : core::BookSide::kAsk;
  *outcome = *o;
  *book = *b;
}

template <typename T>
core::Result<T> Finish(const Reader& reader, T value) {
  if (!reader.ok()) return reader.status();
  return value;
}

/// Parses `json[key]` as an array of T with `parse_item(item, context)`.
template <typename T, typename F>
core::Status ReadArray(Reader& reader, std::string_view key, Req req, F parse_item,
                       std::vector<T>* out) {
  const Json* array = reader.Array(key, req);
  if (!reader.ok()) return reader.status();
  if (array == nullptr) return core::Status::Ok();
  out->reserve(array->size());
  for (std::size_t i = 0; i < array->size(); ++i) {
    auto item = parse_item((*array)[i], fmt::format("{}.{}[{}]", reader.context(), key, i));
    if (!item.ok()) return item.error();
    out->push_back(std::move(item).value());
  }
  return core::Status::Ok();
}

// ---- writing ----------------------------------------------------------------------------------

std::string Text(Price v) { return v.ToString(); }
std::string Text(Count v) { return v.ToString(); }
std::string Text(Money v) { return v.ToString(); }

void PutIfNotEmpty(Json& json, const char* key, const std::string& value) {
  if (!value.empty()) json[key] = value;
}
template <typename T>
void PutOpt(Json& json, const char* key, const std::optional<T>& value) {
  if (value) json[key] = *value;
}
template <typename T>
void PutOptFixed(Json& json, const char* key, const std::optional<T>& value) {
  if (value) json[key] = value->ToString();
}

}  // namespace

// ---- enums ------------------------------------------------------------------------------------

std::string_view TimeInForceName(TimeInForce value) { return NameOf(kTimeInForceNames, value); }
std::optional<TimeInForce> ParseTimeInForce(std::string_view text) {
  return FindByName(kTimeInForceNames, text);
}
std::string_view SelfTradePreventionName(SelfTradePrevention value) {
  return NameOf(kStpNames, value);
}
std::optional<SelfTradePrevention> ParseSelfTradePrevention(std::string_view text) {
  return FindByName(kStpNames, text);
}
std::string_view OrderStatusName(OrderStatus value) { return NameOf(kOrderStatusNames, value); }
std::optional<OrderStatus> ParseOrderStatus(std::string_view text) {
  return FindByName(kOrderStatusNames, text);
}
std::string_view OrderGroupEventTypeName(OrderGroupEventType value) {
  return NameOf(kGroupEventNames, value);
}
std::optional<OrderGroupEventType> ParseOrderGroupEventType(std::string_view text) {
  return FindByName(kGroupEventNames, text);
}

// ---- errors -----------------------------------------------------------------------------------

core::Status ApiError::ToStatus() const {
  std::string text = code.empty() ? std::string("error") : code;
  if (!message.empty()) text += ": " + message;
  if (!details.empty()) text += " (" + details + ")";
  if (code == "insufficient_balance" || code == "available_balance_too_low") {
    return core::FailedPreconditionError(std::move(text));
  }
  switch (http_status) {
    case 400:
      return core::InvalidArgumentError(std::move(text));
    case 401:
      return core::UnauthenticatedError(std::move(text));
    case 403:
      return core::PermissionDeniedError(std::move(text));
    case 404:
      return core::NotFoundError(std::move(text));
    case 409:
      return core::AlreadyExistsError(std::move(text));
    case 429:
      return core::ResourceExhaustedError(std::move(text));
    default:
      break;
  }
  if (http_status >= 500 && http_status <= 599) return core::UnavailableError(std::move(text));
  if (http_status == 0 || (http_status >= 400 && http_status <= 499)) {
    return core::InvalidArgumentError(std::move(text));
  }
  return core::InternalError(fmt::format("unexpected HTTP {}: {}", http_status, text));
}

Json ToJson(const ApiError& error) {
  Json json = {{"code", error.code}, {"message", error.message}};
  PutIfNotEmpty(json, "details", error.details);
  return json;
}

core::Result<ApiError> ParseApiErrorObject(const Json& json, int http_status) {
  Reader r(json, "error");
  ApiError e;
  e.http_status = http_status;
  e.code = r.String("code", Req::kRequired);
  e.message = r.String("message");
  if (const Json* details = r.Find("details", Req::kOptional); details != nullptr) {
    e.details = details->is_string() ? details->get<std::string>() : details->dump();
  }
  return Finish(r, std::move(e));
}

core::Result<ApiError> ParseApiErrorBody(int http_status, std::string_view body) {
  const Json json = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return core::InvalidArgumentError(
        fmt::format("error body (HTTP {}): not JSON: {}", http_status, Quote(body)));
  }
  Reader r(json, "error_body");
  const Json* error = r.Find("error", Req::kRequired);
  if (!r.ok()) return r.status();
  if (error->is_string()) {  // 429: {"error":"too many requests"}
    ApiError e;
    e.http_status = http_status;
    e.message = error->get<std::string>();
    e.code = http_status == 429 || e.message == "too many requests" ? "too_many_requests" : "error";
    return e;
  }
  return ParseApiErrorObject(*error, http_status);
}

ApiError ApiErrorFromHttp(int http_status, std::string_view body) {
  auto parsed = ParseApiErrorBody(http_status, body);
  if (parsed.ok()) return std::move(parsed).value();
  ApiError e;
  e.http_status = http_status;
  e.code = fmt::format("http_{}", http_status);
  e.message = std::string(body.substr(0, 200));
  return e;
}

std::string ErrorBodyJson(std::string_view code, std::string_view message,
                          std::string_view details) {
  ApiError e;
  e.code = std::string(code);
  e.message = std::string(message);
  e.details = std::string(details);
  // Invalid UTF-8 (e.g. a request path echoed in `details`) is replaced, never thrown on.
  return Json{{"error", ToJson(e)}}.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// ---- V2 orders --------------------------------------------------------------------------------

Json ToJson(const CreateOrderRequest& q) {
  Json json = {{"ticker", q.ticker},
               {"side", core::BookSideName(q.side)},
               {"count", Text(q.count)},
               {"price", Text(q.price)},
               {"time_in_force", TimeInForceName(q.time_in_force)},
               {"self_trade_prevention_type", SelfTradePreventionName(q.self_trade_prevention)},
               {"post_only", q.post_only},
               {"cancel_order_on_pause", q.cancel_order_on_pause},
               {"reduce_only", q.reduce_only},
               {"subaccount", q.subaccount}};
  PutIfNotEmpty(json, "client_order_id", q.client_order_id);
  PutOpt(json, "expiration_time", q.expiration_time_s);
  PutIfNotEmpty(json, "order_group_id", q.order_group_id);
  PutOpt(json, "exchange_index", q.exchange_index);
  return json;
}

namespace {
core::Result<CreateOrderRequest> ParseCreateOrderRequestIn(const Json& json, std::string context) {
  Reader r(json, std::move(context));
  CreateOrderRequest q;
  q.ticker = r.String("ticker", Req::kRequired);
  q.client_order_id = r.String("client_order_id");
  q.side = r.OptEnum("side", Req::kRequired, ParseBook, kBookSideExpected).value_or(q.side);
  q.count = r.Fixed<Count>("count", Req::kRequired);
  q.price = r.Fixed<Price>("price", Req::kRequired);
  q.time_in_force = r.OptEnum("time_in_force", Req::kRequired, ParseTimeInForce, kTifExpected)
                        .value_or(q.time_in_force);
  q.expiration_time_s = r.OptInt("expiration_time");
  q.self_trade_prevention = r.OptEnum("self_trade_prevention_type", Req::kRequired,
                                      ParseSelfTradePrevention, kStpExpected)
                                .value_or(q.self_trade_prevention);
  q.post_only = r.Bool("post_only");
  q.cancel_order_on_pause = r.Bool("cancel_order_on_pause");
  q.reduce_only = r.Bool("reduce_only");
  q.subaccount = r.SmallInt("subaccount", Req::kOptional, 0);
  if (q.subaccount < 0) r.Fail("subaccount", fmt::format("out of range: {}", q.subaccount));
  q.order_group_id = r.String("order_group_id");
  q.exchange_index = r.OptSmallInt("exchange_index", Req::kOptional, -1);
  return Finish(r, std::move(q));
}
}  // namespace

core::Result<CreateOrderRequest> ParseCreateOrderRequest(const Json& json) {
  return ParseCreateOrderRequestIn(json, "create_order");
}

Json ToJson(const CreateOrderResponse& s) {
  Json json = {{"order_id", s.order_id},
               {"fill_count", Text(s.fill_count)},
               {"remaining_count", Text(s.remaining_count)},
               {"ts_ms", s.ts_ms}};
  PutIfNotEmpty(json, "client_order_id", s.client_order_id);
  PutOptFixed(json, "average_fill_price", s.average_fill_price);
  PutOptFixed(json, "average_fee_paid", s.average_fee_paid);
  return json;
}

core::Result<CreateOrderResponse> ParseCreateOrderResponse(const Json& json) {
  Reader r(json, "create_order_response");
  CreateOrderResponse s;
  s.order_id = r.String("order_id", Req::kRequired);
  s.client_order_id = r.String("client_order_id");
  s.fill_count = r.Fixed<Count>("fill_count", Req::kRequired);
  s.remaining_count = r.Fixed<Count>("remaining_count", Req::kRequired);
  s.average_fill_price = r.OptAveragePrice("average_fill_price");
  s.average_fee_paid = r.OptFixed<Money>("average_fee_paid");
  s.ts_ms = r.Int("ts_ms", Req::kRequired);
  return Finish(r, std::move(s));
}

Json ToJson(const CancelOrderResponse& s) {
  Json json = {{"order_id", s.order_id}, {"reduced_by", Text(s.reduced_by)}, {"ts_ms", s.ts_ms}};
  PutIfNotEmpty(json, "client_order_id", s.client_order_id);
  return json;
}

core::Result<CancelOrderResponse> ParseCancelOrderResponse(const Json& json) {
  Reader r(json, "cancel_order_response");
  CancelOrderResponse s;
  s.order_id = r.String("order_id", Req::kRequired);
  s.client_order_id = r.String("client_order_id");
  s.reduced_by = r.Fixed<Count>("reduced_by", Req::kRequired);
  s.ts_ms = r.Int("ts_ms", Req::kRequired);
  return Finish(r, std::move(s));
}

Json ToJson(const AmendOrderRequest& q) {
  Json json = {{"ticker", q.ticker},
               {"side", core::BookSideName(q.side)},
               {"price", Text(q.price)},
               {"count", Text(q.count)}};
  PutIfNotEmpty(json, "client_order_id", q.client_order_id);
  PutIfNotEmpty(json, "updated_client_order_id", q.updated_client_order_id);
  PutOpt(json, "exchange_index", q.exchange_index);
  return json;
}

core::Result<AmendOrderRequest> ParseAmendOrderRequest(const Json& json) {
  Reader r(json, "amend_order");
  AmendOrderRequest q;
  q.ticker = r.String("ticker", Req::kRequired);
  q.side = r.OptEnum("side", Req::kRequired, ParseBook, kBookSideExpected).value_or(q.side);
  q.price = r.Fixed<Price>("price", Req::kRequired);
  q.count = r.Fixed<Count>("count", Req::kRequired);
  q.client_order_id = r.String("client_order_id");
  q.updated_client_order_id = r.String("updated_client_order_id");
  q.exchange_index = r.OptSmallInt("exchange_index", Req::kOptional, -1);
  return Finish(r, std::move(q));
}

Json ToJson(const AmendOrderResponse& s) {
  Json json = {{"order_id", s.order_id},
               {"remaining_count", Text(s.remaining_count)},
               {"fill_count", Text(s.fill_count)},
               {"ts_ms", s.ts_ms}};
  PutIfNotEmpty(json, "client_order_id", s.client_order_id);
  PutOptFixed(json, "average_fill_price", s.average_fill_price);
  PutOptFixed(json, "average_fee_paid", s.average_fee_paid);
  return json;
}

core::Result<AmendOrderResponse> ParseAmendOrderResponse(const Json& json) {
  Reader r(json, "amend_order_response");
  AmendOrderResponse s;
  s.order_id = r.String("order_id", Req::kRequired);
  s.client_order_id = r.String("client_order_id");
  s.remaining_count = r.Fixed<Count>("remaining_count");
  s.fill_count = r.Fixed<Count>("fill_count");
  s.average_fill_price = r.OptAveragePrice("average_fill_price");
  s.average_fee_paid = r.OptFixed<Money>("average_fee_paid");
  s.ts_ms = r.Int("ts_ms", Req::kRequired);
  return Finish(r, std::move(s));
}

Json ToJson(const DecreaseOrderRequest& q) {
  Json json = Json::object();
  PutOptFixed(json, "reduce_by", q.reduce_by);
  PutOptFixed(json, "reduce_to", q.reduce_to);
  PutOpt(json, "exchange_index", q.exchange_index);
  PutIfNotEmpty(json, "market_ticker", q.market_ticker);
  return json;
}

core::Result<DecreaseOrderRequest> ParseDecreaseOrderRequest(const Json& json) {
  Reader r(json, "decrease_order");
  DecreaseOrderRequest q;
  q.reduce_by = r.OptFixed<Count>("reduce_by");
  q.reduce_to = r.OptFixed<Count>("reduce_to");
  q.exchange_index = r.OptSmallInt("exchange_index", Req::kOptional, -1);
  q.market_ticker = r.String("market_ticker");
  if (r.ok() && q.reduce_by.has_value() == q.reduce_to.has_value()) {
    r.Fail("reduce_by", q.reduce_by ? "both reduce_by and reduce_to given (exactly one allowed)"
                                    : "one of reduce_by / reduce_to is required");
  }
  return Finish(r, std::move(q));
}

Json ToJson(const DecreaseOrderResponse& s) {
  Json json = {
      {"order_id", s.order_id}, {"remaining_count", Text(s.remaining_count)}, {"ts_ms", s.ts_ms}};
  PutIfNotEmpty(json, "client_order_id", s.client_order_id);
  return json;
}

core::Result<DecreaseOrderResponse> ParseDecreaseOrderResponse(const Json& json) {
  Reader r(json, "decrease_order_response");
  DecreaseOrderResponse s;
  s.order_id = r.String("order_id", Req::kRequired);
  s.client_order_id = r.String("client_order_id");
  s.remaining_count = r.Fixed<Count>("remaining_count", Req::kRequired);
  s.ts_ms = r.Int("ts_ms", Req::kRequired);
  return Finish(r, std::move(s));
}

// ---- batches ----------------------------------------------------------------------------------

namespace {
void ReadItemError(Reader& r, std::optional<ApiError>* out) {
  const Json* error = r.Find("error", Req::kOptional);
  if (error == nullptr || !r.ok()) return;
  auto parsed = ParseApiErrorObject(*error, 0);
  if (!parsed.ok()) {
    r.Fail("error", parsed.error().message());
    return;
  }
  *out = std::move(parsed).value();
}

core::Result<BatchCreateResult> ParseBatchCreateResultIn(const Json& json, std::string context) {
  Reader r(json, std::move(context));
  BatchCreateResult s;
  s.order_id = r.String("order_id");
  s.client_order_id = r.String("client_order_id");
  s.fill_count = r.Fixed<Count>("fill_count");
  s.remaining_count = r.Fixed<Count>("remaining_count");
  s.average_fill_price = r.OptAveragePrice("average_fill_price");
  s.average_fee_paid = r.OptFixed<Money>("average_fee_paid");
  s.ts_ms = r.Int("ts_ms");
  ReadItemError(r, &s.error);
  if (r.ok() && !s.error && s.order_id.empty()) r.Fail("order_id", "missing");
  return Finish(r, std::move(s));
}

core::Result<BatchCancelResult> ParseBatchCancelResultIn(const Json& json, std::string context) {
  Reader r(json, std::move(context));
  BatchCancelResult s;
  s.order_id = r.String("order_id");
  s.client_order_id = r.String("client_order_id");
  s.reduced_by = r.Fixed<Count>("reduced_by");
  s.ts_ms = r.Int("ts_ms");
  ReadItemError(r, &s.error);
  if (r.ok() && !s.error && s.order_id.empty()) r.Fail("order_id", "missing");
  return Finish(r, std::move(s));
}

core::Result<BatchCancelItem> ParseBatchCancelItemIn(const Json& json, std::string context) {
  Reader r(json, std::move(context));
  BatchCancelItem s;
  s.order_id = r.String("order_id", Req::kRequired);
  s.subaccount = r.OptSmallInt("subaccount", Req::kOptional, 0);
  s.exchange_index = r.OptSmallInt("exchange_index", Req::kOptional, -1);
  s.market_ticker = r.String("market_ticker");
  return Finish(r, std::move(s));
}

template <typename T, typename F>
core::Result<std::vector<T>> ParseOrdersArray(const Json& json, std::string context, F parse) {
  Reader r(json, std::move(context));
  std::vector<T> out;
  KF_RETURN_IF_ERROR(ReadArray<T>(r, "orders", Req::kRequired, parse, &out));
  return out;
}

template <typename T>
Json OrdersArray(std::span<const T> items) {
  Json array = Json::array();
  for (const T& item : items) array.push_back(ToJson(item));
  return Json{{"orders", std::move(array)}};
}
}  // namespace

Json ToJson(const BatchCreateResult& s) {
  Json json = Json::object();
  PutIfNotEmpty(json, "order_id", s.order_id);
  PutIfNotEmpty(json, "client_order_id", s.client_order_id);
  if (s.error) {
    json["fill_count"] = nullptr;
    json["remaining_count"] = nullptr;
    json["error"] = ToJson(*s.error);
  } else {
    json["fill_count"] = Text(s.fill_count);
    json["remaining_count"] = Text(s.remaining_count);
    json["ts_ms"] = s.ts_ms;
  }
  PutOptFixed(json, "average_fill_price", s.average_fill_price);
  PutOptFixed(json, "average_fee_paid", s.average_fee_paid);
  return json;
}
core::Result<BatchCreateResult> ParseBatchCreateResult(const Json& json) {
  return ParseBatchCreateResultIn(json, "batch_create_result");
}

Json ToJson(const BatchCancelResult& s) {
  Json json = Json::object();
  PutIfNotEmpty(json, "order_id", s.order_id);
  PutIfNotEmpty(json, "client_order_id", s.client_order_id);
  if (s.error) {
    json["reduced_by"] = nullptr;
    json["error"] = ToJson(*s.error);
  } else {
    json["reduced_by"] = Text(s.reduced_by);
    json["ts_ms"] = s.ts_ms;
  }
  return json;
}
core::Result<BatchCancelResult> ParseBatchCancelResult(const Json& json) {
  return ParseBatchCancelResultIn(json, "batch_cancel_result");
}

Json ToJson(const BatchCancelItem& s) {
  Json json = {{"order_id", s.order_id}};
  PutOpt(json, "subaccount", s.subaccount);
  PutOpt(json, "exchange_index", s.exchange_index);
  PutIfNotEmpty(json, "market_ticker", s.market_ticker);
  return json;
}
core::Result<BatchCancelItem> ParseBatchCancelItem(const Json& json) {
  return ParseBatchCancelItemIn(json, "batch_cancel_item");
}

Json BatchCreateRequestToJson(std::span<const CreateOrderRequest> orders) {
  return OrdersArray(orders);
}
core::Result<std::vector<CreateOrderRequest>> ParseBatchCreateRequest(const Json& json) {
  return ParseOrdersArray<CreateOrderRequest>(json, "batch_create", ParseCreateOrderRequestIn);
}
Json BatchCreateResponseToJson(std::span<const BatchCreateResult> results) {
  return OrdersArray(results);
}
core::Result<std::vector<BatchCreateResult>> ParseBatchCreateResponse(const Json& json) {
  return ParseOrdersArray<BatchCreateResult>(json, "batch_create_response",
                                             ParseBatchCreateResultIn);
}
Json BatchCancelRequestToJson(std::span<const BatchCancelItem> items) { return OrdersArray(items); }
core::Result<std::vector<BatchCancelItem>> ParseBatchCancelRequest(const Json& json) {
  return ParseOrdersArray<BatchCancelItem>(json, "batch_cancel", ParseBatchCancelItemIn);
}
Json BatchCancelResponseToJson(std::span<const BatchCancelResult> results) {
  return OrdersArray(results);
}
core::Result<std::vector<BatchCancelResult>> ParseBatchCancelResponse(const Json& json) {
  return ParseOrdersArray<BatchCancelResult>(json, "batch_cancel_response",
                                             ParseBatchCancelResultIn);
}

// ---- Order ------------------------------------------------------------------------------------

namespace {
void ReadOrderFields(Reader& r, Order* o) {
  o->order_id = r.String("order_id", Req::kRequired);
  o->user_id = r.String("user_id");
  o->client_order_id = r.String("client_order_id");
  o->ticker = r.String("ticker", Req::kRequired);
  ReadSides(r, &o->outcome_side, &o->book_side);
  o->type = r.OptString("type").value_or("limit");
  o->status =
      r.OptEnum("status", Req::kRequired, ParseOrderStatus, kStatusExpected).value_or(o->status);
  o->yes_price = r.Fixed<Price>("yes_price_dollars", Req::kRequired);
  o->fill_count = r.Fixed<Count>("fill_count_fp", Req::kRequired);
  o->remaining_count = r.Fixed<Count>("remaining_count_fp", Req::kRequired);
  o->initial_count =
      r.OptFixed<Count>("initial_count_fp").value_or(o->fill_count + o->remaining_count);
  o->taker_fill_cost = r.Fixed<Money>("taker_fill_cost_dollars");
  o->maker_fill_cost = r.Fixed<Money>("maker_fill_cost_dollars");
  o->taker_fees = r.Fixed<Money>("taker_fees_dollars");
  o->maker_fees = r.Fixed<Money>("maker_fees_dollars");
  o->expiration_time = r.OptString("expiration_time");
  o->created_time = r.String("created_time");
  o->last_update_time = r.String("last_update_time");
  o->self_trade_prevention = r.OptEnum("self_trade_prevention_type", Req::kOptional,
                                       ParseSelfTradePrevention, kStpExpected);
  o->order_group_id = r.String("order_group_id");
  o->cancel_order_on_pause = r.Bool("cancel_order_on_pause");
  o->subaccount_number = r.SmallInt("subaccount_number");
  o->exchange_index = r.SmallInt("exchange_index");
}

core::Result<Order> ParseOrderIn(const Json& json, std::string context) {
  Reader r(json, std::move(context));
  Order o;
  ReadOrderFields(r, &o);
  return Finish(r, std::move(o));
}
}  // namespace

Json ToJson(const Order& o) {
  Json json = {{"order_id", o.order_id},
               {"user_id", o.user_id},
               {"client_order_id", o.client_order_id},
               {"ticker", o.ticker},
               {"outcome_side", core::OutcomeSideName(o.outcome_side)},
               {"book_side", core::BookSideName(o.book_side)},
               {"type", o.type},
               {"status", OrderStatusName(o.status)},
               {"yes_price_dollars", Text(o.yes_price)},
               {"no_price_dollars", Text(o.yes_price.Complement())},
               {"fill_count_fp", Text(o.fill_count)},
               {"remaining_count_fp", Text(o.remaining_count)},
               {"initial_count_fp", Text(o.initial_count)},
               {"taker_fill_cost_dollars", Text(o.taker_fill_cost)},
               {"maker_fill_cost_dollars", Text(o.maker_fill_cost)},
               {"taker_fees_dollars", Text(o.taker_fees)},
               {"maker_fees_dollars", Text(o.maker_fees)},
               {"cancel_order_on_pause", o.cancel_order_on_pause},
               {"subaccount_number", o.subaccount_number},
               {"exchange_index", o.exchange_index}};
  PutOpt(json, "expiration_time", o.expiration_time);
  PutIfNotEmpty(json, "created_time", o.created_time);
  PutIfNotEmpty(json, "last_update_time", o.last_update_time);
  if (o.self_trade_prevention) {
    json["self_trade_prevention_type"] = SelfTradePreventionName(*o.self_trade_prevention);
  }
  PutIfNotEmpty(json, "order_group_id", o.order_group_id);
  return json;
}

core::Result<Order> ParseOrder(const Json& json) { return ParseOrderIn(json, "order"); }

Json ToJson(const OrdersPage& page) {
  Json orders = Json::array();
  for (const Order& o : page.orders) orders.push_back(ToJson(o));
  return Json{{"orders", std::move(orders)}, {"cursor", page.cursor}};
}

core::Result<OrdersPage> ParseOrdersPage(const Json& json) {
  Reader r(json, "orders_page");
  OrdersPage page;
  KF_RETURN_IF_ERROR(ReadArray<Order>(r, "orders", Req::kRequired, ParseOrderIn, &page.orders));
  page.cursor = r.String("cursor");
  return Finish(r, std::move(page));
}

// ---- portfolio --------------------------------------------------------------------------------

namespace {
core::Result<MarketPositionRecord> ParseMarketPositionIn(const Json& json, std::string context) {
  Reader r(json, std::move(context));
  MarketPositionRecord p;
  p.ticker = r.String("ticker", Req::kRequired);
  p.exchange_index = r.SmallInt("exchange_index");
  p.total_traded = r.Fixed<Money>("total_traded_dollars");
  p.position = r.Fixed<Count>("position_fp", Req::kRequired);
  p.market_exposure = r.Fixed<Money>("market_exposure_dollars");
  p.realized_pnl = r.Fixed<Money>("realized_pnl_dollars");
  p.fees_paid = r.Fixed<Money>("fees_paid_dollars");
  p.last_updated_ts = r.String("last_updated_ts");
  return Finish(r, std::move(p));
}

core::Result<EventPositionRecord> ParseEventPositionIn(const Json& json, std::string context) {
  Reader r(json, std::move(context));
  EventPositionRecord p;
  p.event_ticker = r.String("event_ticker", Req::kRequired);
  p.total_cost = r.Fixed<Money>("total_cost_dollars");
  p.total_cost_shares = r.Fixed<Count>("total_cost_shares_fp");
  p.event_exposure = r.Fixed<Money>("event_exposure_dollars");
  p.realized_pnl = r.Fixed<Money>("realized_pnl_dollars");
  p.fees_paid = r.Fixed<Money>("fees_paid_dollars");
  return Finish(r, std::move(p));
}

core::Result<FillRecord> ParseFillRecordIn(const Json& json, std::string context) {
  Reader r(json, std::move(context));
  FillRecord f;
  f.fill_id = r.String("fill_id");
  if (f.fill_id.empty()) f.fill_id = r.String("trade_id");
  if (r.ok() && f.fill_id.empty()) r.Fail("fill_id", "missing");
  f.order_id = r.String("order_id", Req::kRequired);
  f.ticker = r.String("ticker");
  if (f.ticker.empty()) f.ticker = r.String("market_ticker");
  if (r.ok() && f.ticker.empty()) r.Fail("ticker", "missing");
  f.exchange_index = r.SmallInt("exchange_index");
  ReadSides(r, &f.outcome_side, &f.book_side, /*legacy_fill=*/true);
  f.count = r.Fixed<Count>("count_fp", Req::kRequired);
  f.yes_price = r.Fixed<Price>("yes_price_dollars", Req::kRequired);
  f.is_taker = r.Bool("is_taker");
  f.created_time = r.String("created_time");
  f.fee_cost = r.Fixed<Money>("fee_cost");
  f.subaccount_number = r.SmallInt("subaccount_number");
  f.ts = r.Int("ts");
  return Finish(r, std::move(f));
}

core::Result<SettlementRecord> ParseSettlementIn(const Json& json, std::string context) {
  Reader r(json, std::move(context));
  SettlementRecord s;
  s.ticker = r.String("ticker", Req::kRequired);
  s.exchange_index = r.SmallInt("exchange_index");
  s.event_ticker = r.String("event_ticker");
  s.market_result = r.String("market_result", Req::kRequired);
  s.yes_count = r.Fixed<Count>("yes_count_fp");
  s.yes_total_cost = r.Fixed<Money>("yes_total_cost_dollars");
  s.no_count = r.Fixed<Count>("no_count_fp");
  s.no_total_cost = r.Fixed<Money>("no_total_cost_dollars");
  s.revenue_cents = r.Int("revenue");
  s.settled_time = r.String("settled_time");
  s.fee_cost = r.Fixed<Money>("fee_cost");
  s.value_cents = r.OptInt("value");
  return Finish(r, std::move(s));
}

core::Result<OrderGroup> ParseOrderGroupIn(const Json& json, std::string context) {
  Reader r(json, std::move(context));
  OrderGroup g;
  g.id = r.String("id", Req::kRequired);
  g.contracts_limit = r.OptFixed<Count>("contracts_limit_fp");
  g.is_auto_cancel_enabled = r.Bool("is_auto_cancel_enabled");
  g.exchange_index = r.SmallInt("exchange_index");
  return Finish(r, std::move(g));
}
}  // namespace

Json ToJson(const MarketPositionRecord& p) {
  Json json = {{"ticker", p.ticker},
               {"exchange_index", p.exchange_index},
               {"total_traded_dollars", Text(p.total_traded)},
               {"position_fp", Text(p.position)},
               {"market_exposure_dollars", Text(p.market_exposure)},
               {"realized_pnl_dollars", Text(p.realized_pnl)},
               {"fees_paid_dollars", Text(p.fees_paid)}};
  PutIfNotEmpty(json, "last_updated_ts", p.last_updated_ts);
  return json;
}
core::Result<MarketPositionRecord> ParseMarketPositionRecord(const Json& json) {
  return ParseMarketPositionIn(json, "market_position");
}

Json ToJson(const EventPositionRecord& p) {
  return Json{{"event_ticker", p.event_ticker},
              {"total_cost_dollars", Text(p.total_cost)},
              {"total_cost_shares_fp", Text(p.total_cost_shares)},
              {"event_exposure_dollars", Text(p.event_exposure)},
              {"realized_pnl_dollars", Text(p.realized_pnl)},
              {"fees_paid_dollars", Text(p.fees_paid)}};
}
core::Result<EventPositionRecord> ParseEventPositionRecord(const Json& json) {
  return ParseEventPositionIn(json, "event_position");
}

Json ToJson(const PositionsPage& page) {
  Json markets = Json::array();
  for (const auto& p : page.market_positions) markets.push_back(ToJson(p));
  Json events = Json::array();
  for (const auto& p : page.event_positions) events.push_back(ToJson(p));
  return Json{{"market_positions", std::move(markets)},
              {"event_positions", std::move(events)},
              {"cursor", page.cursor}};
}
core::Result<PositionsPage> ParsePositionsPage(const Json& json) {
  Reader r(json, "positions_page");
  PositionsPage page;
  KF_RETURN_IF_ERROR(ReadArray<MarketPositionRecord>(
      r, "market_positions", Req::kOptional, ParseMarketPositionIn, &page.market_positions));
  KF_RETURN_IF_ERROR(ReadArray<EventPositionRecord>(r, "event_positions", Req::kOptional,
                                                    ParseEventPositionIn, &page.event_positions));
  page.cursor = r.String("cursor");
  return Finish(r, std::move(page));
}

Json ToJson(const Balance& b) {
  return Json{{"balance", b.balance_cents},
              {"balance_dollars", Text(b.balance)},
              {"portfolio_value", b.portfolio_value_cents},
              {"updated_ts", b.updated_ts}};
}
core::Result<Balance> ParseBalance(const Json& json) {
  Reader r(json, "balance");
  Balance b;
  b.balance_cents = r.Int("balance", Req::kRequired);
  b.balance = r.OptFixed<Money>("balance_dollars").value_or(Money::FromCents(b.balance_cents));
  b.portfolio_value_cents = r.Int("portfolio_value");
  b.updated_ts = r.Int("updated_ts");
  return Finish(r, std::move(b));
}

Json ToJson(const FillRecord& f) {
  Json json = {{"fill_id", f.fill_id},
               {"trade_id", f.fill_id},
               {"order_id", f.order_id},
               {"ticker", f.ticker},
               {"market_ticker", f.ticker},
               {"exchange_index", f.exchange_index},
               {"outcome_side", core::OutcomeSideName(f.outcome_side)},
               {"book_side", core::BookSideName(f.book_side)},
               {"count_fp", Text(f.count)},
               {"yes_price_dollars", Text(f.yes_price)},
               {"no_price_dollars", Text(f.yes_price.Complement())},
               {"is_taker", f.is_taker},
               {"fee_cost", Text(f.fee_cost)},
               {"subaccount_number", f.subaccount_number},
               {"ts", f.ts}};
  PutIfNotEmpty(json, "created_time", f.created_time);
  return json;
}
core::Result<FillRecord> ParseFillRecord(const Json& json) {
  return ParseFillRecordIn(json, "fill_record");
}

Json ToJson(const FillsPage& page) {
  Json fills = Json::array();
  for (const auto& f : page.fills) fills.push_back(ToJson(f));
  return Json{{"fills", std::move(fills)}, {"cursor", page.cursor}};
}
core::Result<FillsPage> ParseFillsPage(const Json& json) {
  Reader r(json, "fills_page");
  FillsPage page;
  KF_RETURN_IF_ERROR(
      ReadArray<FillRecord>(r, "fills", Req::kRequired, ParseFillRecordIn, &page.fills));
  page.cursor = r.String("cursor");
  return Finish(r, std::move(page));
}

Json ToJson(const SettlementRecord& s) {
  Json json = {{"ticker", s.ticker},
               {"exchange_index", s.exchange_index},
               {"event_ticker", s.event_ticker},
               {"market_result", s.market_result},
               {"yes_count_fp", Text(s.yes_count)},
               {"yes_total_cost_dollars", Text(s.yes_total_cost)},
               {"no_count_fp", Text(s.no_count)},
               {"no_total_cost_dollars", Text(s.no_total_cost)},
               {"revenue", s.revenue_cents},
               {"settled_time", s.settled_time},
               {"fee_cost", Text(s.fee_cost)}};
  PutOpt(json, "value", s.value_cents);
  return json;
}
core::Result<SettlementRecord> ParseSettlementRecord(const Json& json) {
  return ParseSettlementIn(json, "settlement");
}

Json ToJson(const SettlementsPage& page) {
  Json items = Json::array();
  for (const auto& s : page.settlements) items.push_back(ToJson(s));
  return Json{{"settlements", std::move(items)}, {"cursor", page.cursor}};
}
core::Result<SettlementsPage> ParseSettlementsPage(const Json& json) {
  Reader r(json, "settlements_page");
  SettlementsPage page;
  KF_RETURN_IF_ERROR(ReadArray<SettlementRecord>(r, "settlements", Req::kRequired,
                                                 ParseSettlementIn, &page.settlements));
  page.cursor = r.String("cursor");
  return Finish(r, std::move(page));
}

// ---- order groups -----------------------------------------------------------------------------

Json ToJson(const OrderGroup& g) {
  Json json = {{"id", g.id},
               {"is_auto_cancel_enabled", g.is_auto_cancel_enabled},
               {"exchange_index", g.exchange_index}};
  PutOptFixed(json, "contracts_limit_fp", g.contracts_limit);
  return json;
}
core::Result<OrderGroup> ParseOrderGroup(const Json& json) {
  return ParseOrderGroupIn(json, "order_group");
}
Json OrderGroupsToJson(std::span<const OrderGroup> groups) {
  Json items = Json::array();
  for (const auto& g : groups) items.push_back(ToJson(g));
  return Json{{"order_groups", std::move(items)}};
}
core::Result<std::vector<OrderGroup>> ParseOrderGroups(const Json& json) {
  Reader r(json, "order_groups_response");
  std::vector<OrderGroup> out;
  KF_RETURN_IF_ERROR(
      ReadArray<OrderGroup>(r, "order_groups", Req::kOptional, ParseOrderGroupIn, &out));
  return out;
}

Json ToJson(const OrderGroupDetail& d) {
  Json json = {{"is_auto_cancel_enabled", d.is_auto_cancel_enabled},
               {"orders", d.orders},
               {"exchange_index", d.exchange_index}};
  PutOptFixed(json, "contracts_limit_fp", d.contracts_limit);
  return json;
}
core::Result<OrderGroupDetail> ParseOrderGroupDetail(const Json& json) {
  Reader r(json, "order_group_detail");
  OrderGroupDetail d;
  d.is_auto_cancel_enabled = r.Bool("is_auto_cancel_enabled");
  d.contracts_limit = r.OptFixed<Count>("contracts_limit_fp");
  d.exchange_index = r.SmallInt("exchange_index");
  if (const Json* orders = r.Array("orders", Req::kOptional); orders != nullptr) {
    for (std::size_t i = 0; i < orders->size(); ++i) {
      const Json& id = (*orders)[i];
      if (!id.is_string()) {
        r.Fail(fmt::format("orders[{}]", i),
               fmt::format("expected a string, got {}", id.type_name()));
        break;
      }
      d.orders.push_back(id.get<std::string>());
    }
  }
  return Finish(r, std::move(d));
}

Json ToJson(const OrderGroupLimitRequest& q) {
  Json json = {{"contracts_limit_fp", Text(q.contracts_limit)}};
  PutOpt(json, "subaccount", q.subaccount);
  PutOpt(json, "exchange_index", q.exchange_index);
  return json;
}
core::Result<OrderGroupLimitRequest> ParseOrderGroupLimitRequest(const Json& json) {
  Reader r(json, "order_group_limit");
  OrderGroupLimitRequest q;
  auto fp = r.OptFixed<Count>("contracts_limit_fp");
  auto whole = r.OptInt("contracts_limit");
  if (fp) {
    q.contracts_limit = *fp;
  } else if (whole) {
    q.contracts_limit = Count::FromContracts(*whole);
  } else if (r.ok()) {
    r.Fail("contracts_limit_fp", "missing (or integer contracts_limit)");
  }
  q.subaccount = r.OptSmallInt("subaccount", Req::kOptional, 0);
  q.exchange_index = r.OptSmallInt("exchange_index", Req::kOptional, -1);
  return Finish(r, std::move(q));
}

Json ToJson(const CreateOrderGroupResponse& s) {
  return Json{{"order_group_id", s.order_group_id},
              {"subaccount", s.subaccount},
              {"exchange_index", s.exchange_index}};
}
core::Result<CreateOrderGroupResponse> ParseCreateOrderGroupResponse(const Json& json) {
  Reader r(json, "create_order_group_response");
  CreateOrderGroupResponse s;
  s.order_group_id = r.String("order_group_id", Req::kRequired);
  s.subaccount = r.SmallInt("subaccount");
  s.exchange_index = r.SmallInt("exchange_index");
  return Finish(r, std::move(s));
}

// ---- private WebSocket messages ---------------------------------------------------------------

namespace {
core::Result<FillMessage> ParseFillIn(const Json& msg) {
  Reader r(msg, std::string(kFillType));
  FillMessage m;
  m.trade_id = r.String("trade_id", Req::kRequired);
  m.order_id = r.String("order_id", Req::kRequired);
  m.market_ticker = r.String("market_ticker", Req::kRequired);
  m.exchange_index = r.SmallInt("exchange_index");
  m.is_taker = r.Bool("is_taker", Req::kRequired);
  ReadSides(r, &m.outcome_side, &m.book_side, /*legacy_fill=*/true);
  m.yes_price = r.Fixed<Price>("yes_price_dollars", Req::kRequired);
  m.count = r.Fixed<Count>("count_fp", Req::kRequired);
  m.fee_cost = r.Fixed<Money>("fee_cost");
  m.post_position = r.Fixed<Count>("post_position_fp");
  m.client_order_id = r.String("client_order_id");
  m.subaccount = r.SmallInt("subaccount");
  m.ts_ms = r.Int("ts_ms");
  if (r.ok() && m.ts_ms == 0) {
    if (auto ts = r.OptInt("ts")) m.ts_ms = *ts * 1'000;  // deprecated seconds fallback
  }
  return Finish(r, std::move(m));
}

core::Result<UserOrderMessage> ParseUserOrderIn(const Json& msg) {
  Reader r(msg, std::string(kUserOrderType));
  UserOrderMessage m;
  ReadOrderFields(r, &m.order);
  m.last_update_reason = r.String("last_update_reason");
  m.created_ts_ms = r.OptInt("created_ts_ms");
  m.last_updated_ts_ms = r.OptInt("last_updated_ts_ms");
  m.expiration_ts_ms = r.OptInt("expiration_ts_ms");
  return Finish(r, std::move(m));
}

core::Result<MarketPositionMessage> ParseMarketPositionMsgIn(const Json& msg) {
  Reader r(msg, std::string(kMarketPositionType));
  MarketPositionMessage m;
  m.user_id = r.String("user_id");
  m.market_ticker = r.String("market_ticker", Req::kRequired);
  m.position = r.Fixed<Count>("position_fp", Req::kRequired);
  m.position_cost = r.Fixed<Money>("position_cost_dollars");
  m.realized_pnl = r.Fixed<Money>("realized_pnl_dollars");
  m.fees_paid = r.Fixed<Money>("fees_paid_dollars");
  m.position_fee_cost = r.Fixed<Money>("position_fee_cost_dollars");
  m.volume = r.Fixed<Count>("volume_fp");
  m.subaccount = r.SmallInt("subaccount");
  return Finish(r, std::move(m));
}

core::Result<OrderGroupUpdateMessage> ParseOrderGroupUpdateIn(const Json& msg) {
  Reader r(msg, std::string(kOrderGroupUpdatesType));
  OrderGroupUpdateMessage m;
  m.event_type =
      r.OptEnum("event_type", Req::kRequired, ParseOrderGroupEventType, kGroupEventExpected)
          .value_or(m.event_type);
  m.order_group_id = r.String("order_group_id", Req::kRequired);
  m.contracts_limit = r.OptFixed<Count>("contracts_limit_fp");
  m.ts_ms = r.Int("ts_ms");
  return Finish(r, std::move(m));
}

std::string Envelope(std::string_view type, int64_t sid, std::optional<int64_t> seq, Json msg) {
  Json json = {{"type", type}, {"sid", sid}, {"msg", std::move(msg)}};
  if (seq) json["seq"] = *seq;
  return json.dump();
}
}  // namespace

Json ToJson(const FillMessage& m) {
  Json json = {{"trade_id", m.trade_id},
               {"order_id", m.order_id},
               {"market_ticker", m.market_ticker},
               {"exchange_index", m.exchange_index},
               {"is_taker", m.is_taker},
               {"outcome_side", core::OutcomeSideName(m.outcome_side)},
               {"book_side", core::BookSideName(m.book_side)},
               {"yes_price_dollars", Text(m.yes_price)},
               {"count_fp", Text(m.count)},
               {"fee_cost", Text(m.fee_cost)},
               {"post_position_fp", Text(m.post_position)},
               {"subaccount", m.subaccount},
               {"ts_ms", m.ts_ms}};
  PutIfNotEmpty(json, "client_order_id", m.client_order_id);
  return json;
}
core::Result<FillMessage> ParseFillMessage(const Json& msg) { return ParseFillIn(msg); }

Json ToJson(const UserOrderMessage& m) {
  Json json = ToJson(m.order);
  PutIfNotEmpty(json, "last_update_reason", m.last_update_reason);
  PutOpt(json, "created_ts_ms", m.created_ts_ms);
  PutOpt(json, "last_updated_ts_ms", m.last_updated_ts_ms);
  PutOpt(json, "expiration_ts_ms", m.expiration_ts_ms);
  return json;
}
core::Result<UserOrderMessage> ParseUserOrderMessage(const Json& msg) {
  return ParseUserOrderIn(msg);
}

Json ToJson(const MarketPositionMessage& m) {
  return Json{{"user_id", m.user_id},
              {"market_ticker", m.market_ticker},
              {"position_fp", Text(m.position)},
              {"position_cost_dollars", Text(m.position_cost)},
              {"realized_pnl_dollars", Text(m.realized_pnl)},
              {"fees_paid_dollars", Text(m.fees_paid)},
              {"position_fee_cost_dollars", Text(m.position_fee_cost)},
              {"volume_fp", Text(m.volume)},
              {"subaccount", m.subaccount}};
}
core::Result<MarketPositionMessage> ParseMarketPositionMessage(const Json& msg) {
  return ParseMarketPositionMsgIn(msg);
}

Json ToJson(const OrderGroupUpdateMessage& m) {
  Json json = {{"event_type", OrderGroupEventTypeName(m.event_type)},
               {"order_group_id", m.order_group_id},
               {"ts_ms", m.ts_ms}};
  PutOptFixed(json, "contracts_limit_fp", m.contracts_limit);
  return json;
}
core::Result<OrderGroupUpdateMessage> ParseOrderGroupUpdateMessage(const Json& msg) {
  return ParseOrderGroupUpdateIn(msg);
}

core::Result<PrivateMessage> ParsePrivateMessage(std::string_view frame) {
  const Json json = Json::parse(frame, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return core::InvalidArgumentError(
        fmt::format("private message: malformed JSON: {}", Quote(frame)));
  }
  Reader envelope(json, "private_message");
  const std::string type = envelope.String("type", Req::kRequired);
  if (!envelope.ok()) return envelope.status();
  const bool known = type == kFillType || type == kUserOrderType || type == kMarketPositionType ||
                     type == kOrderGroupUpdatesType;
  if (!known) {
    return core::NotFoundError(fmt::format("not a private message: type {}", Quote(type)));
  }
  Reader r(json, type);
  const int64_t sid = r.Int("sid", Req::kRequired);
  const std::optional<int64_t> seq = r.OptInt("seq");
  const Json* msg = r.Find("msg", Req::kRequired);
  if (!r.ok()) return r.status();

  auto with_envelope = [&](auto parsed) -> core::Result<PrivateMessage> {
    if (!parsed.ok()) return parsed.error();
    auto value = std::move(parsed).value();
    value.sid = sid;
    if constexpr (std::is_same_v<decltype(value), OrderGroupUpdateMessage>) value.seq = seq;
    return PrivateMessage(std::move(value));
  };
  if (type == kFillType) return with_envelope(ParseFillIn(*msg));
  if (type == kUserOrderType) return with_envelope(ParseUserOrderIn(*msg));
  if (type == kMarketPositionType) return with_envelope(ParseMarketPositionMsgIn(*msg));
  return with_envelope(ParseOrderGroupUpdateIn(*msg));
}

std::string EncodePrivateMessage(int64_t sid, std::optional<int64_t> seq, const FillMessage& m) {
  return Envelope(kFillType, sid, seq, ToJson(m));
}
std::string EncodePrivateMessage(int64_t sid, std::optional<int64_t> seq,
                                 const UserOrderMessage& m) {
  return Envelope(kUserOrderType, sid, seq, ToJson(m));
}
std::string EncodePrivateMessage(int64_t sid, std::optional<int64_t> seq,
                                 const MarketPositionMessage& m) {
  return Envelope(kMarketPositionType, sid, seq, ToJson(m));
}
std::string EncodePrivateMessage(int64_t sid, std::optional<int64_t> seq,
                                 const OrderGroupUpdateMessage& m) {
  return Envelope(kOrderGroupUpdatesType, sid, seq, ToJson(m));
}

}  // namespace kalshiflow::kalshi
