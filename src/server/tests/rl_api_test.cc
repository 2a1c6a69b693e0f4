// The /rl API against a real actor: ActorService on its own pipeline thread, the paper order
// manager filling against real books, the risk manager, all over loopback HTTP and WebSocket.
// Status and metrics follow the decisions; the selector switches at runtime (HOLD under
// `disabled`, a checkpoint loaded by path under `rl_model`); `live`/`production` switches
// answer 501; the kill switch cancels resting orders and blocks new ones until released;
// pausing stops decisions while the observation state keeps up; decisions and fills stream on
// /rl/ws.
#include "server/rl_api.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "net/https_client.h"
#include "net/websocket_client.h"
#include "policy/checkpoint.h"
#include "policy/mlp_policy.h"
#include "server/tests/test_client.h"
#include "sim/tests/test_util.h"
#include "trading/paper_order_manager.h"

namespace kalshiflow::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using sim::testing::Snapshot;

constexpr const char* kA = "KXA-26JAN01-T1";

// YES mid 0.30: the mean-reversion rule buys YES.
void CheapBook(book::OrderBook& b) {
  Snapshot(b, {{"0.28", "500"}, {"0.29", "500"}}, {{"0.70", "500"}, {"0.69", "500"}});
}

// A checkpoint whose policy always picks HOLD (52 -> 5, the logits are the bias).
std::string WriteHoldCheckpoint(const fs::path& dir) {
  policy::DenseLayer head{52, 5, std::vector<float>(52 * 5, 0.0f), std::vector<float>(5, 0.0f)};
  head.bias[0] = 5.0f;
  policy::DenseLayer value{52, 1, std::vector<float>(52, 0.0f), {0.0f}};
  auto p = policy::MlpPolicy::Create({}, {}, head, value, policy::Activation::kTanh);
  EXPECT_TRUE(p.ok());
  policy::CheckpointMetadata meta;
  meta.observation_spec = "kalshiflow-v1";
  meta.observation_size = 52;
  meta.action_space = "discrete-5";
  meta.algorithm = "PPO";
  const std::string path = (dir / "hold.kfpolicy").string();
  EXPECT_TRUE(policy::SaveCheckpoint(path, policy::MakeCheckpoint(*p, meta)).ok());
  return path;
}

