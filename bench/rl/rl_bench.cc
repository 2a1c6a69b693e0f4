// Training throughput (DESIGN.md §10: PPO end to end >= 25,000 env steps/s; notes/cpp-stack.md
// §2(c): a LibTorch PPO update of 2048 samples x 10 epochs x minibatch 64 took 0.22-0.26 s
// with OpenBLAS on one thread; the native gradient engine, now the default, does it in ~50 ms).
// Network: 52 -> 64 -> 64 -> 5 logits plus the 64-64 value trunk (SB3 MlpPolicy for the
// kalshiflow-v1 observation), SB3 PPO defaults, 1 torch thread. Run with --benchmark_repetitions=5
// --benchmark_report_aggregates_only=true (medians).
#include <benchmark/benchmark.h>
#include <dlfcn.h>

#include <string>
#include <vector>

#include "core/rng.h"
#include "env/vector_env.h"
#include "rl/learner.h"
#include "rl/rollout_buffer.h"
#include "rl/trainer.h"

namespace kalshiflow::rl {
namespace {

constexpr int kObs = 52;
constexpr int kActions = 5;

// A trivial 52-float environment: the observation is a cheap function of the step, action 1
// pays 0.01, episodes are truncated after 1,000 steps. It costs ~nothing, so the benchmark
// measures the trainer (inference, sampling, buffer, GAE, updates).
class TrivialEnv final : public env::VectorEnv {
 public:
  explicit TrivialEnv(int n) : n_(n), t_(static_cast<size_t>(n), 0) {}
  int num_envs() const override { return n_; }
  int observation_size() const override { return kObs; }
  int num_actions() const override { return kActions; }
  void Reset(uint64_t seed, std::span<float> obs) override {
    for (int e = 0; e < n_; ++e) {
      t_[static_cast<size_t>(e)] = static_cast<int>((seed + static_cast<uint64_t>(e)) % 97);
      Write(e, obs);
    }
  }
  void Step(std::span<const int32_t> actions, std::span<float> obs, std::span<float> rewards,
            std::span<uint8_t> terminated, std::span<uint8_t> truncated,
            std::vector<env::EpisodeInfo>* finished) override {
    for (int e = 0; e < n_; ++e) {
      const size_t i = static_cast<size_t>(e);
      rewards[i] = actions[i] == 1 ? 0.01f : 0.0f;
      terminated[i] = 0;
      ++t_[i];
      Write(e, obs);
      truncated[i] = t_[i] % 1000 == 0 ? 1 : 0;
      if (truncated[i]) {
        env::EpisodeInfo info;
        info.env_index = e;
        info.length = 1000;
        info.truncated = true;
        info.terminal_observation.assign(obs.begin() + i * kObs, obs.begin() + (i + 1) * kObs);
        finished->push_back(std::move(info));
        t_[i] = 0;
        Write(e, obs);
      }
    }
  }

