// The live side of the observation pipeline: every update the collector accepted, fed in
// arrival order, keeps the same state the training loader derives from a recorded session —
// the session TemporalTracker, each market's data points (maximal runs of that market's
// consecutive updates with the same ms timestamp) and its MarketHistory of previous points —
// so that an observation built here for a market's current point equals the training
// environment's for that point (DESIGN §7, issue 5 "train/serve parity").
//
// Source: ../shared/spec/observation-kalshiflow-v1.md ("Inputs", "Session temporal inputs");
// env::SessionData / ReplayEnv::BuildObservation are the training side of the same rules.
//
// Threading: not thread-safe; ActorService serialises Ingest (collector thread) and
// Snapshot (actor thread) with its own mutex.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "book/order_book.h"
#include "features/data_point_clock.h"
#include "features/market_history.h"
#include "features/temporal_tracker.h"

namespace kalshiflow::actor {

/// One accepted book update as the actor is told about it (after the write queue took it).
struct AcceptedUpdate {
  std::string_view market_ticker;
  int64_t seq = 0;                        // the orderbook seq of the frame (decision events)
  std::optional<int64_t> exchange_ts_ms;  // Kalshi's ts_ms when the frame carries one
  int64_t local_ms = 0;                   // local receive time, ms since the epoch
  const book::OrderBook* book = nullptr;  // the market's book after the update (copied here)
};

/// A market's state for one decision, copied out under the actor's lock.
struct MarketSnapshot {
  uint32_t market = 0;
  std::string market_ticker;
  book::OrderBook book;
  features::MarketHistory history;     // previous points, excluding `current`
  features::ObservationPoint current;  // the market's current (latest) data point
  int64_t seq = 0;                     // seq of the latest update
  int64_t updates = 0;                 // accepted updates of this market so far
};

class LiveFeatures {
 public:
  /// Updates held before the session's first exchange time are given up on (timed on local
  /// receive time) past this many, so a stream without exchange times still flows.
  static constexpr std::size_t kMaxHeld = 10'000;

  /// Feeds one accepted update, timed by the shared features::DataPointClock. Appends to
  /// `ingested` the dense index (stable for the session) of every market whose state changed:
  /// none while the update is held (no exchange time seen yet in the session; its book is
  /// copied), the held ones and this one once an exchange time arrives.
  void Ingest(const AcceptedUpdate& update, std::vector<uint32_t>* ingested);

  /// Copies the market's state into `out` (reusing its capacity: no allocation once warm).
  /// False when the market has had no update.
  bool Snapshot(uint32_t market, MarketSnapshot& out) const;

  std::optional<uint32_t> FindMarket(std::string_view ticker) const;
  /// The market's latest book (valid until the next Ingest). Checked index.
  const book::OrderBook& book(uint32_t market) const { return markets_[market].book; }
  const std::string& ticker(uint32_t market) const { return markets_[market].ticker; }
  /// The orderbook seq of the market's latest update. Checked index.
  int64_t seq(uint32_t market) const { return markets_[market].seq; }
  uint32_t market_count() const { return static_cast<uint32_t>(markets_.size()); }
  const features::TemporalTracker& tracker() const { return tracker_; }

 private:
  struct Market {
    std::string ticker;
    book::OrderBook book;
    features::MarketHistory history;
    features::ObservationPoint current;
    bool has_point = false;
    int64_t seq = 0;
    int64_t updates = 0;
  };
  // The session values of `point` as of now: the tracker's current values when the point
  // belongs to the tracker's current session point (later updates of other markets in the
  // same ms may still change them), else the stored values, which are the session point's
  // final values (Ingest writes them into every market's point when the session point closes).
  features::ObservationPoint Fresh(const features::ObservationPoint& point) const;

  struct Held {
    std::string ticker;
    int64_t seq = 0;
    int64_t local_ms = 0;
    book::OrderBook book;
  };
  uint32_t Apply(std::string_view ticker, int64_t seq, int64_t ts_ms, const book::OrderBook& book);

  features::DataPointClock clock_;
  std::vector<Held> held_;
  features::TemporalTracker tracker_;
  std::vector<Market> markets_;          // by tracker index
  std::vector<uint32_t> point_markets_;  // markets updated in the tracker's current point
};

}  // namespace kalshiflow::actor
