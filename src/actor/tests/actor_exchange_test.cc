// The actor pipeline trading through the real Kalshi order manager on the real local exchange
// (loopback TLS, signed V2 orders, private channels) when the fill channel lags the REST
// answers: the exchange holds its private frames 2 s (FaultOptions::private_delay).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "actor/actor_service.h"
#include "exchange/exchange_server.h"
#include "exchange/tests/one_book_recording.h"
#include "kalshi/auth/signer.h"
#include "sim/tests/test_util.h"
#include "trading/kalshi_order_manager.h"

namespace kalshiflow::actor {
namespace {

using sim::testing::C;
using sim::testing::P;

constexpr std::string_view kTicker = "KXLAG-26DEC01-T30";
constexpr std::string_view kKeyId = "actor-exchange-test-key";

// YES mid 0.295 (bids 0.28 / 0.29 x 500; NO bids 0.69 / 0.70 x 500, so YES asks 0.30 / 0.31):
// the mean-reversion rule buys YES, aggressively at the 0.30 ask.
std::vector<core::PriceLevel> YesBids() { return {{P("0.28"), C("500")}, {P("0.29"), C("500")}}; }
std::vector<core::PriceLevel> NoBids() { return {{P("0.69"), C("500")}, {P("0.70"), C("500")}}; }

class Sink final : public ActorEventSink {
 public:
  void OnDecision(const ActorEvent& e) override {
    std::lock_guard lock(mu_);
    events_.push_back(e);
  }
  std::vector<ActorEvent> Copy() {
    std::lock_guard lock(mu_);
    return events_;
  }

 private:
  std::mutex mu_;
  std::vector<ActorEvent> events_;
};

class ActorExchangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kf-actor-exchange-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    auto signer = kalshi::auth::Signer::GenerateEd25519();
    ASSERT_TRUE(signer.ok());
    auto public_pem = signer->PublicKeyPem();
    ASSERT_TRUE(public_pem.ok());
    exchange::ExchangeOptions options;
    options.api_keys = {{std::string(kKeyId), *public_pem, /*starting_balance_cents=*/10'000}};
    options.recordings = {exchange::testing::WriteOneBookRecording(dir_ / "market.kfrec", kTicker,
                                                                   YesBids(), NoBids())};
    options.speed = 0;
    options.start = exchange::ReplayStart::kImmediately;
    options.faults.private_delay = std::chrono::milliseconds(2000);
    auto server = exchange::ExchangeServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.error().ToString();
    server_ = std::move(server).value();
    ASSERT_TRUE(server_->WaitReplayFinished(std::chrono::seconds(10)));

    trading::TradingClientConfig config;
    config.environment = trading::TradingEnvironment::kLocal;
    config.rest_base_url = server_->rest_url();
    config.api_key_id = std::string(kKeyId);
    config.signer = std::make_shared<const kalshi::auth::Signer>(std::move(signer).value());
    config.tls.ca_pem = server_->certificate_pem();
    auto client = trading::KalshiTradingClient::Create(config);
    ASSERT_TRUE(client.ok()) << client.error().ToString();
    client_ = std::move(client).value();
    trading::KalshiOrderManagerConfig manager_config;
    manager_config.sync_interval = std::chrono::milliseconds(0);
    manager_config.websocket.tls.ca_pem = server_->certificate_pem();
    auto manager = trading::KalshiOrderManager::Create(*client_, manager_config);
    ASSERT_TRUE(manager.ok()) << manager.error().ToString();
    orders_ = std::move(manager).value();
    for (int i = 0; i < 500 && orders_->kalshi_counters().ws_connects == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the subscription's ack
    ASSERT_FALSE(book_.ApplySnapshot(YesBids(), NoBids()).has_value());
  }
  void TearDown() override {
    service_.reset();
    risk_.reset();
    orders_.reset();
    client_.reset();
    if (server_) server_->Stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void Decide(int64_t seq) {
    clock_.AdvanceNanos(300'000'000);  // past the 250 ms throttle
    service_->OnAcceptedUpdate(AcceptedUpdate{std::string(kTicker), seq, clock_.Now().millis(),
                                              clock_.Now().millis(), &book_});
    service_->RunPending();
  }

  std::filesystem::path dir_;
  std::unique_ptr<exchange::ExchangeServer> server_;
  std::unique_ptr<trading::KalshiTradingClient> client_;
  std::unique_ptr<trading::KalshiOrderManager> orders_;
  core::SimulatedClock clock_{core::Timestamp::FromNanos(1'767'225'600'000'000'000)};
  book::OrderBook book_{kTicker, book::PriceGrid::LinearCent()};
  Sink sink_;
  std::unique_ptr<risk::RiskManager> risk_;
  std::unique_ptr<ActorService> service_;  // declared last: destroyed first
};

// Max position 10, contracts of 10. The first BUY_YES fills 10 at the 0.30 ask at once (the
// create response says so) but its fill message is 2 s away. The next decision must count
// those 10 (the exchange's position), so the position limit refuses a second buy — booked,
// the position is still 0, and without the unbooked contracts the actor would hold 20.
TEST_F(ActorExchangeTest, ThePositionLimitCountsFillsTheChannelHasNotDeliveredYet) {
  risk::RiskConfig risk_config;
  risk_config.max_position = C("10");
  risk_ = std::make_unique<risk::RiskManager>(risk_config, clock_);
  auto service = ActorService::Create(ActorConfig{}, *orders_, *risk_, clock_, &sink_);
  ASSERT_TRUE(service.ok()) << service.error().ToString();
  service_ = std::move(service).value();

  Decide(1);
  EXPECT_EQ(orders_->position(kTicker), C("0"));  // not booked yet
  EXPECT_EQ(orders_->unbooked_position(kTicker), C("10"));
  Decide(2);
  const std::vector<ActorEvent> events = sink_.Copy();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].action, sim::Action::kBuyYes);
  EXPECT_EQ(events[0].outcome, DecisionOutcome::kExecuted) << events[0].detail;
  EXPECT_EQ(events[1].action, sim::Action::kBuyYes);
  EXPECT_EQ(events[1].outcome, DecisionOutcome::kRiskRejected) << events[1].detail;
  EXPECT_EQ(events[1].risk_reject, risk::RejectReason::kPositionLimit);
  EXPECT_EQ(orders_->counters().orders_placed, 1);

  ASSERT_TRUE(orders_->WaitForFills(std::chrono::seconds(10)));
  EXPECT_EQ(orders_->position(kTicker), C("10"));
  EXPECT_EQ(orders_->unbooked_position(kTicker), C("0"));
  auto report = orders_->Reconcile();
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  EXPECT_TRUE(report->matched) << (report->differences.empty() ? "" : report->differences[0]);
  EXPECT_EQ(report->exchange_fills, 1);
}

}  // namespace
}  // namespace kalshiflow::actor
