#include "actor/actor_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/check.h"

namespace kalshiflow::actor {
namespace {

// Latencies are measured on the steady clock; business time (orders, risk windows, event
// times) comes from the injected clock, which a replay may drive in market time.
int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string_view MarketModeName(MarketMode mode) {
  switch (mode) {
    case MarketMode::kConfig:
      return "config";
    case MarketMode::kFirst:
      return "first";
    case MarketMode::kAll:
      return "all";
    case MarketMode::kHot:
      return "hot";
  }
  return "?";
}

std::optional<MarketMode> ParseMarketMode(std::string_view text) {
  if (text == "config") return MarketMode::kConfig;
  if (text == "first") return MarketMode::kFirst;
  if (text == "all") return MarketMode::kAll;
  if (text == "hot") return MarketMode::kHot;
  return std::nullopt;
}

std::string_view DecisionOutcomeName(DecisionOutcome outcome) {
  switch (outcome) {
    case DecisionOutcome::kHold:
      return "hold";
    case DecisionOutcome::kExecuted:
      return "executed";
    case DecisionOutcome::kRiskRejected:
      return "risk_rejected";
    case DecisionOutcome::kError:
      return "error";
  }
  return "?";
}

core::Status Validate(const ActorConfig& c) {
  if (c.trigger_queue_capacity < 1) {
    return core::InvalidArgumentError("actor: trigger_queue_capacity must be >= 1");
  }
  if (c.market_mode == MarketMode::kConfig && c.tickers.empty()) {
    return core::InvalidArgumentError("actor: market mode 'config' needs at least one ticker");
  }
  if (c.market_mode == MarketMode::kFirst && c.first_markets < 1) {
    return core::InvalidArgumentError(
        fmt::format("actor: first_markets must be >= 1, got {}", c.first_markets));
  }
  if (c.contract_size.units() <= 0) {
    return core::InvalidArgumentError(
        fmt::format("actor: contract_size must be > 0, got {}", c.contract_size.ToString()));
  }
  if (c.market_mode == MarketMode::kHot &&
      (c.hot_top_k < 1 || c.hot_rank_interval_ms <= 0 || c.hot_window_ms <= 0 ||
       c.hot_max_spread.units() <= 0)) {
    return core::InvalidArgumentError(fmt::format(
        "actor: hot mode needs hot_top_k >= 1, positive intervals and spread, got k={} "
        "interval={} ms window={} ms spread={}",
        c.hot_top_k, c.hot_rank_interval_ms, c.hot_window_ms, c.hot_max_spread.ToString()));
  }
  if (c.latency_samples < 1) {
    return core::InvalidArgumentError("actor: latency_samples must be >= 1");
  }
  if (core::Status health = trading::Validate(c.position_health); !health.ok()) return health;
  return core::Status::Ok();
}

core::Result<std::unique_ptr<ActorService>> ActorService::Create(ActorConfig config,
                                                                 trading::OrderManager& orders,
                                                                 risk::RiskManager& risk,
                                                                 const core::Clock& clock,
                                                                 ActorEventSink* sink) {
  KF_RETURN_IF_ERROR(Validate(config));
  auto spec = features::ObservationSpecRegistry::Default().Find(config.observation_spec);
  if (!spec.ok()) return spec.error();
  return std::unique_ptr<ActorService>(
      new ActorService(std::move(config), **spec, orders, risk, clock, sink));
}

ActorService::ActorService(ActorConfig config, const features::ObservationSpec& spec,
                           trading::OrderManager& orders, risk::RiskManager& risk,
                           const core::Clock& clock, ActorEventSink* sink)
    : config_(std::move(config)),
      spec_(spec),
      orders_(orders),
      risk_(risk),
      clock_(clock),
      sink_(sink),
      selector_(config_.selector),
      health_(config_.position_health) {
  for (const auto& [ticker, close_time] : config_.market_close_times) {
    health_.SetCloseTime(ticker, close_time);
  }
  observation_.resize(spec_.size());
  for (auto* ring : {&obs_ns_, &pred_ns_, &decision_ns_, &wait_ns_}) {
    ring->assign(config_.latency_samples, 0);
  }
}

ActorService::~ActorService() { Stop(); }

bool ActorService::Trades(std::string_view ticker) const {
  switch (config_.market_mode) {
    case MarketMode::kAll:
      return true;
    case MarketMode::kConfig:
      return std::find(config_.tickers.begin(), config_.tickers.end(), ticker) !=
             config_.tickers.end();
    case MarketMode::kFirst:
    case MarketMode::kHot: {
      std::lock_guard lock(mu_);
      const auto m = features_.FindMarket(ticker);
      return m && *m < traded_.size() && traded_[*m] == 1;
    }
  }
  return false;
}

void ActorService::OnAcceptedUpdate(const AcceptedUpdate& update) {
  bool queued = false;
  {
    std::lock_guard lock(mu_);
    ++updates_ingested_;
    ingested_.clear();
    features_.Ingest(update, &ingested_);
    if (config_.market_mode == MarketMode::kHot && !ingested_.empty()) {
      const int64_t now_ms = clock_.Now().millis();
      for (uint32_t m : ingested_) ++CurrentBucketLocked(m, now_ms).updates;
      const std::size_t changes = pending_changes_.size();
      RankHotLocked(now_ms);
      queued |= pending_changes_.size() != changes;  // wake the pipeline to apply them
    }
    if (paused_.load(std::memory_order_acquire)) {
      ++updates_while_paused_;
    } else {
      for (uint32_t m : ingested_) queued |= EnqueueLocked(m);
    }
  }
  if (queued) wake_.notify_one();
}

ActorService::ActivityBucket& ActorService::CurrentBucketLocked(uint32_t m, int64_t now_ms) {
  if (m >= activity_.size()) activity_.resize(m + 1);
  auto& buckets = activity_[m];
  const int64_t second = now_ms / 1000;
  if (buckets.empty() || buckets.back().second != second) buckets.push_back({second, 0, 0});
  return buckets.back();
}

void ActorService::OnAcceptedTrade(std::string_view market_ticker, core::Count count) {
  if (config_.market_mode != MarketMode::kHot || !count.IsPositive()) return;
  std::lock_guard lock(mu_);
  const auto m = features_.FindMarket(market_ticker);
  if (!m) return;
  CurrentBucketLocked(*m, clock_.Now().millis()).contract_units += count.units();
}

bool ActorService::EnqueueLocked(uint32_t m) {
  if (m >= queued_.size()) {
    queued_.resize(m + 1, 0);
    traded_.resize(m + 1, -1);
  }
  if (traded_[m] < 0) {
    bool trade = false;
    switch (config_.market_mode) {
      case MarketMode::kAll:
        trade = true;
        break;
      case MarketMode::kConfig:
        trade = std::find(config_.tickers.begin(), config_.tickers.end(), features_.ticker(m)) !=
                config_.tickers.end();
        break;
      case MarketMode::kFirst:
        trade = traded_count_ < config_.first_markets;
        break;
      case MarketMode::kHot:
        trade = false;  // RankHotLocked decides
        break;
    }
    traded_[m] = trade ? 1 : 0;
    if (trade) ++traded_count_;
  }
  if (traded_[m] == 0 && !(m < holding_.size() && holding_[m] != 0)) return false;
  if (queued_[m] != 0) {
    ++triggers_coalesced_;
    return false;
  }
  if (queue_.size() >= config_.trigger_queue_capacity) {
    ++trigger_overflows_;
    ++pending_overflows_;
    return false;
  }
  queue_.push_back(Trigger{m, SteadyNanos()});
  queued_[m] = 1;
  ++triggers_enqueued_;
  max_queue_depth_ = std::max<int64_t>(max_queue_depth_, static_cast<int64_t>(queue_.size()));
  return true;
}

void ActorService::RankHotLocked(int64_t now_ms) {
  if (last_rank_ms_ && now_ms - *last_rank_ms_ < config_.hot_rank_interval_ms) return;
  last_rank_ms_ = now_ms;
  const uint32_t n = features_.market_count();
  if (traded_.size() < n) {
    queued_.resize(n, 0);
    traded_.resize(n, -1);
  }
  if (activity_.size() < n) activity_.resize(n);
  struct Ranked {
    double score;
    uint32_t market;
  };
  std::vector<Ranked> eligible;
  std::vector<double> score(n, 0.0);
  for (uint32_t m = 0; m < n; ++m) {
    // The window in whole seconds: buckets of seconds that ended before now - window drop out.
    auto& buckets = activity_[m];
    const int64_t first_second = (now_ms - config_.hot_window_ms) / 1000;
    while (!buckets.empty() && buckets.front().second < first_second) buckets.pop_front();
    int64_t updates = 0;
    int64_t contract_units = 0;
    for (const ActivityBucket& b : buckets) {
      updates += b.updates;
      contract_units += b.contract_units;
    }
    score[m] = std::log1p(static_cast<double>(updates) +
                          static_cast<double>(contract_units) /
                              static_cast<double>(core::Count::kUnitsPerContract));
    const book::OrderBook& b = features_.book(m);
    const auto bid = b.BestBid(core::OutcomeSide::kYes);
    const auto ask = b.BestAsk(core::OutcomeSide::kYes);
    if (bid && ask && ask->price - bid->price <= config_.hot_max_spread) {
      eligible.push_back({score[m], m});
    }
  }
  // Most active first; ties by order of first appearance (deterministic).
  std::stable_sort(eligible.begin(), eligible.end(),
                   [](const Ranked& a, const Ranked& b) { return a.score > b.score; });
  const std::size_t k = static_cast<std::size_t>(config_.hot_top_k);
  std::vector<uint8_t> keep(n, 0);
  std::size_t kept = 0;
  // Incumbents stay while in the top 2K and liquid (eligible).
  for (std::size_t r = 0; r < eligible.size() && r < 2 * k; ++r) {
    const uint32_t m = eligible[r].market;
    if (traded_[m] == 1 && kept < k) {
      keep[m] = 1;
      ++kept;
    }
  }
  for (std::size_t r = 0; r < eligible.size() && kept < k; ++r) {
    const uint32_t m = eligible[r].market;
    if (keep[m] == 0) {
      keep[m] = 1;
      ++kept;
    }
  }
  for (uint32_t m = 0; m < n; ++m) {
    const bool was = traded_[m] == 1;
    const bool is = keep[m] == 1;
    if (was == is) continue;
    traded_[m] = is ? 1 : 0;
    pending_changes_.push_back({features_.ticker(m), is, score[m]});
    if (is) {
      ++markets_selected_;
    } else {
      ++markets_left_;
    }
  }
}

void ActorService::ApplySelectionChanges() {
  std::vector<SelectionChange> changes;
  {
    std::lock_guard lock(mu_);
    if (pending_changes_.empty()) return;
    changes.swap(pending_changes_);
  }
  for (const SelectionChange& c : changes) {
    const core::Timestamp now = clock_.Now();
    // Leaving a market cancels its working orders; positions stay for the position rules.
    if (!c.selected) orders_.CancelAll(c.ticker, now);
    ActorEvent e;
    e.event_type = c.selected ? "market_selected" : "market_left";
    e.market_ticker = c.ticker;
    e.decided_at = now;
    e.action = sim::Action::kHold;
    e.outcome = DecisionOutcome::kHold;
    e.detail = fmt::format("hot activity score {:.3f}", c.score);
    e.position_after = orders_.position(c.ticker);
    e.cash_after = orders_.cash();
    e.portfolio_value_after = orders_.portfolio_value();
    if (sink_ != nullptr) sink_->OnDecision(e);
  }
}

bool ActorService::Pop(Trigger& out) {
  int64_t overflows = 0;
  bool popped = false;
  std::deque<std::function<void()>> tasks;
  {
    std::lock_guard lock(mu_);
    tasks.swap(tasks_);
    running_decision_ = !tasks.empty();
  }
  for (auto& task : tasks) task();
  {
    std::lock_guard lock(mu_);
    control_tasks_ += static_cast<int64_t>(tasks.size());
    overflows = pending_overflows_;
    pending_overflows_ = 0;
    while (!queue_.empty() && !popped) {
      out = queue_.front();
      queue_.pop_front();
      queued_[out.market] = 0;
      out.manage_only = traded_[out.market] != 1;
      if (out.manage_only && !(out.market < holding_.size() && holding_[out.market] != 0)) {
        continue;  // left the traded set while waiting (hot) and holds nothing
      }
      const bool ok = features_.Snapshot(out.market, snapshot_);
      KF_CHECK(ok, "a queued market without data ({})", out.market);
      popped = true;
    }
    running_decision_ = popped || !pending_changes_.empty();
  }
  if (overflows > 0) risk_.RecordQueueOverflow();
  ApplySelectionChanges();
  if (!popped) {
    std::lock_guard lock(mu_);
    running_decision_ = false;
  }
  return popped;
}

std::size_t ActorService::RunPending(std::size_t max) {
  KF_CHECK(!thread_.joinable(), "RunPending while the pipeline thread runs");
  std::size_t ran = 0;
  Trigger t;
  while (ran < max && Pop(t)) {
    Decide(t);
    ++ran;
  }
  std::lock_guard lock(mu_);
  running_decision_ = false;
  return ran;
}

void ActorService::Start() {
  KF_CHECK(!thread_.joinable(), "ActorService::Start twice");
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] { RunLoop(); });
}

