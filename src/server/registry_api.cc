#include "server/registry_api.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/json_response.h"

namespace kalshiflow::server {
namespace {

using nlohmann::json;

// A positive decimal id; nullopt otherwise.
std::optional<int64_t> ParseId(std::string_view text) {
  int64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

HttpResponse StoreError(const core::Status& status) {
  switch (status.code()) {
    case core::StatusCode::kNotFound:
      return JsonError(404, "not_found", status.message());
    case core::StatusCode::kInvalidArgument:
      return JsonError(400, "bad_request", status.message());
    default:
      return JsonError(503, "store_unavailable", status.ToString());
  }
}

}  // namespace

RegistryApi::RegistryApi(HttpServer& server, storage::Store& store, RegistryApiOptions options)
    : store_(store), options_(std::move(options)) {
  if (options_.clock == nullptr) options_.clock = &core::RealClock::Instance();
  server.Handle("GET", "/rl/models", [this](const HttpRequest& r) { return ListModels(r); });
  server.Handle("GET", "/rl/models/{id}", [this](const HttpRequest& r) { return GetModel(r); });
  server.Handle(
      "PUT", "/rl/models/{id}", [this](const HttpRequest& r) { return UpdateModel(r); },
      /*control=*/true);
  server.Handle("GET", "/rl/compare", [this](const HttpRequest& r) { return Compare(r); });
}

HttpResponse RegistryApi::ListModels(const HttpRequest& req) {
  storage::ModelFilter filter;
  if (const std::string status = req.QueryParam("status"); !status.empty()) {
    filter.status = storage::ParseModelStatus(status);
    if (!filter.status) {
      return JsonError(
          400, "bad_request",
          fmt::format("status: '{}' is not training, ready, deployed or archived", status));
    }
  }
  if (const std::string name = req.QueryParam("name"); !name.empty()) filter.name = name;
  if (const std::string limit = req.QueryParam("limit"); !limit.empty()) {
    const auto n = ParseId(limit);
    if (!n || *n > 10'000) {
      return JsonError(400, "bad_request",
                       fmt::format("limit: '{}' is not a number from 1 to 10000", limit));
    }
    filter.limit = *n;
  }
  auto models = store_.ListModels(filter);
  if (!models.ok()) return StoreError(models.error());
  json list = json::array();
  for (const storage::ModelInfo& m : *models) list.push_back(storage::ModelJson(m));
  return JsonResponse({{"models", list}});
}

HttpResponse RegistryApi::GetModel(const HttpRequest& req) {
  const auto id = ParseId(req.args.at(0));
  if (!id) return JsonError(400, "bad_request", "model id: '" + req.args.at(0) + "' is not an id");
  auto model = store_.GetModel(*id);
  if (!model.ok()) return StoreError(model.error());
  return JsonResponse(storage::ModelJson(*model));
}

HttpResponse RegistryApi::UpdateModel(const HttpRequest& req) {
  const auto id = ParseId(req.args.at(0));
  if (!id) return JsonError(400, "bad_request", "model id: '" + req.args.at(0) + "' is not an id");
  HttpResponse error;
  const auto body = JsonObjectBody(req, &error);
  if (!body) return error;
  storage::ModelUpdate update;
  update.updated_at = options_.clock->Now();
  if (body->contains("status")) {
    const json& s = (*body)["status"];
    const std::optional<storage::ModelStatus> status =
        s.is_string() ? storage::ParseModelStatus(s.get<std::string>()) : std::nullopt;
    if (!status || *status == storage::ModelStatus::kTraining) {
      return JsonError(400, "bad_request",
                       "status: must be \"deployed\", \"ready\" or \"archived\"");
    }
    update.status = status;
  }
  if (body->contains("notes")) {
    if (!(*body)["notes"].is_string()) {
      return JsonError(400, "bad_request", "notes: must be a string");
    }
    update.notes = (*body)["notes"].get<std::string>();
  }
  if (!update.status && !update.notes) {
    return JsonError(400, "bad_request", "nothing to change: give \"status\" and/or \"notes\"");
  }
  auto model = store_.GetModel(*id);
  if (!model.ok()) return StoreError(model.error());
  if (update.status == storage::ModelStatus::kDeployed) {
    if (model->status == storage::ModelStatus::kTraining) {
      return JsonError(409, "model_training",
                       fmt::format("model {} is still training; it cannot be deployed", *id));
    }
    if (options_.check_deployable) {
      if (const core::Status ok = options_.check_deployable(*model); !ok.ok()) {
        return JsonError(422, "not_deployable", ok.ToString());
      }
    }
  }
  auto updated = store_.UpdateModel(*id, update);
  if (!updated.ok()) return StoreError(updated.error());
  spdlog::info("api: model {} ({} v{}) is now {}", updated->id, updated->name, updated->version,
               storage::ModelStatusName(updated->status));
  return JsonResponse(storage::ModelJson(*updated));
}

HttpResponse RegistryApi::Compare(const HttpRequest& req) {
  const std::string list = req.QueryParam("models");
  if (list.empty()) {
    return JsonError(400, "bad_request", "give the models to compare: ?models=1,2,...");
  }
  json models = json::array();
  std::size_t i = 0;
  while (i <= list.size()) {
    const std::size_t j = std::min(list.find(',', i), list.size());
    const std::string_view item = std::string_view(list).substr(i, j - i);
    i = j + 1;
    const auto id = ParseId(item);
    if (!id) {
      return JsonError(400, "bad_request", fmt::format("models: '{}' is not a model id", item));
    }
    auto model = store_.GetModel(*id);
    if (!model.ok()) return StoreError(model.error());
    models.push_back({{"model_id", model->id},
                      {"name", model->name},
                      {"version", model->version},
                      {"algorithm", model->algorithm},
                      {"timesteps", model->timesteps},
                      {"status", storage::ModelStatusName(model->status)},
                      {"performance", storage::ModelJson(*model)["performance"]}});
    if (models.size() > 20) return JsonError(400, "bad_request", "compare at most 20 models");
  }
  return JsonResponse({{"models", models}});
}

}  // namespace kalshiflow::server
