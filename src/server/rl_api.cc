#include "server/rl_api.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>

#include "core/check.h"
#include "server/json_response.h"

namespace kalshiflow::server {
namespace {

using nlohmann::json;

double Micros(int64_t ns) { return static_cast<double>(ns) / 1e3; }

HttpResponse Json(const json& body, int status = 200) { return JsonResponse(body, status); }

json LatencyJson(const actor::LatencySummary& s) {
  return {{"count", s.count},
          {"p50_us", Micros(s.p50_ns)},
          {"p99_us", Micros(s.p99_ns)},
          {"max_us", Micros(s.max_ns)}};
}

json LevelsJson(std::span<const core::PriceLevel> levels) {
  json out = json::array();
  for (const core::PriceLevel& l : levels) {
    out.push_back(json::array({l.price.ToString(), l.count.ToString()}));
  }
  return out;
}

}  // namespace

RlApi::RlApi(HttpServer& server, ActorParts parts, RlApiOptions options)
    : server_(server),
      parts_(parts),
      options_(std::move(options)),
      started_(std::chrono::steady_clock::now()) {
  KF_CHECK(parts_.actor != nullptr && parts_.risk != nullptr && parts_.orders != nullptr &&
               parts_.clock != nullptr,
           "RlApi needs every actor part");
  last_cash_micros_.store(parts_.orders->cash().units());
  last_value_micros_.store(parts_.orders->portfolio_value().units());

  server_.Handle("GET", "/rl/health", [this](const HttpRequest&) {
    const actor::ActorMetrics m = parts_.actor->metrics();
    json checks = json::object();
    bool ok = true;
    for (int b = 0; b < risk::kNumBreakers; ++b) {
      const auto& s = m.breakers[static_cast<std::size_t>(b)];
      checks[fmt::format("breaker_{}", risk::BreakerName(static_cast<risk::Breaker>(b)))] =
          s.open ? "open" : "closed";
      ok = ok && !s.open;
    }
    const bool killed = parts_.risk->kill_switch_engaged();
    checks["kill_switch"] = killed ? "engaged" : "released";
    checks["paused"] = m.paused;
    ok = ok && !killed && !m.paused;
    return Json({{"status", ok ? "ok" : "degraded"}, {"checks", checks}});
  });
  server_.Handle("GET", "/rl/status", [this](const HttpRequest&) { return Json(StatusJson()); });
  server_.Handle("GET", "/rl/metrics", [this](const HttpRequest&) { return Json(MetricsJson()); });
  server_.Handle("GET", "/metrics", [this](const HttpRequest&) {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = PrometheusText();
    return r;
  });
  server_.Handle("GET", "/rl/positions", [this](const HttpRequest&) { return Positions(); });
  server_.Handle("GET", "/rl/markets", [this](const HttpRequest&) {
    json markets = json::array();
    for (const auto& [ticker, traded] : parts_.actor->Markets()) {
      markets.push_back({{"market_ticker", ticker}, {"traded", traded}});
    }
    return Json({{"markets", markets}});
  });
  server_.Handle("GET", "/rl/orderbook/{ticker}",
                 [this](const HttpRequest& req) { return Orderbook(req.args.at(0)); });
  server_.Handle(
      "POST", "/rl/actor/start",
      [this](const HttpRequest&) {
        parts_.actor->SetPaused(false);
        spdlog::info("api: actor resumed");
        return Json({{"paused", false}});
      },
      /*control=*/true);
  server_.Handle(
      "POST", "/rl/actor/stop",
      [this](const HttpRequest&) {
        parts_.actor->SetPaused(true);
        spdlog::info("api: actor paused (updates still feed the observation state)");
        return Json({{"paused", true}});
      },
      /*control=*/true);
  server_.Handle(
      "POST", "/rl/actor/switch-model", [this](const HttpRequest& req) { return SwitchModel(req); },
      /*control=*/true);
  server_.Handle(
      "POST", "/rl/actor/set-mode", [this](const HttpRequest& req) { return SetMode(req); },
      /*control=*/true);
  server_.Handle(
      "POST", "/rl/actor/kill", [this](const HttpRequest& req) { return Kill(req); },
      /*control=*/true);
}

json RlApi::StatusJson() const {
  const actor::ActorMetrics m = parts_.actor->metrics();
  int64_t traded = 0, collected = 0;
  for (const auto& [ticker, is_traded] : parts_.actor->Markets()) {
    ++collected;
    traded += is_traded ? 1 : 0;
  }
  const auto model = parts_.actor->model();
  json out = {
      {"mode", options_.mode},
      {"selector", m.selector},
      {"model_id", m.model_id},
      {"model", model ? json(model->label) : json(nullptr)},
      {"paused", m.paused},
      {"kill_switch",
       {{"engaged", parts_.risk->kill_switch_engaged()},
        {"reason", parts_.risk->kill_switch_reason()}}},
      {"markets_collected", collected},
      {"markets_traded", traded},
      {"market_mode", actor::MarketModeName(parts_.actor->config().market_mode)},
      {"updates", m.updates_ingested},
      {"decisions", m.decisions},
      {"errors", m.errors},
      {"cash", core::Money::FromUnits(last_cash_micros_.load()).ToString()},
      {"portfolio_value", core::Money::FromUnits(last_value_micros_.load()).ToString()},
      {"initial_cash", options_.initial_cash.ToString()},
      {"business_time_ms", parts_.clock->Now().millis()},
      {"uptime_s",
       std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count()},
  };
  if (options_.extra_status) {
    for (auto& [key, value] : options_.extra_status().items()) out[key] = value;
  }
  return out;
}

json ActorMetricsJson(const actor::ActorMetrics& m) {
  json actions = json::object();
  for (int a = 0; a < sim::kNumActions; ++a) {
    actions[std::string(sim::ActionName(static_cast<sim::Action>(a)))] =
        m.actions[static_cast<std::size_t>(a)];
  }
  json breakers = json::object();
  for (int b = 0; b < risk::kNumBreakers; ++b) {
    const auto& s = m.breakers[static_cast<std::size_t>(b)];
    breakers[std::string(risk::BreakerName(static_cast<risk::Breaker>(b)))] = {{"open", s.open},
                                                                               {"trips", s.trips}};
  }
  json exits = json::object();
  for (int r = 1; r < trading::kNumExitReasons; ++r) {
    exits[std::string(trading::ExitReasonName(static_cast<trading::ExitReason>(r)))] =
        m.exits[static_cast<std::size_t>(r)];
  }
  return {
      {"errors_by_type", m.errors_by_type},
      {"last_error", m.last_error},
      {"model_cache_hits", m.model_cache_hits},
      {"actions_last_minute", m.actions_last_minute},
      {"exits", exits},
      {"managed_only_decisions", m.managed_only},
      {"updates", m.updates_ingested},
      {"updates_while_paused", m.updates_while_paused},
      {"triggers_enqueued", m.triggers_enqueued},
      {"triggers_coalesced", m.triggers_coalesced},
      {"trigger_overflows", m.trigger_overflows},
      {"queue_depth", m.queue_depth},
      {"max_queue_depth", m.max_queue_depth},
      {"decisions", m.decisions},
      {"actions", actions},
      {"executed", m.executed},
      {"risk_rejected", m.risk_rejected},
      {"errors", m.errors},
      {"ops_sent", m.ops_sent},
      {"model_swaps", m.model_swaps},
      {"markets_selected", m.markets_selected},
      {"markets_left", m.markets_left},
      {"control_tasks", m.control_tasks},
      {"paused", m.paused},
      {"selector", m.selector},
      {"model_id", m.model_id},
      {"latency",
       {{"observation", LatencyJson(m.observation)},
        {"prediction", LatencyJson(m.prediction)},
        {"decision", LatencyJson(m.decision)},
        {"queue_wait", LatencyJson(m.queue_wait)}}},
      {"breakers", breakers},
  };
}

json RlApi::MetricsJson() const {
  json out = ActorMetricsJson(parts_.actor->metrics());
  out["cash"] = core::Money::FromUnits(last_cash_micros_.load()).ToString();
  out["portfolio_value"] = core::Money::FromUnits(last_value_micros_.load()).ToString();
  return out;
}

std::string RlApi::PrometheusText() const {
  const actor::ActorMetrics m = parts_.actor->metrics();
  std::string out;
  auto metric = [&out](std::string_view name, std::string_view type, std::string_view help,
                       auto value, std::string_view labels = {}) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    if (labels.empty()) {
      out += fmt::format("{} {}\n", name, value);
    } else {
      out += fmt::format("{}{{{}}} {}\n", name, labels, value);
    }
  };
  metric("kalshiflow_actor_updates_total", "counter", "Book updates the actor ingested.",
         m.updates_ingested);
  metric("kalshiflow_actor_decisions_total", "counter", "Decisions, HOLD included.", m.decisions);
  metric("kalshiflow_actor_executed_total", "counter", "Decisions the order manager carried out.",
         m.executed);
  metric("kalshiflow_actor_risk_rejected_total", "counter", "Decisions a risk check refused.",
         m.risk_rejected);
  metric("kalshiflow_actor_errors_total", "counter", "Decisions that ended in an error.", m.errors);
  metric("kalshiflow_actor_triggers_coalesced_total", "counter",
         "Updates of a market already waiting for a decision.", m.triggers_coalesced);
  metric("kalshiflow_actor_trigger_overflows_total", "counter",
         "Triggers refused because the queue was full.", m.trigger_overflows);
  metric("kalshiflow_actor_queue_depth", "gauge", "Markets waiting for a decision.", m.queue_depth);
  metric("kalshiflow_actor_model_swaps_total", "counter", "Models swapped in.", m.model_swaps);
  metric("kalshiflow_actor_model_cache_hits_total", "counter",
         "Decisions served by the cached model.", m.model_cache_hits);
  metric("kalshiflow_actor_actions_last_minute", "gauge",
         "Actions (non-HOLD decisions) in the last 60 s of business time.", m.actions_last_minute);
  out +=
      "# HELP kalshiflow_actor_errors_by_type_total Decisions that ended in an error, by type.\n"
      "# TYPE kalshiflow_actor_errors_by_type_total counter\n";
  for (const auto& [type, count] : m.errors_by_type) {
    out += fmt::format("kalshiflow_actor_errors_by_type_total{{type=\"{}\"}} {}\n", type, count);
  }
  metric("kalshiflow_actor_paused", "gauge", "1 while decisions are paused.", m.paused ? 1 : 0);
  metric("kalshiflow_actor_kill_switch", "gauge", "1 while the kill switch is engaged.",
         parts_.risk->kill_switch_engaged() ? 1 : 0);
  out +=
      "# HELP kalshiflow_actor_breaker_open 1 while the circuit breaker is open.\n"
      "# TYPE kalshiflow_actor_breaker_open gauge\n";
  for (int b = 0; b < risk::kNumBreakers; ++b) {
    out += fmt::format("kalshiflow_actor_breaker_open{{breaker=\"{}\"}} {}\n",
                       risk::BreakerName(static_cast<risk::Breaker>(b)),
                       m.breakers[static_cast<std::size_t>(b)].open ? 1 : 0);
  }
  out +=
      "# HELP kalshiflow_actor_latency_seconds Pipeline step latency over the kept samples.\n"
      "# TYPE kalshiflow_actor_latency_seconds summary\n";
  const std::pair<std::string_view, const actor::LatencySummary*> steps[] = {
      {"observation", &m.observation},
      {"prediction", &m.prediction},
      {"decision", &m.decision},
      {"queue_wait", &m.queue_wait}};
  for (const auto& [step, s] : steps) {
    out += fmt::format("kalshiflow_actor_latency_seconds{{step=\"{}\",quantile=\"0.5\"}} {:.9f}\n",
                       step, static_cast<double>(s->p50_ns) / 1e9);
    out += fmt::format("kalshiflow_actor_latency_seconds{{step=\"{}\",quantile=\"0.99\"}} {:.9f}\n",
                       step, static_cast<double>(s->p99_ns) / 1e9);
    out +=
        fmt::format("kalshiflow_actor_latency_seconds_count{{step=\"{}\"}} {}\n", step, s->count);
  }
  metric("kalshiflow_actor_cash_dollars", "gauge", "Cash as of the last decision.",
         core::Money::FromUnits(last_cash_micros_.load()).ToString());
  metric("kalshiflow_actor_portfolio_value_dollars", "gauge",
         "Cash plus positions at executable prices, as of the last decision.",
         core::Money::FromUnits(last_value_micros_.load()).ToString());
  return out;
}