void ActorService::RunLoop() {
  Trigger t;
  while (true) {
    if (Pop(t)) {
      Decide(t);
      continue;
    }
    std::unique_lock lock(mu_);
    idle_.notify_all();
    if (stop_) return;
    wake_.wait(lock, [this] {
      return stop_ || !queue_.empty() || pending_overflows_ > 0 || !pending_changes_.empty() ||
             !tasks_.empty();
    });
    if (stop_ && queue_.empty() && tasks_.empty()) {
      idle_.notify_all();
      return;
    }
  }
}

void ActorService::Stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ActorService::WaitIdle() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [this] {
    return queue_.empty() && pending_changes_.empty() && tasks_.empty() && !running_decision_;
  });
}

void ActorService::SetSelector(SelectorKind kind) { selector_.store(kind); }

void ActorService::SetPaused(bool paused) { paused_.store(paused, std::memory_order_release); }

bool ActorService::RunOnPipeline(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    if (stop_) return false;
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
  return true;
}

std::optional<book::OrderBook> ActorService::LatestBook(std::string_view ticker,
                                                        int64_t* seq) const {
  std::lock_guard lock(mu_);
  const auto m = features_.FindMarket(ticker);
  if (!m) return std::nullopt;
  if (seq != nullptr) *seq = features_.seq(*m);
  return features_.book(*m);
}

