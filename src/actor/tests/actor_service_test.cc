// The actor pipeline with the real paper order manager, risk manager and observation builder:
// decisions (HOLD included) with the seq acted on, coalesced and bounded triggers, risk controls
// firing in the pipeline, selectors switched at runtime, model hot swap under load.
#include "actor/actor_service.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "core/time.h"
#include "policy/mlp_policy.h"
#include "sim/tests/test_util.h"
#include "trading/paper_order_manager.h"

namespace kalshiflow::actor {
namespace {

using sim::testing::Snapshot;

class RecordingSink final : public ActorEventSink {
 public:
  void OnDecision(const ActorEvent& e) override {
    std::lock_guard lock(mu_);
    events.push_back(e);
  }
  std::vector<ActorEvent> Copy() {
    std::lock_guard lock(mu_);
    return events;
  }
  std::mutex mu_;
  std::vector<ActorEvent> events;
};

// A market whose YES mid is 0.30 (bid 0.29, ask 0.31): the mean-reversion rule buys YES.
void CheapBook(book::OrderBook& b) {
  Snapshot(b, {{"0.28", "500"}, {"0.29", "500"}}, {{"0.70", "500"}, {"0.69", "500"}});
}
// YES mid 0.50: HOLD.
void FairBook(book::OrderBook& b) {
  Snapshot(b, {{"0.48", "500"}, {"0.49", "500"}}, {{"0.49", "500"}, {"0.50", "500"}});
}

struct Fixture {
  explicit Fixture(ActorConfig config = {}, risk::RiskConfig risk_config = {})
      : clock(core::Timestamp::FromNanos(1'767'225'600'000'000'000)), risk(risk_config, clock) {
    auto s = ActorService::Create(std::move(config), orders, risk, clock, &sink);
    EXPECT_TRUE(s.ok()) << s.error().ToString();
    service = std::move(s).value();
  }
  book::OrderBook& Book(const std::string& ticker) {
    auto it = books.find(ticker);
    if (it == books.end()) {
      it = books.emplace(ticker, book::OrderBook(ticker, book::PriceGrid::LinearCent())).first;
    }
    return it->second;
  }
  void Update(const std::string& ticker, int64_t seq, void (*fill)(book::OrderBook&)) {
    book::OrderBook& b = Book(ticker);
    fill(b);
    clock.AdvanceNanos(1'000'000);  // 1 ms per update
    service->OnAcceptedUpdate(
        AcceptedUpdate{ticker, seq, clock.Now().millis(), clock.Now().millis(), &b});
  }