class WsCollector final : public net::WebSocketHandler {
 public:
  void OnConnected() override {}
  void OnText(std::string_view frame, core::Timestamp) override {
    std::lock_guard lock(mu);
    messages.push_back(json::parse(frame));
    cv.notify_all();
  }
  net::ReconnectDecision OnDisconnected(const net::DisconnectInfo&) override {
    return net::ReconnectDecision::kStop;
  }
  // Waits for a message of `type`; null when none came within 10 s.
  json WaitType(const std::string& type) {
    std::unique_lock lock(mu);
    json found;
    cv.wait_for(lock, std::chrono::seconds(10), [&] {
      for (const json& m : messages) {
        if (m["type"] == type) {
          found = m;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  std::mutex mu;
  std::condition_variable cv;
  std::vector<json> messages;
};

class RlApiTest : public ::testing::Test, private actor::ActorEventSink {
 protected:
  void Build(actor::ActorConfig config = {}, std::string token = {}) {
    dir_ = fs::temp_directory_path() / ("kf_rl_api_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    risk::RiskConfig r;
    r.throttle_ns = 0;
    risk_ = std::make_unique<risk::RiskManager>(r, clock_);
    auto s = actor::ActorService::Create(std::move(config), orders_, *risk_, clock_, this);
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    service_ = std::move(s).value();
    HttpServerOptions o;
    o.bearer_token = token;
    auto server = HttpServer::Create(o);
    ASSERT_TRUE(server.ok()) << server.error().ToString();
    server_ = std::move(server).value();
    RlApiOptions api;
    api.mode = "paper";
    api.initial_cash = orders_.cash();
    api.load_model = [](int64_t id, const std::string& path) {
      return actor::ActorModel::Load(path, "kalshiflow-v1", 52, id, path);
    };
    api_ = std::make_unique<RlApi>(
        *server_, ActorParts{service_.get(), risk_.get(), &orders_, &clock_}, std::move(api));
    server_->Start();
    service_->Start();
    client_ = testing::ClientFor(*server_);
  }
  void TearDown() override {
    if (service_) service_->Stop();
    if (server_) server_->Stop();
    fs::remove_all(dir_);
  }

  // Pipeline thread: what app::TradingActor does with each decision.
  void OnDecision(const actor::ActorEvent& e) override {
    fills_.clear();
    order_events_.clear();
    orders_.DrainEvents(&fills_, &order_events_);
    api_->Publish(e, fills_, order_events_);
    std::lock_guard lock(mu_);
    events_.push_back(e);
  }

  // One book update of `ticker`, then waits until the actor is idle.
  void Update(const std::string& ticker, void (*fill)(book::OrderBook&)) {
    auto it = books_.find(ticker);
    if (it == books_.end()) {
      it = books_.emplace(ticker, book::OrderBook(ticker, book::PriceGrid::LinearCent())).first;
    }
    fill(it->second);
    clock_.AdvanceNanos(1'000'000);
    service_->OnAcceptedUpdate(actor::AcceptedUpdate{ticker, ++seq_, clock_.Now().millis(),
                                                     clock_.Now().millis(), &it->second});
    service_->WaitIdle();
  }
  std::vector<actor::ActorEvent> Events() {
    std::lock_guard lock(mu_);
    return events_;
  }
  json Get(const std::string& path, int expect_status = 200) {
    auto r = client_->Get(path);
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    if (!r.ok()) return {};
    EXPECT_EQ(r->status, expect_status) << path << ": " << r->body;
    return json::parse(r->body, nullptr, false);
  }
  json Post(const std::string& path, const std::string& body, int expect_status = 200) {
    auto r = client_->Request("POST", path, body);
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    if (!r.ok()) return {};
    EXPECT_EQ(r->status, expect_status) << path << " " << body << ": " << r->body;
    return json::parse(r->body, nullptr, false);
  }

  fs::path dir_;
  core::SimulatedClock clock_{core::Timestamp::FromNanos(1'767'225'600'000'000'000)};
  trading::PaperOrderManager orders_;
  std::unique_ptr<risk::RiskManager> risk_;
  std::unique_ptr<actor::ActorService> service_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<RlApi> api_;
  std::unique_ptr<net::HttpsClient> client_;
  std::map<std::string, book::OrderBook> books_;
  int64_t seq_ = 0;
  std::vector<trading::FillEvent> fills_;
  std::vector<trading::OrderEvent> order_events_;
  std::mutex mu_;
  std::vector<actor::ActorEvent> events_;
};

TEST_F(RlApiTest, StatusMetricsPositionsAndBooksFollowTheActor) {
  Build();
  Update(kA, CheapBook);  // the rule buys 10 YES at the ask (0.30)
  json status = Get("/rl/status");
  EXPECT_EQ(status["mode"], "paper");
  EXPECT_EQ(status["selector"], "hardcoded");
  EXPECT_EQ(status["decisions"], 1);
  EXPECT_EQ(status["markets_collected"], 1);
  EXPECT_EQ(status["markets_traded"], 1);
  EXPECT_EQ(status["kill_switch"]["engaged"], false);
  EXPECT_EQ(status["cash"], orders_.cash().ToString());
  json metrics = Get("/rl/metrics");
  EXPECT_EQ(metrics["decisions"], 1);
  EXPECT_EQ(metrics["executed"], 1);
  EXPECT_EQ(metrics["actions"]["BUY_YES"], 1);
  EXPECT_EQ(metrics["latency"]["decision"]["count"], 1);
  EXPECT_EQ(metrics["actions_last_minute"], 1);
  EXPECT_TRUE(metrics["errors_by_type"].empty());
  EXPECT_EQ(Get("/rl/health")["status"], "ok");

  auto prom = client_->Get("/metrics");
  ASSERT_TRUE(prom.ok());
  EXPECT_NE(prom->body.find("\nkalshiflow_actor_decisions_total 1\n"), std::string::npos)
      << prom->body;
  EXPECT_NE(prom->body.find("# TYPE kalshiflow_actor_latency_seconds summary"), std::string::npos);
  EXPECT_NE(prom->body.find("kalshiflow_actor_breaker_open{breaker=\"slow_pipeline\"} 0"),
            std::string::npos);

  json positions = Get("/rl/positions");
  ASSERT_EQ(positions["positions"].size(), 1u);
  EXPECT_EQ(positions["positions"][0]["market_ticker"], kA);
  EXPECT_EQ(positions["positions"][0]["position"], "10.00");
  EXPECT_EQ(positions["cash"], orders_.cash().ToString());
  EXPECT_TRUE(positions["working_orders"].empty());

  json book = Get(std::string("/rl/orderbook/") + kA);
  EXPECT_EQ(book["yes_bid"], "0.2900");
  EXPECT_EQ(book["yes_ask"], "0.3000");  // 1 - the best NO bid (0.70)
  ASSERT_EQ(book["yes"].size(), 2u);
  EXPECT_EQ(book["yes"][1], json::array({"0.2900", "500.00"}));
  EXPECT_EQ(book["seq"], 1);
  EXPECT_EQ(Get("/rl/orderbook/KXNONE-1", 404)["error"]["code"], "market_not_found");
  json markets = Get("/rl/markets");
  ASSERT_EQ(markets["markets"].size(), 1u);
  EXPECT_EQ(markets["markets"][0]["traded"], true);
}

TEST_F(RlApiTest, TheSelectorSwitchesAtRuntime) {
  Build();
  Post("/rl/actor/switch-model", R"({"selector":"disabled"})");
  Update(kA, CheapBook);
  auto events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].selector, actor::SelectorKind::kDisabled);
  EXPECT_EQ(events[0].action, sim::Action::kHold);
  EXPECT_EQ(orders_.position(kA), core::Count());

  EXPECT_EQ(Post("/rl/actor/switch-model", R"({"selector":"rl_model"})", 409)["error"]["code"],
            "no_model");
  EXPECT_EQ(Post("/rl/actor/switch-model", R"({"selector":"magic"})", 400)["error"]["code"],
            "bad_request");
  Post("/rl/actor/switch-model",
       json{{"selector", "rl_model"}, {"path", (dir_ / "missing.kfpolicy").string()}}.dump(),
       422);  // the file cannot be read: refused, the selector unchanged
  EXPECT_EQ(Get("/rl/status")["selector"], "disabled");
  const std::string hold = WriteHoldCheckpoint(dir_);
  json switched =
      Post("/rl/actor/switch-model", json{{"selector", "rl_model"}, {"path", hold}}.dump());
  EXPECT_EQ(switched["selector"], "rl_model");
  EXPECT_EQ(switched["model"], hold);
  Update(kA, CheapBook);
  events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].selector, actor::SelectorKind::kRlModel);
  EXPECT_EQ(events[1].action, sim::Action::kHold);  // the model says HOLD where the rule buys
  EXPECT_EQ(Get("/rl/status")["selector"], "rl_model");
  EXPECT_EQ(Get("/rl/metrics")["model_swaps"], 1);

  Post("/rl/actor/switch-model", R"({"selector":"hardcoded"})");
  Update(kA, CheapBook);
  events = Events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].action, sim::Action::kBuyYes);
}

