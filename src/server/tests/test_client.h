// The server tests' HTTP client: our net::HttpsClient over http:// to a running HttpServer,
// one attempt per request, sending `Authorization: Bearer <token>` when a token is given.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "net/https_client.h"
#include "server/http_server.h"

namespace kalshiflow::server::testing {

inline std::unique_ptr<net::HttpsClient> ClientFor(const HttpServer& server,
                                                   std::string bearer_token = {}) {
  net::HttpsClientOptions o;
  o.base_url = server.url();
  o.retry.max_attempts = 1;
  if (!bearer_token.empty()) {
    o.signer = [bearer_token](std::string_view, std::string_view)
        -> core::Result<std::vector<std::pair<std::string, std::string>>> {
      return std::vector<std::pair<std::string, std::string>>{
          {"Authorization", "Bearer " + bearer_token}};
    };
  }
  auto c = net::HttpsClient::Create(std::move(o));
  EXPECT_TRUE(c.ok()) << c.error().ToString();
  return std::move(c).value();
}

}  // namespace kalshiflow::server::testing
