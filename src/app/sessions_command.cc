// `kalshiflow sessions`: recorded collection sessions in the database (DESIGN §9).
//   sessions list [--status S] [--environment E] [--limit N] [--json] [--database-url URL]
//   sessions show SESSION [--json] [--database-url URL]
// JSON output: each session is an object with `session_id`, `status`, `environment`,
// `started_at`/`ended_at` (ISO 8601 UTC), `market_tickers`, `websocket_url`, the stored row
// counts (`snapshots`, `deltas`, `frames`) and `error`.
#include <fmt/core.h>

#include <nlohmann/json.hpp>
#include <string>

#include "app/commands.h"
#include "app/database.h"
#include "storage/rows.h"
#include "storage/store.h"

namespace kalshiflow::app {
namespace {

struct SessionsArgs {
  std::string database_url;
  bool json = false;
  // list
  std::string status;
  std::string environment;
  int64_t limit = 100;
  // show
  int64_t session_id = 0;
};

nlohmann::json SessionJson(const storage::SessionInfo& s) {
  nlohmann::json j = {
      {"session_id", s.id},
      {"status", storage::SessionStatusName(s.status)},
      {"environment", storage::EnvironmentName(s.environment)},
      {"started_at", s.started_at.ToIso8601()},
      {"ended_at", s.ended_at ? nlohmann::json(s.ended_at->ToIso8601()) : nlohmann::json()},
      {"market_tickers", s.market_tickers},
      {"websocket_url", s.websocket_url},
      {"snapshots", s.counts.snapshots},
      {"deltas", s.counts.deltas},
      {"frames", s.counts.frames},
      {"error", s.error},
  };
  return j;
}

std::string Dump(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

void RunList(const SessionsArgs& args) {
  storage::SessionFilter filter;
  if (!args.status.empty()) {
    filter.status = storage::ParseSessionStatus(args.status);
    if (!filter.status) {
      throw CommandFailed(2, fmt::format("sessions list: unknown --status '{}' (active, closed, "
                                         "error)",
                                         args.status));
    }
  }
  if (!args.environment.empty()) {
    filter.environment = storage::ParseEnvironment(args.environment);
    if (!filter.environment) {
      throw CommandFailed(2, fmt::format("sessions list: unknown --environment '{}' (demo, "
                                         "production, local, replay)",
                                         args.environment));
    }
  }
  filter.limit = args.limit;
  auto store = OpenStoreOrFail(ResolveDatabaseUrl(args.database_url), /*create_if_missing=*/false);
  auto sessions = store->ListSessions(filter);
  if (!sessions.ok())
    throw CommandFailed(1, fmt::format("sessions list: {}", sessions.error().ToString()));
  if (args.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& s : *sessions) list.push_back(SessionJson(s));
    fmt::print("{}\n", Dump(nlohmann::json{{"sessions", std::move(list)}}));
    return;
  }
  fmt::print("{:>6}  {:<7} {:<10} {:<30} {:>7} {:>9} {:>9} {:>9}\n", "id", "status", "environment",
             "started (UTC)", "markets", "snapshots", "deltas", "frames");
  for (const auto& s : *sessions) {
    fmt::print("{:>6}  {:<7} {:<10} {:<30} {:>7} {:>9} {:>9} {:>9}\n", s.id,
               storage::SessionStatusName(s.status), storage::EnvironmentName(s.environment),
               s.started_at.ToIso8601(), s.market_tickers.size(), s.counts.snapshots,
               s.counts.deltas, s.counts.frames);
  }
  if (sessions->empty()) fmt::print("(no sessions)\n");
}

void RunShow(const SessionsArgs& args) {
  auto store = OpenStoreOrFail(ResolveDatabaseUrl(args.database_url), /*create_if_missing=*/false);
  auto session = store->GetSession(args.session_id);
  if (!session.ok()) {
    throw CommandFailed(
        1, fmt::format("sessions show {}: {}", args.session_id, session.error().ToString()));
  }
  const nlohmann::json j = SessionJson(*session);
  if (args.json) {
    fmt::print("{}\n", Dump(j));
    return;
  }
  for (const auto& [key, value] : j.items()) {
    fmt::print("{:<15} {}\n", key, value.is_string() ? value.get<std::string>() : value.dump());
  }
}

}  // namespace

void AddSessionsCommand(CLI::App& app) {
  auto args = std::make_shared<SessionsArgs>();
  auto* cmd = app.add_subcommand("sessions", "List and show recorded collection sessions");
  cmd->require_subcommand(1);
  auto add_common = [&](CLI::App* sub) {
    sub->add_option("--database-url", args->database_url,
                    "Database (default: $DATABASE_URL, else sqlite://./data/kalshiflow.db)");
    sub->add_flag("--json", args->json, "Print JSON");
  };
  auto* list = cmd->add_subcommand("list", "List sessions, newest first");
  add_common(list);
  list->add_option("--status", args->status,
                   "Only sessions with this status (active|closed|error)");
  list->add_option("--environment", args->environment,
                   "Only this environment (demo|production|local|replay)");
  list->add_option("--limit", args->limit, "At most this many (<= 0: all)")->capture_default_str();
  list->callback([args] { RunList(*args); });
  auto* show = cmd->add_subcommand("show", "Show one session");
  add_common(show);
  show->add_option("SESSION", args->session_id, "Session id")->required();
  show->callback([args] { RunShow(*args); });
}

}  // namespace kalshiflow::app