std::vector<std::pair<std::string, bool>> ActorService::Markets() const {
  std::lock_guard lock(mu_);
  std::vector<std::pair<std::string, bool>> out;
  const uint32_t n = features_.market_count();
  out.reserve(n);
  for (uint32_t m = 0; m < n; ++m) {
    bool traded = false;
    switch (config_.market_mode) {
      case MarketMode::kAll:
        traded = true;
        break;
      case MarketMode::kConfig:
        traded = std::find(config_.tickers.begin(), config_.tickers.end(), features_.ticker(m)) !=
                 config_.tickers.end();
        break;
      case MarketMode::kFirst:
      case MarketMode::kHot:
        traded = m < traded_.size() && traded_[m] == 1;
        break;
    }
    out.emplace_back(std::string(features_.ticker(m)), traded);
  }
  return out;
}

void ActorService::SwapModel(std::shared_ptr<const ActorModel> model) {
  {
    std::lock_guard lock(model_mu_);
    model_ = std::move(model);
  }
  model_swaps_.fetch_add(1);
}

std::shared_ptr<const ActorModel> ActorService::model() const {
  std::lock_guard lock(model_mu_);
  return model_;
}

void ActorService::RecordLatency(std::vector<int64_t>& ring, int64_t& count, int64_t ns) {
  ring[static_cast<std::size_t>(count) % ring.size()] = ns;
  ++count;
}