  core::SimulatedClock clock;
  trading::PaperOrderManager orders;
  risk::RiskManager risk;
  RecordingSink sink;
  std::map<std::string, book::OrderBook> books;
  std::unique_ptr<ActorService> service;
};

TEST(ActorServiceTest, EveryDecisionIsAnEventWithTheSeqAndTheOrderFills) {
  Fixture f;
  f.Update("KXA-26JAN01-T1", 7, CheapBook);
  f.Update("KXB-26JAN01-T1", 3, FairBook);
  EXPECT_EQ(f.service->RunPending(), 2u);
  const auto events = f.sink.Copy();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].market_ticker, "KXA-26JAN01-T1");
  EXPECT_EQ(events[0].seq, 7);
  EXPECT_EQ(events[0].action, sim::Action::kBuyYes);
  EXPECT_EQ(events[0].outcome, DecisionOutcome::kExecuted);
  EXPECT_EQ(events[0].ops_sent, 1);
  // Aggressive BUY_YES x10 at the ask 0.31 fills at once (latency 0): +10 YES.
  EXPECT_EQ(events[0].position_after, core::Count::FromContracts(10));
  // cash = $1,000 - 10 x $0.31 - fee: less than $996.90.
  EXPECT_LT(events[0].cash_after, core::Money::FromCents(100'000 - 310));
  EXPECT_EQ(events[1].market_ticker, "KXB-26JAN01-T1");
  EXPECT_EQ(events[1].seq, 3);
  EXPECT_EQ(events[1].action, sim::Action::kHold);
  EXPECT_EQ(events[1].outcome, DecisionOutcome::kHold);
  EXPECT_EQ(events[1].position_after, core::Count());
  EXPECT_EQ(f.orders.position("KXA-26JAN01-T1"), core::Count::FromContracts(10));
  const ActorMetrics m = f.service->metrics();
  EXPECT_EQ(m.decisions, 2);
  EXPECT_EQ(m.executed, 1);
  EXPECT_EQ(m.actions[static_cast<int>(sim::Action::kBuyYes)], 1);
  EXPECT_EQ(m.actions[static_cast<int>(sim::Action::kHold)], 1);
  EXPECT_EQ(m.decision.count, 2);
}

TEST(ActorServiceTest, TriggersAreCoalescedPerMarketAndBounded) {
  ActorConfig c;
  c.trigger_queue_capacity = 2;
  Fixture f(c);
  for (int k = 1; k <= 5; ++k) f.Update("KXA-26JAN01-T1", k, FairBook);
  f.Update("KXB-26JAN01-T1", 1, FairBook);
  f.Update("KXC-26JAN01-T1", 1, FairBook);  // a third waiting market: the queue holds two
  ActorMetrics m = f.service->metrics();
  EXPECT_EQ(m.updates_ingested, 7);
  EXPECT_EQ(m.triggers_enqueued, 2);
  EXPECT_EQ(m.triggers_coalesced, 4);
  EXPECT_EQ(m.trigger_overflows, 1);
  EXPECT_EQ(m.queue_depth, 2);
  EXPECT_EQ(f.service->RunPending(), 2u);
  const auto events = f.sink.Copy();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].seq, 5);  // the freshest book of the coalesced market
  // The overflow opened the queue-overflow breaker.
  EXPECT_TRUE(f.risk.breaker_status(risk::Breaker::kQueueOverflow).open);
}

TEST(ActorServiceTest, KillSwitchThrottleAndPositionLimitFireInThePipeline) {
  Fixture f;
  f.risk.SetKillSwitch(true, "test");
  f.Update("KXA-26JAN01-T1", 1, CheapBook);
  f.service->RunPending();
  auto events = f.sink.Copy();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].outcome, DecisionOutcome::kRiskRejected);
  EXPECT_EQ(events[0].risk_reject, risk::RejectReason::kKillSwitch);
  EXPECT_EQ(f.orders.counters().orders_placed, 0);
  f.risk.SetKillSwitch(false, "");

  // Throttle: a second order within 250 ms is refused; after 250 ms it goes.
  f.Update("KXA-26JAN01-T1", 2, CheapBook);
  f.service->RunPending();
  f.Update("KXA-26JAN01-T1", 3, CheapBook);
  f.service->RunPending();
  events = f.sink.Copy();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].outcome, DecisionOutcome::kExecuted);
  EXPECT_EQ(events[2].risk_reject, risk::RejectReason::kThrottled);
  // Position limit: 10 buys of 10 reach 100; the 11th is refused.
  for (int k = 0; k < 12; ++k) {
    f.clock.AdvanceNanos(300'000'000);
    f.Update("KXA-26JAN01-T1", 10 + k, CheapBook);
    f.service->RunPending();
  }
  EXPECT_EQ(f.orders.position("KXA-26JAN01-T1"), core::Count::FromContracts(100));
  events = f.sink.Copy();
  EXPECT_EQ(events.back().risk_reject, risk::RejectReason::kPositionLimit);
  EXPECT_GT(f.risk.reject_count(risk::RejectReason::kPositionLimit), 0);
}

