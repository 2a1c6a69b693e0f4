// `kalshiflow features dump --session ID [--spec kalshiflow-v1] [--limit N]`: what a model sees.
// Prints JSON lines, one per data point of the session in time order (ties: markets in order
// of first appearance), each with `ts_ms`, `market_ticker`, the market's book after the point
// (`yes_bids`, `no_bids`: [price_dollars, count] string pairs, ascending, best last) and `obs`
// (the spec's floats for that market with a flat portfolio at the starting cash, built by the
// replay environment exactly as in training). A market with a single data point is not a
// training episode; its one line is built the same way (its book after the point, no history,
// the flat portfolio) without the environment.
#include <fmt/core.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <queue>
#include <string>
#include <tuple>
#include <vector>

#include "app/commands.h"
#include "app/database.h"
#include "core/check.h"
#include "env/replay_env.h"
#include "env/session_data.h"
#include "features/observation_spec.h"
#include "sim/actions.h"

namespace kalshiflow::app {
namespace {

struct FeaturesArgs {
  int64_t session_id = 0;
  std::string spec = "kalshiflow-v1";
  int64_t limit = 0;
  std::string database_url;
};

nlohmann::json Ladder(std::span<const core::PriceLevel> levels) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& l : levels) out.push_back({l.price.ToString(), l.count.ToString()});
  return out;
}

void RunDump(const FeaturesArgs& args) {
  auto spec = features::ObservationSpecRegistry::Default().Find(args.spec);
  if (!spec.ok()) throw CommandFailed(2, "features dump: " + spec.error().ToString());
  if (args.limit < 0) throw CommandFailed(2, "features dump: --limit must be >= 0");
  auto store = OpenStoreOrFail(ResolveDatabaseUrl(args.database_url), /*create_if_missing=*/false);
  const std::vector<storage::SessionId> ids = {args.session_id};
  auto data = env::SessionData::Load(*store, ids);
  if (!data.ok()) throw CommandFailed(1, "features dump: " + data.error().ToString());
  auto shared = std::make_shared<const env::SessionData>(std::move(data).value());
  env::EnvConfig config;
  config.observation_spec = args.spec;
  config.price_grid = "centi_cent";  // print any recorded price; orders are never placed here
  bool any_episode = false;
  for (const env::MarketStream& m : shared->sessions()[0].markets) {
    any_episode = any_episode || m.points.size() >= 2;
  }
  std::unique_ptr<env::ReplayEnv> first;
  if (any_episode) {
    auto created = env::ReplayEnv::Create(shared, config);
    if (!created.ok()) throw CommandFailed(1, "features dump: " + created.error().ToString());
    first = std::move(created).value();
  }

  // One env per market episode, merged by the time of each one's current point.
  const size_t n = first ? first->episodes().size() : 0;
  std::vector<std::unique_ptr<env::ReplayEnv>> envs;
  envs.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    envs.push_back(i == 0 ? std::move(first) : envs[0]->Clone());
  }
  // Key: (ts_ms, the market's order of first appearance, slot); slots < n are the envs, the
  // others the single-point markets' lines.
  using Key = std::tuple<int64_t, size_t, size_t>;
  std::priority_queue<Key, std::vector<Key>, std::greater<>> next;
  std::vector<std::vector<float>> obs(n);
  for (size_t i = 0; i < n; ++i) {
    auto o = envs[i]->ResetTo(i);
    obs[i].assign(o.begin(), o.end());
    next.push({envs[i]->market().points[envs[i]->point()].ts_ms, envs[i]->episodes()[i].market, i});
  }
  std::vector<nlohmann::json> single_lines;
  auto grid = book::PriceGrid::FromStructureName(config.price_grid);
  KF_CHECK(grid.ok(), "price grid {}", config.price_grid);
  const auto& markets = shared->sessions()[0].markets;
  for (size_t rank = 0; rank < markets.size(); ++rank) {
    const env::MarketStream& m = markets[rank];
    if (m.points.size() != 1) continue;
    book::OrderBook book(m.ticker, *grid);
    env::ApplyPointUpdates(m, 0, book);
    features::ObservationInputs in;
    in.book = &book;
    in.current.ts_ms = m.points[0].ts_ms;
    in.current.temporal = m.points[0].temporal;
    // Exactly features::BookStats::yes_mid_cents(), as ReplayEnv::BuildObservation.
    if (auto mid = m.points[0].yes_mid())
      in.current.yes_mid_cents = static_cast<double>(*mid) / 200.0;
    in.portfolio.cash = config.initial_cash;
    in.portfolio.portfolio_value = config.initial_cash;
    std::vector<float> o((*spec)->size());
    (*spec)->Build(in, o);
    single_lines.push_back({{"ts_ms", m.points[0].ts_ms},
                            {"market_ticker", m.ticker},
                            {"yes_bids", Ladder(book.Bids(core::OutcomeSide::kYes))},
                            {"no_bids", Ladder(book.Bids(core::OutcomeSide::kNo))},
                            {"obs", o}});
    next.push({m.points[0].ts_ms, rank, n + single_lines.size() - 1});
  }
  int64_t printed = 0;
  while (!next.empty() && (args.limit == 0 || printed < args.limit)) {
    const auto [ts, rank, i] = next.top();
    next.pop();
    if (i >= n) {
      fmt::print("{}\n", single_lines[i - n].dump());
      ++printed;
      continue;
    }
    env::ReplayEnv& e = *envs[i];
    const nlohmann::json line = {{"ts_ms", ts},
                                 {"market_ticker", e.market().ticker},
                                 {"yes_bids", Ladder(e.book().Bids(core::OutcomeSide::kYes))},
                                 {"no_bids", Ladder(e.book().Bids(core::OutcomeSide::kNo))},
                                 {"obs", obs[i]}};
    fmt::print("{}\n", line.dump());
    ++printed;
    if (!e.active()) continue;
    const auto& step = e.Step(static_cast<int32_t>(sim::Action::kHold));
    obs[i].assign(step.observation.begin(), step.observation.end());
    // The point just reached (the last one when the step terminated) is printed when popped;
    // an env that is no longer active is not stepped again.
    next.push({e.market().points[e.point()].ts_ms, rank, i});
  }
}

}  // namespace

void AddFeaturesCommand(CLI::App& app) {
  auto args = std::make_shared<FeaturesArgs>();
  auto* features = app.add_subcommand("features", "Observations as models see them");
  features->require_subcommand(1);
  auto* dump = features->add_subcommand("dump", "Print a session's observations as JSON lines");
  dump->add_option("--session", args->session_id, "Session id")->required();
  dump->add_option("--spec", args->spec, "Observation spec id")->capture_default_str();
  dump->add_option("--limit", args->limit, "At most N lines (0: all)")->capture_default_str();
  dump->add_option("--database-url", args->database_url,
                   "Database URL (default $DATABASE_URL, else sqlite://./data/kalshiflow.db)");
  dump->callback([args] { RunDump(*args); });
}

}  // namespace kalshiflow::app