LatencySummary ActorService::Summarize(const std::vector<int64_t>& ring, int64_t count) {
  LatencySummary s;
  s.count = count;
  const std::size_t n = std::min<std::size_t>(ring.size(), static_cast<std::size_t>(count));
  if (n == 0) return s;
  std::vector<int64_t> v(ring.begin(), ring.begin() + static_cast<std::ptrdiff_t>(n));
  std::sort(v.begin(), v.end());
  s.p50_ns = v[(n - 1) / 2];
  s.p99_ns = v[std::min(n - 1, static_cast<std::size_t>(static_cast<double>(n - 1) * 0.99 + 0.5))];
  s.max_ns = v.back();
  return s;
}

namespace {

// Signed position change of an action of `size` contracts (+YES / -NO).
core::Count PositionChange(sim::Action action, core::Count size) {
  switch (action) {
    case sim::Action::kBuyYes:
    case sim::Action::kSellNo:
      return size;
    case sim::Action::kSellYes:
    case sim::Action::kBuyNo:
      return -size;
    case sim::Action::kHold:
      break;
  }
  return core::Count();
}

// Contracts of `change` that open (or enlarge) a position from `current`: none for a pure
// reduction, the part past zero for a flip.
core::Count OpeningContracts(core::Count current, core::Count change) {
  const int64_t cur = current.units();
  const int64_t next = cur + change.units();
  const int64_t abs_cur = cur < 0 ? -cur : cur;
  const int64_t abs_next = next < 0 ? -next : next;
  if (next == 0) return core::Count();
  if (cur == 0 || (cur > 0) != (next > 0)) return core::Count::FromUnits(abs_next);  // past zero
  return core::Count::FromUnits(abs_next > abs_cur ? abs_next - abs_cur : 0);
}

}  // namespace