// The slow-pipeline breaker is fed by the pipeline's own latency samples: with a 1 ns budget
// every decision is "slow", two in a row open the breaker, orders are refused while it is open
// (HOLD decisions still run), and it closes after its cool-down on the business clock.
TEST(ActorServiceTest, SlowPipelineBreakerOpensFromThePipelinesLatencyAndRecovers) {
  risk::RiskConfig r;
  r.throttle_ns = 0;
  r.pipeline_budget_ns = 1;
  r.slow_streak = 2;
  r.latency_cooldown_ns = 30'000'000'000;
  Fixture f(ActorConfig{}, r);
  f.Update("KXA-26JAN01-T1", 1, CheapBook);
  f.service->RunPending();
  f.Update("KXA-26JAN01-T1", 2, CheapBook);
  f.service->RunPending();  // the second slow sample opens the breaker after this decision
  f.Update("KXA-26JAN01-T1", 3, CheapBook);
  f.service->RunPending();
  auto events = f.sink.Copy();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].outcome, DecisionOutcome::kExecuted);
  EXPECT_EQ(events[1].outcome, DecisionOutcome::kExecuted);
  EXPECT_EQ(events[2].risk_reject, risk::RejectReason::kBreakerOpen);
  EXPECT_NE(events[2].detail.find("slow_pipeline"), std::string::npos) << events[2].detail;
  EXPECT_TRUE(f.risk.breaker_status(risk::Breaker::kSlowPipeline).open);
  // The service's metrics show the breaker as the decisions left it.
  const auto open = f.service->metrics().breakers[static_cast<int>(risk::Breaker::kSlowPipeline)];
  EXPECT_TRUE(open.open);
  EXPECT_EQ(open.trips, 1);
  EXPECT_FALSE(f.service->metrics().breakers[static_cast<int>(risk::Breaker::kQueueOverflow)].open);
  // After the cool-down (business time) the breaker is closed when the next order is checked.
  f.clock.AdvanceNanos(r.latency_cooldown_ns);
  f.Update("KXA-26JAN01-T1", 4, CheapBook);
  f.service->RunPending();
  events = f.sink.Copy();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[3].outcome, DecisionOutcome::kExecuted);
  EXPECT_EQ(f.risk.breaker_status(risk::Breaker::kSlowPipeline).trips, 2);  // and re-tripped
  EXPECT_EQ(f.service->metrics().breakers[static_cast<int>(risk::Breaker::kSlowPipeline)].trips, 2);
}

// Liquid at a YES mid of 0.30 (spread 2 cents) / illiquid (spread 20 cents).
void LiquidBook(book::OrderBook& b) { Snapshot(b, {{"0.29", "500"}}, {{"0.69", "500"}}); }
void WideBook(book::OrderBook& b) { Snapshot(b, {{"0.20", "500"}}, {{"0.60", "500"}}); }

