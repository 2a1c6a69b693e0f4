// Settings of the replay environment (DESIGN §5): observation spec, action pricing, the
// execution simulator (latency, queue model, fees, balance precision, marking), starting cash,
// episode limits and order. The trainer stores this next to every model (ToJson) so that an
// evaluation or a later training run replays under the same rules.
//
// Threading: plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/fixed_point.h"
#include "core/status.h"
#include "kalshi/fees.h"
#include "sim/actions.h"
#include "sim/market_sim.h"
#include "sim/queue_model.h"

namespace kalshiflow::env {

/// How Reset chooses the next (session, market) episode.
enum class EpisodeOrder : uint8_t {
  kRandom,      // uniform over all episodes, drawn from the env's seeded core::Rng
  kRoundRobin,  // env i of N plays episodes i, i + N, i + 2N, ... (mod the episode count)
};
std::string_view EpisodeOrderName(EpisodeOrder order);  // "random" / "round_robin"
std::optional<EpisodeOrder> ParseEpisodeOrder(std::string_view text);

/// "cent" / "centi_cent" (kalshi::BalancePrecision).
std::string_view BalancePrecisionName(kalshi::BalancePrecision precision);
std::optional<kalshi::BalancePrecision> ParseBalancePrecision(std::string_view text);
/// Inverse of sim::MarkFallbackName ("last_bid" / "zero").
std::optional<sim::MarkFallback> ParseMarkFallback(std::string_view text);

/// The default starting cash: $100 (10,000 cents), the original kalshiflow_rl environment's
/// `cash_start = 10000` cents. The kalshiflow-v1 portfolio features (35-46) are ratios to the
/// portfolio value, so a 10-contract order moves them by ~5% here, as in the data the
/// original models were trained on (at $10,000 they would stay near zero).
inline constexpr core::Money kDefaultInitialCash = core::Money::FromCents(10'000);

/// Everything that decides how a recorded session turns into observations, fills and rewards.
/// Default-constructed = the documented defaults. JSON keys = field names (see ToJson).
struct EnvConfig {
  /// Observation spec id. Only "kalshiflow-v1" (52 floats) is implemented by the env.
  std::string observation_spec = "kalshiflow-v1";
  /// kalshiflow-v1 feature time zone (features 22-23) as a fixed UTC offset in minutes,
  /// [-1440, 1440]. Default UTC (features README).
  int utc_offset_minutes = 0;

  /// Limit price of an action's order (sim::PriceStrategy; "aggressive" default).
  sim::PriceStrategy price_strategy = sim::PriceStrategy::kAggressive;
  /// The markets' price grid (book::PriceGrid::FromStructureName): what orders snap to and
  /// what the HOLD re-pricing tick is. Stored sessions do not record it; "linear_cent" (1-cent
  /// ticks) fits most Kalshi markets and every recording converted from cent data. A session
  /// with a price off this grid is refused by ReplayEnv::Create (use "centi_cent" to accept
  /// any 4-dp price).
  std::string price_grid = "linear_cent";

  /// sim::SimConfig::latency_ns: decision -> arrival at the book, ns of recorded local time
  /// (>= 0). Default 0 (acts on the book the decision saw, like the original env).
  int64_t latency_ns = 0;
  /// sim::SimConfig::queue_model (JSON: its ToString(), "power:3" default, "risk_averse").
  sim::QueueModel queue_model;
  /// Fee schedule of the traded series (JSON: "fee_type", "fee_multiplier" as a decimal
  /// string). Default quadratic x 1: takers pay ceil(0.07 C P (1 - P)).
  kalshi::FeeSchedule fees;
  kalshi::BalancePrecision balance_precision = kalshi::BalancePrecision::kCent;
  sim::MarkFallback mark_fallback = sim::MarkFallback::kLastBid;
  /// sim::SimConfig::collateral (JSON "collateral": "enforce", the default: an order the
  /// available cash cannot cover is rejected; "off": the unchecked simulator, cash may go
  /// negative).
  sim::CollateralMode collateral = sim::CollateralMode::kEnforce;
  /// Cash at the start of every episode (> 0). JSON: a decimal dollar string ("100.000000").
  core::Money initial_cash = kDefaultInitialCash;

  /// Steps after which an episode is truncated (Gymnasium TimeLimit); 0 = no limit.
  int64_t max_episode_steps = 0;
  EpisodeOrder episode_order = EpisodeOrder::kRandom;
  /// At the end of an episode whose market has a known result (SessionData::SetMarketResult),
  /// settle at it (no fees) instead of leaving the position marked at the last book.
  bool settle_known_results = false;

  /// The simulator settings these fields describe.
  sim::SimConfig ToSimConfig() const;

  friend bool operator==(const EnvConfig&, const EnvConfig&) = default;
};

/// Ok, or InvalidArgument naming the field: unknown or unsupported observation spec (only
/// "kalshiflow-v1"), utc offset out of range, unknown price grid, negative latency,
/// initial_cash <= 0, negative max_episode_steps.
core::Status Validate(const EnvConfig& config);

/// All fields, plus the action spec for the record: "num_actions": 5, "action_contracts": 10
/// (sim::kActionContracts; part of the spec, not configurable).
nlohmann::json ToJson(const EnvConfig& config);
/// Inverse of ToJson. Missing keys keep their defaults. InvalidArgument naming the key on an
/// unknown key, a wrong JSON type, an unparsable value, an action spec other than 5 x 10
/// contracts, or a config that fails Validate.
core::Result<EnvConfig> EnvConfigFromJson(const nlohmann::json& json);

}  // namespace kalshiflow::env
