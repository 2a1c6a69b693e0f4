#include "app/env_options.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "app/comma_list.h"
#include "app/commands.h"
#include "sim/actions.h"
#include "sim/queue_model.h"

namespace kalshiflow::app {

void AddEnvOptions(CLI::App* cmd, EnvFlags& flags) {
  cmd->add_option("--sessions", flags.sessions,
                  "Comma-separated session ids (default: every recorded session)");
  cmd->add_option("--price-strategy", flags.price_strategy,
                  "Limit price of an action: aggressive, passive or mid")
      ->capture_default_str();
  cmd->add_option("--queue-model", flags.queue_model,
                  "Queue position model of resting orders: risk_averse or power:N")
      ->capture_default_str();
  cmd->add_option("--latency-ms", flags.latency_ms,
                  "Decision-to-book latency in ms of recorded time")
      ->capture_default_str();
  cmd->add_option("--price-grid", flags.price_grid,
                  "Markets' price-level structure (linear_cent, centi_cent, ...)")
      ->capture_default_str();
  cmd->add_option("--initial-cash", flags.initial_cash_dollars, "Cash per episode, dollars")
      ->capture_default_str();
  cmd->add_option("--max-episode-steps", flags.max_episode_steps,
                  "Truncate episodes after N steps (0: no limit)")
      ->capture_default_str();
  cmd->add_option("--episode-order", flags.episode_order, "random or round_robin")
      ->capture_default_str();
  cmd->add_option("--collateral", flags.collateral,
                  "enforce (orders the cash cannot cover are rejected, as Kalshi does) or off")
      ->capture_default_str();
  cmd->add_option("--fee-type", flags.fee_type,
                  "Series fee type: quadratic, quadratic_with_maker_fees, ...")
      ->capture_default_str();
}

env::EnvConfig EnvConfigFromFlagsOrFail(const EnvFlags& flags, const std::string& command) {
  env::EnvConfig config;
  auto fail = [&](const std::string& what) {
    throw CommandFailed(2, fmt::format("{}: {}", command, what));
  };
  auto strategy = sim::ParsePriceStrategy(flags.price_strategy);
  if (!strategy) fail(fmt::format("unknown --price-strategy '{}'", flags.price_strategy));
  config.price_strategy = *strategy;
  auto queue = sim::QueueModel::Parse(flags.queue_model);
  if (!queue.ok()) fail("--queue-model: " + queue.error().ToString());
  config.queue_model = *queue;
  if (!std::isfinite(flags.latency_ms) || flags.latency_ms < 0) {
    fail("--latency-ms must be >= 0");
  }
  config.latency_ns = static_cast<int64_t>(std::llround(flags.latency_ms * 1e6));
  config.price_grid = flags.price_grid;
  if (!std::isfinite(flags.initial_cash_dollars) || flags.initial_cash_dollars <= 0 ||
      flags.initial_cash_dollars > 1e9) {
    fail("--initial-cash must be a positive number of dollars");
  }
  config.initial_cash =
      core::Money::FromUnits(static_cast<int64_t>(std::llround(flags.initial_cash_dollars * 1e6)));
  if (flags.max_episode_steps < 0) fail("--max-episode-steps must be >= 0");
  config.max_episode_steps = flags.max_episode_steps;
  auto order = env::ParseEpisodeOrder(flags.episode_order);
  if (!order) fail(fmt::format("unknown --episode-order '{}'", flags.episode_order));
  config.episode_order = *order;
  auto fees = kalshi::FeeSchedule::Parse(flags.fee_type, "1");
  if (!fees.ok()) fail("--fee-type: " + fees.error().ToString());
  config.fees = *fees;
  auto collateral = sim::ParseCollateralMode(flags.collateral);
  if (!collateral)
    fail(fmt::format("unknown --collateral '{}' (enforce or off)", flags.collateral));
  config.collateral = *collateral;
  if (auto status = env::Validate(config); !status.ok()) fail(status.ToString());
  return config;
}

std::vector<storage::SessionId> ResolveSessionsOrFail(storage::Store& store,
                                                      const std::string& sessions,
                                                      const std::string& command) {
  std::vector<storage::SessionId> ids;
  if (!sessions.empty()) {
    for (const std::string& item : SplitCommaList(sessions)) {
      if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos ||
          item.size() > 15) {
        throw CommandFailed(2,
                            fmt::format("{}: --sessions: '{}' is not a session id", command, item));
      }
      const storage::SessionId id = std::stoll(item);
      auto info = store.GetSession(id);
      if (!info.ok())
        throw CommandFailed(1, fmt::format("{}: {}", command, info.error().ToString()));
      if (info->counts.snapshots == 0) {
        throw CommandFailed(
            1, fmt::format("{}: session {} holds no order-book snapshots", command, id));
      }
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    }
    return ids;
  }
  storage::SessionFilter filter;
  filter.limit = 0;
  auto all = store.ListSessions(filter);
  if (!all.ok()) throw CommandFailed(1, fmt::format("{}: {}", command, all.error().ToString()));
  for (const auto& s : *all) {
    if (s.status != storage::SessionStatus::kActive && s.counts.snapshots > 0) ids.push_back(s.id);
  }
  std::sort(ids.begin(), ids.end());
  if (ids.empty()) {
    throw CommandFailed(1, fmt::format("{}: no recorded sessions with order-book data (run "
                                       "`kalshiflow demo` or `kalshiflow collect` first)",
                                       command));
  }
  return ids;
}

}  // namespace kalshiflow::app
