// The live actor (DESIGN §7): triggered by every book update the collector's write queue
// accepted, it keeps the same observation state as training (LiveFeatures), queues one
// trigger per market (bounded, coalesced: a market already waiting is not queued twice, its
// decision runs on the freshest book), and runs the serial pipeline per trigger:
//   1. observation: the spec's builder (kalshiflow-v1) on the market's book, history, current
//      data point and the order manager's portfolio — the same builder and tracker as training;
//   2. action: the selector (rl_model argmax, the hard-coded mean-reversion rule, or disabled);
//   3. safe execute: risk checks (kill switch, market cool-down, breakers, throttle, position
//      limit, cash reserve, contract size) then OrderManager::ExecuteAction (one working order
//      per market, sim::PlanAction);
//   4. positions: the order manager's position and cash after the action;
// and reports every decision, HOLD included, as an ActorEvent with the orderbook seq it acted
// on.
//
// Threading: OnAcceptedUpdate is called by the collector's thread; Start() runs the pipeline on
// one actor thread (or RunPending runs it on the caller, for tests and benchmarks — never both).
// The OrderManager, the RiskManager's Record*/Check and the event sink are used only by the
// pipeline thread. SetSelector, SetPaused, SwapModel, RunOnPipeline, LatestBook, Markets,
// metrics() and the risk kill switch may be called from any thread. Business time (order and risk
// timestamps, throttle windows, event times) comes from the injected clock — wall time live, market
// time in a replay; latencies are measured on std::chrono::steady_clock.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "actor/live_features.h"
#include "actor/selectors.h"
#include "core/status.h"
#include "core/time.h"
#include "features/observation_spec.h"
#include "risk/risk_manager.h"
#include "sim/actions.h"
#include "trading/order_manager.h"
#include "trading/position_health.h"

