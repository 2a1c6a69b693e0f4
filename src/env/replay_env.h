// The replay environment: one episode = one market's view of one recorded session (DESIGN
// §5), replayed data point by data point through the execution simulator, with kalshiflow-v1
// observations and rewards = change in marked-to-market portfolio value (net of fees), in
// dollars. Gymnasium-shaped: Reset(seed) -> observation; Step(action) -> {observation,
// reward, terminated, truncated, info}.
//
// One step (the same order of events the live actor sees):
//   1. the action is planned against the current book and the working order
//      (sim::PlanAction with EnvConfig::price_strategy, one working order per market) and
//      submitted to the simulator at the local time of the point's last update;
//   2. the book advances to the next data point: each of its updates is applied to the book
//      and then sim::MarketSim::OnBookUpdate(its local time) runs (latency, queues, crossings);
//   3. at the last data point the episode terminates; with EnvConfig::settle_known_results and
//      a known market result the position is settled there, otherwise it stays marked at the
//      last book;
//   4. reward = MarkedValue() after - MarkedValue() before the step (sim marks long YES at the
//      best YES bid, long NO at the best NO bid; fees are already in the cash);
//   5. the next observation is built: kalshiflow-v1 from the book, the market's history of
//      previous points (10), the point's precomputed session temporal inputs (SessionData),
//      and the simulator's portfolio (cash, portfolio value = MarkedValue(), position with
//      cost basis and the YES mid of the point).
// Reset starts the chosen episode: a fresh book, simulator (EnvConfig::initial_cash) and
// history; applies the first point's updates; returns its observation. An episode of P data
// points has P - 1 steps; markets with fewer than 2 points are not episodes.
//
// Determinism: same SessionData + EnvConfig + seeds + actions => bit-identical observations,
// rewards and infos (no clock, no unseeded randomness; the simulator is deterministic).
// Threading: thread-compatible (one thread drives an env); the SessionData is shared
// read-only. Allocation: Step does not allocate in steady state; Reset allocates (a new book
// and simulator per episode).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "book/order_book.h"
#include "book/price_grid.h"
#include "core/fixed_point.h"
#include "core/rng.h"
#include "core/status.h"
#include "env/env_config.h"
#include "env/session_data.h"
#include "env/vector_env.h"
#include "features/kalshiflow_v1.h"
#include "features/market_history.h"
#include "features/portfolio.h"
#include "sim/actions.h"
#include "sim/market_sim.h"

namespace kalshiflow::env {

/// An episode: indexes into SessionData::sessions() and that session's markets.
struct EpisodeRef {
  uint32_t session = 0;
  uint32_t market = 0;
  friend bool operator==(const EpisodeRef&, const EpisodeRef&) = default;
};

/// Gymnasium `info` of one step. Money in core::Money (1e-6 $), positions in core::Count.
struct StepInfo {
  int64_t step = 0;                           // steps taken in this episode, this one included
  int32_t action = 0;                         // the action applied at this step
  sim::PlanNote plan = sim::PlanNote::kHold;  // what the one-working-order rule did with it
  core::Money reward;                         // exact reward: marked value now - before the step
  core::Money marked_value;                   // cash + position at executable prices
  core::Money pnl;                            // marked_value - initial cash (net of fees)
  core::Money cash;
  core::Money fees;       // fees paid in this episode so far
  core::Money step_fees;  // fees of this step's fills
  core::Count position;   // +YES / -NO contracts (before any settlement)
  core::Money cost_basis;
  int64_t trades = 0;       // fills in this episode so far
  int64_t step_trades = 0;  // fills during this step (ReplayEnv::fills())
  std::array<int64_t, sim::kNumActions> action_counts{};  // actions taken this episode
  bool settled = false;                                   // ended by settlement at a known result
  friend bool operator==(const StepInfo&, const StepInfo&) = default;
};

/// What Step returns. `observation` points into the env (valid until the next Reset/Step).
struct StepResult {
  std::span<const float> observation;
  float reward = 0.0f;  // dollars: info.reward / 1e6, rounded to float
  bool terminated = false;
  bool truncated = false;
  StepInfo info;
};

class ReplayEnv {
 public:
  /// Checks `config` (Validate), that every price of every market of `data` lies on the
  /// configured grid (InvalidArgument naming session, market and price otherwise), and that
  /// some market has >= 2 data points (FailedPrecondition otherwise). `data` is shared.
  static core::Result<std::unique_ptr<ReplayEnv>> Create(std::shared_ptr<const SessionData> data,
                                                         const EnvConfig& config);
  /// A new env over the same data, config and episode list (no re-validation), in its
  /// initial state. Episode schedule: offset 0, stride 1.
  std::unique_ptr<ReplayEnv> Clone() const;