bool RlApi::OnPipeline(std::function<void()> task) {
  struct Done {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
  };
  auto done = std::make_shared<Done>();
  const bool queued = parts_.actor->RunOnPipeline([task = std::move(task), done] {
    task();
    {
      std::lock_guard lock(done->mu);
      done->done = true;
    }
    done->cv.notify_all();
  });
  if (!queued) return false;
  std::unique_lock lock(done->mu);
  return done->cv.wait_for(lock, options_.pipeline_timeout, [&] { return done->done; });
}

HttpResponse RlApi::Positions() {
  // Filled on the pipeline thread; shared so a late task never writes a dead frame.
  auto body = std::make_shared<json>();
  trading::OrderManager* orders = parts_.orders;
  actor::ActorService* actor = parts_.actor;
  const core::Money initial = options_.initial_cash;
  const bool ran = OnPipeline([body, orders, actor, initial] {
    json positions = json::array();
    for (const trading::MarketPosition& p : orders->positions()) {
      positions.push_back({{"market_ticker", p.market_ticker},
                           {"position", p.position.ToString()},
                           {"cost_basis", p.cost_basis.ToString()},
                           {"realized_pnl", p.realized_pnl.ToString()},
                           {"fees_paid", p.fees_paid.ToString()},
                           {"fills", p.fills}});
    }
    json working = json::array();
    for (const auto& [ticker, traded] : actor->Markets()) {
      if (auto w = orders->working_order(ticker)) {
        working.push_back({{"market_ticker", ticker},
                           {"order_id", w->id},
                           {"side", core::BookSideName(w->side)},
                           {"yes_price", w->price.ToString()},
                           {"remaining", w->remaining.ToString()}});
      }
    }
    const core::Money value = orders->portfolio_value();
    *body = {{"mode", std::string(orders->mode())},
             {"cash", orders->cash().ToString()},
             {"available_cash", orders->available_cash().ToString()},
             {"portfolio_value", value.ToString()},
             {"pnl", (value - initial).ToString()},
             {"positions", positions},
             {"working_orders", working}};
  });
  if (!ran) {
    return JsonError(503, "pipeline_busy",
                     "the actor's pipeline did not answer in time (or has stopped)");
  }
  return Json(*body);
}

