// The local exchange's trading side: accounts (one per API key), V2 orders matched against the
// replayed book, portfolio state, order groups and the private-channel events
// (PROTOCOL.md §4.3, §4.4, §4.6, §4.7, §5, §7 "Notes for a faithful local simulator").
//
// Matching. Each account trades each market through its own sim::MarketSim bound to the
// exchange's replayed book (exchange_core.h MarketState::book), and one account's markets share
// one balance through sim::AccountTotals (sim/account.h) — the same simulator and account rule
// as paper trading (trading/paper_order_manager.h), so the venue and the paper account fill and
// charge identically:
//  * price-time priority: an order crosses the opposite ladder best level first at each
//    maker's price (taker; one fill per level); the remainder rests at the back of its level
//    behind the displayed size, and replayed trades and unexplained decreases consume the
//    queue ahead of it (the queue model); an opposite ladder crossing it fills it (maker);
//  * liquidity an order took stays taken until the replay shrinks that level (depth
//    consumption), so an account cannot take the same displayed contracts twice;
//  * the recording is the market: account orders are not added to the public book and orders
//    of different accounts do not trade with each other (each trades against the recording).
// Kalshi's order options on top of MarketSim's place / cancel / amend:
//  * time_in_force: good_till_canceled rests; immediate_or_cancel cancels the rest;
//    fill_or_kill fills completely at once (checked against the available crossing size) or
//    is cancelled with nothing filled; expiration_time (Unix seconds, GTC only) cancels the
//    order when market time reaches it; IOC/FOK with an expiration, or an expiration not in
//    the future, are refused (400 invalid_order, PROTOCOL §4.10 texts);
//  * post_only: an order that would take is refused (400 invalid_order, "post only cross");
//  * reduce_only: the count is capped at the position it reduces; nothing to reduce → refused;
//  * self_trade_prevention_type: an order crossing a resting order of the same account in the
//    same market: taker_at_cross cancels the incoming order (nothing fills); maker cancels the
//    crossed resting orders and goes on;
//  * client_order_id: unique per account; reuse → 409 (`duplicate_client_order_id`);
//  * order groups (§4.7): contracts matched by the group's orders within a rolling 15 s of
//    market time; exceeding the limit triggers the group (its resting orders are cancelled,
//    new orders into it refused with 400 `order_group_triggered` until reset);
//  * fees (§5): the sim's fee schedule (one for all markets), per fill through the order's fee
//    accumulator, at cent balance precision;
//  * collateral: an order the available balance cannot cover is refused whole (400
//    `insufficient_balance`).
// Settlement results are not in recordings: Settle(ticker, result) is an operator hook (tests,
// the CLI later); /portfolio/settlements lists what it paid.
//
// Time is market time: the replay's local_ts of the last applied record (Now()); orders act
// against the book as it is now, fills and order times carry that time.
//
// Threading: single-threaded (the exchange's I/O thread), like the rest of exchange_core.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/fixed_point.h"
#include "core/market.h"
#include "core/status.h"
#include "core/time.h"
#include "exchange/exchange_core.h"
#include "kalshi/trading_messages.h"
#include "sim/account.h"
#include "sim/market_sim.h"

