// PaperOrderManager over random event streams (RapidCheck):
//  * with one market it is exactly a sim::MarketSim holding the whole account (same fills,
//    fees, cash, rejects): the account-level check reduces to MarketSim's own;
//  * with two markets the account invariants hold after every event: account cash and
//    available cash never go below 0 with collateral enforced (whole-cent prices, whole
//    contracts, cent balances: MarketSim's exact regime), cash = initial + Σ market cash,
//    portfolio value = initial + Σ marked values, and the drained events add up to the
//    positions, fills and fees (each event drained once).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <array>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "sim/tests/test_util.h"
#include "trading/paper_order_manager.h"

namespace kalshiflow::trading {
namespace {

using core::Count;
using core::Money;
using core::Price;
using sim::testing::kBid;
using sim::testing::kNo;
using sim::testing::kYes;
using sim::testing::Snapshot;
using sim::testing::T;

struct Event {
  int kind;    // 0, 1: book delta; 2: trade; 3, 4: action; 5: cancel all
  int market;  // 0 or 1
  bool yes;
  int64_t price_cents;
  int64_t amount;
  int action;
  int strategy;
};

rc::Gen<Event> GenEvent() {
  return rc::gen::build<Event>(rc::gen::set(&Event::kind, rc::gen::inRange(0, 6)),
                               rc::gen::set(&Event::market, rc::gen::inRange(0, 2)),
                               rc::gen::set(&Event::yes, rc::gen::arbitrary<bool>()),
                               rc::gen::set(&Event::price_cents, rc::gen::inRange<int64_t>(40, 61)),
                               rc::gen::set(&Event::amount, rc::gen::inRange<int64_t>(-15, 16)),
                               rc::gen::set(&Event::action, rc::gen::inRange(0, sim::kNumActions)),
                               rc::gen::set(&Event::strategy, rc::gen::inRange(0, 3)));
}

PaperConfig GenConfig() {
  PaperConfig config;
  config.sim.latency_ns = *rc::gen::inRange<int64_t>(0, 3) * 10;
  config.sim.queue_model =
      *rc::gen::arbitrary<bool>() ? sim::QueueModel() : sim::QueueModel::RiskAverse();
  config.sim.fees.type =
      *rc::gen::element(kalshi::FeeType::kQuadratic, kalshi::FeeType::kQuadraticWithMakerFees,
                        kalshi::FeeType::kQuadraticWithComboMakerFees);
  // $0-$30: a few 10-contract orders, so the account's cash binds in most runs.
  config.initial_cash = Money::FromCents(*rc::gen::inRange<int64_t>(0, 3001));
  config.sim.collateral =
      *rc::gen::arbitrary<bool>() ? sim::CollateralMode::kEnforce : sim::CollateralMode::kOff;
  return config;
}

std::vector<Event> GenEvents() {
  return *rc::gen::container<std::vector<Event>>(150,
                                                 rc::gen::resize(rc::kNominalSize, GenEvent()));
}

void StandardSnapshot(book::OrderBook& book) {
  Snapshot(book, {{"0.44", "20"}, {"0.45", "30"}}, {{"0.52", "10"}, {"0.53", "4"}});
}

RC_GTEST_PROP(PaperOrderManagerProperty, OneMarketIsExactlyAMarketSimWithTheAccountsCash, ()) {
  const std::vector<Event> events = GenEvents();
  const PaperConfig config = GenConfig();
  book::OrderBook book("KXA-26JAN01-T50", book::PriceGrid::LinearCent());
  StandardSnapshot(book);
  sim::SimConfig sim_config = config.sim;
  sim_config.initial_cash = config.initial_cash;
  sim::MarketSim reference(book, sim_config);
  PaperOrderManager manager(config);
  const std::string& ticker = book.ticker();

  std::vector<sim::Fill> want;
  std::vector<FillEvent> got;
  std::vector<OrderEvent> orders;
  uint64_t want_refused_balance = 0;
  int64_t ts = 0;
  int64_t last_book_ts = 0;
  reference.OnBookUpdate(T(ts));
  manager.OnBookUpdate(ticker, book, T(ts));
  for (const Event& e : events) {
    ts += 7;
    const Price price = Price::FromCents(e.price_cents);
    const auto leg = e.yes ? kYes : kNo;
    if (e.kind <= 1) {
      if (book.ApplyDelta(leg, price, Count::FromContracts(e.amount)).ok()) {
        reference.OnBookUpdate(T(ts));
        manager.OnBookUpdate(ticker, book, T(ts));
        last_book_ts = ts;
      }
    } else if (e.kind == 2) {
      const sim::TradePrint trade{price, Count::FromContracts(std::abs(e.amount) + 1), leg};
      reference.OnTrade(trade, T(ts));
      manager.OnTrade(ticker, trade, T(ts));
    } else if (e.kind <= 4) {
      const auto action = static_cast<sim::Action>(e.action);
      const auto strategy = static_cast<sim::PriceStrategy>(e.strategy);
      const sim::ActionPlan plan =
          sim::PlanAction(action, book, reference.working_order(), strategy);
      reference.Submit(plan.view(), T(last_book_ts));
      const ExecutionResult r = manager.ExecuteAction(ticker, action, book, strategy,
                                                      sim::kActionContracts, T(last_book_ts));
      RC_ASSERT(r.note == plan.note);
      RC_ASSERT(r.ops_sent == static_cast<int>(plan.size));
    } else {
      // CancelAll: a cancel for every live order without one in flight, oldest first (one
      // at a time: a cancel that acts at once changes orders()).
      for (bool again = true; again;) {
        again = false;
        for (const sim::SimOrder& o : reference.orders()) {
          if (!o.cancel_requested) {
            reference.Submit({sim::OrderOpType::kCancel, o.id, o.side, o.price, {}}, T(ts));
            again = true;
            break;
          }
        }
      }
      manager.CancelAll(ticker, T(ts));
    }
    for (const sim::Fill& f : reference.fills()) want.push_back(f);
    for (const sim::OrderUpdate& u : reference.order_updates()) {
      if (u.reject == sim::OrderReject::kInsufficientBalance) ++want_refused_balance;
    }
    reference.ClearEvents();
    manager.DrainEvents(&got, &orders);
    RC_ASSERT(manager.cash() == reference.portfolio().cash());
    RC_ASSERT(manager.available_cash() == reference.available_cash());
    RC_ASSERT(manager.portfolio_value() == reference.MarkedValue());
    RC_ASSERT(manager.position(ticker) == reference.portfolio().position());
    RC_ASSERT(manager.working_order(ticker).has_value() == reference.working_order().has_value());
  }
  RC_ASSERT(got.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    RC_ASSERT(got[i].yes_price == want[i].price);
    RC_ASSERT(got[i].count == want[i].count);
    RC_ASSERT(got[i].side == want[i].side);
    RC_ASSERT(got[i].fee == want[i].fee.net_fee);
    RC_ASSERT(got[i].ts == want[i].ts);
  }
  uint64_t got_refused_balance = 0;
  for (const OrderEvent& o : orders) {
    if (o.reject == sim::OrderReject::kInsufficientBalance) ++got_refused_balance;
  }
  RC_ASSERT(got_refused_balance == want_refused_balance);
  RC_TAG(want.empty() ? "no fills" : "fills",
         std::string(sim::CollateralModeName(config.sim.collateral)),
         want_refused_balance > 0 ? "cash binds" : "cash ample");
}

RC_GTEST_PROP(PaperOrderManagerProperty, TwoMarketsKeepTheAccountInvariants, ()) {
  const std::vector<Event> events = GenEvents();
  const PaperConfig config = GenConfig();
  std::array<book::OrderBook, 2> books{
      book::OrderBook("KXA-26JAN01-T50", book::PriceGrid::LinearCent()),
      book::OrderBook("KXB-26JAN01-T50", book::PriceGrid::LinearCent())};
  PaperOrderManager manager(config);
  std::array<int64_t, 2> last_book_ts{0, 0};
  for (book::OrderBook& book : books) {
    StandardSnapshot(book);
    manager.OnBookUpdate(book.ticker(), book, T(0));
  }
  const bool enforce = config.sim.collateral == sim::CollateralMode::kEnforce;

  std::vector<FillEvent> fills;
  std::vector<OrderEvent> orders;
  int64_t ts = 0;
  int64_t refused_balance = 0;
  for (const Event& e : events) {
    ts += 7;
    book::OrderBook& book = books[static_cast<std::size_t>(e.market)];
    const std::string& ticker = book.ticker();
    const Price price = Price::FromCents(e.price_cents);
    const auto leg = e.yes ? kYes : kNo;
    if (e.kind <= 1) {
      if (book.ApplyDelta(leg, price, Count::FromContracts(e.amount)).ok()) {
        manager.OnBookUpdate(ticker, book, T(ts));
        last_book_ts[static_cast<std::size_t>(e.market)] = ts;
      }
    } else if (e.kind == 2) {
      manager.OnTrade(ticker, {price, Count::FromContracts(std::abs(e.amount) + 1), leg}, T(ts));
    } else if (e.kind <= 4) {
      const ExecutionResult r =
          manager.ExecuteAction(ticker, static_cast<sim::Action>(e.action), book,
                                static_cast<sim::PriceStrategy>(e.strategy), sim::kActionContracts,
                                T(last_book_ts[static_cast<std::size_t>(e.market)]));
      if (r.error && r.error->message().starts_with("insufficient_balance")) ++refused_balance;
    } else {
      manager.CancelAll(ticker, T(ts));
    }

    // The account after every event.
    Money cash = config.initial_cash;
    Money marked = config.initial_cash;
    Money reserved;
    for (const book::OrderBook& b : books) {
      const sim::MarketSim* s = manager.FindSim(b.ticker());
      RC_ASSERT(s != nullptr);
      cash += s->portfolio().cash();
      marked += s->MarkedValue();
      reserved += s->reserved_cash();
    }
    RC_ASSERT(manager.cash() == cash);
    RC_ASSERT(manager.portfolio_value() == marked);
    RC_ASSERT(manager.reserved_cash() == reserved);
    RC_ASSERT(manager.available_cash() == cash - reserved);
    RC_ASSERT(!reserved.IsNegative());
    if (enforce) {
      RC_ASSERT(!manager.cash().IsNegative());
      RC_ASSERT(!manager.available_cash().IsNegative());
    }
    manager.DrainEvents(&fills, &orders);
  }

  // The drained events add up: each fill once, with its market and the manager's id.
  std::map<std::string, Count> position;
  std::map<std::string, Money> fees;
  Count contracts;
  Money fee_total;
  std::map<uint64_t, std::string> market_of;  // order id -> market (ids are account-wide)
  for (const OrderEvent& o : orders) {
    auto [it, inserted] = market_of.try_emplace(o.order_id, o.market_ticker);
    RC_ASSERT(it->second == o.market_ticker);
  }
  for (const FillEvent& f : fills) {
    position[f.market_ticker] += f.side == kBid ? f.count : -f.count;
    fees[f.market_ticker] += f.fee;
    contracts += f.count;
    fee_total += f.fee;
    auto [it, inserted] = market_of.try_emplace(f.order_id, f.market_ticker);
    RC_ASSERT(it->second == f.market_ticker);
  }
  for (const book::OrderBook& b : books) {
    RC_ASSERT(position[b.ticker()] == manager.position(b.ticker()));
  }
  for (const MarketPosition& p : manager.positions()) {
    RC_ASSERT(fees[p.market_ticker] == p.fees_paid);
  }
  RC_ASSERT(manager.counters().fills == static_cast<int64_t>(fills.size()));
  RC_ASSERT(manager.counters().contracts_filled == contracts);
  RC_ASSERT(manager.counters().fees_paid == fee_total);
  if (!enforce) RC_ASSERT(refused_balance == 0);
  RC_TAG(fills.empty() ? "no fills" : "fills",
         std::string(sim::CollateralModeName(config.sim.collateral)),
         refused_balance > 0 ? "cash binds" : "cash ample");
}

}  // namespace
}  // namespace kalshiflow::trading