HttpResponse RlApi::Orderbook(const std::string& ticker) const {
  int64_t seq = 0;
  const auto book = parts_.actor->LatestBook(ticker, &seq);
  if (!book) return JsonError(404, "market_not_found", "the actor has no book for " + ticker);
  json out = {{"market_ticker", ticker},
              {"seq", seq},
              {"live", book->live()},
              {"yes", LevelsJson(book->Bids(core::OutcomeSide::kYes))},
              {"no", LevelsJson(book->Bids(core::OutcomeSide::kNo))}};
  if (auto bid = book->BestBid(core::OutcomeSide::kYes)) out["yes_bid"] = bid->price.ToString();
  if (auto ask = book->BestAsk(core::OutcomeSide::kYes)) out["yes_ask"] = ask->price.ToString();
  if (auto ts = book->last_exchange_ts_ms()) out["ts_ms"] = *ts;
  return Json(out);
}

HttpResponse RlApi::SwitchModel(const HttpRequest& req) {
  HttpResponse error;
  const auto body = JsonObjectBody(req, &error);
  if (!body) return error;
  if (!body->contains("selector") || !(*body)["selector"].is_string()) {
    return JsonError(400, "bad_request",
                     "\"selector\" is required: \"rl_model\", \"hardcoded\" or \"disabled\"");
  }
  const std::string name = (*body)["selector"].get<std::string>();
  const auto kind = actor::ParseSelectorKind(name);
  if (!kind) {
    return JsonError(400, "bad_request",
                     fmt::format("unknown selector '{}' (rl_model, hardcoded, disabled)", name));
  }
  const bool has_id = body->contains("model_id");
  const bool has_path = body->contains("path");
  if (has_id || has_path) {
    if (!options_.load_model) {
      return JsonError(501, "not_implemented", "this server cannot load models");
    }
    int64_t model_id = 0;
    std::string path;
    if (has_id) {
      if (!(*body)["model_id"].is_number_integer() || (*body)["model_id"].get<int64_t>() <= 0) {
        return JsonError(400, "bad_request", "\"model_id\" must be a positive integer");
      }
      model_id = (*body)["model_id"].get<int64_t>();
    }
    if (has_path) {
      if (!(*body)["path"].is_string()) {
        return JsonError(400, "bad_request", "\"path\" must be a string");
      }
      path = (*body)["path"].get<std::string>();
    }
    auto model = options_.load_model(model_id, path);
    if (!model.ok()) {
      const int status = model.error().code() == core::StatusCode::kNotFound ? 404 : 422;
      return JsonError(status, "model_refused", model.error().ToString());
    }
    parts_.actor->SwapModel(std::move(model).value());
  }
  if (*kind == actor::SelectorKind::kRlModel && parts_.actor->model() == nullptr) {
    return JsonError(409, "no_model",
                     "rl_model needs a model: give \"model_id\" or \"path\" (none is loaded)");
  }
  parts_.actor->SetSelector(*kind);
  const auto model = parts_.actor->model();
  spdlog::info("api: selector switched to {}{}", name,
               model && *kind == actor::SelectorKind::kRlModel
                   ? fmt::format(" (model {} #{})", model->label, model->model_id)
                   : std::string());
  return Json({{"selector", name},
               {"model_id", model ? model->model_id : 0},
               {"model", model ? json(model->label) : json(nullptr)}});
}

