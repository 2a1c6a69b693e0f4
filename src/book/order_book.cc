#include "book/order_book.h"

#include <algorithm>
#include <array>

namespace kalshiflow::book {

using core::Count;
using core::OutcomeSide;
using core::Price;
using core::PriceLevel;

namespace {

constexpr std::array<std::string_view, kBookErrorCount> kBookErrorNames = {
    "no_snapshot",     "stale",          "price_out_of_range", "off_grid",  "bad_size",
    "duplicate_level", "unknown_market", "invalid_ticker",     "wrong_sid", "invalid_seq"};
constexpr std::array<std::string_view, kBookErrorCount> kBookErrorEnumerators = {
    "kNoSnapshot",     "kStale",         "kPriceOutOfRange", "kOffGrid",  "kBadSize",
    "kDuplicateLevel", "kUnknownMarket", "kInvalidTicker",   "kWrongSid", "kInvalidSeq"};

bool PriceLess(const PriceLevel& a, const PriceLevel& b) { return a.price < b.price; }

// Index of the level with `price` or of the insertion point (first level with a higher
// price). Deltas cluster at the top of book (the back), so scan a few levels from the back
// before falling back to a binary search.
std::size_t FindSlot(const std::vector<PriceLevel>& levels, Price price) {
  constexpr std::size_t kLinearScan = 8;
  std::size_t i = levels.size();
  const std::size_t stop = i > kLinearScan ? i - kLinearScan : 0;
  while (i > stop && levels[i - 1].price > price) --i;
  if (i > stop || i == 0) {
    // levels[i - 1].price <= price (or i == 0): the slot is i, or i - 1 on an exact match.
    if (i > 0 && levels[i - 1].price == price) return i - 1;
    return i;
  }
  // Everything scanned was above `price`: binary search the rest [0, stop).
  auto it = std::lower_bound(levels.begin(), levels.begin() + static_cast<std::ptrdiff_t>(stop),
                             PriceLevel{price, Count()}, PriceLess);
  return static_cast<std::size_t>(it - levels.begin());
}

}  // namespace

std::string_view BookErrorName(BookError error) {
  const auto i = static_cast<std::size_t>(error);
  return i < kBookErrorCount ? kBookErrorNames[i] : "unknown";
}

std::optional<BookError> ParseBookError(std::string_view text) {
  for (std::size_t i = 0; i < kBookErrorCount; ++i) {
    if (text == kBookErrorNames[i] || text == kBookErrorEnumerators[i]) {
      return static_cast<BookError>(i);
    }
  }
  return std::nullopt;
}

std::string_view DeltaEffectName(DeltaEffect effect) {
  switch (effect) {
    case DeltaEffect::kInserted:
      return "inserted";
    case DeltaEffect::kChanged:
      return "changed";
    case DeltaEffect::kRemoved:
      return "removed";
    case DeltaEffect::kClamped:
      return "clamped";
    case DeltaEffect::kNoop:
      return "noop";
  }
  return "unknown";
}

Price MidPrice::Floor() const {
  // Floor division (twice_units is non-negative for real books, but be exact anyway).
  int64_t q = twice_units / 2;
  if (twice_units < 0 && twice_units % 2 != 0) --q;
  return Price::FromUnits(q);
}

OrderBook::OrderBook(std::string_view ticker, PriceGrid grid)
    : ticker_(ticker), grid_(std::move(grid)) {}

std::optional<BookError> OrderBook::CheckPrice(Price price) const {
  if (!price.IsTradable()) return BookError::kPriceOutOfRange;
  if (!grid_.IsOnGrid(price)) return BookError::kOffGrid;
  return std::nullopt;
}

void OrderBook::Record(const UpdateInfo& info) {
  if (info.seq != 0) last_seq_ = info.seq;
  if (info.exchange_ts_ms) last_exchange_ts_ms_ = info.exchange_ts_ms;
}

std::optional<BookError> OrderBook::PrepareSide(std::span<const PriceLevel> in,
                                                std::vector<PriceLevel>& out) const {
  out.clear();
  for (const PriceLevel& level : in) {
    // A zero-size level is an absent level (the decoder accepts size >= 0): skip it rather than
    // refusing the snapshot, which would leave the market stale until the next one.
    if (level.count.IsZero()) continue;
    if (auto err = CheckPrice(level.price)) return err;
    if (level.count.IsNegative() || level.count.units() > kMaxLevelSize) {
      return BookError::kBadSize;
    }
    out.push_back(level);
  }
  if (!std::is_sorted(out.begin(), out.end(), PriceLess)) {
    std::sort(out.begin(), out.end(), PriceLess);
  }
  for (std::size_t i = 1; i < out.size(); ++i) {
    if (out[i].price == out[i - 1].price) return BookError::kDuplicateLevel;
  }
  return std::nullopt;
}

std::optional<BookError> OrderBook::ApplySnapshot(std::span<const PriceLevel> yes_bids,
                                                  std::span<const PriceLevel> no_bids,
                                                  const UpdateInfo& info) {
  std::optional<BookError> err = PrepareSide(yes_bids, staging_yes_);
  if (!err) err = PrepareSide(no_bids, staging_no_);
  if (err) {
    ++counters_.rejected;
    return err;
  }
  yes_.swap(staging_yes_);
  no_.swap(staging_no_);
  has_snapshot_ = true;
  stale_ = false;
  ++counters_.snapshots;
  Record(info);
  return std::nullopt;
}

core::Result<DeltaEffect, BookError> OrderBook::ApplyDelta(OutcomeSide side, Price price,
                                                           Count delta, const UpdateInfo& info) {
  const auto reject = [this](BookError e) {
    ++counters_.rejected;
    return core::Err(e);
  };
  if (!has_snapshot_) [[unlikely]]
    return reject(BookError::kNoSnapshot);
  if (stale_) [[unlikely]]
    return reject(BookError::kStale);
  if (auto err = CheckPrice(price)) [[unlikely]]
    return reject(*err);
  const int64_t d = delta.units();
  if (d > kMaxLevelSize || d < -kMaxLevelSize) [[unlikely]]
    return reject(BookError::kBadSize);

  std::vector<PriceLevel>& levels = MutableBids(side);
  const std::size_t slot = FindSlot(levels, price);
  const bool exists = slot < levels.size() && levels[slot].price == price;
  const int64_t old_size = exists ? levels[slot].count.units() : 0;
  const int64_t new_size = old_size + d;  // |both| <= kMaxLevelSize: no overflow
  if (new_size > kMaxLevelSize) [[unlikely]]
    return reject(BookError::kBadSize);

  DeltaEffect effect;
  if (d == 0) {
    effect = DeltaEffect::kNoop;
  } else if (new_size > 0) {
    if (exists) {
      levels[slot].count = Count::FromUnits(new_size);
      effect = DeltaEffect::kChanged;
    } else {
      levels.insert(levels.begin() + static_cast<std::ptrdiff_t>(slot),
                    PriceLevel{price, Count::FromUnits(new_size)});
      effect = DeltaEffect::kInserted;
    }
  } else {
    if (exists) levels.erase(levels.begin() + static_cast<std::ptrdiff_t>(slot));
    if (new_size < 0) {
      effect = DeltaEffect::kClamped;
      ++counters_.clamped;
    } else {
      effect = DeltaEffect::kRemoved;
    }
  }
  ++counters_.deltas;
  Record(info);
  return effect;
}

void OrderBook::Clear() {
  yes_.clear();
  no_.clear();
  has_snapshot_ = false;
  stale_ = false;
  last_seq_ = 0;
  last_exchange_ts_ms_.reset();
}

std::optional<PriceLevel> OrderBook::BestBid(OutcomeSide side) const {
  const auto bids = Bids(side);
  if (bids.empty()) return std::nullopt;
  return bids.back();
}

std::optional<PriceLevel> OrderBook::BestAsk(OutcomeSide side) const {
  const auto other = Bids(core::Opposite(side));
  if (other.empty()) return std::nullopt;
  return PriceLevel{other.back().price.Complement(), other.back().count};
}

std::optional<MidPrice> OrderBook::Mid(OutcomeSide side) const {
  const auto bid = BestBid(side);
  const auto ask = BestAsk(side);
  if (!bid || !ask) return std::nullopt;
  return MidPrice{bid->price.units() + ask->price.units()};
}

std::optional<Price> OrderBook::Spread(OutcomeSide side) const {
  const auto bid = BestBid(side);
  const auto ask = BestAsk(side);
  if (!bid || !ask) return std::nullopt;
  return ask->price - bid->price;
}

std::size_t OrderBook::TopBids(OutcomeSide side, std::span<PriceLevel> out) const {
  const auto bids = Bids(side);
  const std::size_t n = std::min(out.size(), bids.size());
  for (std::size_t i = 0; i < n; ++i) out[i] = bids[bids.size() - 1 - i];
  return n;
}

std::size_t OrderBook::TopAsks(OutcomeSide side, std::span<PriceLevel> out) const {
  const auto other = Bids(core::Opposite(side));
  const std::size_t n = std::min(out.size(), other.size());
  for (std::size_t i = 0; i < n; ++i) {
    const PriceLevel& l = other[other.size() - 1 - i];
    out[i] = PriceLevel{l.price.Complement(), l.count};
  }
  return n;
}

std::vector<PriceLevel> OrderBook::TopBids(OutcomeSide side, std::size_t n) const {
  std::vector<PriceLevel> out(std::min(n, Bids(side).size()));
  TopBids(side, std::span<PriceLevel>(out));
  return out;
}

std::vector<PriceLevel> OrderBook::TopAsks(OutcomeSide side, std::size_t n) const {
  std::vector<PriceLevel> out(std::min(n, Bids(core::Opposite(side)).size()));
  TopAsks(side, std::span<PriceLevel>(out));
  return out;
}

Count OrderBook::BidSizeAt(OutcomeSide side, Price price) const {
  const auto bids = Bids(side);
  auto it = std::lower_bound(bids.begin(), bids.end(), PriceLevel{price, Count()}, PriceLess);
  return (it != bids.end() && it->price == price) ? it->count : Count();
}

Count OrderBook::AskSizeAt(OutcomeSide side, Price price) const {
  return BidSizeAt(core::Opposite(side), price.Complement());
}

Count OrderBook::BidDepthTo(OutcomeSide side, Price limit) const {
  Count total;
  const auto bids = Bids(side);
  for (auto it = bids.rbegin(); it != bids.rend() && it->price >= limit; ++it) total += it->count;
  return total;
}

Count OrderBook::AskDepthTo(OutcomeSide side, Price limit) const {
  return BidDepthTo(core::Opposite(side), limit.Complement());
}

Count OrderBook::TotalBidSize(OutcomeSide side) const {
  Count total;
  for (const PriceLevel& l : Bids(side)) total += l.count;
  return total;
}

bool OrderBook::IsCrossed() const {
  if (yes_.empty() || no_.empty()) return false;
  return yes_.back().price + no_.back().price > Price::OneDollar();
}

bool OrderBook::IsLocked() const {
  if (yes_.empty() || no_.empty()) return false;
  return yes_.back().price + no_.back().price == Price::OneDollar();
}

}  // namespace kalshiflow::book
