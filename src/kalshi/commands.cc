#include "kalshi/commands.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/market.h"

namespace kalshiflow::kalshi {
namespace {

using Json = nlohmann::ordered_json;

core::Status CheckId(int64_t id) {
  if (id < 0) return core::InvalidArgumentError(fmt::format("command id {} is negative", id));
  return core::Status::Ok();
}

core::Status CheckTicker(std::string_view param, std::string_view ticker) {
  core::Status status = core::ValidateTicker(ticker);
  if (!status.ok()) {
    return core::InvalidArgumentError(fmt::format("{}: {}", param, status.message()));
  }
  return core::Status::Ok();
}

core::Status CheckSid(std::string_view param, int64_t sid) {
  if (sid < 1) return core::InvalidArgumentError(fmt::format("{}: sid {} is < 1", param, sid));
  return core::Status::Ok();
}

std::string Dump(const Json& json) {
  // Our strings are validated tickers and fixed names, so this cannot hit invalid UTF-8; use
  // `replace` anyway so that dump() never throws.
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

std::string_view UpdateActionName(UpdateAction action) {
  switch (action) {
    case UpdateAction::kAddMarkets:
      return "add_markets";
    case UpdateAction::kDeleteMarkets:
      return "delete_markets";
    case UpdateAction::kGetSnapshot:
      return "get_snapshot";
  }
  return "unknown";
}

core::Result<std::string> BuildSubscribe(const SubscribeCommand& command) {
  KF_RETURN_IF_ERROR(CheckId(command.id));
  if (command.channels.empty()) {
    return core::InvalidArgumentError("subscribe: channels must not be empty");
  }
  bool has_orderbook = false;
  bool has_ticker = false;
  Json channels = Json::array();
  for (std::size_t i = 0; i < command.channels.size(); ++i) {
    Channel channel = command.channels[i];
    if (std::find(command.channels.begin(), command.channels.begin() + static_cast<long>(i),
                  channel) != command.channels.begin() + static_cast<long>(i)) {
      return core::InvalidArgumentError(
          fmt::format("subscribe: channel {} listed twice", ChannelName(channel)));
    }
    has_orderbook |= channel == Channel::kOrderbookDelta;
    has_ticker |= channel == Channel::kTicker;
    channels.push_back(std::string(ChannelName(channel)));
  }
  if (command.market_ticker.has_value() && !command.market_tickers.empty()) {
    return core::InvalidArgumentError(
        "subscribe: market_ticker and market_tickers are mutually exclusive");
  }
  if (command.market_ticker.has_value()) {
    KF_RETURN_IF_ERROR(CheckTicker("subscribe: market_ticker", *command.market_ticker));
  }
  for (const std::string& ticker : command.market_tickers) {
    KF_RETURN_IF_ERROR(CheckTicker("subscribe: market_tickers", ticker));
  }
  bool has_filter = command.market_ticker.has_value() || !command.market_tickers.empty();
  if (has_orderbook && !has_filter) {
    return core::InvalidArgumentError(
        "subscribe: orderbook_delta needs market_ticker or market_tickers");
  }
  if (has_orderbook && !command.use_yes_price.has_value()) {
    return core::InvalidArgumentError(
        "subscribe: orderbook_delta needs an explicit use_yes_price (PROTOCOL §3.6)");
  }
  if (command.send_initial_snapshot.value_or(false) && !has_ticker) {
    return core::InvalidArgumentError(
        "subscribe: send_initial_snapshot applies to the ticker channel only");
  }

  Json params = Json::object();
  params["channels"] = std::move(channels);
  if (command.market_ticker.has_value()) params["market_ticker"] = *command.market_ticker;
  if (!command.market_tickers.empty()) params["market_tickers"] = command.market_tickers;
  if (command.use_yes_price.has_value()) params["use_yes_price"] = *command.use_yes_price;
  if (command.send_initial_snapshot.has_value()) {
    params["send_initial_snapshot"] = *command.send_initial_snapshot;
  }
  if (command.skip_ticker_ack.has_value()) params["skip_ticker_ack"] = *command.skip_ticker_ack;

  Json json = Json::object();
  json["id"] = command.id;
  json["cmd"] = "subscribe";
  json["params"] = std::move(params);
  return Dump(json);
}

core::Result<std::string> BuildUnsubscribe(int64_t id, const std::vector<int64_t>& sids) {
  KF_RETURN_IF_ERROR(CheckId(id));
  if (sids.empty()) return core::InvalidArgumentError("unsubscribe: sids must not be empty");
  for (int64_t sid : sids) KF_RETURN_IF_ERROR(CheckSid("unsubscribe", sid));
  Json json = Json::object();
  json["id"] = id;
  json["cmd"] = "unsubscribe";
  json["params"] = Json{{"sids", sids}};
  return Dump(json);
}

core::Result<std::string> BuildUpdateSubscription(const UpdateSubscriptionCommand& command) {
  KF_RETURN_IF_ERROR(CheckId(command.id));
  if (command.sids.size() != 1) {
    return core::InvalidArgumentError(fmt::format(
        "update_subscription: exactly one sid is required, got {}", command.sids.size()));
  }
  KF_RETURN_IF_ERROR(CheckSid("update_subscription", command.sids[0]));
  std::string_view action = UpdateActionName(command.action);
  if (command.market_tickers.empty()) {
    return core::InvalidArgumentError(
        fmt::format("update_subscription: {} needs at least one market ticker", action));
  }
  for (const std::string& ticker : command.market_tickers) {
    KF_RETURN_IF_ERROR(CheckTicker("update_subscription: market_tickers", ticker));
  }
  if (command.send_initial_snapshot.has_value() && command.action != UpdateAction::kAddMarkets) {
    return core::InvalidArgumentError(
        "update_subscription: send_initial_snapshot applies to add_markets only");
  }
  Json params = Json::object();
  if (command.single_sid_field) {
    params["sid"] = command.sids[0];
  } else {
    params["sids"] = command.sids;
  }
  params["market_tickers"] = command.market_tickers;
  if (command.send_initial_snapshot.has_value()) {
    params["send_initial_snapshot"] = *command.send_initial_snapshot;
  }
  params["action"] = std::string(action);
  Json json = Json::object();
  json["id"] = command.id;
  json["cmd"] = "update_subscription";
  json["params"] = std::move(params);
  return Dump(json);
}

core::Result<std::string> BuildListSubscriptions(int64_t id) {
  KF_RETURN_IF_ERROR(CheckId(id));
  Json json = Json::object();
  json["id"] = id;
  json["cmd"] = "list_subscriptions";
  return Dump(json);
}

}  // namespace kalshiflow::kalshi
