#include "server/json_response.h"

namespace kalshiflow::server {

HttpResponse JsonResponse(const nlohmann::json& body, int status) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

std::optional<nlohmann::json> JsonObjectBody(const HttpRequest& req, HttpResponse* error) {
  if (req.body.empty()) return nlohmann::json::object();
  nlohmann::json j = nlohmann::json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    *error = JsonError(400, "bad_request", "the body must be a JSON object");
    return std::nullopt;
  }
  return j;
}

}  // namespace kalshiflow::server
