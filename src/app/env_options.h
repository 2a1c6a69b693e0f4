// Command-line options shared by `train` and `evaluate`: which recorded sessions to replay and
// the replay environment's settings (env::EnvConfig, DESIGN §5).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "env/env_config.h"
#include "storage/store.h"

namespace kalshiflow::app {

struct EnvFlags {
  std::string sessions;  // "1,2,5"; empty = every closed session with order-book updates
  std::string price_strategy = "aggressive";
  std::string queue_model = "power:3";
  double latency_ms = 0;
  std::string price_grid = "linear_cent";
  double initial_cash_dollars = 100;
  int64_t max_episode_steps = 0;
  std::string episode_order = "random";
  std::string fee_type = "quadratic";
  std::string collateral = "enforce";
};

/// Adds --sessions, --price-strategy, --queue-model, --latency-ms, --price-grid,
/// --initial-cash, --max-episode-steps, --episode-order, --fee-type, --collateral to `cmd`.
void AddEnvOptions(CLI::App* cmd, EnvFlags& flags);

/// The EnvConfig the flags describe. Throws CommandFailed(2, ...) naming the bad flag.
env::EnvConfig EnvConfigFromFlagsOrFail(const EnvFlags& flags, const std::string& command);

/// The session ids `flags.sessions` names (each must exist and hold updates), or every
/// closed/error session with updates, oldest first. Throws CommandFailed when none qualify.
std::vector<storage::SessionId> ResolveSessionsOrFail(storage::Store& store,
                                                      const std::string& sessions,
                                                      const std::string& command);

}  // namespace kalshiflow::app
