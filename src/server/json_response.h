// JSON bodies for the server's routes (rl_api, registry_api): the response with a status, and
// a request body that must be one JSON object.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "server/http_server.h"

namespace kalshiflow::server {

/// `body` serialised (invalid UTF-8 replaced, never thrown on) with `status`.
HttpResponse JsonResponse(const nlohmann::json& body, int status = 200);

/// The request's body as a JSON object ({} when the body is empty); nullopt with `*error` set
/// to a 400 `bad_request` when it is not one.
std::optional<nlohmann::json> JsonObjectBody(const HttpRequest& req, HttpResponse* error);

}  // namespace kalshiflow::server