// `hot` market selection: the most active liquid market is traded, an incumbent stays while it
// is in the top 2K (hysteresis), an illiquid market never enters, and a market that turns
// illiquid leaves (its resting order is cancelled); every change is an event.
TEST(ActorServiceTest, HotMarketSelectionRanksByActivityWithHysteresis) {
  ActorConfig c;
  c.market_mode = MarketMode::kHot;
  c.hot_top_k = 1;
  c.price_strategy = sim::PriceStrategy::kPassive;  // orders rest: leaving must cancel them
  risk::RiskConfig r;
  r.throttle_ns = 0;
  Fixture f(c, r);
  // t = 0: A is the only market seen, liquid: selected at the first ranking.
  f.Update("KXA-26JAN01-T1", 1, LiquidBook);
  f.service->RunPending();
  EXPECT_TRUE(f.service->Trades("KXA-26JAN01-T1"));
  // Within the minute: B is busier than A, C busiest but illiquid; no re-ranking yet.
  for (int k = 0; k < 5; ++k) f.Update("KXB-26JAN01-T1", 10 + k, LiquidBook);
  for (int k = 0; k < 9; ++k) f.Update("KXC-26JAN01-T1", 20 + k, WideBook);
  f.service->RunPending();
  EXPECT_FALSE(f.service->Trades("KXB-26JAN01-T1"));
  // One minute later B is the most active liquid market, but A (second, within the top 2K)
  // stays: hysteresis.
  f.clock.AdvanceNanos(61'000'000'000);
  f.Update("KXB-26JAN01-T1", 15, LiquidBook);
  f.service->RunPending();
  EXPECT_TRUE(f.service->Trades("KXA-26JAN01-T1"));
  EXPECT_FALSE(f.service->Trades("KXB-26JAN01-T1"));
  EXPECT_FALSE(f.service->Trades("KXC-26JAN01-T1"));
  ASSERT_TRUE(f.orders.working_order("KXA-26JAN01-T1").has_value());  // A's passive bid rests
  // A turns illiquid; at the next ranking it leaves (its order is cancelled) and B enters.
  f.Update("KXA-26JAN01-T1", 2, WideBook);
  f.clock.AdvanceNanos(61'000'000'000);
  f.Update("KXB-26JAN01-T1", 16, LiquidBook);
  f.service->RunPending();
  EXPECT_FALSE(f.service->Trades("KXA-26JAN01-T1"));
  EXPECT_TRUE(f.service->Trades("KXB-26JAN01-T1"));
  EXPECT_FALSE(f.orders.working_order("KXA-26JAN01-T1").has_value());
  std::vector<std::string> changes;
  for (const ActorEvent& e : f.sink.Copy()) {
    if (e.event_type != "decision") changes.push_back(e.event_type + " " + e.market_ticker);
    if (e.event_type == "decision") {
      EXPECT_NE(e.market_ticker, "KXC-26JAN01-T1");
    }
  }
  EXPECT_EQ(changes, (std::vector<std::string>{"market_selected KXA-26JAN01-T1",
                                               "market_left KXA-26JAN01-T1",
                                               "market_selected KXB-26JAN01-T1"}));
  const ActorMetrics m = f.service->metrics();
  EXPECT_EQ(m.markets_selected, 2);
  EXPECT_EQ(m.markets_left, 1);
  ActorConfig bad = c;
  bad.hot_top_k = 0;
  EXPECT_FALSE(Validate(bad).ok());
}

// Traded contracts count in the hot score (DESIGN §7: book updates + traded contracts). A is
// selected at the first ranking; a minute later A has 1 update (log 2), C 4 updates (log 5)
// and B 2 updates + 50 traded contracts (log 53): A falls out of the top 2K and B — not C, as
// it would be on book updates alone — is traded.
TEST(ActorServiceTest, TradedContractsCountInTheHotRanking) {
  ActorConfig c;
  c.market_mode = MarketMode::kHot;
  c.hot_top_k = 1;
  Fixture f(c);
  f.Update("KXA-26JAN01-T1", 1, LiquidBook);
  f.service->RunPending();
  ASSERT_TRUE(f.service->Trades("KXA-26JAN01-T1"));
  for (int k = 0; k < 4; ++k) f.Update("KXC-26JAN01-T1", 1 + k, LiquidBook);
  f.Update("KXB-26JAN01-T1", 1, LiquidBook);
  f.service->OnAcceptedTrade("KXB-26JAN01-T1", core::Count::FromContracts(50));
  f.service->OnAcceptedTrade("KXNEVER-26JAN01-T1", core::Count::FromContracts(500));  // unseen
  f.clock.AdvanceNanos(61'000'000'000);
  f.Update("KXB-26JAN01-T1", 2, LiquidBook);  // re-ranks
  f.service->RunPending();
  EXPECT_FALSE(f.service->Trades("KXA-26JAN01-T1"));
  EXPECT_TRUE(f.service->Trades("KXB-26JAN01-T1"));
  EXPECT_FALSE(f.service->Trades("KXC-26JAN01-T1"));
}

// A 52 -> 5 policy (no hidden layers) whose logits are the bias: `action` always wins.
std::shared_ptr<const ActorModel> ConstantModel(int action, int64_t id) {
  policy::DenseLayer head{52, 5, std::vector<float>(52 * 5, 0.0f), std::vector<float>(5, 0.0f)};
  head.bias[static_cast<size_t>(action)] = 5.0f;
  policy::DenseLayer value{52, 1, std::vector<float>(52, 0.0f), {0.0f}};
  auto p = policy::MlpPolicy::Create({}, {}, head, value, policy::Activation::kTanh);
  EXPECT_TRUE(p.ok());
  policy::LoadedPolicy loaded{policy::CheckpointMetadata{}, std::move(p).value()};
  loaded.metadata.observation_spec = "kalshiflow-v1";
  loaded.metadata.observation_size = 52;
  loaded.metadata.action_space = "discrete-5";
  auto decoder = policy::ActionDecoder::ForSpace("discrete-5");
  return std::make_shared<const ActorModel>(
      ActorModel{std::move(loaded), std::move(decoder).value(), id, "constant", ""});
}

TEST(ActorServiceTest, SelectorsSwitchAtRuntime) {
  Fixture f;
  f.service->SetSelector(SelectorKind::kDisabled);
  f.Update("KXA-26JAN01-T1", 1, CheapBook);
  f.service->RunPending();
  f.service->SetSelector(SelectorKind::kRlModel);  // no model yet: an error, HOLD
  f.Update("KXA-26JAN01-T1", 2, CheapBook);
  f.service->RunPending();
  f.service->SwapModel(ConstantModel(static_cast<int>(sim::Action::kBuyNo), 42));
  f.Update("KXA-26JAN01-T1", 3, CheapBook);
  f.service->RunPending();
  const auto events = f.sink.Copy();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].selector, SelectorKind::kDisabled);
  EXPECT_EQ(events[0].action, sim::Action::kHold);
  EXPECT_EQ(events[1].outcome, DecisionOutcome::kError);
  EXPECT_EQ(events[2].selector, SelectorKind::kRlModel);
  EXPECT_EQ(events[2].model_id, 42);
  EXPECT_EQ(events[2].action, sim::Action::kBuyNo);
  EXPECT_GT(events[2].probability, 0.9f);
  EXPECT_EQ(events[2].outcome, DecisionOutcome::kExecuted);
  EXPECT_EQ(f.orders.position("KXA-26JAN01-T1"), core::Count::FromContracts(-10));
  // DESIGN §7 metrics: the error by type, the cached model's decisions, actions in the last
  // minute of business time (the BUY_NO; HOLDs do not count), which age out after 60 s.
  ActorMetrics m = f.service->metrics();
  EXPECT_EQ(m.errors_by_type, (std::map<std::string, int64_t>{{"no_model", 1}}));
  EXPECT_EQ(m.model_cache_hits, 1);
  EXPECT_EQ(m.actions_last_minute, 1);
  f.clock.AdvanceNanos(61'000'000'000);
  f.service->SetSelector(SelectorKind::kDisabled);
  f.Update("KXA-26JAN01-T1", 4, CheapBook);
  f.service->RunPending();
  m = f.service->metrics();
  EXPECT_EQ(m.actions_last_minute, 0);
  EXPECT_EQ(m.model_cache_hits, 1);
}

TEST(ActorServiceTest, MarketSelectionFirstAndConfig) {
  ActorConfig first;
  first.market_mode = MarketMode::kFirst;
  first.first_markets = 1;
  Fixture f(first);
  f.Update("KXA-26JAN01-T1", 1, FairBook);
  f.Update("KXB-26JAN01-T1", 1, FairBook);
  f.service->RunPending();
  EXPECT_EQ(f.sink.Copy().size(), 1u);
  EXPECT_TRUE(f.service->Trades("KXA-26JAN01-T1"));
  EXPECT_FALSE(f.service->Trades("KXB-26JAN01-T1"));
  EXPECT_EQ(f.service->metrics().updates_ingested, 2);  // both feed the observation state

  ActorConfig bad;
  bad.market_mode = MarketMode::kConfig;
  EXPECT_FALSE(Validate(bad).ok());
  bad.tickers = {"KXB-26JAN01-T1"};
  Fixture g(bad);
  g.Update("KXA-26JAN01-T1", 1, FairBook);
  g.Update("KXB-26JAN01-T1", 1, FairBook);
  g.service->RunPending();
  const auto events = g.sink.Copy();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].market_ticker, "KXB-26JAN01-T1");
}