 private:
  void Write(int e, std::span<float> obs) const {
    const float base = static_cast<float>(t_[static_cast<size_t>(e)] % 100) * 0.01f;
    float* row = obs.data() + static_cast<size_t>(e) * kObs;
    for (int k = 0; k < kObs; ++k) row[k] = base + static_cast<float>(k) * 0.001f;
  }
  int n_;
  std::vector<int> t_;
};

// SB3 PPO update on a full 2048 x 1 rollout of random data: 10 epochs x (2048 / batch)
// minibatches. Args: batch_size (64 = SB3 default: 320 gradient steps), gradient engine
// (0 = native, the default; 1 = LibTorch autograd).
void BM_PpoUpdate(benchmark::State& state) {
  TrainerConfig c;  // SB3 PPO defaults
  c.batch_size = static_cast<int>(state.range(0));
  c.gradient_engine = state.range(1) == 0 ? GradientEngine::kNative : GradientEngine::kAutograd;
  auto learner = Learner::Create(kObs, kActions, c);
  if (!learner.ok()) {
    state.SkipWithError(learner.error().ToString().c_str());
    return;
  }
  RolloutBuffer buffer(c.n_steps, 1, kObs);
  core::Rng rng(1);
  std::vector<float> obs(kObs);
  for (int t = 0; t < c.n_steps; ++t) {
    for (float& v : obs) v = static_cast<float>(rng.Normal());
    const int32_t a = static_cast<int32_t>(rng.UniformInt(0, kActions - 1));
    const float r = static_cast<float>(rng.Normal()), v = static_cast<float>(rng.Normal());
    const float lp = -1.6f;
    const uint8_t start = t % 500 == 0;
    buffer.Add(obs, std::span(&a, 1), std::span(&r, 1), std::span(&start, 1), std::span(&v, 1),
               std::span(&lp, 1));
  }
  const float last = 0;
  const uint8_t done = 0;
  buffer.ComputeReturnsAndAdvantage(std::span(&last, 1), std::span(&done, 1), c.gamma,
                                    c.gae_lambda);
  core::Rng shuffle(2);
  int steps = 0;
  for (auto _ : state) {
    const UpdateStats s = (*learner)->Update(buffer, shuffle, 1.0);
    steps = s.gradient_steps;
    benchmark::DoNotOptimize(s.loss);
  }
  state.SetItemsProcessed(state.iterations() * c.n_steps);  // rollout samples per second
  state.counters["gradient_steps"] = steps;
}
BENCHMARK(BM_PpoUpdate)
    ->Args({64, 0})
    ->Args({256, 0})
    ->Args({64, 1})
    ->Args({256, 1})
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);

// The whole loop: one Learn of exactly one rollout (n_steps x n_envs) + its update per
// iteration. items_per_second = env steps per second end to end.
// Args: {n_envs, n_steps, batch_size}; 10 epochs (SB3 default) throughout.
void BM_TrainEndToEnd(benchmark::State& state) {
  const int n_envs = static_cast<int>(state.range(0));
  TrainerConfig c;
  c.n_steps = static_cast<int>(state.range(1));
  c.batch_size = static_cast<int>(state.range(2));
  auto trainer = Trainer::Create(c, kObs, kActions);
  if (!trainer.ok()) {
    state.SkipWithError(trainer.error().ToString().c_str());
    return;
  }
  TrivialEnv env(n_envs);
  const int64_t per_rollout = static_cast<int64_t>(c.n_steps) * n_envs;
  for (auto _ : state) {
    auto r = (*trainer)->Learn(env, per_rollout);
    if (!r.ok()) {
      state.SkipWithError(r.error().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(r->last_update.loss);
  }
  state.SetItemsProcessed(state.iterations() * per_rollout);
}
BENCHMARK(BM_TrainEndToEnd)
    ->Args({1, 2048, 64})  // SB3 defaults, one env
    ->Args({8, 256, 64})   // SB3 minibatches, 8 envs (same 2048-sample rollouts)
    ->Args({8, 256, 256})  // larger minibatches
    ->Args({8, 256, 512})
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);

// Rollout collection only (inference + sampling + env + buffer + GAE), no update.
void BM_CollectRollout(benchmark::State& state) {
  const int n_envs = static_cast<int>(state.range(0));
  TrainerConfig c;
  c.n_steps = 2048 / n_envs;
  auto trainer = Trainer::Create(c, kObs, kActions);
  if (!trainer.ok()) {
    state.SkipWithError(trainer.error().ToString().c_str());
    return;
  }
  TrivialEnv env(n_envs);
  RolloutBuffer buffer(c.n_steps, n_envs, kObs);
  if (!(*trainer)->Start(env).ok()) return;
  for (auto _ : state) {
    const core::Status s = (*trainer)->CollectRollout(env, buffer);
    benchmark::DoNotOptimize(s.ok());
  }
  state.SetItemsProcessed(state.iterations() * c.n_steps * n_envs);
}
BENCHMARK(BM_CollectRollout)->Arg(1)->Arg(8)->Arg(16)->Unit(benchmark::kMillisecond);

// One batched forward pass (logits + values) without gradients, as in a rollout step.
void BM_PredictBatch(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  auto learner = Learner::Create(kObs, kActions, TrainerConfig());
  if (!learner.ok()) return;
  std::vector<float> obs(static_cast<size_t>(n) * kObs, 0.1f),
      lp(static_cast<size_t>(n) * kActions), v(static_cast<size_t>(n));
  for (auto _ : state) {
    (*learner)->Predict(obs, lp, v);
    benchmark::DoNotOptimize(v.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_PredictBatch)->Arg(1)->Arg(8)->Arg(64);

// OpenBLAS picks its kernels from the CPU model; 0.3.21 does not know some recent/virtual CPUs
// and falls back to generic SSE3 ("Prescott") kernels unless OPENBLAS_CORETYPE is set.
std::string OpenBlasCore() {
  using CoreNameFn = char* (*)();
  void* symbol = dlsym(RTLD_DEFAULT, "openblas_get_corename");
  return symbol != nullptr ? reinterpret_cast<CoreNameFn>(symbol)() : "not OpenBLAS";
}

}  // namespace
}  // namespace kalshiflow::rl

int main(int argc, char** argv) {
  benchmark::AddCustomContext("openblas_core", kalshiflow::rl::OpenBlasCore());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
