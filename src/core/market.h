// Market identifiers and the two kinds of "side" Kalshi uses.
//
// Source: PROTOCOL.md §0.3 (outcome_side / book_side), §1.2 (ticker alphabet), §3.6 (bids only).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/fixed_point.h"
#include "core/status.h"

namespace kalshiflow::core {

/// Which contract: YES or NO. (Kalshi: `outcome_side`; WebSocket book levels: `side`.)
enum class OutcomeSide { kYes, kNo };

/// Bid or ask on the YES leg of the single book (V2 orders: `book_side`/`side`).
/// `ask @ p` on YES is the same order as "buy NO @ 1 - p".
enum class BookSide { kBid, kAsk };

std::string_view OutcomeSideName(OutcomeSide side);                  // "yes" / "no"
std::string_view BookSideName(BookSide side);                        // "bid" / "ask"
std::optional<OutcomeSide> ParseOutcomeSide(std::string_view text);  // exact "yes" / "no"
std::optional<BookSide> ParseBookSide(std::string_view text);        // exact "bid" / "ask"
constexpr OutcomeSide Opposite(OutcomeSide side) {
  return side == OutcomeSide::kYes ? OutcomeSide::kNo : OutcomeSide::kYes;
}

/// One price level of a bids-only book side: `count` contracts resting at `price`.
/// For the NO side, `price` is in NO-leg dollars unless a caller documents otherwise.
struct PriceLevel {
  Price price;
  Count count;
  friend bool operator==(const PriceLevel&, const PriceLevel&) = default;
};

/// One band of a market's price-level structure (Kalshi `price_ranges[{start, end, step}]`,
/// dollar strings such as `{"start":"0.0000","end":"1.0000","step":"0.0010"}`; PROTOCOL.md
/// §4.1): valid prices are `start + k * step` for k >= 0 while <= `end` (both ends inclusive).
/// All in Price units (1/10,000 dollar). book::PriceGrid validates and uses them.
struct PriceRange {
  Price start;
  Price end;
  Price step;
  friend bool operator==(const PriceRange&, const PriceRange&) = default;
};

/// Maximum ticker length we accept (real tickers are < 64 characters).
inline constexpr std::size_t kMaxTickerLength = 128;

/// Checks a market/event/series ticker: 1..kMaxTickerLength characters from [A-Z0-9.-_].
/// Kalshi documents `^[A-Z0-9-]+$` plus '.'; '_' is tolerated for forward compatibility.
/// Returns InvalidArgument naming the offending character otherwise.
Status ValidateTicker(std::string_view ticker);

/// A validated market ticker, e.g. "KXHIGHNY-25DEC05-B32.5". Value type, thread-compatible.
class MarketTicker {
 public:
  MarketTicker() = default;
  static Result<MarketTicker> Parse(std::string_view text);
  const std::string& str() const { return value_; }
  std::string_view view() const { return value_; }
  bool empty() const { return value_.empty(); }
  friend bool operator==(const MarketTicker&, const MarketTicker&) = default;
  friend auto operator<=>(const MarketTicker&, const MarketTicker&) = default;

 private:
  explicit MarketTicker(std::string value) : value_(std::move(value)) {}
  std::string value_;
};

}  // namespace kalshiflow::core
