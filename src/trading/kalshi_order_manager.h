// The OrderManager that trades on a Kalshi-compatible exchange: Kalshi demo, production
// (guarded, DESIGN.md §8) or the local exchange (`kalshiflow exchange`, the demo's `demo`
// mode). Orders go out as signed V2 REST requests through KalshiTradingClient; the account's
// state comes back on the private WebSocket channels and is checked against REST.
//
// State and where it comes from (PROTOCOL.md §3.4, §4.3, §4.6):
//  * orders: the create / amend / cancel responses, then `user_orders` messages (status,
//    remaining, fills) — keyed by Kalshi's order_id; the manager numbers them 1, 2, ... for the
//    actor (FillEvent::order_id, working_order()->id);
//  * fills, positions and cash: every `fill` message (deduplicated by trade_id) is booked in
//    a sim::Portfolio per market — the exchange's own accounting rule (netting +YES/−NO, a
//    closed pair releases $1, the fee in `fee_cost` is the net fee the balance paid) — so
//    cash = the balance read at start + Σ the portfolios' cash changes;
//  * `market_positions` messages are compared with the booked position (drift counted);
//  * periodic REST sync (SyncNow, and every sync_interval from the manager's sync thread): GET
//    /portfolio/fills, /portfolio/balance, /portfolio/positions and
//    /portfolio/orders?status=resting. While REST lists more fills than the fill channel has
//    delivered, the sync is deferred (lag is not drift); otherwise a difference from the local
//    state is drift: counted, logged (without key material), and the exchange's cash and
//    resting orders adopted (self-healing). Reconcile() is the exact check once the stream is
//    quiet.
// Open positions are marked at the best bid of the held leg of the book the actor passed in
// OnBookUpdate (as the paper manager marks them).
//
// Planning is sim::PlanAction (one working order per market), as for paper trading; a place
// op becomes a good_till_canceled V2 create (IOC ops: immediate_or_cancel) with a fresh
// client_order_id "<prefix>-<n>", an amend op a V2 amend with count = filled + the desired
// remainder, a cancel op a V2 cancel.
//
// Threading: the actor's thread calls the OrderManager methods; the WebSocket listener's thread
// books the private messages. One mutex guards the state; REST calls are made without it held.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/fixed_point.h"
#include "core/status.h"
#include "core/time.h"
#include "kalshi/decoder.h"
#include "net/websocket_client.h"
#include "sim/portfolio.h"
#include "trading/kalshi_trading_client.h"
#include "trading/order_manager.h"