TEST_F(RlApiTest, LiveAndProductionSwitchesAre501) {
  Build();
  for (const char* mode : {"live", "production"}) {
    json r = Post("/rl/actor/set-mode", json{{"mode", mode}}.dump(), 501);
    EXPECT_EQ(r["error"]["code"], "not_implemented");
    EXPECT_NE(r["error"]["message"].get<std::string>().find("KALSHI_PRODUCTION_CONFIRMED"),
              std::string::npos);
  }
  EXPECT_EQ(Post("/rl/actor/set-mode", R"({"mode":"paper"})")["changed"], false);
  EXPECT_EQ(Post("/rl/actor/set-mode", R"({"mode":"demo"})", 409)["error"]["code"],
            "restart_required");
  Post("/rl/actor/set-mode", R"({"mode":5})", 400);
  Post("/rl/actor/set-mode", "not json", 400);
  Post("/rl/actor/set-mode", R"({"mode":"yolo"})", 400);
  EXPECT_EQ(Get("/rl/status")["mode"], "paper");
}

TEST_F(RlApiTest, KillCancelsRestingOrdersAndBlocksNewOnesUntilReleased) {
  actor::ActorConfig c;
  c.price_strategy = sim::PriceStrategy::kPassive;  // the buy rests at the bid
  Build(c);
  Update(kA, CheapBook);
  ASSERT_TRUE(orders_.working_order(kA).has_value());
  json killed = Post("/rl/actor/kill", R"({"reason":"desk says stop"})");
  EXPECT_EQ(killed["kill_switch"], true);
  EXPECT_EQ(killed["orders_cancelled"], 1);
  EXPECT_TRUE(Get("/rl/positions")["working_orders"].empty());
  EXPECT_EQ(Get("/rl/status")["kill_switch"]["reason"], "desk says stop");
  EXPECT_EQ(Get("/rl/health")["status"], "degraded");
  Update(kA, CheapBook);
  auto events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].outcome, actor::DecisionOutcome::kRiskRejected);
  ASSERT_TRUE(events[1].risk_reject.has_value());
  EXPECT_EQ(*events[1].risk_reject, risk::RejectReason::kKillSwitch);
  EXPECT_FALSE(orders_.working_order(kA).has_value());

  EXPECT_EQ(Post("/rl/actor/kill", R"({"engaged":false})")["kill_switch"], false);
  Update(kA, CheapBook);
  events = Events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].outcome, actor::DecisionOutcome::kExecuted);
  EXPECT_TRUE(orders_.working_order(kA).has_value());
  Post("/rl/actor/kill", R"({"engaged":"yes"})", 400);
}

