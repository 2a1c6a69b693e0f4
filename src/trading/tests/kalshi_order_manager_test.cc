// KalshiOrderManager against the real local exchange over loopback TLS: signed V2 REST orders,
// the private fill / user_orders / market_positions channels, REST sync and exact
// reconciliation. Fee arithmetic (PROTOCOL §5, quadratic taker 0.07) is shown beside each
// expectation.
#include "trading/kalshi_order_manager.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "book/order_book.h"
#include "exchange/exchange_server.h"
#include "exchange/tests/one_book_recording.h"
#include "kalshi/auth/signer.h"
#include "net/token_bucket.h"
#include "sim/tests/test_util.h"

namespace kalshiflow::trading {
namespace {

using core::Count;
using core::Money;
using sim::testing::C;
using sim::testing::M;
using sim::testing::P;

constexpr std::string_view kTicker = "KXTEST-26DEC01-T50";
constexpr std::string_view kKeyId = "order-manager-test-key";

// YES bids 0.40 x 10, 0.42 x 5; NO bids 0.50 x 7, 0.55 x 3 (YES asks 0.45 x 3, 0.50 x 7).
std::vector<core::PriceLevel> YesBids() { return {{P("0.40"), C("10")}, {P("0.42"), C("5")}}; }
std::vector<core::PriceLevel> NoBids() { return {{P("0.50"), C("7")}, {P("0.55"), C("3")}}; }

std::string WriteRecording(const std::filesystem::path& dir) {
  return exchange::testing::WriteOneBookRecording(dir / "market.kfrec", kTicker, YesBids(),
                                                  NoBids());
}

class KalshiOrderManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kf-kom-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    auto signer = kalshi::auth::Signer::GenerateEd25519();
    ASSERT_TRUE(signer.ok());
    auto public_pem = signer->PublicKeyPem();
    ASSERT_TRUE(public_pem.ok());
    signer_ = std::make_shared<const kalshi::auth::Signer>(std::move(signer).value());
    exchange::ExchangeOptions options;
    options.api_keys = {{std::string(kKeyId), *public_pem, /*starting_balance_cents=*/10'000}};
    options.recordings = {WriteRecording(dir_)};
    options.speed = 0;
    options.start = exchange::ReplayStart::kImmediately;
    options.faults.private_delay = private_delay_;
    auto server = exchange::ExchangeServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.error().ToString();
    server_ = std::move(server).value();
    ASSERT_TRUE(server_->WaitReplayFinished(std::chrono::seconds(10)));

    TradingClientConfig config;
    config.environment = TradingEnvironment::kLocal;
    config.rest_base_url = server_->rest_url();
    config.api_key_id = std::string(kKeyId);
    config.signer = signer_;
    config.tls.ca_pem = server_->certificate_pem();
    auto client = KalshiTradingClient::Create(config);
    ASSERT_TRUE(client.ok()) << client.error().ToString();
    client_ = std::move(client).value();

    ASSERT_FALSE(book_.ApplySnapshot(YesBids(), NoBids()).has_value());
  }
  void TearDown() override {
    manager_.reset();
    client_.reset();
    if (server_) server_->Stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  KalshiOrderManager& Manager(KalshiOrderManagerConfig config = {}) {
    if (!manager_) {
      config.sync_interval = std::chrono::milliseconds(0);
      config.websocket.tls.ca_pem = server_->certificate_pem();
      auto manager = KalshiOrderManager::Create(*client_, config);
      EXPECT_TRUE(manager.ok()) << manager.error().ToString();
      manager_ = std::move(manager).value();
      // The private subscription is sent on connect; wait for its ack to land.
      for (int i = 0; i < 500 && manager_->kalshi_counters().ws_connects == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return *manager_;
  }

  std::chrono::milliseconds private_delay_{0};  // the exchange's private-feed lag (fault)
  std::filesystem::path dir_;
  std::shared_ptr<const kalshi::auth::Signer> signer_;
  std::unique_ptr<exchange::ExchangeServer> server_;
  std::unique_ptr<KalshiTradingClient> client_;
  std::unique_ptr<KalshiOrderManager> manager_;
  book::OrderBook book_{kTicker};
};

TEST_F(KalshiOrderManagerTest, StartsFromTheExchangesBalance) {
  KalshiOrderManager& m = Manager();
  EXPECT_EQ(m.cash(), M("100"));
  EXPECT_EQ(m.portfolio_value(), M("100"));
  EXPECT_TRUE(m.positions().empty());
  EXPECT_EQ(m.mode(), "kalshi");
}

TEST_F(KalshiOrderManagerTest, AggressiveBuyFillsOverRestAndTheFillChannelBooksItExactly) {
  KalshiOrderManager& m = Manager();
  // BUY_YES aggressive at the 0.45 ask for 5: 3 fill at 0.45 (taker), 2 rest at 0.45.
  const ExecutionResult result = m.ExecuteAction(kTicker, sim::Action::kBuyYes, book_,
                                                 sim::PriceStrategy::kAggressive, C("5"), {});
  ASSERT_FALSE(result.error.has_value()) << result.error->ToString();
  EXPECT_EQ(result.ops_sent, 1);
  ASSERT_TRUE(m.WaitForFills(std::chrono::seconds(5)));
  EXPECT_EQ(m.position(kTicker), C("3"));
  // Fee 0.07 x 3 x 0.45 x 0.55 = 0.051975 → 0.0520; −1.35 − 0.052 = −1.402 floored to −1.41:
  // net fee 0.06, cash 100 − 1.41 = 98.59.
  EXPECT_EQ(m.cash(), M("98.59"));
  EXPECT_EQ(m.cost_basis(kTicker), M("1.35"));
  const auto working = m.working_order(kTicker);
  ASSERT_TRUE(working.has_value());
  EXPECT_EQ(working->remaining, C("2"));
  EXPECT_EQ(working->price, P("0.45"));
  std::vector<FillEvent> fills;
  std::vector<OrderEvent> orders;
  m.DrainEvents(&fills, &orders);
  ASSERT_EQ(fills.size(), 1u);
  EXPECT_EQ(fills[0].count, C("3"));
  EXPECT_EQ(fills[0].yes_price, P("0.45"));
  EXPECT_EQ(fills[0].fee, M("0.06"));
  EXPECT_TRUE(fills[0].taker);

  auto report = m.Reconcile();
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  EXPECT_TRUE(report->matched) << (report->differences.empty() ? "" : report->differences[0]);
  EXPECT_EQ(report->exchange_cash, M("98.59"));
  EXPECT_EQ(report->resting_orders_compared, 1);

  // HOLD keeps the working order; CancelAll takes it off the exchange.
  m.CancelAll(kTicker, {});
  EXPECT_FALSE(m.working_order(kTicker).has_value());
  auto after = m.Reconcile();
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->matched) << (after->differences.empty() ? "" : after->differences[0]);
  EXPECT_EQ(m.counters().orders_canceled, 1);
}

// The fill channel lags the REST answer (the exchange holds private frames 1.5 s): the
// create response already says 3 contracts filled, the fill message has not come. The cash
// booked is still $100, but what can be spent is not: the filled contracts are held at their
// limit price (3 x 0.45) until their fill is booked — else the next order would be sized on
// money the exchange has already taken and refused with insufficient_balance.
class KalshiOrderManagerLaggingFeedTest : public KalshiOrderManagerTest {
 protected:
  KalshiOrderManagerLaggingFeedTest() { private_delay_ = std::chrono::milliseconds(1500); }
};

TEST_F(KalshiOrderManagerLaggingFeedTest, FilledButUnbookedContractsAreNotSpendableCash) {
  KalshiOrderManager& m = Manager();
  ASSERT_FALSE(m.ExecuteAction(kTicker, sim::Action::kBuyYes, book_,
                               sim::PriceStrategy::kAggressive, C("3"), {})
                   .error.has_value());
  EXPECT_EQ(m.cash(), M("100"));  // the fill message is still held by the exchange
  EXPECT_EQ(m.counters().fills, 0);
  EXPECT_FALSE(m.working_order(kTicker).has_value());  // nothing rests: all 3 filled
  EXPECT_EQ(m.available_cash(), M("98.65"));           // 100 − 3 x 0.45
  EXPECT_EQ(m.position(kTicker), C("0"));              // booked
  EXPECT_EQ(m.unbooked_position(kTicker), C("3"));     // the exchange's position is 3
  ASSERT_TRUE(m.WaitForFills(std::chrono::seconds(10)));
  // Booked: 3 x 0.45 + fee 0.07 x 3 x 0.45 x 0.55 = 0.051975 → 0.06 (above): 98.59; nothing
  // is held any more.
  EXPECT_EQ(m.cash(), M("98.59"));
  EXPECT_EQ(m.available_cash(), M("98.59"));
  EXPECT_EQ(m.position(kTicker), C("3"));
  EXPECT_EQ(m.unbooked_position(kTicker), C("0"));
  EXPECT_GT(server_->Stats().faults_delayed_private, 0u);
  auto report = m.Reconcile();
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  EXPECT_TRUE(report->matched) << (report->differences.empty() ? "" : report->differences[0]);
}

TEST_F(KalshiOrderManagerTest, SellingBackClosesThePairAndSyncFindsNoDrift) {
  KalshiOrderManager& m = Manager();
  // Buy 3 YES at 0.45 (IOC-sized: exactly the ask), then sell them at the 0.42 bid.
  ASSERT_FALSE(m.ExecuteAction(kTicker, sim::Action::kBuyYes, book_,
                               sim::PriceStrategy::kAggressive, C("3"), {})
                   .error.has_value());
  ASSERT_FALSE(m.ExecuteAction(kTicker, sim::Action::kSellYes, book_,
                               sim::PriceStrategy::kAggressive, C("3"), {})
                   .error.has_value());
  ASSERT_TRUE(m.WaitForFills(std::chrono::seconds(5)));
  EXPECT_EQ(m.position(kTicker), C("0"));
  // Buy: −1.41 (above). Sell YES at 0.42 = buy NO at 0.58, closing 3 pairs (+$3):
  // fee 0.07 x 3 x 0.58 x 0.42 = 0.051156 → 0.0512; −1.74 − 0.0512 = −1.7912 → −1.80;
  // cash 98.59 − 1.80 + 3.00 = 99.79.
  EXPECT_EQ(m.cash(), M("99.79"));
  ASSERT_TRUE(m.SyncNow().ok());
  EXPECT_EQ(m.kalshi_counters().drift_events, 0);
  auto report = m.Reconcile();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->matched) << (report->differences.empty() ? "" : report->differences[0]);
  EXPECT_EQ(report->exchange_fills, 2);
}

// The session's order group (DESIGN §8): a limit of 2 contracts per 15 s. Buying 5 matches 3
// at the 0.45 ask, which triggers the group: the exchange cancels the 2 that rested and says
// so on order_group_updates; new orders are refused locally until the cool-down has passed,
// then the group is reset and orders go out again.
TEST_F(KalshiOrderManagerTest, TheSessionOrderGroupTriggersBlocksAndRecovers) {
  KalshiOrderManagerConfig config;
  config.order_group_contracts_limit = C("2");
  config.order_group_reset_after = std::chrono::milliseconds(300);
  KalshiOrderManager& m = Manager(config);
  ASSERT_FALSE(m.order_group_id().empty());
  ASSERT_FALSE(m.ExecuteAction(kTicker, sim::Action::kBuyYes, book_,
                               sim::PriceStrategy::kAggressive, C("5"), {})
                   .error.has_value());
  for (int i = 0; i < 500 && !m.order_group_triggered(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(m.order_group_triggered());
  ASSERT_TRUE(m.WaitForFills(std::chrono::seconds(5)));
  EXPECT_EQ(m.position(kTicker), C("3"));
  for (int i = 0; i < 500 && m.working_order(kTicker).has_value(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_FALSE(m.working_order(kTicker).has_value());  // the group's resting order: cancelled
  ExecutionResult blocked = m.ExecuteAction(kTicker, sim::Action::kBuyYes, book_,
                                            sim::PriceStrategy::kPassive, C("1"), {});
  ASSERT_TRUE(blocked.error.has_value());
  EXPECT_NE(blocked.error->message().find("order_group_triggered"), std::string::npos);
  EXPECT_EQ(m.kalshi_counters().orders_blocked, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  ExecutionResult resumed = m.ExecuteAction(kTicker, sim::Action::kBuyYes, book_,
                                            sim::PriceStrategy::kPassive, C("1"), {});
  ASSERT_FALSE(resumed.error.has_value()) << resumed.error->ToString();
  EXPECT_FALSE(m.order_group_triggered());
  const KalshiOrderManagerCounters k = m.kalshi_counters();
  EXPECT_EQ(k.order_group_triggers, 1);
  EXPECT_EQ(k.order_group_resets, 1);
  EXPECT_TRUE(m.working_order(kTicker).has_value());  // the passive bid rests in the group
  auto report = m.Reconcile();
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  EXPECT_TRUE(report->matched) << (report->differences.empty() ? "" : report->differences[0]);
}

// Settlements are booked by the REST sync: 3 YES bought at 0.45 (cash 98.59, above), the
// market settles YES: +$3.00, cash 101.59, flat; the 2 resting contracts are cancelled by the
// settlement; the account reconciles exactly and a second sync books nothing twice.
TEST_F(KalshiOrderManagerTest, SettlementsAreBookedOnceBySync) {
  KalshiOrderManager& m = Manager();
  ASSERT_FALSE(m.ExecuteAction(kTicker, sim::Action::kBuyYes, book_,
                               sim::PriceStrategy::kAggressive, C("5"), {})
                   .error.has_value());
  ASSERT_TRUE(m.WaitForFills(std::chrono::seconds(5)));
  ASSERT_EQ(m.position(kTicker), C("3"));
  ASSERT_TRUE(server_->Settle(kTicker, /*yes_won=*/true).ok());
  EXPECT_EQ(server_->Settle("KXNOPE-1", true).code(), core::StatusCode::kNotFound);
  ASSERT_TRUE(m.SyncNow().ok());
  EXPECT_EQ(m.kalshi_counters().settlements_booked, 1);
  EXPECT_EQ(m.position(kTicker), C("0"));
  EXPECT_EQ(m.cash(), M("101.59"));
  EXPECT_FALSE(m.working_order(kTicker).has_value());
  EXPECT_EQ(m.kalshi_counters().drift_events, 0);
  ASSERT_TRUE(m.SyncNow().ok());
  EXPECT_EQ(m.kalshi_counters().settlements_booked, 1);
  EXPECT_EQ(m.cash(), M("101.59"));
  auto report = m.Reconcile();
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  EXPECT_TRUE(report->matched) << (report->differences.empty() ? "" : report->differences[0]);
  EXPECT_EQ(report->exchange_cash, M("101.59"));
}

// The exchange enforces the Basic tier (write: 100 tokens/s, holding 1 s; an order costs 10)
// while our client believes it has Prestige: a burst of 25 orders runs the exchange's bucket
// dry, the exchange answers 429 {"error": "too many requests"}, the client backs off and
// retries, and every order is placed in the end.
TEST_F(KalshiOrderManagerTest, TheExchangesRateLimitsAre429sTheClientBacksOffFrom) {
  auto public_pem = signer_->PublicKeyPem();
  ASSERT_TRUE(public_pem.ok());
  exchange::ExchangeOptions options;
  options.api_keys = {{std::string(kKeyId), *public_pem, /*starting_balance_cents=*/10'000}};
  options.recordings = {WriteRecording(dir_)};
  options.speed = 0;
  options.start = exchange::ReplayStart::kImmediately;
  options.rate_tier = "basic";
  auto limited = exchange::ExchangeServer::Start(options);
  ASSERT_TRUE(limited.ok()) << limited.error().ToString();
  ASSERT_TRUE((*limited)->WaitReplayFinished(std::chrono::seconds(10)));
  TradingClientConfig config;
  config.environment = TradingEnvironment::kLocal;
  config.rest_base_url = (*limited)->rest_url();
  config.api_key_id = std::string(kKeyId);
  config.signer = signer_;
  config.tls.ca_pem = (*limited)->certificate_pem();
  config.budget = *net::RateBudgetForTier("prestige");
  auto client = KalshiTradingClient::Create(config);
  ASSERT_TRUE(client.ok()) << client.error().ToString();
  int placed = 0;
  for (int i = 0; i < 25; ++i) {
    kalshi::CreateOrderRequest request;
    request.ticker = std::string(kTicker);
    request.client_order_id = "rate-" + std::to_string(i);
    request.side = core::BookSide::kBid;
    request.count = C("1");
    request.price = P("0.01");  // rests far from the market
    auto created = (*client)->CreateOrder(request);
    ASSERT_TRUE(created.ok()) << i << ": " << created.error().ToString();
    ++placed;
  }
  EXPECT_EQ(placed, 25);
  EXPECT_GT((*limited)->Stats().rate_limited, 0u);
  EXPECT_GT((*client)->Stats().http.retries_429, 0u);
  auto resting = (*client)->GetOrders({.status = kalshi::OrderStatus::kResting});
  ASSERT_TRUE(resting.ok()) << resting.error().ToString();
  EXPECT_EQ(resting->size(), 25u);
  (*limited)->Stop();
}

TEST_F(KalshiOrderManagerTest, RefusedOrderIsAnErrorAndNothingChanges) {
  KalshiOrderManager& m = Manager();
  // 300 contracts at 0.45 cost $135 > $100: the exchange refuses it whole.
  const ExecutionResult result = m.ExecuteAction(kTicker, sim::Action::kBuyYes, book_,
                                                 sim::PriceStrategy::kAggressive, C("300"), {});
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(result.error->code(), core::StatusCode::kFailedPrecondition);
  EXPECT_NE(result.error->message().find("insufficient_balance"), std::string::npos);
  EXPECT_EQ(m.cash(), M("100"));
  EXPECT_FALSE(m.working_order(kTicker).has_value());
  EXPECT_EQ(m.kalshi_counters().rest_errors, 1);
}

TEST_F(KalshiOrderManagerTest, ReusedClientOrderIdIsAConflictOverTheWire) {
  kalshi::CreateOrderRequest request;
  request.ticker = std::string(kTicker);
  request.client_order_id = "same-id";
  request.side = core::BookSide::kBid;
  request.count = C("1");
  request.price = P("0.30");
  ASSERT_TRUE(client_->CreateOrder(request).ok());
  auto again = client_->CreateOrder(request);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), core::StatusCode::kAlreadyExists);
  auto orders = client_->GetOrders({});
  ASSERT_TRUE(orders.ok());
  EXPECT_EQ(orders->size(), 1u);
}

TEST_F(KalshiOrderManagerTest, RestartedManagerPicksUpRestingOrdersAndPositions) {
  {
    KalshiOrderManager& m = Manager();
    ASSERT_FALSE(m.ExecuteAction(kTicker, sim::Action::kBuyYes, book_,
                                 sim::PriceStrategy::kAggressive, C("5"), {})
                     .error.has_value());
    ASSERT_TRUE(m.WaitForFills(std::chrono::seconds(5)));
  }
  manager_.reset();
  KalshiOrderManager& again = Manager();
  EXPECT_EQ(again.position(kTicker), C("3"));
  EXPECT_EQ(again.cash(), M("98.59"));
  ASSERT_TRUE(again.working_order(kTicker).has_value());
  EXPECT_EQ(again.working_order(kTicker)->remaining, C("2"));
}

}  // namespace
}  // namespace kalshiflow::trading
