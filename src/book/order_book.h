// The order book of one Kalshi market: YES bids and NO bids, asks implied.
//
// Source: PROTOCOL.md §3.4 (orderbook_snapshot / orderbook_delta: "Apply a delta as
// level_qty += delta. When the result is <= 0, remove the level."), §3.6 (books are bids
// only; best YES ask = 1 - best NO bid; best NO ask = 1 - best YES bid), §4.1 (price grids),
// DESIGN.md §3 (integers for money and size; a gap marks every book of a sid stale).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "book/price_grid.h"
#include "core/fixed_point.h"
#include "core/market.h"
#include "core/status.h"
#include "core/time.h"

namespace kalshiflow::book {

/// Why the book refused a message. Every refusal leaves the book unchanged.
enum class BookError : uint8_t {
  kNoSnapshot,       // delta before the market's snapshot (on this subscription)
  kStale,            // book is stale after a sequence gap; waiting for a snapshot
  kPriceOutOfRange,  // price not strictly inside (0, 1) dollar
  kOffGrid,          // price not on the market's price grid
  kBadSize,          // snapshot level size <= 0, or |delta| / level size > kMaxLevelSize
  kDuplicateLevel,   // a snapshot lists the same price twice on one side
  kUnknownMarket,    // (BookSet) no book for this ticker and it may not be created
  kInvalidTicker,    // (BookSet) a snapshot's ticker fails core::ValidateTicker
  kWrongSid,         // (BookSet) delta on a sid other than the one that sent the snapshot
  kInvalidSeq,       // (BookSet) seq < 1 (Kalshi: `minimum: 1`)
};
inline constexpr std::size_t kBookErrorCount = 10;

/// Stable snake_case name, e.g. "no_snapshot".
std::string_view BookErrorName(BookError error);
/// Inverse of BookErrorName; also accepts the enumerator spelling ("kNoSnapshot").
std::optional<BookError> ParseBookError(std::string_view text);

/// Largest size a level may hold, and largest |delta|: 10^12 contracts (in core::Count units).
/// Far above any real market; it keeps sums over a whole side exact in int64.
inline constexpr int64_t kMaxLevelSize = 100'000'000'000'000;  // 1e14 units

/// What a successful delta did to its level.
enum class DeltaEffect : uint8_t {
  kInserted,  // a new level
  kChanged,   // an existing level changed size and stays
  kRemoved,   // the level reached exactly 0 and was removed
  kClamped,   // the result was negative: the level (if any) was removed, the excess counted
  kNoop,      // delta 0 (nothing to do)
};
std::string_view DeltaEffectName(DeltaEffect effect);

/// Exchange-side metadata carried by a message, kept on the book for later features.
struct UpdateInfo {
  int64_t seq = 0;                        // Kalshi `seq` (0 = none)
  std::optional<int64_t> exchange_ts_ms;  // Kalshi `ts_ms` when present
};

/// A mid price, exact: (bid + ask) / 2 may fall on half a core::Price unit.
struct MidPrice {
  int64_t twice_units = 0;  // bid.units() + ask.units()
  /// In dollars, for features and reports only (never for money).
  double Dollars() const { return static_cast<double>(twice_units) / 20'000.0; }
  /// Rounded down to a whole core::Price unit.
  core::Price Floor() const;
  friend bool operator==(const MidPrice&, const MidPrice&) = default;
};

/// Counters kept by one book (monotonic; never reset by snapshots).
struct BookCounters {
  uint64_t snapshots = 0;  // snapshots applied
  uint64_t deltas = 0;     // deltas applied (any DeltaEffect)
  uint64_t clamped = 0;    // deltas whose result was negative (DeltaEffect::kClamped)
  uint64_t rejected = 0;   // messages refused with a BookError
};

/// The book of one market. Two ladders of *bids*: YES bids in YES-leg prices and NO bids in
/// NO-leg prices (Kalshi's default `use_yes_price=false` scale; a codec that subscribes with
/// `use_yes_price=true` must convert no-side prices with Price::Complement() first). Asks are
/// implied from the other leg's bids. Sizes are exact core::Count (1/100 contract); prices
/// are core::Price (1/10,000 dollar) on the market's PriceGrid, strictly inside (0, 1).
///
/// Layout: per side a std::vector<PriceLevel> sorted by ascending price, best (highest) bid
/// at the back, every size > 0, prices unique. Deltas cluster near the top of book, so a
/// delta is found by a short scan from the back and inserted/erased near the end.
///
/// States: no snapshot yet (deltas -> kNoSnapshot) -> live (deltas apply) -> stale (after
/// MarkStale(); deltas -> kStale; queries still answer with the last known levels) -> a
/// snapshot makes it live again. A crossed book (best YES bid + best NO bid > 1 dollar) is
/// allowed (real data is momentarily crossed); detect it with IsCrossed().
///
/// Threading: thread-compatible (one writer; concurrent const calls are fine without a
/// writer). The apply path does not allocate once a side's vector has reached its peak size.
class OrderBook {
 public:
  /// An empty book (no snapshot yet). `ticker` is kept for messages; `grid` defaults to
  /// every 4-dp price.
  explicit OrderBook(std::string_view ticker = {}, PriceGrid grid = PriceGrid());