TEST_F(RlApiTest, PausedActorsKeepTheObservationStateButDoNotDecide) {
  Build();
  EXPECT_EQ(Post("/rl/actor/stop", "")["paused"], true);
  for (int i = 0; i < 3; ++i) Update(kA, CheapBook);
  EXPECT_TRUE(Events().empty());
  json metrics = Get("/rl/metrics");
  EXPECT_EQ(metrics["updates"], 3);
  EXPECT_EQ(metrics["updates_while_paused"], 3);
  EXPECT_EQ(metrics["paused"], true);
  EXPECT_EQ(Get("/rl/orderbook/" + std::string(kA))["seq"], 3);  // the book kept up
  EXPECT_EQ(Post("/rl/actor/start", "")["paused"], false);
  Update(kA, CheapBook);
  auto events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].seq, 4);
}

TEST_F(RlApiTest, DecisionsAndFillsStreamOnTheWebSocket) {
  Build();
  WsCollector ws;
  net::WebSocketClientOptions o;
  o.url = "ws://127.0.0.1:" + std::to_string(server_->port()) +
          "/rl/ws?topics=actor_action,actor_fill,actor_pnl";
  o.backoff.max_attempts = 1;
  o.heartbeat_timeout = std::chrono::milliseconds(0);
  auto client = net::WebSocketClient::Create(o, &ws);
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Start().ok());
  for (int i = 0; i < 1000 && server_->Stats().ws_clients == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(server_->Stats().ws_clients, 1u);
  Update(kA, CheapBook);
  json action = ws.WaitType("actor_action");
  ASSERT_TRUE(action.is_object());
  EXPECT_EQ(action["market_ticker"], kA);
  EXPECT_EQ(action["seq"], 1);
  EXPECT_EQ(action["action"], "BUY_YES");
  EXPECT_EQ(action["outcome"], "executed");
  EXPECT_EQ(action["position"], "10.00");
  json fill = ws.WaitType("actor_fill");
  ASSERT_TRUE(fill.is_object());
  EXPECT_EQ(fill["count"], "10.00");
  EXPECT_EQ(fill["yes_price"], "0.3000");
  api_->PublishStats();
  json pnl = ws.WaitType("actor_pnl");
  ASSERT_TRUE(pnl.is_object());
  EXPECT_EQ(pnl["cash"], orders_.cash().ToString());
  std::lock_guard lock(ws.mu);
  for (const json& m : ws.messages) EXPECT_NE(m["type"], "stats");  // filtered out
  (*client)->Stop();
}

TEST_F(RlApiTest, ControlNeedsTheTokenWhenTheServerHasOne) {
  Build({}, "api-token-123");
  EXPECT_EQ(Post("/rl/actor/kill", "{}", 401)["error"]["code"], "unauthorized");
  EXPECT_FALSE(risk_->kill_switch_engaged());
  EXPECT_EQ(Get("/rl/status")["kill_switch"]["engaged"], false);  // reads stay open
}

}  // namespace
}  // namespace kalshiflow::server