namespace kalshiflow::actor {

/// Which collected markets the actor trades (DESIGN §7 "Market selection"). Every collected
/// market feeds the observation state either way (the session temporal inputs span them all).
enum class MarketMode : uint8_t {
  kConfig,  // the listed tickers
  kFirst,   // the first N markets seen
  kAll,     // every collected market
  kHot,     // the most active liquid markets, re-ranked periodically (see ActorConfig::hot_*)
};
std::string_view MarketModeName(MarketMode mode);  // "config", "first", "all", "hot"
std::optional<MarketMode> ParseMarketMode(std::string_view text);

struct ActorConfig {
  SelectorKind selector = SelectorKind::kHardcoded;
  std::string observation_spec = "kalshiflow-v1";
  sim::PriceStrategy price_strategy = sim::PriceStrategy::kAggressive;
  core::Count contract_size = sim::kActionContracts;  // DESIGN §7: locked at 10
  std::size_t trigger_queue_capacity = 10'000;        // markets waiting, >= 1
  MarketMode market_mode = MarketMode::kAll;
  std::vector<std::string> tickers;  // kConfig
  int first_markets = 1;             // kFirst, >= 1
  /// kHot (DESIGN §7): every hot_rank_interval_ms of business time, rank the collected markets
  /// by activity over the last hot_window_ms (log(1 + book updates + traded contracts), trades
  /// from OnAcceptedTrade), keep those with both YES sides quoted and a YES spread
  /// <= hot_max_spread, and trade the top hot_top_k (activity counted per second, so the window
  /// edge is exact to 1 s). Hysteresis: a traded market leaves only
  /// when it falls out of the top 2K or turns illiquid. Leaving cancels its working orders
  /// (positions are left to the position rules); every change is an actor event.
  int hot_top_k = 1;                      // >= 1
  int64_t hot_rank_interval_ms = 60'000;  // > 0
  int64_t hot_window_ms = 300'000;        // > 0
  core::Price hot_max_spread = core::Price::FromCents(10);
  /// Position health (DESIGN §8): take profit, stop loss, max hold, closing soon, and cash
  /// recovery (available cash below the risk manager's reserve: the open position with the
  /// worst return goes first). A firing rule replaces the decision's action by the reducing one
  /// (SELL_YES / SELL_NO, at most contract_size, the remainder when smaller) at the aggressive
  /// price, through the same risk checks, whatever the selector (disabled included). A market
  /// that left the traded set (hot mode) keeps triggering while it holds a position, for these
  /// rules only (its selector is not consulted).
  trading::PositionHealthConfig position_health;
  /// Market close times (market discovery's close_time) for the closing-soon rule.
  std::vector<std::pair<std::string, core::Timestamp>> market_close_times;
  /// Copy each decision's observation into its event (parity tests, debugging; allocates).
  bool record_observations = false;
  /// Latency samples kept for the p50/p99 metrics (a ring of the most recent), >= 1.
  std::size_t latency_samples = 65'536;
};
/// InvalidArgument naming the field when a value is out of range (empty ticker list in
/// kConfig mode, capacity or first_markets < 1, non-positive contract size).
core::Status Validate(const ActorConfig& config);

/// What happened to one decision.
enum class DecisionOutcome : uint8_t {
  kHold,          // HOLD chosen (any re-pricing of a drifted order is in plan_note / ops_sent)
  kExecuted,      // the order manager carried out the action (ops_sent may be 0: unchanged)
  kRiskRejected,  // a risk check refused it (risk_reject says which)
  kError,         // the model output was not finite, or the order manager reported an error
};
std::string_view DecisionOutcomeName(DecisionOutcome outcome);

/// One decision (DESIGN §7 "actor events"), or a market-selection change (event_type
/// "market_selected" / "market_left": action HOLD, no latencies). Persisted through the write
/// queue by the sink the app wires in, broadcast on /rl/ws.
struct ActorEvent {
  std::string event_type = "decision";
  int64_t decision = 0;  // 1, 2, ... per ActorService (0 for selection changes)
  std::string market_ticker;
  int64_t seq = 0;          // the orderbook seq of the latest update the decision saw
  int64_t point_ts_ms = 0;  // the market's current data point
  SelectorKind selector = SelectorKind::kHardcoded;
  int64_t model_id = 0;  // rl_model: the registry id of the model used, else 0
  sim::Action action = sim::Action::kHold;
  int model_action = 0;  // the model's own action index (discrete-21 differs from `action`)
  float probability = 1;
  DecisionOutcome outcome = DecisionOutcome::kHold;
  std::optional<risk::RejectReason> risk_reject;
  /// Set when position health replaced the selector's action (the event's `action` is the exit).
  trading::ExitReason exit_reason = trading::ExitReason::kNone;
  std::string detail;  // risk detail or error message
  sim::PlanNote plan_note = sim::PlanNote::kHold;
  int ops_sent = 0;
  core::Count position_after;
  core::Money cash_after;
  core::Money portfolio_value_after;
  core::Timestamp decided_at;
  int64_t queue_wait_ns = 0;       // trigger enqueued -> pipeline started
  int64_t observation_ns = 0;      // step 1
  int64_t prediction_ns = 0;       // step 2
  int64_t decision_ns = 0;         // pipeline start -> order handed to the order manager (or HOLD)
  std::vector<float> observation;  // only with ActorConfig::record_observations
};

/// Receives every decision on the pipeline thread, in order. Must not block for long.
class ActorEventSink {
 public:
  virtual ~ActorEventSink() = default;
  virtual void OnDecision(const ActorEvent& event) = 0;
};

/// Latency summary in ns over the kept samples.
struct LatencySummary {
  int64_t count = 0;  // samples ever recorded
  int64_t p50_ns = 0;
  int64_t p99_ns = 0;
  int64_t max_ns = 0;
};

/// DESIGN §7 metrics, a consistent snapshot.
struct ActorMetrics {
  int64_t updates_ingested = 0;
  int64_t triggers_enqueued = 0;
  int64_t triggers_coalesced = 0;  // updates of a market that was already waiting
  int64_t trigger_overflows = 0;   // triggers refused because the queue was full
  int64_t queue_depth = 0;
  int64_t max_queue_depth = 0;
  int64_t decisions = 0;
  std::array<int64_t, sim::kNumActions> actions{};  // by sim::Action
  int64_t executed = 0;
  int64_t risk_rejected = 0;
  int64_t errors = 0;
  int64_t ops_sent = 0;
  int64_t model_swaps = 0;
  int64_t markets_selected = 0;      // hot mode: markets that entered the traded set
  int64_t markets_left = 0;          // hot mode: markets that left it
  int64_t updates_while_paused = 0;  // ingested while paused (no trigger queued)
  int64_t control_tasks = 0;         // RunOnPipeline tasks run
  /// DESIGN §7: actions (non-HOLD decisions) in the last 60 s of business time, decisions
  /// served by the cached model (rl_model with a model loaded; loads are model_swaps), and
  /// errors by type ("no_model", "model_output", or the order manager's status code name, e.g.
  /// "failed_precondition" for insufficient_balance).
  int64_t actions_last_minute = 0;
  int64_t model_cache_hits = 0;
  std::map<std::string, int64_t> errors_by_type;
  /// The last decision that ended in an error: "<ticker>: <detail>" ("" before any), e.g.
  /// "KXHIGHNY-25DEC08-B35.5: failed_precondition: insufficient_balance: insufficient balance".
  std::string last_error;
  /// Position-health exits that sent orders (a place, amend or cancel; an exit order already
  /// resting unchanged is not counted again), by trading::ExitReason (kNone unused).
  std::array<int64_t, trading::kNumExitReasons> exits{};
  int64_t managed_only = 0;  // decisions in markets not traded but still holding a position
  bool paused = false;
  std::string selector;
  int64_t model_id = 0;
  LatencySummary observation, prediction, decision, queue_wait;
  /// The risk manager's circuit breakers (by risk::Breaker) as the last decision left them:
  /// open, when it closes (business time), trips so far.
  std::array<risk::BreakerStatus, risk::kNumBreakers> breakers{};
};

class ActorService {
 public:
  /// Errors: InvalidArgument (config), NotFound (unknown observation spec). `orders`, `risk`,
  /// `clock` and `sink` (may be null) must outlive the service.
  static core::Result<std::unique_ptr<ActorService>> Create(ActorConfig config,
                                                            trading::OrderManager& orders,
                                                            risk::RiskManager& risk,
                                                            const core::Clock& clock,
                                                            ActorEventSink* sink);
  ~ActorService();  // Stop()
  ActorService(const ActorService&) = delete;
  ActorService& operator=(const ActorService&) = delete;

