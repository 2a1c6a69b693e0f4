// All books of one connection: ticker -> OrderBook, sid -> markets, applied through the
// per-sid Sequencer.
//
// Source: PROTOCOL.md §3.5 (seq per sid across all its markets; a gap makes every book on
// the sid suspect; resync with `update_subscription` action `get_snapshot`; discard deltas
// for a market until its snapshot has arrived), DESIGN.md §2 "Life of a delta", §3 "Sequence".
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "book/order_book.h"
#include "book/price_grid.h"
#include "book/sequencer.h"
#include "core/fixed_point.h"
#include "core/market.h"
#include "core/status.h"

namespace kalshiflow::book {

/// What BookSet did with one message.
struct ApplyOutcome {
  SeqVerdict verdict = SeqVerdict::kApply;  // the Sequencer's classification
  bool applied = false;                     // the book changed (the message was applied)
  /// Why a message the sequencer let through (kApply, or a snapshot on kGap) was refused.
  std::optional<BookError> error;
  /// For an applied delta: what it did to its level.
  std::optional<DeltaEffect> effect;
  /// The market's book, or nullptr when there is none.
  OrderBook* book = nullptr;
};

/// Totals kept by a BookSet (monotonic). The sequencer's own totals are in sequencer().
struct BookSetCounters {
  uint64_t snapshots_applied = 0;
  uint64_t deltas_applied = 0;
  uint64_t duplicates_dropped = 0;  // snapshots and deltas with seq <= last_seq
  uint64_t gaps = 0;                // gaps detected (on any message with a seq)
  uint64_t gap_dropped_deltas = 0;  // the delta that revealed a gap (its book is now stale)
  uint64_t books_marked_stale = 0;  // live books turned stale by gaps, DropSid, Reset
  std::array<uint64_t, kBookErrorCount> errors{};  // refusals by BookError
};

/// Options of a BookSet.
struct BookSetOptions {
  Sequencer::Options sequencer;
  /// A snapshot for a ticker without a book creates one (default grid: any 4-dp price).
  /// When false, only markets added with AddMarket are kept (others -> kUnknownMarket).
  bool create_on_snapshot = true;
};

/// The books of one WebSocket connection. Applies `orderbook_snapshot` / `orderbook_delta`
/// messages in the order received, checking (sid, seq) with a Sequencer:
///  * kApply: the message goes to its market's book.
///  * kDuplicate: dropped, nothing changes.
///  * kGap: every book bound to the sid is marked stale (deltas refused with kStale); the
///    caller asks for snapshots of MarketsNeedingSnapshot(sid) (`get_snapshot`). A snapshot
///    that reveals the gap is itself applied; a delta that reveals it is dropped.
///  * Snapshots that arrive later on the same sid continue its seq and make their book live.
///
/// Binding: a market belongs to the sid whose snapshot it last received (or BindMarket).
/// A delta is applied only when its sid is the market's sid and that sid delivered the
/// market's snapshot; otherwise kNoSnapshot (no snapshot on this subscription) or kWrongSid
/// (the market is live on another sid).
///
/// The hot path (ApplyDelta on a known market) does not allocate: tickers are looked up by
/// std::string_view (heterogeneous lookup). Books have stable addresses for the BookSet's
/// lifetime. Thread-compatible: one writer (the collector's strand); readers need external
/// synchronisation with it.
class BookSet {
 public:
  static constexpr int64_t kNoSid = -1;

  explicit BookSet(BookSetOptions options = {});
  BookSet(const BookSet&) = delete;
  BookSet& operator=(const BookSet&) = delete;
  BookSet(BookSet&&) = default;
  BookSet& operator=(BookSet&&) = default;

  // ---- markets --------------------------------------------------------------------------

  /// Adds a market (or returns the existing book, whose grid is then replaced by `grid`).
  /// InvalidArgument when the ticker fails core::ValidateTicker.
  core::Result<OrderBook*> AddMarket(std::string_view ticker, PriceGrid grid = PriceGrid());
  /// The market's book, or nullptr. No allocation.
  OrderBook* Find(std::string_view ticker);
  const OrderBook* Find(std::string_view ticker) const;
  /// Number of markets.
  std::size_t size() const { return markets_.size(); }
  /// Every book in insertion order.
  void ForEachBook(const std::function<void(const OrderBook&)>& fn) const;

