#include "kalshi/frame_encoder.h"

#include <charconv>

#include "core/check.h"

namespace kalshiflow::kalshi {
namespace {

void AppendInt(std::string& out, int64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out.append(buf, static_cast<std::size_t>(end - buf));
}

void AppendDecimal(std::string& out, int64_t units, int decimals) {
  char buf[core::kMaxDecimalChars];
  out.append(buf, core::FormatDecimal(units, decimals, buf));
}

// Appends `"<price with 4 decimals>"`.
void AppendPrice(std::string& out, core::Price price) {
  out.push_back('"');
  AppendDecimal(out, price.units(), core::Price::kDecimals);
  out.push_back('"');
}

void AppendCount(std::string& out, core::Count count) {
  out.push_back('"');
  AppendDecimal(out, count.units(), core::Count::kDecimals);
  out.push_back('"');
}

// Appends a JSON string literal with the escapes RFC 8259 requires.
void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run_start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + run_start, i - run_start);
    run_start = i + 1;
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      default: {
        char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out.append(esc, sizeof(esc));
      }
    }
  }
  out.append(text.data() + run_start, text.size() - run_start);
  out.push_back('"');
}

// `,"key":` (the key is a literal without characters needing escapes).
void AppendKey(std::string& out, std::string_view key) {
  out.push_back(',');
  out.push_back('"');
  out.append(key);
  out.append("\":");
}

// Floor division for negative timestamps.
int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