  /// Collector thread, after WriteQueue::TryEnqueue accepted the update: updates the
  /// observation state and, for a traded market, queues a trigger (coalesced per market). A
  /// full queue counts an overflow and trips the risk manager's queue-overflow breaker on the
  /// pipeline thread (the update itself is still ingested). Updates before the session's first
  /// exchange time are held by LiveFeatures and trigger when it arrives.
  void OnAcceptedUpdate(const AcceptedUpdate& update);
  /// Collector thread, for a public trade whose frame the write queue accepted: its contracts
  /// count towards the market's `hot` activity (DESIGN §7: book updates + traded contracts).
  /// Trades of a market not seen yet on the book channel are ignored. No decision is triggered.
  void OnAcceptedTrade(std::string_view market_ticker, core::Count count);

  /// Starts the pipeline thread. Stop() processes what is queued, then joins.
  void Start();
  void Stop();
  /// Runs up to `max` queued triggers on the calling thread; returns how many ran. Only
  /// without Start().
  std::size_t RunPending(std::size_t max = static_cast<std::size_t>(-1));
  /// Blocks until the queue is empty and no decision is running (with Start()).
  void WaitIdle();

  /// Switches the selector at runtime (any thread); rl_model without a model decides HOLD and
  /// reports an error.
  void SetSelector(SelectorKind kind);
  /// Pauses / resumes decisions (any thread; `POST /rl/actor/stop|start`). While paused every
  /// update still feeds the observation state (so decisions resume on a current session
  /// history) but queues no trigger; triggers already queued are decided.
  void SetPaused(bool paused);
  bool paused() const { return paused_.load(std::memory_order_acquire); }
  /// Queues `task` to run on the pipeline thread between two decisions (with Start(); or in
  /// the next RunPending), the only thread that may use the order manager and the risk
  /// manager's Record*/Check. Tasks run in order, before the next trigger. Returns false (the
  /// task is dropped) once Stop() was called. The control API uses it for kill (cancel every
  /// working order) and consistent portfolio reads.
  bool RunOnPipeline(std::function<void()> task);
  /// The latest book of `ticker` as the actor saw it (any thread; a copy) and, in `seq`, the
  /// orderbook seq of that update; nullopt when the market was never ingested.
  std::optional<book::OrderBook> LatestBook(std::string_view ticker, int64_t* seq = nullptr) const;
  /// Every ingested market's ticker, in order of first appearance, with whether it is traded.
  std::vector<std::pair<std::string, bool>> Markets() const;
  /// Replaces the model atomically (any thread); decisions already running keep the old one.
  void SwapModel(std::shared_ptr<const ActorModel> model);
  std::shared_ptr<const ActorModel> model() const;

  /// Whether the actor trades `ticker` (market selection).
  bool Trades(std::string_view ticker) const;
  ActorMetrics metrics() const;
  const ActorConfig& config() const { return config_; }

 private:
  ActorService(ActorConfig config, const features::ObservationSpec& spec,
               trading::OrderManager& orders, risk::RiskManager& risk, const core::Clock& clock,
               ActorEventSink* sink);
  struct Trigger {
    uint32_t market = 0;
    int64_t enqueued_ns = 0;   // steady clock
    bool manage_only = false;  // set by Pop: not traded, holding (position health only)
  };
  // Queues a trigger for market `m` unless it is not traded, already waiting (coalesced) or
  // the queue is full (overflow). Caller holds mu_. True when queued.
  bool EnqueueLocked(uint32_t m);
  // kHot: re-ranks when the interval has passed (business time); caller holds mu_.
  void RankHotLocked(int64_t now_ms);
  // Pipeline thread: cancels the working orders of markets that left and reports the changes.
  void ApplySelectionChanges();
  // Pops one trigger (caller holds no lock); false when the queue is empty.
  bool Pop(Trigger& out);
  void Decide(const Trigger& trigger);
  // Pipeline thread: the position-health rule that closes `ticker`'s position now (kNone).
  trading::ExitReason ExitFor(const std::string& ticker, core::Count position,
                              const book::OrderBook& book, core::Timestamp now);
  void RecordLatency(std::vector<int64_t>& ring, int64_t& count, int64_t ns);
  static LatencySummary Summarize(const std::vector<int64_t>& ring, int64_t count);
  void RunLoop();