trading::ExitReason ActorService::ExitFor(const std::string& ticker, core::Count position,
                                          const book::OrderBook& book, core::Timestamp now) {
  const trading::ExitReason rule =
      health_.Check(ticker, position, orders_.cost_basis(ticker), book, now);
  if (rule != trading::ExitReason::kNone || !config_.position_health.enabled) return rule;
  if (orders_.available_cash() >= risk_.config().cash_reserve) return rule;
  // Cash recovery: this market goes when its position has the worst return of all open ones,
  // each marked on its latest book (the observation state's; rare path, under its lock).
  std::optional<double> worst;
  std::string worst_ticker;
  std::lock_guard lock(mu_);
  orders_.ForEachOpenPosition(
      [&](std::string_view market, core::Count held, core::Money cost_basis) {
        const auto m = features_.FindMarket(market);
        const book::OrderBook& b = market == ticker ? book : m ? features_.book(*m) : book;
        if (market != ticker && !m) return;  // never seen: no price to judge it by
        const auto r = trading::MarkPosition(held, cost_basis, b).return_ratio;
        if (r && (!worst || *r < *worst)) {
          worst = r;
          worst_ticker = std::string(market);
        }
      });
  return worst && worst_ticker == ticker ? trading::ExitReason::kCashRecovery
                                         : trading::ExitReason::kNone;
}