  ReplayEnv(const ReplayEnv&) = delete;
  ReplayEnv& operator=(const ReplayEnv&) = delete;

  static constexpr int kObservationSize = static_cast<int>(features::kKalshiflowV1Size);
  int observation_size() const { return kObservationSize; }
  int num_actions() const { return sim::kNumActions; }

  /// Every (session, market) with >= 2 data points, sessions in SessionData order, markets in
  /// order of first appearance.
  std::span<const EpisodeRef> episodes() const;

  /// Round-robin schedule (EpisodeOrder::kRoundRobin): this env plays episodes offset,
  /// offset + stride, ... (mod the episode count). VectorReplayEnv gives env i (i, N).
  void SetEpisodeSchedule(std::size_t offset, std::size_t stride);

  /// Starts the next episode (EnvConfig::episode_order). With a seed, the env's random
  /// stream restarts from it (and the round-robin cursor from the schedule's offset); without
  /// one it continues (Gymnasium: seed once, then reset()). Returns the first observation.
  std::span<const float> Reset(std::optional<uint64_t> seed = std::nullopt);
  /// Starts episodes()[index] (checked) without touching the episode schedule.
  std::span<const float> ResetTo(std::size_t index);
  /// Applies `action` (0 HOLD, 1 BUY_YES, 2 SELL_YES, 3 BUY_NO, 4 SELL_NO; checked) and
  /// advances one data point. Requires an active episode (after Reset, before the episode
  /// ended; checked). The result stays valid until the next Reset/Step.
  const StepResult& Step(int32_t action);

  /// The same, writing the observation into `out` (observation_size() floats; the result's
  /// observation then points at `out`). Used by VectorReplayEnv to write into its rows.
  void ResetInto(std::optional<uint64_t> seed, std::span<float> out);
  const StepResult& StepInto(int32_t action, std::span<float> out);

  /// The finished (or current) episode as VectorEnv reports it (env_index 0, no terminal
  /// observation: the vector env fills those).
  EpisodeInfo episode_info() const;

  bool active() const { return active_; }
  EpisodeRef episode() const { return episode_; }
  std::size_t episode_index() const { return episode_index_; }
  const MarketStream& market() const;
  storage::SessionId session_id() const;
  /// The current data point (0 after Reset).
  std::size_t point() const { return point_; }
  const book::OrderBook& book() const { return book_; }
  const sim::MarketSim& sim() const { return *sim_; }
  /// Fills of the last step.
  std::span<const sim::Fill> fills() const { return sim_->fills(); }
  const StepResult& last_result() const { return result_; }
  const EnvConfig& config() const;
  const SessionData& data() const;

 private:
  struct Shared;
  explicit ReplayEnv(std::shared_ptr<const Shared> shared);

  void StartEpisode(std::size_t index, std::span<float> out);
  void ApplyPoint(std::size_t point);
  void BuildObservation(std::span<float> out);

  std::shared_ptr<const Shared> shared_;
  core::Rng rng_{0};
  std::size_t schedule_offset_ = 0;
  std::size_t schedule_stride_ = 1;
  std::size_t cursor_ = 0;

  // Episode state.
  bool active_ = false;
  EpisodeRef episode_;
  std::size_t episode_index_ = 0;
  const MarketStream* stream_ = nullptr;
  std::size_t point_ = 0;
  book::OrderBook book_;  // fixed address: sim_ is bound to it
  std::optional<sim::MarketSim> sim_;
  features::MarketHistory history_;
  features::PositionInput position_input_;
  core::Money marked_value_;
  double total_reward_ = 0.0;
  core::Count final_position_;
  std::vector<float> obs_;
  StepResult result_;
};

}  // namespace kalshiflow::env