namespace kalshiflow::exchange::internal {

/// A refusal in Kalshi's terms: the HTTP status and the error body's code / message / details
/// (PROTOCOL §4.10).
struct OrderError {
  int http_status = 400;
  std::string code;
  std::string message;
  std::string details;
};

template <typename T>
using OrderResult = core::Result<T, OrderError>;

/// A create request (PROTOCOL §4.3 CreateOrderV2Request), as kalshi/trading_messages.h parses
/// it; subaccount and exchange_index are ignored (one account per key, one shard).
using NewOrder = kalshi::CreateOrderRequest;
using kalshi::OrderGroupEventType;
using kalshi::OrderStatus;
using kalshi::SelfTradePrevention;
using kalshi::TimeInForce;

/// One order of an account as the exchange keeps it (the §4.4 Order model).
struct OrderRecord {
  std::string order_id;
  std::string client_order_id;
  std::string user_id;  // the API key id
  std::string ticker;
  core::BookSide side = core::BookSide::kBid;
  core::Price yes_price;  // current (after amends)
  core::Count initial_count;
  core::Count fill_count;
  core::Count remaining_count;
  OrderStatus status = OrderStatus::kResting;
  core::Money taker_fill_cost, maker_fill_cost;  // Σ count × leg price of the fills
  core::Money taker_fees, maker_fees;            // Σ net fees
  TimeInForce time_in_force = TimeInForce::kGoodTillCanceled;
  std::optional<int64_t> expiration_time_s;
  SelfTradePrevention self_trade_prevention = SelfTradePrevention::kTakerAtCross;
  bool post_only = false;
  bool cancel_order_on_pause = false;
  std::string order_group_id;
  core::Timestamp created, last_update;
  std::string last_update_reason;  // "Created", "Trade", "Canceled", "Amended", "Expired", ...
  sim::OrderId sim_id = 0;
  std::string cancel_reason;  // set by the engine before a cancel it asked for
};

/// One fill of an account's order (the §4.6 Fill model).
struct FillRecord {
  std::string fill_id;  // = trade_id
  std::string order_id;
  std::string client_order_id;
  std::string ticker;
  core::BookSide side = core::BookSide::kBid;
  core::Price yes_price;
  core::Count count;
  bool is_taker = true;
  core::Money fee;  // net fee
  core::Count post_position;
  core::Timestamp ts;
};

/// One market's position of an account (§4.6 MarketPosition).
struct PositionRecord {
  std::string ticker;
  core::Count position;      // + YES / − NO
  core::Money exposure;      // cost basis of the open position
  core::Money realized_pnl;  // fees excluded
  core::Money fees_paid;
  core::Money total_traded;  // Σ count × leg price
  core::Count volume;        // Σ contracts filled
  core::Timestamp last_updated;
};

/// One settlement paid to an account (§4.6 Settlement).
struct SettlementRecord {
  std::string ticker;
  std::string event_ticker;
  bool yes_won = false;
  core::Count yes_count, no_count;  // held at settlement
  core::Money yes_total_cost, no_total_cost;
  core::Money revenue;  // payout
  core::Timestamp settled;
};

/// One order group (§4.7).
struct OrderGroupRecord {
  std::string id;
  core::Count contracts_limit;
  bool triggered = false;
  std::deque<std::pair<core::Timestamp, core::Count>> window;  // matched contracts, 15 s
  core::Count window_total;
};

/// What the private channels carry (PROTOCOL §3.4), addressed to one account.
struct FillNotice {
  FillRecord fill;
};
struct OrderNotice {
  OrderRecord order;
};
struct PositionNotice {
  PositionRecord position;
};
struct OrderGroupNotice {
  OrderGroupEventType event = OrderGroupEventType::kCreated;
  std::string order_group_id;
  std::optional<core::Count> contracts_limit;
  core::Timestamp ts;
};
using PrivateNotice = std::variant<FillNotice, OrderNotice, PositionNotice, OrderGroupNotice>;

/// Results of the order endpoints (the V2 responses' content).
struct OrderOutcome {
  const OrderRecord* order = nullptr;  // valid until the next engine call
  core::Count filled_now;              // by this request
  core::Money fill_cost_now;           // Σ count × YES price of those fills
  core::Money fees_now;                // their net fees
  core::Count reduced_by;              // cancel / decrease: what was taken off
};

struct TradingOptions {
  /// The simulator every (account, market) uses. latency_ns must be 0 (the venue acts on the
  /// book as it is); initial_cash must be 0 (the account's money is its starting balance).
  sim::SimConfig sim;
  /// The rolling window of order groups (§4.7: 15 s).
  int64_t order_group_window_ns = 15'000'000'000;
};

class TradingEngine {
 public:
  using NoticeSink = std::function<void(std::string_view key_id, const PrivateNotice&)>;