void ActorService::Decide(const Trigger& trigger) {
  const core::Timestamp start = clock_.Now();
  const int64_t t_start = SteadyNanos();
  const uint32_t m = trigger.market;
  const std::string& ticker = snapshot_.market_ticker;
  if (m >= books_.size()) books_.resize(m + 1);
  if (!books_[m]) {
    books_[m] = std::make_unique<book::OrderBook>();
    book_index_.emplace(ticker, m);
  }
  book::OrderBook& book = *books_[m];
  book = snapshot_.book;
  if (m >= marks_.size()) marks_.resize(m + 1);
  marks_[m] = features::MarkOf(book);  // once per book copy, read by other markets' decisions
  orders_.OnBookUpdate(ticker, book, start);

  ActorEvent& e = event_;
  e.market_ticker = ticker;
  e.seq = snapshot_.seq;
  e.point_ts_ms = snapshot_.current.ts_ms;
  e.decided_at = start;
  e.queue_wait_ns = t_start - trigger.enqueued_ns;
  e.risk_reject.reset();
  e.detail.clear();
  e.plan_note = sim::PlanNote::kHold;
  e.ops_sent = 0;
  e.model_id = 0;
  e.probability = 1;

  // 1. Observation: the training builder on the market's state and the live portfolio.
  positions_.clear();
  orders_.ForEachOpenPosition(
      [&](std::string_view market, core::Count position, core::Money cost_basis) {
        features::PositionInput in;
        in.position = position;
        in.cost_basis = cost_basis;
        if (market == ticker) {
          in.yes_mid_twice = features::MarkOf(book);
        } else if (auto it = book_index_.find(market); it != book_index_.end()) {
          // Another market's mark from the latest book the pipeline saw for it.
          in.yes_mid_twice = features::MarkOf(*books_[it->second]);
        }
        positions_.push_back(in);
      });
  features::ObservationInputs inputs;
  inputs.book = &book;
  inputs.history = &snapshot_.history;
  inputs.current = snapshot_.current;
  inputs.portfolio.cash = orders_.cash();
  inputs.portfolio.portfolio_value = orders_.portfolio_value();
  inputs.portfolio.positions = positions_;
  inputs.orders = orders_.order_features(ticker);
  spec_.Build(inputs, observation_);
  const int64_t t_observed = SteadyNanos();

  // 2. Action.
  const SelectorKind kind = selector_.load();
  e.selector = kind;
  Selection sel;
  sel.size = config_.contract_size;
  std::string error;
  std::string_view error_type;
  bool model_hit = false;
  switch (trigger.manage_only ? SelectorKind::kDisabled : kind) {
    case SelectorKind::kRlModel: {
      std::shared_ptr<const ActorModel> model = this->model();
      if (model == nullptr) {
        error = "rl_model selected but no model is loaded";
        error_type = "no_model";
        sel.action = sim::Action::kHold;
      } else {
        sel = SelectWithModel(model, observation_, config_.contract_size, scratch_);
        e.model_id = model->model_id;
        model_hit = true;
        if (!sel.ok) {
          error = fmt::format("model {} produced a non-finite output", model->label);
          error_type = "model_output";
        }
      }
      break;
    }
    case SelectorKind::kHardcoded:
      sel.action = sim::MeanReversionAction(book);
      sel.model_action = static_cast<int>(sel.action);
      break;
    case SelectorKind::kDisabled:
      sel.action = sim::Action::kHold;
      break;
  }
  const int64_t t_predicted = SteadyNanos();
  e.model_action = sel.model_action;
  e.probability = sel.probability;

  // Position health: a rule that fires replaces the action by the exit (aggressive price).
  sim::PriceStrategy strategy = config_.price_strategy;
  e.exit_reason = trading::ExitReason::kNone;
  const core::Count position = orders_.position(ticker);
  // Fills the venue reported but whose fill messages are not booked yet: the risk checks
  // count them (the venue's position), the health rules wait for them (their cost is unknown).
  const core::Count unbooked = orders_.unbooked_position(ticker);
  if (error.empty() && !position.IsZero() && unbooked.IsZero()) {
    e.exit_reason = ExitFor(ticker, position, book, start);
    if (e.exit_reason != trading::ExitReason::kNone) {
      const core::Count held = position.IsNegative() ? -position : position;
      sel.action = position.IsPositive() ? sim::Action::kSellYes : sim::Action::kSellNo;
      sel.size = held < config_.contract_size ? held : config_.contract_size;
      strategy = sim::PriceStrategy::kAggressive;
    }
  }
  e.action = error.empty() ? sel.action : sim::Action::kHold;

  // 3. Safe execute. `Execute` hands the action to the order manager and records the outcome;
  // only a trade (not HOLD's re-pricing) counts for the throttle and the error streak reset.
  auto execute = [&](sim::Action action, bool trade) {
    const trading::ExecutionResult r =
        orders_.ExecuteAction(ticker, action, book, strategy, sel.size, start);
    e.plan_note = r.note;
    e.ops_sent = r.ops_sent;
    if (r.error) {
      e.outcome = DecisionOutcome::kError;
      e.detail = r.error->ToString();
      error_type = core::StatusCodeName(r.error->code());
      risk_.RecordError(ticker);
    } else if (trade) {
      e.outcome = DecisionOutcome::kExecuted;
      if (r.ops_sent > 0) risk_.RecordOrderSent(ticker);
      risk_.RecordSuccess(ticker);
      if (e.exit_reason != trading::ExitReason::kNone &&
          config_.position_health.reentry_cooldown_ns > 0) {
        risk_.BlockEntries(ticker, config_.position_health.reentry_cooldown_ns,
                           std::string(trading::ExitReasonName(e.exit_reason)) + " exit");
      }
    }
  };
  if (!error.empty()) {
    e.outcome = DecisionOutcome::kError;
    e.detail = error;
  } else if (sel.action == sim::Action::kHold) {
    e.outcome = DecisionOutcome::kHold;
    if (!risk_.kill_switch_engaged()) execute(sim::Action::kHold, /*trade=*/false);
  } else {
    risk::OrderIntent intent;
    intent.market_ticker = ticker;
    intent.position_change = PositionChange(sel.action, sel.size);
    const std::optional<core::BookSide> side = sim::ActionSide(sel.action);
    const std::optional<core::Price> price =
        side ? sim::StrategyPrice(book, *side, strategy) : std::nullopt;
    // Only contracts that open a position spend cash: selling what is held releases it.
    const core::Count opening = OpeningContracts(position + unbooked, intent.position_change);
    intent.cost = price ? core::Notional(sim::LegPrice(*side, *price), opening) : core::Money();
    intent.current_position = position + unbooked;
    intent.available_cash = orders_.available_cash();
    const risk::RiskDecision d = risk_.Check(intent);
    if (!d.allowed()) {
      e.outcome = DecisionOutcome::kRiskRejected;
      e.risk_reject = d.reject;
      e.detail = d.detail;
    } else {
      execute(sel.action, /*trade=*/true);
    }
  }
  const int64_t t_handed = SteadyNanos();
  e.observation_ns = t_observed - t_start;
  e.prediction_ns = t_predicted - t_observed;
  e.decision_ns = t_handed - t_start;
  risk_.RecordPipelineLatency(e.decision_ns);
  if (kind == SelectorKind::kRlModel) risk_.RecordPredictionLatency(e.prediction_ns);

  // 4. Positions.
  e.position_after = orders_.position(ticker);
  health_.Observe(ticker, e.position_after, start);
  const uint8_t holds = e.position_after.IsZero() ? 0 : 1;
  if (m >= holding_seen_.size()) holding_seen_.resize(m + 1, 0);
  if (holding_seen_[m] != holds) {  // rare: a position opened or closed
    holding_seen_[m] = holds;
    std::lock_guard lock(mu_);
    if (m >= holding_.size()) holding_.resize(m + 1, 0);
    holding_[m] = holds;
  }
  e.cash_after = orders_.cash();
  e.portfolio_value_after = orders_.portfolio_value();
  risk_.RecordAvailableCash(orders_.available_cash());
  if (config_.record_observations) {
    e.observation.assign(observation_.begin(), observation_.end());
  } else {
    e.observation.clear();
  }

  // The breakers as this decision left them (the risk manager is the pipeline thread's).
  std::array<risk::BreakerStatus, risk::kNumBreakers> breakers;
  for (int b = 0; b < risk::kNumBreakers; ++b) {
    breakers[static_cast<std::size_t>(b)] = risk_.breaker_status(static_cast<risk::Breaker>(b));
  }
  {
    std::lock_guard lock(metrics_mu_);
    breakers_ = breakers;
    e.decision = ++decisions_;
    if (trigger.manage_only) ++managed_only_;
    if (e.ops_sent > 0) ++exits_[static_cast<std::size_t>(e.exit_reason)];
    if (model_hit) ++model_cache_hits_;
    if (e.outcome == DecisionOutcome::kError) {
      ++errors_by_type_[std::string(error_type.empty() ? "other" : error_type)];
      last_error_ = fmt::format("{}: {}", ticker, e.detail);
    }
    last_decision_second_ = start.seconds();
    if (e.action != sim::Action::kHold) {
      auto& [second, count] =
          action_seconds_[static_cast<std::size_t>(((last_decision_second_ % 60) + 60) % 60)];
      if (second != last_decision_second_) {
        second = last_decision_second_;
        count = 0;
      }
      ++count;
    }
    ++action_counts_[static_cast<std::size_t>(e.action)];
    switch (e.outcome) {
      case DecisionOutcome::kExecuted:
        ++executed_;
        break;
      case DecisionOutcome::kRiskRejected:
        ++risk_rejected_;
        break;
      case DecisionOutcome::kError:
        ++errors_;
        break;
      case DecisionOutcome::kHold:
        break;
    }
    ops_sent_ += e.ops_sent;
    RecordLatency(obs_ns_, obs_count_, e.observation_ns);
    RecordLatency(pred_ns_, pred_count_, e.prediction_ns);
    RecordLatency(decision_ns_, decision_count_, e.decision_ns);
    RecordLatency(wait_ns_, wait_count_, e.queue_wait_ns);
  }
  if (sink_ != nullptr) sink_->OnDecision(e);
}