namespace kalshiflow::trading {

struct KalshiOrderManagerConfig {
  /// Prefix of the client_order_ids this manager sends ("kf" → "kf-<run>-<n>").
  std::string client_order_id_prefix = "kf";
  /// Periodic REST sync (DESIGN §8: 30 s). 0 = only on SyncNow().
  std::chrono::milliseconds sync_interval{30'000};
  /// The WebSocket for the private channels (TLS trust, heartbeat, backoff); url, headers are
  /// filled from the client.
  net::WebSocketClientOptions websocket;
  /// DESIGN §8 order group: a contracts limit for the session (PROTOCOL §4.7: contracts
  /// matched in a rolling 15 s window). When > 0, Create makes an order group with this limit
  /// and every order joins it. When the exchange triggers it (its resting orders are
  /// cancelled), new orders are refused locally (`order_group_triggered`) until
  /// order_group_reset_after has passed, then the group is reset (recovery) and trading
  /// resumes. 0 = no order group.
  core::Count order_group_contracts_limit;
  std::chrono::milliseconds order_group_reset_after{60'000};
};

struct KalshiOrderManagerCounters {
  int64_t rest_errors = 0;  // order requests the exchange refused or that failed
  /// cancels / amends refused because the order had just finished on the exchange (its last
  /// fill crossed the request); the order is finished locally, not an error
  int64_t finished_order_races = 0;
  int64_t fills_booked = 0;     // distinct fills booked from the fill channel
  int64_t duplicate_fills = 0;  // fill messages seen twice (same trade_id)
  int64_t order_updates = 0;    // user_order messages
  int64_t position_messages = 0;
  int64_t position_mismatches = 0;  // market_position that disagreed with the booked position
  int64_t syncs = 0;                // REST syncs done
  int64_t syncs_deferred = 0;       // of which skipped: fills still in flight on the WebSocket
  int64_t drift_events = 0;         // values REST disagreed with (then adopted)
  int64_t decode_errors = 0;        // private frames that did not decode
  int64_t ws_connects = 0;
  int64_t order_group_triggers = 0;  // the session's order group was triggered
  int64_t order_group_resets = 0;    // ... and reset after the cool-down
  int64_t orders_blocked = 0;        // orders refused locally while the group was triggered
  int64_t settlements_booked = 0;    // settlements paid into the local account by SyncNow
};

/// The result of Reconcile(): the local account against the exchange's, field by field.
struct ReconcileReport {
  bool matched = false;
  core::Money local_cash, exchange_cash;
  int64_t local_fills = 0, exchange_fills = 0;
  int64_t positions_compared = 0;
  int64_t resting_orders_compared = 0;
  std::vector<std::string> differences;  // one line per mismatch, e.g. "position X: 10 vs 12"
};

class KalshiOrderManager final : public OrderManager {
 public:
  /// Reads the starting balance, positions and resting orders (REST), then opens the private
  /// WebSocket and subscribes to fill, user_orders and market_positions. Errors: the client's
  /// (Unauthenticated, Unavailable, ...) or the WebSocket options'. `client` must outlive the
  /// manager.
  static core::Result<std::unique_ptr<KalshiOrderManager>> Create(
      KalshiTradingClient& client, KalshiOrderManagerConfig config = {});
  ~KalshiOrderManager() override;  // stops the listener
  KalshiOrderManager(const KalshiOrderManager&) = delete;
  KalshiOrderManager& operator=(const KalshiOrderManager&) = delete;

  std::string_view mode() const override { return "kalshi"; }
  /// Remembers `book` for marking the market's position (no network).
  void OnBookUpdate(std::string_view market_ticker, const book::OrderBook& book,
                    core::Timestamp ts) override;
  /// PlanAction, then one REST request per op. ExecutionResult::error: the first refusal
  /// (ApiError::ToStatus(): FailedPrecondition "insufficient_balance: ...", InvalidArgument
  /// "invalid_order: ...", Unavailable for transport errors).
  ExecutionResult ExecuteAction(std::string_view market_ticker, sim::Action action,
                                const book::OrderBook& book, sim::PriceStrategy strategy,
                                core::Count size, core::Timestamp decision_ts) override;
  void CancelAll(std::string_view market_ticker, core::Timestamp ts) override;
  core::Money cash() const override;
  /// cash − what resting orders can still cost (remaining × leg price) − what fills the
  /// exchange has reported in an order response or a user_order message but whose fill
  /// message is not booked yet cost at most (contracts × leg limit price). Without the last
  /// term a lagging fill channel makes the balance look larger than the exchange's, and the
  /// next order is refused with insufficient_balance. Fees are not included (the risk
  /// manager's cash reserve covers them).
  core::Money available_cash() const override;
  core::Money portfolio_value() const override;
  core::Count position(std::string_view market_ticker) const override;
  /// Σ (filled − booked) over the market's orders, + for bids (YES bought) and − for asks.
  core::Count unbooked_position(std::string_view market_ticker) const override;
  core::Money cost_basis(std::string_view market_ticker) const override;
  std::vector<MarketPosition> positions() const override;
  void ForEachOpenPosition(
      const std::function<void(std::string_view, core::Count, core::Money)>& visit) const override;
  std::optional<sim::WorkingOrder> working_order(std::string_view market_ticker) const override;
  features::WorkingOrderState order_features(std::string_view market_ticker) const override;
  void DrainEvents(std::vector<FillEvent>* fills, std::vector<OrderEvent>* orders) override;
  const OrderManagerCounters& counters() const override { return counters_; }

  // ---- kalshi only -------------------------------------------------------------------------
  /// One REST sync now (see the file comment). Returns the transport / API error, if any.
  core::Status SyncNow();
  /// Exact comparison with the exchange: GET /portfolio/balance, /portfolio/positions,
  /// /portfolio/fills and /portfolio/orders?status=resting against the local state. Call when
  /// the stream is quiet (WaitForFills first).
  core::Result<ReconcileReport> Reconcile();
  /// Waits until the fill channel has delivered as many fills as GET /portfolio/fills lists
  /// (the WebSocket catching up with REST), or the timeout. Returns whether it did.
  bool WaitForFills(std::chrono::milliseconds timeout);
  KalshiOrderManagerCounters kalshi_counters() const;
  /// The session's order group id ("" without one) and whether it is triggered now.
  std::string order_group_id() const;
  bool order_group_triggered() const;

 private:
  struct LiveOrder;
  struct Market;
  class Listener;

  KalshiOrderManager(KalshiTradingClient& client, KalshiOrderManagerConfig config);
  core::Status LoadState();
  core::Status StartListener();
  void OnPrivateFrame(std::string_view frame);
  // Under mu_:
  Market& MarketLocked(std::string_view ticker);
  LiveOrder* NewestLiveLocked(std::string_view ticker);
  const LiveOrder* NewestLiveLocked(std::string_view ticker) const;
  LiveOrder& OrderLocked(const std::string& kalshi_order_id, std::string_view ticker);
  std::optional<core::Status> SendOp(const std::string& ticker, const sim::OrderOp& op,
                                     core::Timestamp ts);
  // Before a place: resets a triggered order group whose cool-down has passed; returns the
  // refusal while it is still triggered.
  std::optional<core::Status> CheckOrderGroup();

  KalshiTradingClient& client_;
  KalshiOrderManagerConfig config_;
  std::string run_tag_;
  std::atomic<uint64_t> next_client_id_{1};

  mutable std::mutex mu_;
  core::Money starting_cash_;  // the balance at start (before this manager's fills)
  core::Money cash_offset_;    // REST adjustments adopted by sync (drift repairs)
  std::map<std::string, Market, std::less<>> markets_;
  std::map<std::string, LiveOrder, std::less<>> orders_;  // by Kalshi order_id
  std::map<uint64_t, std::string> order_ids_;             // manager id → Kalshi order_id
  std::map<std::string, bool, std::less<>> seen_trades_;
  uint64_t next_order_id_ = 1;
  std::vector<FillEvent> fills_;
  std::vector<OrderEvent> order_events_;
  OrderManagerCounters counters_;
  KalshiOrderManagerCounters kalshi_counters_;
  kalshi::Decoder decoder_;
  std::set<std::string, std::less<>> seen_settlements_;  // "<ticker>|<settled_time>"
  std::string order_group_id_;                           // set by Create, then read-only
  bool order_group_triggered_ = false;
  std::chrono::steady_clock::time_point order_group_triggered_at_;

  std::unique_ptr<Listener> listener_;

  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  bool stopping_ = false;
  std::thread sync_thread_;  // periodic SyncNow
};

}  // namespace kalshiflow::trading
