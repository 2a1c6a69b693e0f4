// Actor decision latency (DESIGN.md §10: trigger -> order handed to the order manager, no
// network, <= 50 us p99) with an RL model (52 -> 64-64 -> 5 MLP) under 1,000 active markets:
// every market has a 20-level book; each iteration applies one delta to the next market's
// book, posts the accepted update and runs the pipeline for it (observation, prediction, risk,
// paper order manager). The pipeline's own clock samples give the percentiles
// (decision_p50_ns / decision_p99_ns counters, over the last 65,536 decisions).
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "actor/actor_service.h"
#include "core/rng.h"
#include "policy/mlp_policy.h"
#include "trading/paper_order_manager.h"

namespace kalshiflow::actor {
namespace {

std::shared_ptr<const ActorModel> RandomModel(uint64_t seed) {
  core::Rng rng(seed);
  auto layer = [&](int in, int out, double scale) {
    policy::DenseLayer l{in, out, std::vector<float>(static_cast<size_t>(in * out)),
                         std::vector<float>(static_cast<size_t>(out), 0.0f)};
    for (float& w : l.weight) w = static_cast<float>(rng.Normal() * scale);
    return l;
  };
  auto p = policy::MlpPolicy::Create({layer(52, 64, 0.2), layer(64, 64, 0.2)},
                                     {layer(52, 64, 0.2), layer(64, 64, 0.2)}, layer(64, 5, 0.05),
                                     layer(64, 1, 0.2), policy::Activation::kTanh);
  policy::LoadedPolicy loaded{policy::CheckpointMetadata{}, std::move(p).value()};
  loaded.metadata.observation_spec = "kalshiflow-v1";
  loaded.metadata.observation_size = 52;
  loaded.metadata.action_space = "discrete-5";
  return std::make_shared<const ActorModel>(ActorModel{
      std::move(loaded), std::move(policy::ActionDecoder::ForSpace("discrete-5")).value(), 1,
      "random", ""});
}

std::vector<core::PriceLevel> Ladder(int best_cents, int levels) {
  std::vector<core::PriceLevel> out;
  for (int k = levels - 1; k >= 0; --k) {
    out.push_back({core::Price::FromCents(best_cents - k), core::Count::FromContracts(100 + k)});
  }
  return out;
}

void BM_ActorDecision(benchmark::State& state) {
  const int markets = static_cast<int>(state.range(0));
  ActorConfig config;
  config.selector = SelectorKind::kRlModel;
  config.latency_samples = 65'536;
  trading::PaperOrderManager orders;
  risk::RiskManager risk(risk::RiskConfig{}, core::RealClock::Instance());
  auto service =
      std::move(ActorService::Create(config, orders, risk, core::RealClock::Instance(), nullptr))
          .value();
  service->SwapModel(RandomModel(7));
  std::vector<std::unique_ptr<book::OrderBook>> books;
  int64_t ts_ms = 1'767'225'600'000;
  for (int m = 0; m < markets; ++m) {
    books.push_back(std::make_unique<book::OrderBook>("KXBENCH-26JAN01-M" + std::to_string(m),
                                                      book::PriceGrid::LinearCent()));
    (void)books.back()->ApplySnapshot(Ladder(45, 20), Ladder(53, 20));
    service->OnAcceptedUpdate(
        AcceptedUpdate{books.back()->ticker(), 1, ts_ms, ts_ms, books.back().get()});
    service->RunPending();
    ++ts_ms;
  }
  int64_t i = 0;
  for (auto _ : state) {
    book::OrderBook& b = *books[static_cast<size_t>(i % markets)];
    const int64_t sign = (i / markets) % 2 == 0 ? 1 : -1;
    (void)b.ApplyDelta(core::OutcomeSide::kYes, core::Price::FromCents(40),
                       core::Count::FromContracts(sign));
    service->OnAcceptedUpdate(AcceptedUpdate{b.ticker(), 2 + i, ts_ms, ts_ms, &b});
    ++ts_ms;
    service->RunPending();
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
  const ActorMetrics m = service->metrics();
  state.counters["decision_p50_ns"] = static_cast<double>(m.decision.p50_ns);
  state.counters["decision_p99_ns"] = static_cast<double>(m.decision.p99_ns);
  state.counters["observation_p50_ns"] = static_cast<double>(m.observation.p50_ns);
  state.counters["prediction_p50_ns"] = static_cast<double>(m.prediction.p50_ns);
  state.counters["orders_sent"] = static_cast<double>(m.ops_sent);
}
BENCHMARK(BM_ActorDecision)->Arg(1000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace kalshiflow::actor

BENCHMARK_MAIN();