// Hot reload under load: a feeder thread posts updates while the pipeline thread decides and
// the main thread swaps models; every trigger becomes exactly one decision, none is an error.
TEST(ActorServiceTest, ModelHotSwapUnderLoadMissesNoDecision) {
  ActorConfig c;
  c.selector = SelectorKind::kRlModel;
  risk::RiskConfig r;
  r.throttle_ns = 0;
  Fixture f(c, r);
  f.service->SwapModel(ConstantModel(0, 1));
  std::vector<book::OrderBook> books;
  for (int k = 0; k < 8; ++k) {
    books.emplace_back("KXM" + std::to_string(k) + "-26JAN01-T1", book::PriceGrid::LinearCent());
    FairBook(books.back());
  }
  f.service->Start();
  std::atomic<bool> done{false};
  std::thread feeder([&] {
    for (int i = 0; i < 4000; ++i) {
      book::OrderBook& b = books[static_cast<size_t>(i % 8)];
      const int64_t ms = 1'767'225'600'000 + i;
      f.service->OnAcceptedUpdate(AcceptedUpdate{b.ticker(), i, ms, ms, &b});
      if (i % 64 == 0) std::this_thread::yield();
    }
    done = true;
  });
  int64_t swaps = 0;
  while (!done) {
    f.service->SwapModel(ConstantModel(0, 2 + swaps % 5));
    ++swaps;
    std::this_thread::yield();
  }
  feeder.join();
  f.service->WaitIdle();
  f.service->Stop();
  const ActorMetrics m = f.service->metrics();
  EXPECT_EQ(m.updates_ingested, 4000);
  EXPECT_EQ(m.decisions, m.triggers_enqueued);
  EXPECT_EQ(m.triggers_enqueued + m.triggers_coalesced + m.trigger_overflows, 4000);
  EXPECT_EQ(m.errors, 0);
  EXPECT_GT(swaps, 0);
  EXPECT_EQ(m.model_swaps, swaps + 1);
  for (const ActorEvent& e : f.sink.Copy()) EXPECT_GE(e.model_id, 1);
}

