// Paper trading: the OrderManager that fills orders in process, with one sim::MarketSim per
// market against the live books (no network, no exchange). DESIGN.md §2 "Life of an order"
// ("paper fill simulator"), §5 "Execution simulator" (the same simulator training uses),
// §7 (the actor), §8 (one account: cash, positions, working orders).
//
// One account, many simulators: sim::AccountTotals (sim/account.h) keeps one Kalshi-like
// balance across the per-market simulators (account cash = initial_cash + Σ sim cash, reserved
// = Σ resting holds, portfolio value = initial_cash + Σ MarkedValue) and enforces collateral
// account-wide by MarketSim's own rule at the moment MarketSim checks it. The cost rule (price +
// one contract's fee at the taker or the series' maker rate, closing contracts free, rounding
// to the balance precision, in-flight orders holding nothing until they arrive) is MarketSim's
// (sim/market_sim.h, "Collateral"); no fee math is re-derived here. With whole-cent prices,
// whole contracts and cent balances, account cash and available cash never go below 0. With
// `sim.collateral = off` nothing is checked (the account may go negative), as in MarketSim.
//
// Timing: book/event time only (no wall clock). An op decided at `decision_ts` acts at the
// market's first OnBookUpdate with ts >= decision_ts + sim.latency_ns, or at once when the
// market's last OnBookUpdate is already at or after that: pass the ts of the book update the
// decision was made on (and model latency with sim.latency_ns) so that, at latency 0, the
// order meets the book it was decided on. A decision_ts later than the last update waits for
// the next update of that market.
//
// Ids: the manager numbers orders 1, 2, ... across all markets (FillEvent::order_id,
// OrderEvent::order_id, working_order()->id); MarketSim's per-market ids stay inside.
//
// Threading: thread-compatible. One owner thread (the actor's) calls every method, including
// the queries; the books passed in are read during the calls and must not be modified
// concurrently. Allocation: per-event strings (ticker, reason) in the event buffers; a new
// market allocates its simulator.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "book/order_book.h"
#include "core/fixed_point.h"
#include "core/status.h"
#include "core/time.h"
#include "features/portfolio.h"
#include "sim/account.h"
#include "sim/actions.h"
#include "sim/market_sim.h"
#include "sim/order.h"
#include "trading/order_manager.h"

namespace kalshiflow::trading {

/// Paper account settings. Value type.
struct PaperConfig {
  /// The account's starting cash (>= 0). $1,000.
  core::Money initial_cash = core::Money::FromCents(100'000);
  /// The simulator settings every market uses: latency_ns (>= 0), queue_model, fees (one
  /// schedule for all markets; multiplier >= 0), balance_precision, mark_fallback, collateral
  /// (enforce: account-level checks, see the file comment; off: unchecked).
  /// `sim.initial_cash` must be 0: the account's money is `initial_cash`.
  sim::SimConfig sim;
};

/// OK, or InvalidArgument naming the first bad field and its value.
core::Status ValidatePaperConfig(const PaperConfig& config);

/// The paper OrderManager (mode "paper"); see the file comment for the account model.
class PaperOrderManager final : public OrderManager {
 public:
  /// `config` must be valid (ValidatePaperConfig(config).ok(); KF_CHECK otherwise).
  explicit PaperOrderManager(PaperConfig config = {});
  PaperOrderManager(const PaperOrderManager&) = delete;
  PaperOrderManager& operator=(const PaperOrderManager&) = delete;

  std::string_view mode() const override { return "paper"; }

  /// Creates the market's simulator over `book` on first sight (the book must then stay valid
  /// and be the same object for this ticker: KF_CHECK), then MarketSim::OnBookUpdate(ts):
  /// in-flight ops that are due act (checked against the account), resting orders move in
  /// their queue and fill when the book trades through them. Call after every snapshot or
  /// delta applied to the book (ts nondecreasing per market).
  void OnBookUpdate(std::string_view market_ticker, const book::OrderBook& book,
                    core::Timestamp ts) override;

  /// sim::PlanAction(action, book, the market's working order, strategy, size), then the
  /// plan's ops submitted in order at `decision_ts`. A market OnBookUpdate never saw gets its
  /// simulator over `book` now, primed with OnBookUpdate(decision_ts) (the book as it is now
  /// is the market at decision_ts). ExecutionResult: `note` = the plan's note,
  /// `ops_sent` = ops handed to the simulator, `error` = the first refusal seen during the
  /// call:
  ///   InvalidArgument "invalid_order: ..."           price off the grid / outside (0, 1), size <=
  ///   0 FailedPrecondition "insufficient_balance: ..." the account's available cash cannot cover
  ///   it FailedPrecondition "no_book_snapshot: ..."     the book has no snapshot (nothing can be
  ///   priced) FailedPrecondition "market_settled: ..."       after Settle FailedPrecondition
  ///   "order_not_live: ..."       a cancel/amend whose order is gone
  /// An op still in flight (latency) that is refused on arrival is reported only by an
  /// OrderEvent. kNoPrice on a book with a snapshot (one side empty) is not an error.
  ExecutionResult ExecuteAction(std::string_view market_ticker, sim::Action action,
                                const book::OrderBook& book, sim::PriceStrategy strategy,
                                core::Count size, core::Timestamp decision_ts) override;

