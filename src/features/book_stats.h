// The numbers that the `kalshiflow-v1` market features and the session temporal tracker read
// from one market's book, kept as exact integers.
//
// Source: ../shared/spec/observation-kalshiflow-v1.md, "Inputs": Kalshi books carry bids only;
// a YES ask at 1 - q with size s exists for every NO bid (q, s) and a NO ask at 1 - p for every
// YES bid (p, s). So YA = NB and NA = YB, and the YES side's levels (YES bids + YES asks) are
// exactly all levels of both ladders, as are the NO side's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "book/order_book.h"
#include "core/fixed_point.h"

namespace kalshiflow::features {

/// One book summarised. Prices in core::Price units (1/10,000 $), sizes in core::Count units
/// (1/100 contract). Value type.
struct BookStats {
  bool has_yes_bid = false;        // the YES bid ladder has a level (so a NO ask exists)
  bool has_no_bid = false;         // the NO bid ladder has a level (so a YES ask exists)
  int64_t best_yes_bid = 0;        // byb, YES-leg price units; 0 when missing
  int64_t best_no_bid = 0;         // bnb, NO-leg price units; 0 when missing
  int64_t yes_bid_size = 0;        // YB: total size of all YES bid levels
  int64_t no_bid_size = 0;         // NB: total size of all NO bid levels
  std::size_t yes_bid_levels = 0;  // number of YES bid levels (all have size > 0)
  std::size_t no_bid_levels = 0;   // number of NO bid levels
  int64_t top3_size = 0;  // sum of the 3 largest level sizes over both ladders (0 if no levels)

  bool has_yes_ask() const { return has_no_bid; }
  bool has_no_ask() const { return has_yes_bid; }
  /// bya = 1 $ - bnb, in YES-leg price units (valid when has_yes_ask()).
  int64_t best_yes_ask() const { return core::Price::kUnitsPerDollar - best_no_bid; }
  /// bna = 1 $ - byb, in NO-leg price units (valid when has_no_ask()).
  int64_t best_no_ask() const { return core::Price::kUnitsPerDollar - best_yes_bid; }
  int64_t yes_ask_size() const { return no_bid_size; }                  // YA = NB
  int64_t no_ask_size() const { return yes_bid_size; }                  // NA = YB
  int64_t yes_volume() const { return yes_bid_size + yes_ask_size(); }  // VY = YB + YA
  int64_t no_volume() const { return no_bid_size + no_ask_size(); }     // VN = NB + NA
  int64_t total_volume() const { return yes_volume() + no_volume(); }   // V = VY + VN
  /// Twice the YES mid (byb + bya) in price units, when both YES bid and YES ask exist.
  std::optional<int64_t> yes_mid_twice() const;
  /// Twice the NO mid (bnb + bna) in price units, when both exist.
  std::optional<int64_t> no_mid_twice() const;
  /// The YES mid in cents, (byb + bya) / 2 with prices in cents: twice_units / 200, rounded once.
  /// nullopt when either side is missing (the spec never substitutes 50 here).
  std::optional<double> yes_mid_cents() const;
};

/// Summarises `book` (its current ladders, whatever its live/stale state). O(levels), no
/// allocation. Sums are exact: book::kMaxLevelSize keeps them inside int64.
BookStats SummarizeBook(const book::OrderBook& book);

}  // namespace kalshiflow::features
