#include "env/replay_env.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "core/check.h"

namespace kalshiflow::env {

struct ReplayEnv::Shared {
  std::shared_ptr<const SessionData> data;
  EnvConfig config;
  sim::SimConfig sim_config;
  book::PriceGrid grid;
  features::KalshiflowV1Options v1_options;
  std::vector<EpisodeRef> episodes;
};

namespace {

// Every price a replay will hand to a book with `grid` must be valid on it (zero-size
// snapshot levels are skipped by the book, so they are skipped here too).
core::Status CheckGrid(const SessionData& data, const book::PriceGrid& grid) {
  for (const SessionReplay& session : data.sessions()) {
    for (const MarketStream& market : session.markets) {
      auto bad = [&](core::Price price) {
        return core::InvalidArgumentError(
            fmt::format("session {} market {}: price {} is not on the price grid '{}' (set "
                        "EnvConfig::price_grid, e.g. \"centi_cent\")",
                        session.id, market.ticker, price.ToString(), grid.name()));
      };
      for (const core::PriceLevel& level : market.levels) {
        if (!level.count.IsZero() && !grid.IsValidBookPrice(level.price)) return bad(level.price);
      }
      for (const MarketUpdate& u : market.updates) {
        if (u.kind != MarketUpdate::Kind::kDelta) continue;
        const core::Price price = core::Price::FromUnits(u.price_units);
        if (!grid.IsValidBookPrice(price)) return bad(price);
      }
    }
  }
  return core::Status::Ok();
}

float ToDollarsFloat(core::Money money) {
  return static_cast<float>(static_cast<double>(money.units()) /
                            static_cast<double>(core::Money::kUnitsPerDollar));
}

}  // namespace

core::Result<std::unique_ptr<ReplayEnv>> ReplayEnv::Create(std::shared_ptr<const SessionData> data,
                                                           const EnvConfig& config) {
  if (data == nullptr) return core::InvalidArgumentError("ReplayEnv::Create: no session data");
  KF_RETURN_IF_ERROR(Validate(config));
  auto shared = std::make_shared<Shared>();
  shared->config = config;
  shared->sim_config = config.ToSimConfig();
  KF_ASSIGN_OR_RETURN(shared->grid, book::PriceGrid::FromStructureName(config.price_grid));
  shared->v1_options.utc_offset_minutes = config.utc_offset_minutes;
  KF_RETURN_IF_ERROR(CheckGrid(*data, shared->grid));
  const auto sessions = data->sessions();
  std::string ids;
  for (std::size_t s = 0; s < sessions.size(); ++s) {
    ids += (s == 0 ? "" : ", ") + std::to_string(sessions[s].id);
    for (std::size_t m = 0; m < sessions[s].markets.size(); ++m) {
      if (sessions[s].markets[m].points.size() >= 2) {
        shared->episodes.push_back(EpisodeRef{static_cast<uint32_t>(s), static_cast<uint32_t>(m)});
      }
    }
  }
  if (shared->episodes.empty()) {
    return core::FailedPreconditionError(
        fmt::format("no market with at least 2 data points in sessions [{}]", ids));
  }
  shared->data = std::move(data);
  return std::unique_ptr<ReplayEnv>(new ReplayEnv(std::move(shared)));
}

ReplayEnv::ReplayEnv(std::shared_ptr<const Shared> shared)
    : shared_(std::move(shared)), obs_(features::kKalshiflowV1Size, 0.0f) {
  result_.observation = obs_;
}

std::unique_ptr<ReplayEnv> ReplayEnv::Clone() const {
  return std::unique_ptr<ReplayEnv>(new ReplayEnv(shared_));
}

std::span<const EpisodeRef> ReplayEnv::episodes() const { return shared_->episodes; }
const EnvConfig& ReplayEnv::config() const { return shared_->config; }
const SessionData& ReplayEnv::data() const { return *shared_->data; }
const MarketStream& ReplayEnv::market() const {
  KF_CHECK(stream_ != nullptr, "ReplayEnv: no episode started");
  return *stream_;
}
storage::SessionId ReplayEnv::session_id() const {
  return shared_->data->sessions()[episode_.session].id;
}

void ReplayEnv::SetEpisodeSchedule(std::size_t offset, std::size_t stride) {
  KF_CHECK(stride >= 1, "episode schedule stride {} < 1", stride);
  schedule_offset_ = offset;
  schedule_stride_ = stride;
  cursor_ = offset;
}

std::span<const float> ReplayEnv::Reset(std::optional<uint64_t> seed) {
  ResetInto(seed, obs_);
  return obs_;
}

std::span<const float> ReplayEnv::ResetTo(std::size_t index) {
  KF_CHECK(index < shared_->episodes.size(), "episode {} of {}", index, shared_->episodes.size());
  StartEpisode(index, obs_);
  return obs_;
}

void ReplayEnv::ResetInto(std::optional<uint64_t> seed, std::span<float> out) {
  const std::size_t count = shared_->episodes.size();
  if (seed) {
    rng_ = core::Rng(*seed);
    cursor_ = schedule_offset_;
  }
  std::size_t index = 0;
  if (shared_->config.episode_order == EpisodeOrder::kRandom) {
    index = static_cast<std::size_t>(rng_.UniformInt(0, static_cast<int64_t>(count) - 1));
  } else {
    index = cursor_ % count;
    cursor_ = (cursor_ + schedule_stride_) % count;
  }
  StartEpisode(index, out);
}

void ReplayEnv::StartEpisode(std::size_t index, std::span<float> out) {
  KF_CHECK(out.size() == features::kKalshiflowV1Size, "observation row of {} floats, need {}",
           out.size(), features::kKalshiflowV1Size);
  episode_index_ = index;
  episode_ = shared_->episodes[index];
  stream_ = &shared_->data->sessions()[episode_.session].markets[episode_.market];
  book_ = book::OrderBook(stream_->ticker, shared_->grid);
  sim_.emplace(book_, shared_->sim_config);
  history_.Clear();
  point_ = 0;
  total_reward_ = 0.0;
  final_position_ = core::Count();
  ApplyPoint(0);
  marked_value_ = sim_->MarkedValue();
  active_ = true;
  result_ = StepResult{};
  result_.info.marked_value = marked_value_;
  result_.info.cash = sim_->portfolio().cash();
  BuildObservation(out);
  result_.observation = out;
}

void ReplayEnv::ApplyPoint(std::size_t point) {
  ApplyPointUpdates(*stream_, point, book_, [this](const MarketUpdate& u) {
    sim_->OnBookUpdate(core::Timestamp::FromNanos(u.local_ns));
  });
}

void ReplayEnv::BuildObservation(std::span<float> out) {
  const MarketPoint& point = stream_->points[point_];
  const std::optional<int64_t> mid = point.yes_mid();
  features::ObservationInputs in;
  in.book = &book_;
  in.history = &history_;
  in.current.ts_ms = point.ts_ms;
  in.current.temporal = point.temporal;
  // Exactly features::BookStats::yes_mid_cents(): (byb + bya) / 200.
  if (mid) in.current.yes_mid_cents = static_cast<double>(*mid) / 200.0;
  const sim::Portfolio& portfolio = sim_->portfolio();
  position_input_.position = portfolio.position();
  position_input_.cost_basis = portfolio.cost_basis();
  position_input_.yes_mid_twice = mid;
  in.portfolio.cash = portfolio.cash();
  in.portfolio.portfolio_value = marked_value_;
  if (!portfolio.position().IsZero()) in.portfolio.positions = {&position_input_, 1};
  features::BuildKalshiflowV1(in, out, shared_->v1_options);
  history_.Push(in.current);
}

const StepResult& ReplayEnv::Step(int32_t action) { return StepInto(action, obs_); }

const StepResult& ReplayEnv::StepInto(int32_t action, std::span<float> out) {
  KF_CHECK(active_, "ReplayEnv::Step without an active episode (call Reset)");
  const std::optional<sim::Action> act = sim::ActionFromIndex(action);
  KF_CHECK(act.has_value(), "action {} outside [0, {})", action, sim::kNumActions);
  KF_CHECK(out.size() == features::kKalshiflowV1Size, "observation row of {} floats, need {}",
           out.size(), features::kKalshiflowV1Size);
  const EnvConfig& config = shared_->config;
  const MarketStream& s = *stream_;
  sim_->ClearEvents();

  // 1. Decide at the current point, at the local time of its last update.
  const core::Timestamp decision_ts =
      core::Timestamp::FromNanos(s.updates[s.points[point_].end - 1].local_ns);
  const sim::ActionPlan plan =
      sim::PlanAction(*act, book_, sim_->working_order(), config.price_strategy);
  sim_->Submit(plan.view(), decision_ts);

  // 2. Advance to the next data point.
  ++point_;
  ApplyPoint(point_);
  const bool terminated = point_ + 1 == s.points.size();

  // 3. End of data: settle at a known result, else stay marked at the last book.
  StepInfo& info = result_.info;
  info.position = sim_->portfolio().position();
  bool settled = false;
  if (terminated) {
    final_position_ = info.position;
    if (config.settle_known_results && s.result) {
      sim_->Settle(*s.result, core::Timestamp::FromNanos(s.updates.back().local_ns));
      settled = true;
    }
  }

  // 4. Reward.
  const core::Money marked = sim_->MarkedValue();
  const core::Money reward = marked - marked_value_;
  marked_value_ = marked;
  const float reward_f = ToDollarsFloat(reward);
  total_reward_ += static_cast<double>(reward_f);

  ++info.step;
  info.action = action;
  info.plan = plan.note;
  info.reward = reward;
  info.marked_value = marked;
  info.pnl = marked - config.initial_cash;
  const sim::Portfolio& portfolio = sim_->portfolio();
  info.cash = portfolio.cash();
  info.fees = portfolio.fees_paid();
  info.cost_basis = portfolio.cost_basis();
  info.step_fees = core::Money();
  for (const sim::Fill& fill : sim_->fills()) info.step_fees += fill.fee.net_fee;
  info.step_trades = static_cast<int64_t>(sim_->fills().size());
  info.trades += info.step_trades;
  ++info.action_counts[static_cast<std::size_t>(action)];
  info.settled = settled;
  const bool truncated =
      !terminated && config.max_episode_steps > 0 && info.step >= config.max_episode_steps;
  if (truncated) final_position_ = info.position;

  // 5. Next observation.
  BuildObservation(out);
  result_.observation = out;
  result_.reward = reward_f;
  result_.terminated = terminated;
  result_.truncated = truncated;
  if (terminated || truncated) active_ = false;
  return result_;
}

EpisodeInfo ReplayEnv::episode_info() const {
  EpisodeInfo info;
  const StepInfo& s = result_.info;
  info.total_reward = total_reward_;
  info.length = s.step;
  info.pnl_micros = (marked_value_ - shared_->config.initial_cash).units();
  info.fees_micros = s.fees.units();
  info.trades = s.trades;
  info.final_position = (active_ ? s.position : final_position_).units();
  info.truncated = result_.truncated;
  return info;
}

}  // namespace kalshiflow::env