HttpResponse RlApi::SetMode(const HttpRequest& req) {
  HttpResponse error;
  const auto body = JsonObjectBody(req, &error);
  if (!body) return error;
  if (!body->contains("mode") || !(*body)["mode"].is_string()) {
    return JsonError(400, "bad_request", "\"mode\" is required: paper, demo or production");
  }
  const std::string mode = (*body)["mode"].get<std::string>();
  if (mode == "live" || mode == "production") {
    spdlog::warn("api: refused a runtime switch to '{}' trading", mode);
    return JsonError(501, "not_implemented",
                     fmt::format("switching to '{}' at runtime is refused: production trading "
                                 "starts only with `kalshiflow actor --mode production "
                                 "--environment production` and KALSHI_PRODUCTION_CONFIRMED=true",
                                 mode));
  }
  if (mode != "paper" && mode != "demo") {
    return JsonError(400, "bad_request",
                     fmt::format("unknown mode '{}' (paper, demo, production)", mode));
  }
  if (mode == options_.mode) return Json({{"mode", mode}, {"changed", false}});
  return JsonError(409, "restart_required",
                   fmt::format("the actor trades in {} mode; switching to {} needs a restart "
                               "with `kalshiflow actor --mode {}`",
                               options_.mode, mode, mode));
}