// A YES bid of `bid` (NO bid 0.99 - bid: a one-cent-wide YES market around it).
template <int kBidCents>
void BookAt(book::OrderBook& b) {
  const std::string yes = fmt::format("0.{:02d}", kBidCents);
  const std::string no = fmt::format("0.{:02d}", 99 - kBidCents);
  Snapshot(b, {{yes.c_str(), "500"}}, {{no.c_str(), "500"}});
}

// Position health overrides the selector: bought at 0.30, the YES bid falls to 0.20 (return
// 2.00 / 3.00 - 1 = -33%, past the 20% stop loss) and the actor sells the 10 YES at the bid
// although its selector is `disabled`; the event names the rule; flat afterwards.
TEST(ActorServiceTest, StopLossClosesThePositionWhateverTheSelector) {
  ActorConfig c;
  c.position_health.stop_loss = 0.20;
  c.position_health.min_move_per_contract = core::Money::FromCents(5);
  c.position_health.reentry_cooldown_ns = 15LL * 60 * 1'000'000'000;
  risk::RiskConfig r;
  r.throttle_ns = 0;
  Fixture f(c, r);
  f.Update("KXA-26JAN01-T1", 1, CheapBook);  // the rule buys 10 YES at 0.30
  f.service->RunPending();
  ASSERT_EQ(f.orders.position("KXA-26JAN01-T1"), core::Count::FromContracts(10));
  f.service->SetSelector(SelectorKind::kDisabled);
  f.Update("KXA-26JAN01-T1", 2, BookAt<25>);  // -16.7%: healthy
  f.service->RunPending();
  EXPECT_EQ(f.orders.position("KXA-26JAN01-T1"), core::Count::FromContracts(10));
  f.Update("KXA-26JAN01-T1", 3, BookAt<20>);
  f.service->RunPending();
  const auto events = f.sink.Copy();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].exit_reason, trading::ExitReason::kNone);
  EXPECT_EQ(events[1].action, sim::Action::kHold);
  EXPECT_EQ(events[2].exit_reason, trading::ExitReason::kStopLoss);
  EXPECT_EQ(events[2].action, sim::Action::kSellYes);
  EXPECT_EQ(events[2].outcome, DecisionOutcome::kExecuted);
  EXPECT_TRUE(events[2].position_after.IsZero());
  const ActorMetrics m = f.service->metrics();
  EXPECT_EQ(m.exits[static_cast<std::size_t>(trading::ExitReason::kStopLoss)], 1);
  // The rule would buy straight back in: entries stay blocked for the re-entry cool-down
  // (15 minutes of market time), then open again.
  f.service->SetSelector(SelectorKind::kHardcoded);
  f.Update("KXA-26JAN01-T1", 4, CheapBook);
  f.service->RunPending();
  auto after = f.sink.Copy();
  ASSERT_EQ(after.size(), 4u);
  EXPECT_EQ(after[3].outcome, DecisionOutcome::kRiskRejected);
  EXPECT_EQ(after[3].risk_reject, risk::RejectReason::kEntryBlocked);
  f.clock.AdvanceNanos(15LL * 60 * 1'000'000'000);
  f.Update("KXA-26JAN01-T1", 5, CheapBook);
  f.service->RunPending();
  after = f.sink.Copy();
  ASSERT_EQ(after.size(), 5u);
  EXPECT_EQ(after[4].outcome, DecisionOutcome::kExecuted);
}