  TradingEngine(TradingOptions options, MarketStore& markets);
  TradingEngine(const TradingEngine&) = delete;
  TradingEngine& operator=(const TradingEngine&) = delete;

  /// Opens the account of `key_id` with `starting_balance` (≥ 0; KF_CHECK).
  void AddAccount(std::string_view key_id, core::Money starting_balance);
  bool HasAccount(std::string_view key_id) const;
  /// Where notices go (ExchangeCore fans them out to the key's subscriptions).
  void set_notice_sink(NoticeSink sink) { sink_ = std::move(sink); }

  // ---- market time ---------------------------------------------------------------------
  /// The replay applied a record of `market` at `ts` (book already updated): advances every
  /// account's simulator of that market (resting orders queue and fill), then expirations.
  void OnBookUpdate(const MarketState& market, core::Timestamp ts);
  /// A replayed public trade in `market`.
  void OnTrade(const MarketState& market, const sim::TradePrint& trade, core::Timestamp ts);
  /// Pays every account's position in `ticker` (yes_won: $1 per YES contract, else per NO),
  /// cancels its orders and records a settlement. NotFound for an unknown market.
  core::Status Settle(std::string_view ticker, bool yes_won);
  /// Settlement from the data (recordings carry no results): a market whose final book is
  /// decisive — best YES bid >= `decisive` (YES won) or best NO bid >= `decisive` (NO won) —
  /// is settled; others stay open. Returns "<ticker>=yes|no" for each settled market.
  std::vector<std::string> SettleDecidedMarkets(core::Price decisive);
  core::Timestamp Now() const { return now_; }

  // ---- V2 order endpoints (PROTOCOL §4.3) -----------------------------------------------
  OrderResult<OrderOutcome> CreateOrder(std::string_view key_id, const NewOrder& request);
  OrderResult<OrderOutcome> CancelOrder(std::string_view key_id, std::string_view order_id);
  /// `count` = new total (already filled + desired resting remainder). side/ticker must match
  /// the order's (order_side_mismatch / order_ticker_mismatch).
  OrderResult<OrderOutcome> AmendOrder(std::string_view key_id, std::string_view order_id,
                                       std::string_view ticker, core::BookSide side,
                                       core::Price price, core::Count count,
                                       std::string_view updated_client_order_id);
  /// Exactly one of reduce_by / reduce_to; reduce_to 0 = cancel.
  OrderResult<OrderOutcome> DecreaseOrder(std::string_view key_id, std::string_view order_id,
                                          std::optional<core::Count> reduce_by,
                                          std::optional<core::Count> reduce_to);

  // ---- reads (§4.4, §4.6) ----------------------------------------------------------------
  /// Every order of the account, oldest first (nullptr account → empty).
  std::vector<const OrderRecord*> Orders(std::string_view key_id) const;
  const OrderRecord* FindOrder(std::string_view key_id, std::string_view order_id) const;
  /// Contracts ahead of a resting order at its level (queue_position_fp); NotFound.
  OrderResult<core::Count> QueuePosition(std::string_view key_id, std::string_view order_id) const;
  /// Markets with a position or any fill, by ticker.
  std::vector<PositionRecord> Positions(std::string_view key_id) const;
  const std::vector<FillRecord>* Fills(std::string_view key_id) const;
  const std::vector<SettlementRecord>* Settlements(std::string_view key_id) const;
  /// Balance (cash, fees deducted; resting orders do not reduce it) and the marked value of
  /// the open positions (long YES at the YES bid, NO at the NO bid, as the simulator marks).
  struct BalanceView {
    core::Money balance;
    core::Money reserved;  // what resting orders hold (total_resting_order_value)
    core::Money positions_value;
  };
  std::optional<BalanceView> Balance(std::string_view key_id) const;