HttpResponse RlApi::Kill(const HttpRequest& req) {
  HttpResponse error;
  const auto body = JsonObjectBody(req, &error);
  if (!body) return error;
  bool engaged = true;
  if (body->contains("engaged")) {
    if (!(*body)["engaged"].is_boolean()) {
      return JsonError(400, "bad_request", "\"engaged\" must be true or false");
    }
    engaged = (*body)["engaged"].get<bool>();
  }
  std::string reason = engaged ? "kill switch via API" : "released via API";
  if (body->contains("reason") && (*body)["reason"].is_string()) {
    reason = (*body)["reason"].get<std::string>();
  }
  parts_.risk->SetKillSwitch(engaged, reason);
  if (!engaged) {
    spdlog::warn("api: kill switch released ({})", reason);
    return Json({{"kill_switch", false}});
  }
  spdlog::warn("api: kill switch engaged ({}); cancelling every working order", reason);
  auto cancelled = std::make_shared<int64_t>(0);
  trading::OrderManager* orders = parts_.orders;
  actor::ActorService* actor = parts_.actor;
  const core::Clock* clock = parts_.clock;
  const bool ran = OnPipeline([cancelled, orders, actor, clock] {
    for (const auto& [ticker, traded] : actor->Markets()) {
      if (orders->working_order(ticker)) {
        orders->CancelAll(ticker, clock->Now());
        ++*cancelled;
      }
    }
  });
  if (!ran) {
    // The switch is engaged either way: no new order passes the risk checks.
    return Json({{"kill_switch", true},
                 {"orders_cancelled", nullptr},
                 {"warning",
                  "the pipeline did not answer in time; working orders are cancelled "
                  "when it does"}},
                202);
  }
  return Json({{"kill_switch", true}, {"orders_cancelled", *cancelled}});
}

