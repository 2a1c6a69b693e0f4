// Helpers for features tests: books built from whole cents and contracts (or exact units).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

#include "book/order_book.h"
#include "core/fixed_point.h"
#include "core/market.h"

namespace kalshiflow::features::testing {

/// A level at `cents` cents with `contracts` contracts.
inline core::PriceLevel CentLevel(int64_t cents, int64_t contracts) {
  return {core::Price::FromCents(cents), core::Count::FromContracts(contracts)};
}

/// A level at `price_units` (1/10,000 $) with `count_units` (1/100 contract).
inline core::PriceLevel UnitLevel(int64_t price_units, int64_t count_units) {
  return {core::Price::FromUnits(price_units), core::Count::FromUnits(count_units)};
}

/// A live book from YES bid and NO bid levels (NO-leg prices); the default grid takes every
/// 4-dp price. Fails the test if the snapshot is refused.
inline book::OrderBook MakeBook(std::vector<core::PriceLevel> yes_bids,
                                std::vector<core::PriceLevel> no_bids) {
  book::OrderBook book("KXTEST-25DEC13-T1");
  auto error = book.ApplySnapshot(yes_bids, no_bids, {.seq = 1});
  EXPECT_FALSE(error.has_value()) << book::BookErrorName(*error);
  return book;
}

/// The spec's worked book: YES bids {45: 1000, 44: 500}, NO bids {54: 600, 53: 300}.
inline book::OrderBook WorkedBook() {
  return MakeBook({CentLevel(45, 1000), CentLevel(44, 500)},
                  {CentLevel(54, 600), CentLevel(53, 300)});
}

}  // namespace kalshiflow::features::testing
