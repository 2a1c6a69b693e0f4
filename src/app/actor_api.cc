#include "app/actor_api.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/commands.h"
#include "app/model_registry.h"

namespace kalshiflow::app {
namespace {

// The token from `file` (surrounding whitespace trimmed) or KALSHIFLOW_API_TOKEN; "" if none.
std::string LoadToken(const std::string& file, std::string_view command) {
  std::string token;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in)
      throw CommandFailed(2, fmt::format("{}: --api-token-file: cannot read {}", command, file));
    std::ostringstream s;
    s << in.rdbuf();
    token = s.str();
  } else if (const char* env = std::getenv("KALSHIFLOW_API_TOKEN")) {
    token = env;
  }
  const auto first = token.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = token.find_last_not_of(" \t\r\n");
  token = token.substr(first, last - first + 1);
  if (!file.empty() && token.empty()) {
    throw CommandFailed(2, fmt::format("{}: --api-token-file {} is empty", command, file));
  }
  return token;
}

}  // namespace

std::unique_ptr<server::HttpServer> CreateApiServerOrFail(const ApiArgs& args,
                                                          std::string_view command) {
  if (args.port < 0 || args.port > 65535) {
    throw CommandFailed(
        2, fmt::format("{}: the API port must be 0..65535, got {}", command, args.port));
  }
  server::HttpServerOptions options;
  options.bind_address = args.bind;
  options.port = static_cast<uint16_t>(args.port);
  options.bearer_token = LoadToken(args.token_file, command);
  options.static_dir = args.static_dir;
  auto created = server::HttpServer::Create(options);
  if (!created.ok()) {
    const int code = created.error().code() == core::StatusCode::kInvalidArgument ? 2 : 1;
    throw CommandFailed(code, fmt::format("{}: api: {}", command, created.error().ToString()));
  }
  return std::move(created).value();
}

void WriteApiPortFile(const ApiArgs& args, uint16_t port, std::string_view command) {
  if (args.port_file.empty()) return;
  std::ofstream out(args.port_file + ".tmp");
  out << port << "\n";
  out.close();
  std::error_code ec;
  std::filesystem::rename(args.port_file + ".tmp", args.port_file, ec);
  if (ec) throw CommandFailed(1, fmt::format("{}: --api-port-file: {}", command, ec.message()));
}

std::unique_ptr<server::RegistryApi> AddRegistryRoutes(server::HttpServer& server,
                                                       storage::Store& store) {
  server::RegistryApiOptions options;
  // The `models promote` rule: a model whose checkpoint does not load and match its spec is
  // never deployed.
  options.check_deployable = [](const storage::ModelInfo& model) -> core::Status {
    try {
      (void)LoadRunnableModelOrFail(model);
      return core::Status::Ok();
    } catch (const CommandFailed& e) {
      return core::FailedPreconditionError(e.what());
    }
  };
  return std::make_unique<server::RegistryApi>(server, store, std::move(options));
}

void AddApiFlags(CLI::App* cmd, ApiArgs* args) {
  cmd->add_option("--api-port", args->port,
                  "Serve the /rl API and /rl/ws on this port while trading (0 = any free port; "
                  "default: no API)");
  cmd->add_option("--api-bind", args->bind,
                  "Address the API listens on; beyond loopback it needs a bearer token")
      ->capture_default_str();
  cmd->add_option("--api-token-file", args->token_file,
                  "File holding the bearer token control endpoints require (default: "
                  "KALSHIFLOW_API_TOKEN; required beyond loopback)");
  cmd->add_option("--api-port-file", args->port_file,
                  "Write the API's port to this file once it listens (for scripts)");
  cmd->add_option("--api-static-dir", args->static_dir,
                  "Serve these files (a dashboard build) at / on the API port");
}

std::unique_ptr<ActorApi> ActorApi::StartIfRequested(const ApiArgs& args, TradingActor& actor,
                                                     std::string mode, storage::Store* store) {
  if (args.port < 0) return nullptr;
  std::unique_ptr<ActorApi> api(new ActorApi());
  api->actor_ = &actor;
  api->server_ = CreateApiServerOrFail(args, "actor");
  if (store != nullptr) api->registry_ = AddRegistryRoutes(*api->server_, *store);

  server::RlApiOptions rl;
  rl.mode = std::move(mode);
  rl.initial_cash = actor.initial_cash();
  const std::string spec = actor.service().config().observation_spec;
  rl.load_model = [store, spec](int64_t model_id, const std::string& path)
      -> core::Result<std::shared_ptr<const actor::ActorModel>> {
    if (model_id > 0) {
      if (store == nullptr) return core::FailedPreconditionError("no model registry is open");
      KF_ASSIGN_OR_RETURN(storage::ModelInfo info, store->GetModel(model_id));
      if (info.checkpoint_path.empty()) {
        return core::FailedPreconditionError(fmt::format("model {} has no checkpoint (status {})",
                                                         model_id,
                                                         storage::ModelStatusName(info.status)));
      }
      return actor::ActorModel::Load(info.checkpoint_path, spec, /*observation_size=*/52, info.id,
                                     fmt::format("{} v{}", info.name, info.version));
    }
    return actor::ActorModel::Load(path, spec, /*observation_size=*/52, 0, path);
  };
  api->api_ = std::make_unique<server::RlApi>(
      *api->server_,
      server::ActorParts{&actor.service(), &actor.risk(), &actor.orders(), &actor.clock()},
      std::move(rl));
  server::RlApi* rl_api = api->api_.get();
  actor.SetDecisionObserver(
      [rl_api](const actor::ActorEvent& e, std::span<const trading::FillEvent> fills,
               std::span<const trading::OrderEvent> orders) { rl_api->Publish(e, fills, orders); });
  api->server_->Start();
  api->stats_thread_ = std::thread([a = api.get()] {
    std::unique_lock lock(a->mu_);
    while (!a->cv_.wait_for(lock, std::chrono::seconds(1), [a] { return a->stop_; })) {
      lock.unlock();
      a->api_->PublishStats();
      lock.lock();
    }
  });
  WriteApiPortFile(args, api->server_->port(), "actor");
  std::fprintf(stderr, "actor: API on %s (/rl/status, /rl/ws%s)\n", api->url().c_str(),
               args.static_dir.empty() ? "" : ", the dashboard at /");
  return api;
}

ActorApi::~ActorApi() {
  if (actor_ != nullptr) actor_->SetDecisionObserver({});
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (stats_thread_.joinable()) stats_thread_.join();
  if (server_) server_->Stop();
}

}  // namespace kalshiflow::app