  const ActorConfig config_;
  const features::ObservationSpec& spec_;
  trading::OrderManager& orders_;
  risk::RiskManager& risk_;
  const core::Clock& clock_;
  ActorEventSink* sink_;

  // Guarded by mu_: the observation state, the trigger queue, ingest counters.
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  LiveFeatures features_;
  std::vector<uint32_t> ingested_;  // scratch of OnAcceptedUpdate
  std::deque<Trigger> queue_;
  std::vector<uint8_t> queued_;   // by market index
  std::vector<int8_t> traded_;    // by market index: -1 unknown, 0 no, 1 yes
  std::vector<uint8_t> holding_;  // by market index: an open position (set by the pipeline)
  int traded_count_ = 0;
  int64_t updates_ingested_ = 0, triggers_enqueued_ = 0, triggers_coalesced_ = 0;
  int64_t trigger_overflows_ = 0, max_queue_depth_ = 0;
  int64_t pending_overflows_ = 0;  // to report to the risk manager on the pipeline thread
  // kHot state (guarded by mu_): update counts per market in the window, last ranking time,
  // selection changes waiting for the pipeline thread.
  // Per market: (second, updates in that second), oldest first — at most window/1 s entries
  // per market whatever the update rate (memory stays bounded for 1,000 busy markets).
  struct ActivityBucket {
    int64_t second = 0;
    int64_t updates = 0;
    int64_t contract_units = 0;  // traded contracts, core::Count units
  };
  // The bucket of market `m` for the current business second (caller holds mu_).
  ActivityBucket& CurrentBucketLocked(uint32_t m, int64_t now_ms);
  std::vector<std::deque<ActivityBucket>> activity_;
  std::optional<int64_t> last_rank_ms_;
  struct SelectionChange {
    std::string ticker;
    bool selected = false;
    double score = 0;
  };
  std::vector<SelectionChange> pending_changes_;
  int64_t markets_selected_ = 0, markets_left_ = 0;
  std::deque<std::function<void()>> tasks_;  // RunOnPipeline
  int64_t updates_while_paused_ = 0, control_tasks_ = 0;
  bool running_decision_ = false;
  bool stop_ = false;
  std::thread thread_;

  std::atomic<SelectorKind> selector_;
  std::atomic<bool> paused_{false};
  mutable std::mutex model_mu_;
  std::shared_ptr<const ActorModel> model_;  // guarded by model_mu_
  std::atomic<int64_t> model_swaps_{0};

  // Pipeline thread only.
  trading::PositionHealth health_;
  std::vector<uint8_t> holding_seen_;  // the pipeline's copy of holding_
  MarketSnapshot snapshot_;
  std::vector<std::unique_ptr<book::OrderBook>> books_;  // by market: stable, for the manager
  struct TickerHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, uint32_t, TickerHash, std::equal_to<>> book_index_;
  std::vector<std::optional<int64_t>> marks_;  // by market: YES mid (twice) of books_[m]
  std::vector<float> observation_;
  std::vector<features::PositionInput> positions_;
  SelectorScratch scratch_;
  ActorEvent event_;

  // Metrics of the pipeline (guarded by metrics_mu_).
  mutable std::mutex metrics_mu_;
  int64_t decisions_ = 0, executed_ = 0, risk_rejected_ = 0, errors_ = 0, ops_sent_ = 0;
  int64_t managed_only_ = 0;
  std::array<int64_t, trading::kNumExitReasons> exits_{};
  int64_t model_cache_hits_ = 0;
  std::map<std::string, int64_t> errors_by_type_;
  std::string last_error_;
  // Actions per business second over the last minute: a ring of (second, count).
  std::array<std::pair<int64_t, int64_t>, 60> action_seconds_{};
  int64_t last_decision_second_ = 0;
  std::array<risk::BreakerStatus, risk::kNumBreakers> breakers_{};  // after the last decision
  std::array<int64_t, sim::kNumActions> action_counts_{};
  std::vector<int64_t> obs_ns_, pred_ns_, decision_ns_, wait_ns_;
  int64_t obs_count_ = 0, pred_count_ = 0, decision_count_ = 0, wait_count_ = 0;
};

}  // namespace kalshiflow::actor
