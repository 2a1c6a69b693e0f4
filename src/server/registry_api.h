// RegistryApi: the model registry's part of the DESIGN §9 API on an HttpServer — read views of
// `rl_models` and the one registry change an operator makes (promote / archive):
//
//   GET /rl/models[?status=S&name=N&limit=K]   {"models":[...]} newest first (storage::ModelJson);
//                                               400 for an unknown status or a bad limit
//   GET /rl/models/{id}                        one model; 404 for an unknown id
//   PUT /rl/models/{id}                        {"status":"deployed|ready|archived","notes"?}
//                                               (control: the bearer token beyond loopback):
//                                               deployed demotes the name's other deployed
//                                               version to ready (Store::UpdateModel); 409 for a
//                                               model still training; 422 when the
//                                               deployability check refuses it (a model that
//                                               cannot run is never promoted)
//   GET /rl/compare?models=1,2,...             the models side by side: id, name, version,
//                                               algorithm, timesteps, status and the stored
//                                               evaluation (`performance`); 400 / 404 naming
//                                               the bad or unknown id
//
// Served by `kalshiflow serve` (the API without an actor) and by `kalshiflow actor --api-port`.
// Threading: routes run on the server's I/O thread, the only user of `store` through this API.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>

#include "core/status.h"
#include "core/time.h"
#include "server/http_server.h"
#include "storage/models.h"
#include "storage/store.h"

namespace kalshiflow::server {

struct RegistryApiOptions {
  /// Checked before a model is set `deployed` (the app loads its checkpoint and checks its
  /// observation spec); an error answers 422 with its message. Unset: no check.
  std::function<core::Status(const storage::ModelInfo&)> check_deployable;
  const core::Clock* clock = nullptr;  // updated_at; nullptr = RealClock
};

class RegistryApi {
 public:
  /// Registers the routes on `server` (before server.Start()); `store` must outlive it.
  RegistryApi(HttpServer& server, storage::Store& store, RegistryApiOptions options = {});

 private:
  HttpResponse ListModels(const HttpRequest& req);
  HttpResponse GetModel(const HttpRequest& req);
  HttpResponse UpdateModel(const HttpRequest& req);
  HttpResponse Compare(const HttpRequest& req);

  storage::Store& store_;
  RegistryApiOptions options_;
};

}  // namespace kalshiflow::server