  // ---- updates -------------------------------------------------------------------------

  /// Replaces both ladders with the given levels (any order; sorted here). Zero-size levels
  /// mean "absent" and are skipped. Validates first and changes nothing on error:
  /// kPriceOutOfRange, kOffGrid, kBadSize (size < 0 or above kMaxLevelSize), kDuplicateLevel.
  /// On success clears the stale flag, records `info` and returns nullopt; the ladders then
  /// equal the input's non-zero levels exactly (sorted).
  [[nodiscard]] std::optional<BookError> ApplySnapshot(std::span<const core::PriceLevel> yes_bids,
                                                       std::span<const core::PriceLevel> no_bids,
                                                       const UpdateInfo& info = {});

  /// `level(side, price) += delta` (delta in core::Count units, signed; `price` in that
  /// side's leg). A result <= 0 removes the level; a negative result is counted as clamped.
  /// Errors (book unchanged): kNoSnapshot, kStale, kPriceOutOfRange, kOffGrid, kBadSize
  /// (|delta| or the new size above kMaxLevelSize). Records `info` on success.
  core::Result<DeltaEffect, BookError> ApplyDelta(core::OutcomeSide side, core::Price price,
                                                  core::Count delta, const UpdateInfo& info = {});

  /// Marks the book stale (a sequence gap on its sid): deltas are refused until the next
  /// snapshot. Levels are kept for display but must not be trusted.
  void MarkStale() { stale_ = true; }
  /// Forgets all levels and the snapshot (back to the initial state); keeps grid and counters.
  void Clear();
  /// Replaces the price grid (e.g. on `price_level_structure_updated`). Existing levels are
  /// kept even if now off-grid; new messages are validated against the new grid.
  void SetPriceGrid(PriceGrid grid) { grid_ = std::move(grid); }

  // ---- state ---------------------------------------------------------------------------

  const std::string& ticker() const { return ticker_; }
  const PriceGrid& grid() const { return grid_; }
  bool has_snapshot() const { return has_snapshot_; }
  bool stale() const { return stale_; }
  /// Deltas may be applied: a snapshot was received and the book is not stale.
  bool live() const { return has_snapshot_ && !stale_; }
  /// Number of successful updates (snapshots + deltas) since construction.
  uint64_t update_count() const { return counters_.snapshots + counters_.deltas; }
  const BookCounters& counters() const { return counters_; }
  /// `seq` of the last applied message (0 if none carried one).
  int64_t last_seq() const { return last_seq_; }
  /// `ts_ms` of the last applied message that carried one.
  std::optional<int64_t> last_exchange_ts_ms() const { return last_exchange_ts_ms_; }

  // ---- queries (all prices in the asked leg's dollars) ----------------------------------

