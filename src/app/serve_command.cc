// kalshiflow serve: the API and the dashboard without an actor (DESIGN §9) — the model
// registry (GET /rl/models[/{id}], PUT /rl/models/{id} to promote / archive, GET /rl/compare),
// GET /rl/health and GET /rl/status, and the dashboard's static files. Runs until SIGINT /
// SIGTERM or --duration.
//
//   kalshiflow serve [--port 8080] [--bind 127.0.0.1] [--token-file F] [--static-dir web]
//                    [--port-file F] [--database-url U] [--duration S]
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "app/actor_api.h"
#include "app/collect_runner.h"
#include "app/commands.h"
#include "app/database.h"
#include "server/json_response.h"

namespace kalshiflow::app {
namespace {

struct ServeArgs {
  ApiArgs api;
  std::string database_url;
  double duration_s = 0;  // 0 = until a signal
};

void RunServe(ServeArgs& args) {
  if (args.duration_s < 0) throw CommandFailed(2, "serve: --duration must be >= 0");
  const std::string url = ResolveDatabaseUrl(args.database_url);
  std::unique_ptr<storage::Store> store = OpenStoreOrFail(url, /*create_if_missing=*/false);
  std::unique_ptr<server::HttpServer> http = CreateApiServerOrFail(args.api, "serve");
  const std::unique_ptr<server::RegistryApi> registry = AddRegistryRoutes(*http, *store);
  const auto started = std::chrono::steady_clock::now();
  http->Handle("GET", "/rl/health", [&store](const server::HttpRequest&) {
    storage::ModelFilter one;
    one.limit = 1;
    const bool database_ok = store->ListModels(one).ok();
    return server::JsonResponse(
        {{"status", database_ok ? "ok" : "degraded"},
         {"checks", {{"database", database_ok ? "ok" : "unavailable"}, {"actor", "none"}}}},
        database_ok ? 200 : 503);
  });
  http->Handle("GET", "/rl/status", [&store, started](const server::HttpRequest&) {
    storage::ModelFilter deployed;
    deployed.status = storage::ModelStatus::kDeployed;
    deployed.limit = 0;
    auto models = store->ListModels(deployed);
    nlohmann::json names = nlohmann::json::array();
    if (models.ok()) {
      for (const storage::ModelInfo& m : *models) names.push_back(storage::ModelJson(m));
    }
    return server::JsonResponse(
        {{"mode", "serve"},
         {"actor", nullptr},  // no actor in this process: /rl/actor/* and /rl/positions 404
         {"deployed_models", names},
         {"uptime_s",
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()}});
  });
  http->Start();
  WriteApiPortFile(args.api, http->port(), "serve");
  std::fprintf(stderr, "serve: API on %s (%s; /rl/models, /rl/compare%s)\n", http->url().c_str(),
               RedactedDatabaseUrl(url).c_str(),
               args.api.static_dir.empty() ? "" : ", the dashboard at /");
  InstallStopSignalHandlers();
  const auto deadline = started + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                      std::chrono::duration<double>(args.duration_s));
  while (!StopRequested().load() &&
         (args.duration_s == 0 || std::chrono::steady_clock::now() < deadline)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  http->Stop();
  const server::HttpServerStats stats = http->Stats();
  std::fprintf(stderr, "serve: stopped after %llu requests (%llu not found, %llu unauthorized)\n",
               static_cast<unsigned long long>(stats.requests),
               static_cast<unsigned long long>(stats.not_found),
               static_cast<unsigned long long>(stats.unauthorized));
}

}  // namespace

void AddServeCommand(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  args->api.port = 8080;
  auto* cmd = app.add_subcommand(
      "serve",
      "Serve the API and the dashboard without an actor: the model registry (/rl/models, "
      "PUT /rl/models/{id} to promote or archive, /rl/compare), /rl/health, /rl/status");
  cmd->add_option("--port", args->api.port, "Port (0 = any free port)")->capture_default_str();
  cmd->add_option("--bind", args->api.bind,
                  "Address to listen on; beyond loopback it needs a bearer token")
      ->capture_default_str();
  cmd->add_option("--token-file", args->api.token_file,
                  "File holding the bearer token control endpoints require (default: "
                  "KALSHIFLOW_API_TOKEN; required beyond loopback)");
  cmd->add_option("--port-file", args->api.port_file,
                  "Write the port to this file once listening (for scripts)");
  cmd->add_option("--static-dir", args->api.static_dir,
                  "Serve these files at / (the dashboard: web)");
  cmd->add_option("--database-url", args->database_url,
                  "Database URL (default $DATABASE_URL, else sqlite://./data/kalshiflow.db)");
  cmd->add_option("--duration", args->duration_s, "Stop after this many seconds (0 = never)");
  cmd->callback([args] { RunServe(*args); });
}

}  // namespace kalshiflow::app
