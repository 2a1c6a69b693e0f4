// Inputs of the portfolio features (35-46) and the order features (47-51), in core's exact
// integer types. The caller owns all memory (spans), so building an observation never
// allocates.
//
// Source: ../shared/spec/observation-kalshiflow-v1.md, "Inputs" (cash and portfolio value in
// cents, positions per market as +YES / -NO contracts with cost basis in cents), "Portfolio
// features 35-46", "Order features 47-51"; DESIGN §3 (positions netted per market).
//
// Units and conversions (features/units.h):
//   cash, portfolio_value, cost_basis: core::Money (1e-6 $); cents = units / 10,000.
//   position: core::Count (1/100 contract), + YES / - NO; contracts = units / 100.
//   mark: the market's exact YES mid (byb + bya, price units of 1/10,000 $).
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "book/order_book.h"
#include "core/fixed_point.h"
#include "features/book_stats.h"

namespace kalshiflow::features {

/// One market's net position.
struct PositionInput {
  core::Count position;    // + YES contracts / - NO contracts; 0 = flat (skipped)
  core::Money cost_basis;  // what the position cost, >= 0 normally (cents = units / 10,000)
  /// The market's current YES mid, twice (byb + bya) in price units, from that market's own
  /// book (MarkOf). nullopt when either YES side is missing: the position is then valued at
  /// 0.5 (spec: val_i = |pos_i| * yes_mid_price_i * 100, v1 values NO positions at the YES mid
  /// as well).
  std::optional<int64_t> yes_mid_twice;
};

/// The YES mid of `book` for PositionInput::yes_mid_twice.
inline std::optional<int64_t> MarkOf(const book::OrderBook& book) {
  return SummarizeBook(book).yes_mid_twice();
}

/// The account as the portfolio features see it.
struct PortfolioInput {
  core::Money cash;             // c: available cash
  core::Money portfolio_value;  // pv: cash + positions as the simulator / order manager marks
                                // them; at or below 0.01 cent only cash_ratio = 1 is reported
  std::span<const PositionInput> positions;  // any order; flat entries are ignored
};

/// The market's working orders (the order manager's view). `kalshiflow-v1` ignores it: its
/// models were trained with zeros in 47-51 (original names has_open_buy, has_open_sell,
/// buy_distance, sell_distance, time_since_order), so the actor must send zeros too. Kept in
/// the inputs so later specs can use it without changing callers.
struct WorkingOrderState {
  std::optional<core::Price> open_buy_price;   // resting buy on the YES leg, if any
  std::optional<core::Price> open_sell_price;  // resting sell on the YES leg, if any
  std::optional<int64_t> placed_ts_ms;         // when the oldest working order was placed
};

}  // namespace kalshiflow::features
