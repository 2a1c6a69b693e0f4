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
#include "feed/integrity.h"
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
  // verify
  std::string recording;
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

nlohmann::json VerifyJson(const feed::VerifyReport& r) {
  return {{"session_id", r.session_id},
          {"recording", r.recording},
          {"markets", r.markets},
          {"markets_stored", r.markets_stored},
          {"recording_updates", r.recording_updates},
          {"stored_snapshots", r.stored_snapshots},
          {"stored_deltas", r.stored_deltas},
          {"stored_updates", r.stored_snapshots + r.stored_deltas},
          {"books_checked", r.books_checked},
          {"in_step", r.in_step},
          {"mismatches", r.mismatches},
          {"final_books_equal", r.final_books_equal},
          {"first_mismatches", r.first_mismatches},
          {"ok", r.ok()}};
}

void RunVerify(const SessionsArgs& args) {
  auto store = OpenStoreOrFail(ResolveDatabaseUrl(args.database_url), /*create_if_missing=*/false);
  auto report = feed::VerifySession(*store, args.session_id, args.recording);
  if (!report.ok()) {
    throw CommandFailed(
        1, fmt::format("sessions verify {}: {}", args.session_id, report.error().ToString()));
  }
  if (args.json) {
    fmt::print("{}\n", Dump(VerifyJson(*report)));
  } else {
    fmt::print(
        "session {} vs {}: {} books checked ({} in step), {} mismatches; {} of {} markets stored, "
        "{} final books equal the recording's; stored {} updates, recording has {}\n",
        report->session_id, report->recording, report->books_checked, report->in_step,
        report->mismatches, report->markets_stored, report->markets, report->final_books_equal,
        report->stored_snapshots + report->stored_deltas, report->recording_updates);
    for (const auto& m : report->first_mismatches) fmt::print("  mismatch: {}\n", m);
  }
  if (!report->ok()) throw CommandFailed(1, "sessions verify: the stored books do not match");
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
  auto* verify = cmd->add_subcommand(
      "verify",
      "Rebuild every book from the session's stored rows and compare it with a recording's "
      "ground truth after every update (exit 1 on any mismatch)");
  add_common(verify);
  verify->add_option("SESSION", args->session_id, "Session id")->required();
  verify->add_option("--recording", args->recording, "The recording the exchange replayed")
      ->required();
  verify->callback([args] { RunVerify(*args); });
}

}  // namespace kalshiflow::app