  /// All bids of `side`, ascending by price (best bid at the back). Valid until the next update.
  std::span<const core::PriceLevel> Bids(core::OutcomeSide side) const {
    return side == core::OutcomeSide::kYes ? yes_ : no_;
  }
  std::size_t BidLevelCount(core::OutcomeSide side) const { return Bids(side).size(); }

  /// Best (highest) bid of `side` with its size.
  std::optional<core::PriceLevel> BestBid(core::OutcomeSide side) const;
  /// Best (lowest) implied ask of `side`: 1 - best bid of the other leg, with that level's size.
  std::optional<core::PriceLevel> BestAsk(core::OutcomeSide side) const;
  /// (best bid + best ask) / 2 of `side`; nullopt unless both exist.
  std::optional<MidPrice> Mid(core::OutcomeSide side) const;
  /// best ask - best bid of `side` (the same number for both legs); negative when crossed.
  std::optional<core::Price> Spread(core::OutcomeSide side) const;

  /// Up to `out.size()` best bids of `side`, best first; returns how many were written.
  std::size_t TopBids(core::OutcomeSide side, std::span<core::PriceLevel> out) const;
  /// Up to `out.size()` best implied asks of `side` (in `side`'s leg), best (lowest) first.
  std::size_t TopAsks(core::OutcomeSide side, std::span<core::PriceLevel> out) const;
  /// Convenience copies of TopBids / TopAsks (allocate).
  std::vector<core::PriceLevel> TopBids(core::OutcomeSide side, std::size_t n) const;
  std::vector<core::PriceLevel> TopAsks(core::OutcomeSide side, std::size_t n) const;

  /// Size of the `side` bid at exactly `price` (0 if none).
  core::Count BidSizeAt(core::OutcomeSide side, core::Price price) const;
  /// Size of the implied `side` ask at exactly `price` (= the other leg's bid at 1 - price).
  core::Count AskSizeAt(core::OutcomeSide side, core::Price price) const;
  /// Total size of `side` bids at prices >= `limit` (what a sell down to `limit` could hit).
  core::Count BidDepthTo(core::OutcomeSide side, core::Price limit) const;
  /// Total size of implied `side` asks at prices <= `limit` (what a buy up to `limit` could lift).
  core::Count AskDepthTo(core::OutcomeSide side, core::Price limit) const;
  /// Total size on all `side` bid levels.
  core::Count TotalBidSize(core::OutcomeSide side) const;

  /// Best YES bid + best NO bid > 1 dollar (a YES buyer and a NO buyer would both be filled).
  bool IsCrossed() const;
  /// Best YES bid + best NO bid == 1 dollar (zero spread).
  bool IsLocked() const;

  /// Same bid ladders on both legs (ignores ticker, grid, flags and counters).
  bool LevelsEqual(const OrderBook& other) const { return yes_ == other.yes_ && no_ == other.no_; }

 private:
  std::vector<core::PriceLevel>& MutableBids(core::OutcomeSide side) {
    return side == core::OutcomeSide::kYes ? yes_ : no_;
  }
  std::optional<BookError> CheckPrice(core::Price price) const;
  // Validates `in` into `out` (sorted); nullopt when every level is acceptable.
  std::optional<BookError> PrepareSide(std::span<const core::PriceLevel> in,
                                       std::vector<core::PriceLevel>& out) const;
  void Record(const UpdateInfo& info);

  std::string ticker_;
  PriceGrid grid_;
  std::vector<core::PriceLevel> yes_;  // ascending price, best at back
  std::vector<core::PriceLevel> no_;   // ascending price (NO leg), best at back
  // Snapshot staging (swapped with yes_/no_ on success, so steady state does not allocate).
  std::vector<core::PriceLevel> staging_yes_;
  std::vector<core::PriceLevel> staging_no_;
  bool has_snapshot_ = false;
  bool stale_ = false;
  int64_t last_seq_ = 0;
  std::optional<int64_t> last_exchange_ts_ms_;
  BookCounters counters_;
};

}  // namespace kalshiflow::book