void Append2(std::string& out, unsigned v) {
  out.push_back(static_cast<char>('0' + v / 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

// Appends "YYYY-MM-DDTHH:MM:SSZ" for Unix seconds (Howard Hinnant's civil_from_days).
void AppendRfc3339Seconds(std::string& out, int64_t unix_seconds) {
  int64_t days = FloorDiv(unix_seconds, 86'400);
  int64_t secs = unix_seconds - days * 86'400;
  int64_t z = days + 719'468;
  int64_t era = FloorDiv(z, 146'097);
  auto doe = static_cast<unsigned>(z - era * 146'097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t year = static_cast<int64_t>(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  unsigned day = doy - (153 * mp + 2) / 5 + 1;
  unsigned month = mp < 10 ? mp + 3 : mp - 9;
  if (month <= 2) ++year;
  out.push_back('"');
  if (year >= 0 && year <= 9999) {
    auto y = static_cast<unsigned>(year);
    Append2(out, y / 100);
    Append2(out, y % 100);
  } else {
    AppendInt(out, year);  // out of RFC 3339's range; still unambiguous
  }
  out.push_back('-');
  Append2(out, month);
  out.push_back('-');
  Append2(out, day);
  out.push_back('T');
  auto s = static_cast<unsigned>(secs);
  Append2(out, s / 3600);
  out.push_back(':');
  Append2(out, (s / 60) % 60);
  out.push_back(':');
  Append2(out, s % 60);
  out.append("Z\"");
}

void AppendLevels(std::string& out, std::string_view key,
                  std::span<const core::PriceLevel> levels) {
  if (levels.empty()) return;
  AppendKey(out, key);
  out.push_back('[');
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (i != 0) out.push_back(',');
    out.push_back('[');
    AppendPrice(out, levels[i].price);
    out.push_back(',');
    AppendCount(out, levels[i].count);
    out.push_back(']');
  }
  out.push_back(']');
}

void AppendStringArray(std::string& out, std::span<const std::string_view> items) {
  out.push_back('[');
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i != 0) out.push_back(',');
    AppendJsonString(out, items[i]);
  }
  out.push_back(']');
}

// Opens {"type":"<type>","sid":S[,"seq":Q],"msg":{"<first_key>":
void OpenChannelFrame(std::string& out, std::string_view type, int64_t sid,
                      std::optional<int64_t> seq) {
  out.append("{\"type\":\"");
  out.append(type);
  out.append("\",\"sid\":");
  AppendInt(out, sid);
  if (seq.has_value()) {
    out.append(",\"seq\":");
    AppendInt(out, *seq);
  }
  out.append(",\"msg\":{");
}

// Writes the leading `{["id":I,]["sid":S,]["seq":Q,]` of a command response; returns whether
// anything was written (so the caller knows whether `"type"` needs a leading comma).
bool OpenResponse(std::string& out, int64_t id, int64_t sid, std::optional<int64_t> seq) {
  out.push_back('{');
  bool any = false;
  auto sep = [&] {
    if (any) out.push_back(',');
    any = true;
  };
  if (id != 0) {
    sep();
    out.append("\"id\":");
    AppendInt(out, id);
  }
  if (sid != 0) {
    sep();
    out.append("\"sid\":");
    AppendInt(out, sid);
  }
  if (seq.has_value()) {
    sep();
    out.append("\"seq\":");
    AppendInt(out, *seq);
  }
  return any;
}

void AppendType(std::string& out, bool after_field, std::string_view type) {
  if (after_field) out.push_back(',');
  out.append("\"type\":\"");
  out.append(type);
  out.push_back('"');
}

}  // namespace

void EncodeOrderbookSnapshot(int64_t sid, int64_t seq, const OrderbookSnapshot& snapshot,
                             std::string& out) {
  OpenChannelFrame(out, "orderbook_snapshot", sid, seq);
  out.append("\"market_ticker\":");
  AppendJsonString(out, snapshot.market_ticker);
  if (!snapshot.market_id.empty()) {
    AppendKey(out, "market_id");
    AppendJsonString(out, snapshot.market_id);
  }
  AppendLevels(out, "yes_dollars_fp", snapshot.yes_bids);
  AppendLevels(out, "no_dollars_fp", snapshot.no_bids);
  out.append("}}");
}

void EncodeOrderbookDelta(int64_t sid, int64_t seq, const OrderbookDelta& delta, std::string& out) {
  OpenChannelFrame(out, "orderbook_delta", sid, seq);
  out.append("\"market_ticker\":");
  AppendJsonString(out, delta.market_ticker);
  if (!delta.market_id.empty()) {
    AppendKey(out, "market_id");
    AppendJsonString(out, delta.market_id);
  }
  AppendKey(out, "price_dollars");
  AppendPrice(out, delta.price);
  AppendKey(out, "delta_fp");
  AppendCount(out, delta.delta);
  out.append(delta.side == core::OutcomeSide::kYes ? ",\"side\":\"yes\"" : ",\"side\":\"no\"");
  if (!delta.client_order_id.empty()) {
    AppendKey(out, "client_order_id");
    AppendJsonString(out, delta.client_order_id);
  }
  if (delta.subaccount.has_value()) {
    AppendKey(out, "subaccount");
    AppendInt(out, *delta.subaccount);
  }
  if (delta.ts_ms.has_value()) {
    AppendKey(out, "ts_ms");
    AppendInt(out, *delta.ts_ms);
  }
  out.append("}}");
}

void EncodeTrade(int64_t sid, std::optional<int64_t> seq, const Trade& trade, std::string& out) {
  OpenChannelFrame(out, "trade", sid, seq);
  out.append("\"trade_id\":");
  AppendJsonString(out, trade.trade_id);
  AppendKey(out, "market_ticker");
  AppendJsonString(out, trade.market_ticker);
  AppendKey(out, "yes_price_dollars");
  AppendPrice(out, trade.yes_price);
  AppendKey(out, "no_price_dollars");
  AppendPrice(out, trade.no_price);
  AppendKey(out, "count_fp");
  AppendCount(out, trade.count);
  std::string_view outcome = core::OutcomeSideName(trade.taker_outcome_side);
  AppendKey(out, "taker_side");
  AppendJsonString(out, outcome);
  AppendKey(out, "taker_outcome_side");
  AppendJsonString(out, outcome);
  AppendKey(out, "taker_book_side");
  AppendJsonString(out, core::BookSideName(trade.taker_book_side));
  AppendKey(out, "is_block_trade");
  out.append(trade.is_block_trade ? "true" : "false");
  AppendKey(out, "ts");
  AppendInt(out, FloorDiv(trade.ts_ms, 1000));
  AppendKey(out, "ts_ms");
  AppendInt(out, trade.ts_ms);
  out.append("}}");
}

void EncodeTicker(int64_t sid, const Ticker& ticker, std::string& out) {
  OpenChannelFrame(out, "ticker", sid, std::nullopt);
  out.append("\"market_ticker\":");
  AppendJsonString(out, ticker.market_ticker);
  if (!ticker.market_id.empty()) {
    AppendKey(out, "market_id");
    AppendJsonString(out, ticker.market_id);
  }
  AppendKey(out, "price_dollars");
  AppendPrice(out, ticker.last_price);
  AppendKey(out, "yes_bid_dollars");
  AppendPrice(out, ticker.yes_bid);
  AppendKey(out, "yes_ask_dollars");
  AppendPrice(out, ticker.yes_ask);
  AppendKey(out, "volume_fp");
  AppendCount(out, ticker.volume);
  AppendKey(out, "open_interest_fp");
  AppendCount(out, ticker.open_interest);
  AppendKey(out, "dollar_volume");
  AppendInt(out, ticker.dollar_volume);
  AppendKey(out, "dollar_open_interest");
  AppendInt(out, ticker.dollar_open_interest);
  if (ticker.yes_bid_size.has_value()) {
    AppendKey(out, "yes_bid_size_fp");
    AppendCount(out, *ticker.yes_bid_size);
  }
  if (ticker.yes_ask_size.has_value()) {
    AppendKey(out, "yes_ask_size_fp");
    AppendCount(out, *ticker.yes_ask_size);
  }
  if (ticker.last_trade_size.has_value()) {
    AppendKey(out, "last_trade_size_fp");
    AppendCount(out, *ticker.last_trade_size);
  }
  int64_t seconds = FloorDiv(ticker.ts_ms, 1000);
  AppendKey(out, "ts");
  AppendInt(out, seconds);
  AppendKey(out, "ts_ms");
  AppendInt(out, ticker.ts_ms);
  AppendKey(out, "time");
  AppendRfc3339Seconds(out, seconds);
  out.append("}}");
}

void EncodeSubscribed(int64_t id, std::string_view channel_name, int64_t sid, std::string& out) {
  bool any = OpenResponse(out, id, 0, std::nullopt);
  AppendType(out, any, "subscribed");
  out.append(",\"msg\":{\"channel\":");
  AppendJsonString(out, channel_name);
  out.append(",\"sid\":");
  AppendInt(out, sid);
  out.append("}}");
}

void EncodeOkMarkets(int64_t id, int64_t sid, std::optional<int64_t> seq,
                     std::span<const std::string_view> market_tickers,
                     std::span<const std::string_view> market_ids, std::string& out) {
  bool any = OpenResponse(out, id, sid, seq);
  AppendType(out, any, "ok");
  out.append(",\"msg\":{\"market_tickers\":");
  AppendStringArray(out, market_tickers);
  if (!market_ids.empty()) {
    AppendKey(out, "market_ids");
    AppendStringArray(out, market_ids);
  }
  out.append("}}");
}

void EncodeOkSubscriptionList(int64_t id, std::span<const SubscriptionEntry> subscriptions,
                              std::string& out) {
  bool any = OpenResponse(out, id, 0, std::nullopt);
  AppendType(out, any, "ok");
  out.append(",\"msg\":[");
  for (std::size_t i = 0; i < subscriptions.size(); ++i) {
    if (i != 0) out.push_back(',');
    out.append("{\"channel\":");
    AppendJsonString(out, subscriptions[i].channel_name);
    out.append(",\"sid\":");
    AppendInt(out, subscriptions[i].sid);
    out.push_back('}');
  }
  out.append("]}");
}

void EncodeError(int64_t id, int64_t sid, std::optional<int64_t> seq, const ErrorBody& error,
                 std::string& out) {
  bool any = OpenResponse(out, id, sid, seq);
  AppendType(out, any, "error");
  out.append(",\"msg\":{\"code\":");
  AppendInt(out, error.code);
  AppendKey(out, "msg");
  AppendJsonString(out, error.message);
  if (!error.market_ticker.empty()) {
    AppendKey(out, "market_ticker");
    AppendJsonString(out, error.market_ticker);
  }
  if (!error.market_id.empty()) {
    AppendKey(out, "market_id");
    AppendJsonString(out, error.market_id);
  }
  if (!error.market_tickers.empty()) {
    AppendKey(out, "market_tickers");
    AppendStringArray(out, error.market_tickers);
  }
  out.append("}}");
}

void EncodeUnsubscribed(int64_t id, int64_t sid, int64_t seq, std::string& out) {
  bool any = OpenResponse(out, id, sid, seq);
  AppendType(out, any, "unsubscribed");
  out.push_back('}');
}

core::Status EncodeMessage(const Message& m, std::string& out) {
  auto need_seq = [&]() -> core::Status {
    if (!m.seq.has_value()) {
      return core::InvalidArgumentError(std::string("EncodeMessage: ") +
                                        std::string(MessageTypeName(m.type)) + " needs a seq");
    }
    return core::Status::Ok();
  };
  switch (m.type) {
    case MessageType::kOrderbookSnapshot:
      KF_RETURN_IF_ERROR(need_seq());
      EncodeOrderbookSnapshot(m.sid, *m.seq, m.snapshot, out);
      return core::Status::Ok();
    case MessageType::kOrderbookDelta:
      KF_RETURN_IF_ERROR(need_seq());
      EncodeOrderbookDelta(m.sid, *m.seq, m.delta, out);
      return core::Status::Ok();
    case MessageType::kTrade:
      EncodeTrade(m.sid, m.seq, m.trade, out);
      return core::Status::Ok();
    case MessageType::kTicker:
      EncodeTicker(m.sid, m.ticker, out);
      return core::Status::Ok();
    case MessageType::kSubscribed:
      EncodeSubscribed(m.id, m.subscribed.channel_name, m.subscribed.sid, out);
      return core::Status::Ok();
    case MessageType::kOk:
      if (m.ok.shape == OkShape::kSubscriptionList) {
        EncodeOkSubscriptionList(m.id, m.ok.subscriptions, out);
      } else {
        EncodeOkMarkets(m.id, m.sid, m.seq, m.ok.market_tickers, m.ok.market_ids, out);
      }
      return core::Status::Ok();
    case MessageType::kError:
      EncodeError(m.id, m.sid, m.seq, m.error, out);
      return core::Status::Ok();
    case MessageType::kUnsubscribed:
      KF_RETURN_IF_ERROR(need_seq());
      EncodeUnsubscribed(m.id, m.sid, *m.seq, out);
      return core::Status::Ok();
    default:
      return core::UnimplementedError(std::string("EncodeMessage: no encoder for ") +
                                      std::string(MessageTypeName(m.type)));
  }
}

}  // namespace kalshiflow::kalshi