ActorMetrics ActorService::metrics() const {
  ActorMetrics out;
  {
    std::lock_guard lock(mu_);
    out.updates_ingested = updates_ingested_;
    out.triggers_enqueued = triggers_enqueued_;
    out.triggers_coalesced = triggers_coalesced_;
    out.trigger_overflows = trigger_overflows_;
    out.queue_depth = static_cast<int64_t>(queue_.size());
    out.max_queue_depth = max_queue_depth_;
    out.markets_selected = markets_selected_;
    out.markets_left = markets_left_;
    out.updates_while_paused = updates_while_paused_;
    out.control_tasks = control_tasks_;
  }
  out.paused = paused_.load(std::memory_order_acquire);
  {
    std::lock_guard lock(metrics_mu_);
    out.decisions = decisions_;
    out.actions = action_counts_;
    out.executed = executed_;
    out.risk_rejected = risk_rejected_;
    out.errors = errors_;
    out.ops_sent = ops_sent_;
    out.observation = Summarize(obs_ns_, obs_count_);
    out.prediction = Summarize(pred_ns_, pred_count_);
    out.decision = Summarize(decision_ns_, decision_count_);
    out.queue_wait = Summarize(wait_ns_, wait_count_);
    out.breakers = breakers_;
    out.exits = exits_;
    out.exits[0] = 0;
    out.managed_only = managed_only_;
    out.model_cache_hits = model_cache_hits_;
    out.errors_by_type = errors_by_type_;
    out.last_error = last_error_;
    for (const auto& [second, count] : action_seconds_) {
      if (count > 0 && second > last_decision_second_ - 60) out.actions_last_minute += count;
    }
  }
  out.selector = std::string(SelectorKindName(selector_.load()));
  out.model_swaps = model_swaps_.load();
  if (auto m = model()) out.model_id = m->model_id;
  return out;
}

}  // namespace kalshiflow::actor