  /// Declares that `ticker` is subscribed on `sid` before its snapshot arrives (so a gap
  /// lists it in MarketsNeedingSnapshot). Creates the book if needed (InvalidArgument for a
  /// bad ticker). Moving a market to another sid marks its book stale until that sid's
  /// snapshot.
  core::Status BindMarket(int64_t sid, std::string_view ticker);
  /// The sid a market is bound to, or kNoSid.
  int64_t SidOf(std::string_view ticker) const;

  // ---- messages -------------------------------------------------------------------------

  /// An `orderbook_snapshot` (sid, seq) for `ticker`: YES bids and NO bids (NO-leg prices),
  /// `ts_ms` when the message carried one. See the class comment for the sequencing rules;
  /// book errors: kPriceOutOfRange, kOffGrid, kBadSize, kDuplicateLevel (book unchanged and
  /// marked stale), kUnknownMarket, kInvalidTicker, kInvalidSeq.
  ApplyOutcome ApplySnapshot(int64_t sid, int64_t seq, std::string_view ticker,
                             std::span<const core::PriceLevel> yes_bids,
                             std::span<const core::PriceLevel> no_bids,
                             std::optional<int64_t> ts_ms = std::nullopt);

  /// An `orderbook_delta` (sid, seq): `level(side, price) += delta` on `ticker`'s book.
  /// Book errors: kNoSnapshot, kWrongSid, kStale, kPriceOutOfRange, kOffGrid, kBadSize,
  /// kUnknownMarket (create_on_snapshot = false and never added), kInvalidSeq.
  ApplyOutcome ApplyDelta(int64_t sid, int64_t seq, std::string_view ticker, core::OutcomeSide side,
                          core::Price price, core::Count delta,
                          std::optional<int64_t> ts_ms = std::nullopt);

  /// Any other message carrying (sid, seq) on a book sid (e.g. `ok` acks): advances the
  /// sequence, and a gap marks the sid's books stale as above.
  SeqVerdict ObserveSeq(int64_t sid, int64_t seq);

  // ---- resync ---------------------------------------------------------------------------

  /// Markets bound to `sid` that need a snapshot (stale, or none received on this sid),
  /// in binding order. Views stay valid while the market exists (i.e. for the BookSet's life).
  std::vector<std::string_view> MarketsNeedingSnapshot(int64_t sid) const;
  /// All markets bound to `sid`, in binding order.
  std::vector<std::string_view> MarketsOnSid(int64_t sid) const;
  /// Sids with at least one market needing a snapshot.
  std::vector<int64_t> SidsNeedingSnapshot() const;
  /// Marks every book of `sid` stale (e.g. a channel error that requires a resubscribe).
  void MarkSidStale(int64_t sid);
  /// Unsubscribed: forgets the sid's seq, unbinds its markets and marks their books stale.
  void DropSid(int64_t sid);
  /// New connection: forgets every sid and marks every book stale.
  void Reset();

  const Sequencer& sequencer() const { return sequencer_; }
  const BookSetCounters& counters() const { return counters_; }

 private:
  struct Market {
    std::unique_ptr<OrderBook> book;
    int64_t sid = kNoSid;
    bool snapshot_on_sid = false;  // `sid` delivered the snapshot the book holds
  };
  struct SidMarkets {
    int64_t sid;
    std::vector<uint32_t> markets;  // indexes into markets_
  };
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  Market* FindMarket(std::string_view ticker);
  const Market* FindMarket(std::string_view ticker) const;
  core::Result<uint32_t> CreateMarket(std::string_view ticker, PriceGrid grid);
  SidMarkets* FindSid(int64_t sid);
  const SidMarkets* FindSid(int64_t sid) const;
  void Bind(uint32_t index, int64_t sid);
  void Unbind(uint32_t index);
  void MarkStale(Market& market);
  void OnGap(int64_t sid);
  ApplyOutcome Fail(ApplyOutcome outcome, BookError error);

  BookSetOptions options_;
  Sequencer sequencer_;
  std::vector<Market> markets_;
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> index_;
  std::vector<SidMarkets> sids_;
  BookSetCounters counters_;
};

}  // namespace kalshiflow::book
