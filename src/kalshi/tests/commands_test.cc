// Command builders compared with the exact JSON of PROTOCOL.md §3.2 and of the AsyncAPI command
// examples (parsed and compared as JSON values), plus input validation.
#include "kalshi/commands.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "kalshi/tests/test_util.h"

namespace kalshiflow::kalshi {
namespace {

using Json = nlohmann::json;

// Parses the builder output and compares it with `expected` as JSON values.
void ExpectJson(const core::Result<std::string>& built, std::string_view expected) {
  ASSERT_TRUE(built.ok()) << built.error().ToString();
  EXPECT_EQ(Json::parse(*built), Json::parse(expected)) << *built;
}

// The AsyncAPI example golden/commands/<name>.json, with `patch` merged into its params.
std::string GoldenCommand(std::string_view name, const Json& patch = Json::object()) {
  Json json = Json::parse(testing::ReadGolden("commands/" + std::string(name) + ".json"));
  for (const auto& [key, value] : patch.items()) json["params"][key] = value;
  return json.dump();
}

// ---------------------------------------------------------------------------------------------
// PROTOCOL.md §3.2

TEST(CommandsProtocol, SubscribeSingleMarket) {
  SubscribeCommand command;
  command.id = 1;
  command.channels = {Channel::kOrderbookDelta};
  command.market_ticker = "CPI-22DEC-TN0.1";
  // §3.2 leaves use_yes_price out (server default false); we always write it explicitly.
  EXPECT_FALSE(BuildSubscribe(command).ok());
  command.use_yes_price = false;
  ExpectJson(BuildSubscribe(command),
             R"({"id":1,"cmd":"subscribe","params":{"channels":["orderbook_delta"],)"
             R"("market_ticker":"CPI-22DEC-TN0.1","use_yes_price":false}})");
}

TEST(CommandsProtocol, SubscribeMultipleChannelsAndMarkets) {
  SubscribeCommand command;
  command.id = 2;
  command.channels = {Channel::kOrderbookDelta, Channel::kTicker};
  command.market_tickers = {"FED-23DEC-T3.00", "CORIVER-2024-T1030"};
  command.use_yes_price = true;
  ExpectJson(BuildSubscribe(command),
             R"({"id":2,"cmd":"subscribe","params":{"channels":["orderbook_delta","ticker"],)"
             R"("market_tickers":["FED-23DEC-T3.00","CORIVER-2024-T1030"],"use_yes_price":true}})");
}

TEST(CommandsProtocol, SubscribeFillAllMarkets) {
  SubscribeCommand command;
  command.id = 3;
  command.channels = {Channel::kFill};
  ExpectJson(BuildSubscribe(command),
             R"({"id":3,"cmd":"subscribe","params":{"channels":["fill"]}})");
}

TEST(CommandsProtocol, SubscribeTickerWithInitialSnapshot) {
  SubscribeCommand command;
  command.id = 7;
  command.channels = {Channel::kTicker};
  command.market_tickers = {"FED-23DEC-T3.00"};
  command.send_initial_snapshot = true;
  ExpectJson(BuildSubscribe(command),
             R"({"id":7,"cmd":"subscribe","params":{"channels":["ticker"],)"
             R"("market_tickers":["FED-23DEC-T3.00"],"send_initial_snapshot":true}})");
}

TEST(CommandsProtocol, SubscribeWithSkipTickerAck) {
  SubscribeCommand command;
  command.id = 8;
  command.channels = {Channel::kTicker};
  command.skip_ticker_ack = true;
  ExpectJson(
      BuildSubscribe(command),
      R"({"id":8,"cmd":"subscribe","params":{"channels":["ticker"],"skip_ticker_ack":true}})");
}

TEST(CommandsProtocol, Unsubscribe) {
  ExpectJson(BuildUnsubscribe(124, {1, 2}),
             R"({"id":124,"cmd":"unsubscribe","params":{"sids":[1,2]}})");
}

TEST(CommandsProtocol, UpdateSubscription) {
  UpdateSubscriptionCommand add;
  add.id = 124;
  add.sids = {456};
  add.market_tickers = {"NEW-MARKET-1", "NEW-MARKET-2"};
  add.action = UpdateAction::kAddMarkets;
  ExpectJson(BuildUpdateSubscription(add),
             R"({"id":124,"cmd":"update_subscription","params":{"sids":[456],)"
             R"("market_tickers":["NEW-MARKET-1","NEW-MARKET-2"],"action":"add_markets"}})");

  UpdateSubscriptionCommand remove;
  remove.id = 125;
  remove.sids = {456};
  remove.market_tickers = {"MARKET-TO-REMOVE-1"};
  remove.action = UpdateAction::kDeleteMarkets;
  ExpectJson(BuildUpdateSubscription(remove),
             R"({"id":125,"cmd":"update_subscription","params":{"sids":[456],)"
             R"("market_tickers":["MARKET-TO-REMOVE-1"],"action":"delete_markets"}})");

  UpdateSubscriptionCommand single;
  single.id = 126;
  single.sids = {456};
  single.single_sid_field = true;
  single.market_tickers = {"NEW-MARKET-3"};
  ExpectJson(BuildUpdateSubscription(single),
             R"({"id":126,"cmd":"update_subscription","params":{"sid":456,)"
             R"("market_tickers":["NEW-MARKET-3"],"action":"add_markets"}})");

  UpdateSubscriptionCommand snapshot;
  snapshot.id = 127;
  snapshot.sids = {456};
  snapshot.market_tickers = {"MARKET-1", "MARKET-2"};
  snapshot.action = UpdateAction::kGetSnapshot;
  ExpectJson(BuildUpdateSubscription(snapshot),
             R"({"id":127,"cmd":"update_subscription","params":{"sids":[456],)"
             R"("market_tickers":["MARKET-1","MARKET-2"],"action":"get_snapshot"}})");
}

TEST(CommandsProtocol, ListSubscriptions) {
  ExpectJson(BuildListSubscriptions(3), R"({"id":3,"cmd":"list_subscriptions"})");
  // Field order as in the docs.
  EXPECT_EQ(*BuildListSubscriptions(3), R"({"id":3,"cmd":"list_subscriptions"})");
  EXPECT_EQ(*BuildUnsubscribe(9, {4}), R"({"id":9,"cmd":"unsubscribe","params":{"sids":[4]}})");
}

// ---------------------------------------------------------------------------------------------
// AsyncAPI command examples (golden/commands)

TEST(CommandsAsyncApi, SubscribeExamples) {
  SubscribeCommand c;
  c.id = 1;
  c.channels = {Channel::kOrderbookDelta};
  c.market_ticker = "CPI-22DEC-TN0.1";
  c.use_yes_price = true;
  ExpectJson(BuildSubscribe(c),
             GoldenCommand("subscribeCommand.subscribeToOrderbook", {{"use_yes_price", true}}));

  c = {};
  c.id = 4;
  c.channels = {Channel::kOrderbookDelta, Channel::kTicker, Channel::kTrade,
                Channel::kMarketLifecycleV2};
  c.market_ticker = "TSLA-23DEC-T200";
  c.use_yes_price = false;
  ExpectJson(BuildSubscribe(c), GoldenCommand("subscribeCommand.subscribeAllChannelsOneMarket",
                                              {{"use_yes_price", false}}));

  c = {};
  c.id = 8;
  c.channels = {Channel::kUserOrders};
  c.market_tickers = {"FED-23DEC-T3.00", "CORIVER-2024-T1030"};
  ExpectJson(BuildSubscribe(c), GoldenCommand("subscribeCommand.subscribeUserOrders"));

  c = {};
  c.id = 5;
  c.channels = {Channel::kMarketLifecycleV2};
  ExpectJson(BuildSubscribe(c), GoldenCommand("subscribeCommand.subscribeMarketLifecycle"));

  c = {};
  c.id = 15;
  c.channels = {Channel::kMultivariateMarketLifecycle};
  ExpectJson(BuildSubscribe(c),
             GoldenCommand("subscribeCommand.subscribeMultivariateMarketLifecycle"));

  c = {};
  c.id = 6;
  c.channels = {Channel::kCommunications};
  ExpectJson(BuildSubscribe(c), GoldenCommand("subscribeCommand.subscribeCommunications"));

  c = {};
  c.id = 7;
  c.channels = {Channel::kTicker};
  c.market_tickers = {"FED-23DEC-T3.00"};
  c.send_initial_snapshot = true;
  ExpectJson(BuildSubscribe(c), GoldenCommand("subscribeCommand.subscribeTickerWithSnapshot"));
}

TEST(CommandsAsyncApi, OtherExamples) {
  ExpectJson(BuildUnsubscribe(124, {1, 2}),
             GoldenCommand("unsubscribeCommand.unsubscribeMultiple"));
  ExpectJson(BuildListSubscriptions(3),
             GoldenCommand("listSubscriptionsCommand.listSubscriptions"));
  UpdateSubscriptionCommand u;
  u.id = 125;
  u.sids = {456};
  u.action = UpdateAction::kDeleteMarkets;
  u.market_tickers = {"MARKET-TO-REMOVE-1", "MARKET-TO-REMOVE-2"};
  ExpectJson(BuildUpdateSubscription(u),
             GoldenCommand("updateSubscriptionDeleteCommand.deleteMarkets"));
  u.id = 126;
  u.single_sid_field = true;
  u.action = UpdateAction::kAddMarkets;
  u.market_tickers = {"NEW-MARKET-3", "NEW-MARKET-4"};
  ExpectJson(BuildUpdateSubscription(u),
             GoldenCommand("updateSubscriptionSingleSidCommand.addMarketsWithSingleSid"));
}

// ---------------------------------------------------------------------------------------------
// Validation

void ExpectInvalid(const core::Result<std::string>& built, std::string_view mentions) {
  ASSERT_FALSE(built.ok()) << *built;
  EXPECT_EQ(built.error().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(built.error().message().find(mentions), std::string::npos) << built.error().ToString();
}

TEST(CommandsValidation, Subscribe) {
  SubscribeCommand base;
  base.id = 1;
  base.channels = {Channel::kOrderbookDelta};
  base.market_tickers = {"A-1"};
  base.use_yes_price = true;
  ASSERT_TRUE(BuildSubscribe(base).ok());

  SubscribeCommand c = base;
  c.channels.clear();
  ExpectInvalid(BuildSubscribe(c), "channels");

  c = base;
  c.channels = {Channel::kTicker, Channel::kTicker};
  ExpectInvalid(BuildSubscribe(c), "twice");

  c = base;
  c.market_ticker = "A-2";
  ExpectInvalid(BuildSubscribe(c), "mutually exclusive");

  c = base;
  c.market_tickers = {"A-1", "bad ticker"};
  ExpectInvalid(BuildSubscribe(c), "market_tickers");

  c = base;
  c.market_tickers.clear();
  ExpectInvalid(BuildSubscribe(c), "orderbook_delta needs market_ticker");

  c = base;
  c.use_yes_price.reset();
  ExpectInvalid(BuildSubscribe(c), "use_yes_price");

  c = base;
  c.send_initial_snapshot = true;
  ExpectInvalid(BuildSubscribe(c), "send_initial_snapshot");

  c = base;
  c.id = -1;
  ExpectInvalid(BuildSubscribe(c), "negative");
}

TEST(CommandsValidation, Unsubscribe) {
  ExpectInvalid(BuildUnsubscribe(1, {}), "sids");
  ExpectInvalid(BuildUnsubscribe(1, {1, 0}), "sid 0");
  ExpectInvalid(BuildUnsubscribe(-2, {1}), "negative");
}

TEST(CommandsValidation, UpdateSubscription) {
  UpdateSubscriptionCommand base;
  base.id = 1;
  base.sids = {4};
  base.market_tickers = {"A-1"};
  base.action = UpdateAction::kGetSnapshot;
  ASSERT_TRUE(BuildUpdateSubscription(base).ok());

  UpdateSubscriptionCommand c = base;
  c.sids = {};
  ExpectInvalid(BuildUpdateSubscription(c), "exactly one sid");
  c.sids = {4, 5};
  ExpectInvalid(BuildUpdateSubscription(c), "exactly one sid");
  c.sids = {0};
  ExpectInvalid(BuildUpdateSubscription(c), "sid 0");

  c = base;
  c.market_tickers.clear();
  ExpectInvalid(BuildUpdateSubscription(c), "get_snapshot needs at least one market ticker");

  c = base;
  c.market_tickers = {"A-1", ""};
  ExpectInvalid(BuildUpdateSubscription(c), "market_tickers");

  c = base;
  c.send_initial_snapshot = true;
  ExpectInvalid(BuildUpdateSubscription(c), "send_initial_snapshot");

  ExpectInvalid(BuildListSubscriptions(-1), "negative");
}

TEST(Commands, ChannelAndActionNames) {
  EXPECT_EQ(ChannelName(Channel::kMarketPositions), "market_positions");
  EXPECT_EQ(ChannelName(Channel::kCfbenchmarksValue5hz), "cfbenchmarks_value_5hz");
  EXPECT_EQ(UpdateActionName(UpdateAction::kGetSnapshot), "get_snapshot");
  EXPECT_EQ(UpdateActionName(UpdateAction::kDeleteMarkets), "delete_markets");
}

}  // namespace
}  // namespace kalshiflow::kalshi