  /// A cancel op at `ts` for every live order of the market that has none in flight (acts
  /// now at latency 0 and a ts at or before the last update; the hold is released when it
  /// acts). No-op for an unknown market.
  void CancelAll(std::string_view market_ticker, core::Timestamp ts) override;

  core::Money cash() const override;
  core::Money available_cash() const override;
  /// initial_cash + Σ MarketSim::MarkedValue(): positions at executable prices (long YES at
  /// the best unconsumed YES bid, NO at the NO bid; sim.mark_fallback without one).
  core::Money portfolio_value() const override;
  core::Count position(std::string_view market_ticker) const override;
  core::Money cost_basis(std::string_view market_ticker) const override;
  std::vector<MarketPosition> positions() const override;
  void ForEachOpenPosition(
      const std::function<void(std::string_view, core::Count, core::Money)>& visit) const override;
  /// MarketSim::working_order() with the manager's id (an amend in flight shows its price).
  std::optional<sim::WorkingOrder> working_order(std::string_view market_ticker) const override;
  /// Over the market's live orders without a cancel in flight: open_buy_price / open_sell_price
  /// = the YES price of the newest bid / ask (an amend in flight: its new price);
  /// placed_ts_ms = decision_ts (ms) of the oldest one's place op. All empty when none.
  features::WorkingOrderState order_features(std::string_view market_ticker) const override;
  /// Appends the fills and order events of every market since the last call, each once, in
  /// the order they happened per market (markets in the order they were driven), and clears
  /// them. FillEvent::fee is the fill's net fee (kalshi::FillFee::net_fee, what the balance
  /// paid); OrderEvent::reason is MarketSim's ("", "canceled", "immediate_or_cancel",
  /// "amend", "insufficient_balance", ...).
  void DrainEvents(std::vector<FillEvent>* fills, std::vector<OrderEvent>* orders) override;
  /// actions: ExecuteAction calls; orders_placed / orders_amended / orders_canceled: place /
  /// amend / cancel ops handed to the simulators (CancelAll included); orders_rejected:
  /// refusals (OrderEvents with a reject, plus cancels/amends refused at submission);
  /// fills, contracts_filled, fees_paid (net fees) over all fills.
  const OrderManagerCounters& counters() const override { return counters_; }

  // ---- paper only ------------------------------------------------------------------------

  /// A public trade in a market already seen (MarketSim::OnTrade: advances queues, fills
  /// resting orders traded through); ignored for an unknown market.
  void OnTrade(std::string_view market_ticker, const sim::TradePrint& trade, core::Timestamp ts);
  /// Settles a market already seen at `yes_value` ($1 YES won, 0 NO won): cancels its orders,
  /// pays its position into the account; later ops there are refused (market_settled).
  void Settle(std::string_view market_ticker, core::Price yes_value, core::Timestamp ts);
  /// Σ MarketSim::reserved_cash(): what resting orders hold (cash - available_cash).
  core::Money reserved_cash() const;
  /// The market's simulator (its own cash is that market's net cash flow), or nullptr.
  const sim::MarketSim* FindSim(std::string_view market_ticker) const;
  const PaperConfig& config() const { return config_; }

 private:
  struct OrderRef {
    sim::OrderId sim_id = 0;
    uint64_t id = 0;         // the manager's id
    core::Timestamp placed;  // decision_ts of the place op
  };
  struct Market {
    Market(std::string_view t, const book::OrderBook& b, const sim::SimConfig& config)
        : ticker(t), book(&b), sim(b, config) {}
    std::string ticker;
    const book::OrderBook* book;
    sim::MarketSim sim;
    std::vector<OrderRef> live;  // orders not yet finished, oldest first
    int64_t fills = 0;
    sim::AccountShare share;  // this market's share of the account totals (Collect)
  };
  using MarketMap = std::map<std::string, Market, std::less<>>;

  Market& MarketFor(std::string_view ticker, const book::OrderBook& book);
  const Market* Find(std::string_view ticker) const;
  Market* Find(std::string_view ticker);
  /// Submits one op at `ts`; returns the refusal it met at once, if any.
  std::optional<core::Status> Submit(Market& market, const sim::OrderOp& op, core::Timestamp ts);
  /// Moves the simulator's fills and order updates into the event buffers (and counters), and
  /// brings the account totals up to date with the market's simulator. Runs after every call
  /// into a simulator, the only way its state changes, so the totals are exact between calls.
  void Collect(Market& market);
  const OrderRef* FindRef(const Market& market, sim::OrderId sim_id) const;

  PaperConfig config_;
  MarketMap markets_;
  // The account across markets, maintained by Collect (O(1) per call; sim/account.h).
  sim::AccountTotals account_;
  // Markets with at least one fill, by ticker (what positions() lists).
  std::map<std::string_view, const Market*> traded_;
  uint64_t next_order_id_ = 1;
  std::vector<FillEvent> fills_;
  std::vector<OrderEvent> order_events_;
  OrderManagerCounters counters_;
};

}  // namespace kalshiflow::trading
