// Replay environment steps per second (DESIGN.md §10: >= 1,000,000 steps/s per core for
// "book update + features + sim + reward"). Run with --benchmark_repetitions=5
// --benchmark_report_aggregates_only=true.
//
// Data: synthetic sessions (env/synthetic.h), 4 markets x 5,000 data points, YES mid
// mean-reverting around 0.50 with a 1-2 cent spread, 5 levels a side, every later point sent
// as deltas. Arg 0 "busy": sigma 0.02, levels resized with probability 0.5 (~10 book updates
// per step, a stress case); arg 1 "quiet": sigma 0.005, resize probability 0.1 (~2-3 updates
// per step, closer to the demo's top-of-book data where most data points are one delta).
// Counters: updates_per_step, and data_bytes_per_update (SessionData::MemoryBytes). Episodes are
// 4,999 steps; resets (new book + simulator) are included, amortised over them. Actions: a fixed
// pseudo-random sequence (uniform over the 5 actions, so ~80% of steps trade and the
// one-working-order rule, fills, fees and consumption all run), or HOLD only.
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "core/rng.h"
#include "env/replay_env.h"
#include "env/synthetic.h"
#include "env/vector_replay_env.h"

namespace kalshiflow::env {
namespace {

std::shared_ptr<const SessionData> Data(int64_t kind) {
  auto make = [](bool busy) {
    SyntheticMarketOptions options;
    options.markets = 4;
    options.points = 5'000;
    options.levels = 5;
    options.volatility = busy ? 0.02 : 0.005;
    options.resize_probability = busy ? 0.5 : 0.1;
    return std::make_shared<const SessionData>(SyntheticSessionData(options, 1).value());
  };
  static const std::shared_ptr<const SessionData> busy = make(true);
  static const std::shared_ptr<const SessionData> quiet = make(false);
  return kind == 0 ? busy : quiet;
}

void Counters(benchmark::State& state, const SessionData& data) {
  state.counters["updates_per_step"] =
      static_cast<double>(data.total_updates()) / static_cast<double>(data.total_points());
  state.counters["data_bytes_per_update"] =
      static_cast<double>(data.MemoryBytes()) / static_cast<double>(data.total_updates());
}

std::vector<int32_t> Actions(bool hold_only) {
  std::vector<int32_t> actions(1 << 16);
  core::Rng rng(7);
  for (auto& a : actions) a = hold_only ? 0 : static_cast<int32_t>(rng.UniformInt(0, 4));
  return actions;
}

void StepSingle(benchmark::State& state, bool hold_only) {
  const auto data = Data(state.range(0));
  auto env = ReplayEnv::Create(data, EnvConfig{}).value();
  const std::vector<int32_t> actions = Actions(hold_only);
  std::size_t k = 0;
  env->Reset(1);
  double reward = 0;
  for (auto _ : state) {
    const StepResult& r = env->Step(actions[k++ & (actions.size() - 1)]);
    reward += r.reward;
    if (r.terminated || r.truncated) env->Reset();
  }
  benchmark::DoNotOptimize(reward);
  state.SetItemsProcessed(state.iterations());
  Counters(state, *data);
}

void BM_ReplayEnvStep(benchmark::State& state) { StepSingle(state, false); }
BENCHMARK(BM_ReplayEnvStep)->Arg(0)->Arg(1);

void BM_ReplayEnvStepHold(benchmark::State& state) { StepSingle(state, true); }
BENCHMARK(BM_ReplayEnvStepHold)->Arg(0)->Arg(1);

// One VectorReplayEnv::Step of N envs = N env steps (items). Args: data kind, N.
void BM_VectorReplayEnvStep(benchmark::State& state) {
  const auto data = Data(state.range(0));
  const int n = static_cast<int>(state.range(1));
  auto vec = VectorReplayEnv::Create(data, EnvConfig{}, n).value();
  const std::vector<int32_t> actions = Actions(false);
  std::vector<float> obs(static_cast<std::size_t>(n) * 52), rewards(n);
  std::vector<uint8_t> terminated(n), truncated(n);
  std::vector<EpisodeInfo> finished;
  vec->Reset(1, obs);
  std::size_t k = 0;
  for (auto _ : state) {
    const std::span<const int32_t> batch(
        actions.data() + (k & (actions.size() - 1) & ~std::size_t{15}),
        static_cast<std::size_t>(n));
    k += static_cast<std::size_t>(n);
    vec->Step(batch, obs, rewards, terminated, truncated, &finished);
    finished.clear();
  }
  benchmark::DoNotOptimize(obs.data());
  state.SetItemsProcessed(state.iterations() * n);
  Counters(state, *data);
}
BENCHMARK(BM_VectorReplayEnvStep)->Args({0, 8})->Args({1, 1})->Args({1, 8});

}  // namespace
}  // namespace kalshiflow::env

BENCHMARK_MAIN();
