// The actor's HTTP/WebSocket API in a running `kalshiflow actor` (DESIGN §9): flags, the bearer
// token (from a file or KALSHIFLOW_API_TOKEN; never logged), the server::HttpServer with the
// server::RlApi routes bound to a TradingActor, model loading by registry id or path for
// switch-model, and a 1 s `stats` / `actor_pnl` publisher on /rl/ws.
#pragma once

#include <CLI/CLI.hpp>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "app/trading_actor.h"
#include "server/http_server.h"
#include "server/registry_api.h"
#include "server/rl_api.h"
#include "storage/store.h"

namespace kalshiflow::app {

struct ApiArgs {
  int port = -1;  // -1: no API; 0: an ephemeral port
  std::string bind = "127.0.0.1";
  std::string token_file;  // else KALSHIFLOW_API_TOKEN
  std::string port_file;   // written with the bound port once listening
  std::string static_dir;  // dashboard files, optional
};

/// --api-port, --api-bind, --api-token-file, --api-port-file, --api-static-dir.
void AddApiFlags(CLI::App* cmd, ApiArgs* args);

/// The API server `args` describe (bind address, port, bearer token from --api-token-file or
/// KALSHIFLOW_API_TOKEN — never logged —, static files), not started. Throws
/// CommandFailed(2, ...) for a refused configuration (a port outside 0..65535, no token beyond
/// loopback, an unreadable or empty token file, a missing static dir) and CommandFailed(1, ...)
/// when the port cannot be bound; messages start with `command`.
std::unique_ptr<server::HttpServer> CreateApiServerOrFail(const ApiArgs& args,
                                                          std::string_view command);
/// Writes `port` to args.port_file (through a rename: readers never see half a number); no-op
/// without one. Throws CommandFailed(1, ...) when it cannot.
void WriteApiPortFile(const ApiArgs& args, uint16_t port, std::string_view command);
/// The model registry's routes (/rl/models, /rl/compare) on `server`, promoting only models
/// whose checkpoint loads and matches its observation spec (as `models promote`).
std::unique_ptr<server::RegistryApi> AddRegistryRoutes(server::HttpServer& server,
                                                       storage::Store& store);

class ActorApi {
 public:
  /// Null when args.port < 0. Throws CommandFailed(2, ...) for a refused configuration (no
  /// token beyond loopback, unreadable token file) and CommandFailed(1, ...) when the port
  /// cannot be bound. Routes are live after the constructor; decisions stream once
  /// actor.SetDecisionObserver is wired (the constructor does it).
  static std::unique_ptr<ActorApi> StartIfRequested(const ApiArgs& args, TradingActor& actor,
                                                    std::string mode, storage::Store* store);
  ~ActorApi();  // detaches from the actor, stops the publisher and the server
  ActorApi(const ActorApi&) = delete;
  ActorApi& operator=(const ActorApi&) = delete;

  std::string url() const { return server_->url(); }

 private:
  ActorApi() = default;
  TradingActor* actor_ = nullptr;
  std::unique_ptr<server::HttpServer> server_;
  std::unique_ptr<server::RlApi> api_;
  std::unique_ptr<server::RegistryApi> registry_;  // with a store
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread stats_thread_;
};

}  // namespace kalshiflow::app