// Cash recovery: once available cash is below the reserve, the open position with the worst
// return is closed first, and only until the reserve is restored. Paper account $1,000,
// reserve $993.80; each buy of 10 YES at 0.30 costs $3.00 + a $0.15 taker fee
// (ceil(0.07 x 10 x 0.3 x 0.7) to the cent in the cash change). A: 1000 - 3 = 997 >= 993.80,
// allowed, cash 996.85; B: 996.85 - 3 = 993.85 >= 993.80, allowed, cash 993.70 — below the
// reserve by the fee. Then A is at -16.7% (bid 0.25) and B at -6.7% (bid 0.28): B decides
// first and holds (not the worst), A is sold (cash recovery; selling spends nothing, so the
// reserve does not refuse it): cash 993.70 + 2.50 - 0.14 = 996.06, above the reserve, so B
// stays.
TEST(ActorServiceTest, CashRecoveryClosesTheWorstPositionFirst) {
  risk::RiskConfig r;
  r.throttle_ns = 0;
  r.cash_reserve = core::Money::FromCents(99'380);
  Fixture f({}, r);
  f.Update("KXA-26JAN01-T1", 1, CheapBook);
  f.Update("KXB-26JAN01-T1", 1, CheapBook);
  f.service->RunPending();
  ASSERT_EQ(f.orders.position("KXA-26JAN01-T1"), core::Count::FromContracts(10));
  ASSERT_EQ(f.orders.position("KXB-26JAN01-T1"), core::Count::FromContracts(10));
  ASSERT_EQ(f.orders.available_cash(), *core::Money::Parse("993.70"));
  f.service->SetSelector(SelectorKind::kDisabled);
  f.Update("KXB-26JAN01-T1", 2, BookAt<28>);
  f.Update("KXA-26JAN01-T1", 2, BookAt<25>);
  f.service->RunPending();
  auto events = f.sink.Copy();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[2].market_ticker, "KXB-26JAN01-T1");
  EXPECT_EQ(events[2].exit_reason, trading::ExitReason::kNone);
  EXPECT_EQ(events[3].market_ticker, "KXA-26JAN01-T1");
  EXPECT_EQ(events[3].exit_reason, trading::ExitReason::kCashRecovery);
  EXPECT_EQ(events[3].outcome, DecisionOutcome::kExecuted) << events[3].detail;
  EXPECT_TRUE(f.orders.position("KXA-26JAN01-T1").IsZero());
  EXPECT_EQ(f.orders.available_cash(), *core::Money::Parse("996.06"));
  // Back above the reserve: B is kept.
  f.Update("KXB-26JAN01-T1", 3, BookAt<28>);
  f.service->RunPending();
  events = f.sink.Copy();
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[4].exit_reason, trading::ExitReason::kNone);
  EXPECT_EQ(f.orders.position("KXB-26JAN01-T1"), core::Count::FromContracts(10));
}