void RlApi::Publish(const actor::ActorEvent& e, std::span<const trading::FillEvent> fills,
                    std::span<const trading::OrderEvent> orders) {
  last_cash_micros_.store(e.cash_after.units(), std::memory_order_relaxed);
  last_value_micros_.store(e.portfolio_value_after.units(), std::memory_order_relaxed);
  if (!server_.HasSubscribers()) return;
  json action = {{"type", "actor_action"},
                 {"event_type", e.event_type},
                 {"decision", e.decision},
                 {"market_ticker", e.market_ticker},
                 {"seq", e.seq},
                 {"selector", actor::SelectorKindName(e.selector)},
                 {"model_id", e.model_id},
                 {"action", sim::ActionName(e.action)},
                 {"outcome", actor::DecisionOutcomeName(e.outcome)},
                 {"plan", sim::PlanNoteName(e.plan_note)},
                 {"ops_sent", e.ops_sent},
                 {"position", e.position_after.ToString()},
                 {"cash", e.cash_after.ToString()},
                 {"portfolio_value", e.portfolio_value_after.ToString()},
                 {"ts_ms", e.decided_at.millis()},
                 {"decision_us", Micros(e.decision_ns)}};
  if (e.risk_reject) action["risk_reject"] = risk::RejectReasonName(*e.risk_reject);
  if (e.exit_reason != trading::ExitReason::kNone) {
    action["exit_reason"] = trading::ExitReasonName(e.exit_reason);
  }
  if (!e.detail.empty()) action["detail"] = e.detail;
  server_.Broadcast("actor_action", action.dump(-1, ' ', false, json::error_handler_t::replace));
  for (const trading::OrderEvent& o : orders) {
    json msg = {{"type", "actor_order"},
                {"market_ticker", o.market_ticker},
                {"order_id", o.order_id},
                {"state", sim::OrderStateName(o.state)},
                {"ts_ms", o.ts.millis()}};
    if (o.reject != sim::OrderReject::kNone) msg["reject"] = sim::OrderRejectName(o.reject);
    if (!o.reason.empty()) msg["reason"] = o.reason;
    server_.Broadcast("actor_order", msg.dump(-1, ' ', false, json::error_handler_t::replace));
  }
  for (const trading::FillEvent& f : fills) {
    json msg = {{"type", "actor_fill"},
                {"market_ticker", f.market_ticker},
                {"order_id", f.order_id},
                {"side", core::BookSideName(f.side)},
                {"yes_price", f.yes_price.ToString()},
                {"count", f.count.ToString()},
                {"fee", f.fee.ToString()},
                {"taker", f.taker},
                {"ts_ms", f.ts.millis()}};
    server_.Broadcast("actor_fill", msg.dump(-1, ' ', false, json::error_handler_t::replace));
  }
}

void RlApi::PublishStats() {
  if (!server_.HasSubscribers()) return;
  json stats = MetricsJson();
  stats["type"] = "stats";
  server_.Broadcast("stats", stats.dump(-1, ' ', false, json::error_handler_t::replace));
  const core::Money value = core::Money::FromUnits(last_value_micros_.load());
  json pnl = {{"type", "actor_pnl"},
              {"cash", core::Money::FromUnits(last_cash_micros_.load()).ToString()},
              {"portfolio_value", value.ToString()},
              {"pnl", (value - options_.initial_cash).ToString()},
              {"ts_ms", parts_.clock->Now().millis()}};
  server_.Broadcast("actor_pnl", pnl.dump());
}

}  // namespace kalshiflow::server