  // ---- order groups (§4.7) ---------------------------------------------------------------
  OrderResult<std::string> CreateOrderGroup(std::string_view key_id, core::Count limit);
  std::vector<const OrderGroupRecord*> OrderGroups(std::string_view key_id) const;
  const OrderGroupRecord* FindOrderGroup(std::string_view key_id, std::string_view id) const;
  /// Live order ids of the group.
  std::vector<std::string> OrderGroupOrders(std::string_view key_id, std::string_view id) const;
  OrderResult<bool> DeleteOrderGroup(std::string_view key_id, std::string_view id);
  OrderResult<bool> ResetOrderGroup(std::string_view key_id, std::string_view id);
  OrderResult<bool> TriggerOrderGroup(std::string_view key_id, std::string_view id);
  OrderResult<bool> UpdateOrderGroupLimit(std::string_view key_id, std::string_view id,
                                          core::Count limit);

  struct Counters {
    uint64_t orders_created = 0;
    uint64_t orders_refused = 0;
    uint64_t cancels = 0;
    uint64_t amends = 0;
    uint64_t decreases = 0;
    uint64_t fills = 0;
    core::Count contracts_filled;
  };
  const Counters& counters() const { return counters_; }

 private:
  struct AccountMarket {
    AccountMarket(const MarketState& m, const sim::SimConfig& config)
        : market(&m), sim(m.book, config) {}
    const MarketState* market;
    sim::MarketSim sim;
    sim::AccountShare share;
    core::Timestamp last_book_ts;
    bool primed = false;
    PositionRecord position;
    bool traded = false;
    std::map<sim::OrderId, OrderRecord*> live;  // sim id → record
  };
  struct Account {
    explicit Account(std::string id, core::Money cash) : key_id(std::move(id)), totals(cash) {}
    std::string key_id;
    sim::AccountTotals totals;
    std::map<std::string, std::unique_ptr<AccountMarket>, std::less<>> markets;
    std::vector<std::unique_ptr<OrderRecord>> orders;  // oldest first
    std::map<std::string, OrderRecord*, std::less<>> by_id;
    std::map<std::string, OrderRecord*, std::less<>> by_client_id;
    std::vector<FillRecord> fills;
    std::vector<SettlementRecord> settlements;
    std::map<std::string, OrderGroupRecord, std::less<>> groups;
  };

  Account* FindAccount(std::string_view key_id);
  const Account* FindAccount(std::string_view key_id) const;
  AccountMarket& MarketOf(Account& account, const MarketState& market);
  /// Runs `op` on the account market's simulator with the account shared, then collects its
  /// events (records, fills, notices, group windows) and folds the totals.
  void Drive(Account& account, AccountMarket& am, const std::function<void(sim::MarketSim&)>& op);
  void Collect(Account& account, AccountMarket& am);
  OrderRecord* FindLive(Account& account, std::string_view order_id, OrderError* error);
  void CancelRecord(Account& account, AccountMarket& am, OrderRecord& order,
                    std::string_view reason);
  void CountGroupFill(Account& account, const std::string& group_id, core::Count count);
  void TriggerGroup(Account& account, OrderGroupRecord& group);
  void Notify(const Account& account, PrivateNotice notice);
  void ExpireOrders(Account& account, AccountMarket& am);
  std::string NextOrderId();
  std::string NextFillId();

  TradingOptions options_;
  MarketStore& markets_;
  std::map<std::string, std::unique_ptr<Account>, std::less<>> accounts_;
  // market ticker → the accounts that trade it (driven on every book update of the market)
  std::map<std::string, std::vector<std::pair<Account*, AccountMarket*>>, std::less<>> by_market_;
  NoticeSink sink_;
  core::Timestamp now_;
  uint64_t next_order_ = 1, next_fill_ = 1, next_group_ = 1;
  Counters counters_;
};

}  // namespace kalshiflow::exchange::internal
