#include "features/book_stats.h"

#include <span>

#include "core/market.h"

namespace kalshiflow::features {

std::optional<int64_t> BookStats::yes_mid_twice() const {
  if (!has_yes_bid || !has_yes_ask()) return std::nullopt;
  return best_yes_bid + best_yes_ask();
}

std::optional<int64_t> BookStats::no_mid_twice() const {
  if (!has_no_bid || !has_no_ask()) return std::nullopt;
  return best_no_bid + best_no_ask();
}

std::optional<double> BookStats::yes_mid_cents() const {
  const std::optional<int64_t> twice = yes_mid_twice();
  if (!twice) return std::nullopt;
  // (byb + bya) / 2 cents = twice_units / (2 * 100 units per cent).
  return static_cast<double>(*twice) / 200.0;
}

namespace {

// Keeps the three largest values seen (top[0] >= top[1] >= top[2]).
struct Top3 {
  int64_t top[3] = {0, 0, 0};
  void Add(int64_t v) {
    if (v > top[0]) {
      top[2] = top[1];
      top[1] = top[0];
      top[0] = v;
    } else if (v > top[1]) {
      top[2] = top[1];
      top[1] = v;
    } else if (v > top[2]) {
      top[2] = v;
    }
  }
  int64_t Sum() const { return top[0] + top[1] + top[2]; }
};

int64_t SumSide(std::span<const core::PriceLevel> levels, Top3& top3) {
  int64_t sum = 0;
  for (const core::PriceLevel& level : levels) {
    sum += level.count.units();
    top3.Add(level.count.units());
  }
  return sum;
}

}  // namespace

BookStats SummarizeBook(const book::OrderBook& book) {
  BookStats s;
  const std::span<const core::PriceLevel> yes = book.Bids(core::OutcomeSide::kYes);
  const std::span<const core::PriceLevel> no = book.Bids(core::OutcomeSide::kNo);
  // Ladders are ascending by price with the best bid at the back (book/order_book.h).
  if (!yes.empty()) {
    s.has_yes_bid = true;
    s.best_yes_bid = yes.back().price.units();
  }
  if (!no.empty()) {
    s.has_no_bid = true;
    s.best_no_bid = no.back().price.units();
  }
  Top3 top3;
  s.yes_bid_size = SumSide(yes, top3);
  s.no_bid_size = SumSide(no, top3);
  s.yes_bid_levels = yes.size();
  s.no_bid_levels = no.size();
  s.top3_size = top3.Sum();
  return s;
}

}  // namespace kalshiflow::features