// Closing soon, in a market that left the traded set: with `first` selection only A is
// traded; a position in A stays under the health rules, and 15 minutes before A's close time
// (given by discovery) the actor closes it.
TEST(ActorServiceTest, ClosingSoonClosesPositionsBeforeTheMarketCloses) {
  ActorConfig c;
  const core::Timestamp t0 = core::Timestamp::FromNanos(1'767'225'600'000'000'000);
  c.market_close_times = {{"KXA-26JAN01-T1", core::Timestamp::FromSeconds(t0.seconds() + 3600)}};
  risk::RiskConfig r;
  r.throttle_ns = 0;
  Fixture f(c, r);
  f.Update("KXA-26JAN01-T1", 1, CheapBook);
  f.service->RunPending();
  ASSERT_EQ(f.orders.position("KXA-26JAN01-T1"), core::Count::FromContracts(10));
  f.service->SetSelector(SelectorKind::kDisabled);
  f.clock.AdvanceNanos(40LL * 60 * 1'000'000'000);  // 20 min before the close: not yet
  f.Update("KXA-26JAN01-T1", 2, CheapBook);
  f.service->RunPending();
  EXPECT_EQ(f.orders.position("KXA-26JAN01-T1"), core::Count::FromContracts(10));
  f.clock.AdvanceNanos(6LL * 60 * 1'000'000'000);  // 14 min before
  f.Update("KXA-26JAN01-T1", 3, CheapBook);
  f.service->RunPending();
  const auto events = f.sink.Copy();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].exit_reason, trading::ExitReason::kClosingSoon);
  EXPECT_TRUE(f.orders.position("KXA-26JAN01-T1").IsZero());
}

// A market that left the traded set (hot mode) keeps deciding while it holds a position — for
// the health rules only — and stops once flat.
TEST(ActorServiceTest, MarketsThatLeftKeepTheirPositionsUnderTheHealthRules) {
  ActorConfig c;
  c.market_mode = MarketMode::kHot;
  c.hot_top_k = 1;
  c.position_health.stop_loss = 0.20;
  c.position_health.min_move_per_contract = core::Money::FromCents(5);
  risk::RiskConfig r;
  r.throttle_ns = 0;
  Fixture f(c, r);
  f.Update("KXA-26JAN01-T1", 1, CheapBook);  // A: the only (hot) market, bought
  f.service->RunPending();
  ASSERT_TRUE(f.service->Trades("KXA-26JAN01-T1"));
  ASSERT_EQ(f.orders.position("KXA-26JAN01-T1"), core::Count::FromContracts(10));
  // A turns illiquid (YES 0.32 / 0.54: 22 cents wide; its position is +6.7%, healthy) and B is
  // busier: A leaves at the next ranking.
  f.Update("KXA-26JAN01-T1", 2, [](book::OrderBook& b) {
    Snapshot(b, {{"0.32", "500"}}, {{"0.46", "500"}});
  });
  for (int k = 0; k < 5; ++k) f.Update("KXB-26JAN01-T1", 10 + k, FairBook);
  f.clock.AdvanceNanos(61'000'000'000);
  f.Update("KXB-26JAN01-T1", 20, FairBook);
  f.service->RunPending();
  ASSERT_FALSE(f.service->Trades("KXA-26JAN01-T1"));
  const std::size_t before = f.sink.Copy().size();
  // A's bid falls to 0.20 (-33%): A still triggers and the stop loss closes it.
  f.Update("KXA-26JAN01-T1", 3, BookAt<20>);
  f.service->RunPending();
  auto events = f.sink.Copy();
  ASSERT_EQ(events.size(), before + 1);
  EXPECT_EQ(events.back().market_ticker, "KXA-26JAN01-T1");
  EXPECT_EQ(events.back().exit_reason, trading::ExitReason::kStopLoss);
  EXPECT_TRUE(f.orders.position("KXA-26JAN01-T1").IsZero());
  // Two managed-only decisions: A's queued update when it left (HOLD: healthy) and this exit.
  EXPECT_EQ(f.service->metrics().managed_only, 2);
  // Flat and not traded: no more decisions in A.
  f.Update("KXA-26JAN01-T1", 4, BookAt<20>);
  f.service->RunPending();
  EXPECT_EQ(f.sink.Copy().size(), before + 1);
}

}  // namespace
}  // namespace kalshiflow::actor
