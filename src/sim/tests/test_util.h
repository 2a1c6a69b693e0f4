// Short literals, a book fixture and order ops for sim tests: P("0.45") is a Price, C("10") a
// Count, M("1.25") a Money; Place / Cancel / Amend build OrderOps. The literals crash (KF_CHECK
// via Result::value) on malformed input, which is a test-authoring bug.
#pragma once

#include <initializer_list>
#include <vector>

#include "book/order_book.h"
#include "core/check.h"
#include "core/fixed_point.h"
#include "core/market.h"
#include "core/time.h"
#include "sim/order.h"

namespace kalshiflow::sim::testing {

inline constexpr core::OutcomeSide kYes = core::OutcomeSide::kYes;
inline constexpr core::OutcomeSide kNo = core::OutcomeSide::kNo;
inline constexpr core::BookSide kBid = core::BookSide::kBid;
inline constexpr core::BookSide kAsk = core::BookSide::kAsk;

inline core::Price P(const char* dollars) { return *core::Price::Parse(dollars); }
inline core::Count C(const char* contracts) { return *core::Count::Parse(contracts); }
inline core::Money M(const char* dollars) { return *core::Money::Parse(dollars); }
inline core::Timestamp T(int64_t ns) { return core::Timestamp::FromNanos(ns); }

struct Lvl {
  const char* price;
  const char* size;
};

inline std::vector<core::PriceLevel> Levels(std::initializer_list<Lvl> levels) {
  std::vector<core::PriceLevel> out;
  for (const Lvl& l : levels) out.push_back({P(l.price), C(l.size)});
  return out;
}

/// Replaces both ladders (NO side in NO-leg prices, as OrderBook stores them).
inline void Snapshot(book::OrderBook& book, std::initializer_list<Lvl> yes,
                     std::initializer_list<Lvl> no) {
  const auto err = book.ApplySnapshot(Levels(yes), Levels(no));
  KF_CHECK(!err.has_value(), "test snapshot refused");
}

/// level(side, price) += delta (contracts, signed decimal string).
inline void Delta(book::OrderBook& book, core::OutcomeSide side, const char* price,
                  const char* delta) {
  const auto r = book.ApplyDelta(side, P(price), C(delta));
  KF_CHECK(r.ok(), "test delta refused");
}

inline OrderOp Place(core::BookSide side, const char* price, const char* count,
                     TimeInForce tif = TimeInForce::kGoodTillCanceled) {
  return {OrderOpType::kPlace, 0, side, P(price), C(count), tif};
}
inline OrderOp Cancel(OrderId id) { return {OrderOpType::kCancel, id}; }
inline OrderOp Amend(OrderId id, core::BookSide side, const char* price, const char* count) {
  return {OrderOpType::kAmend, id, side, P(price), C(count)};
}

}  // namespace kalshiflow::sim::testing
