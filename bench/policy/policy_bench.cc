// Policy forward pass, one observation (DESIGN.md §10: <= 5 us median; §6: Eigen, not
// LibTorch). Run with --benchmark_repetitions=5 --benchmark_report_aggregates_only=true.
//
// Shapes: the DESIGN default 52 → 64 → 64 → 5 (SB3 MlpPolicy, tanh, separate policy and value
// trunks), the same with 21 actions (session32_final.zip), and the real session32 weights when
// ../shared is present. Observations cycle through 256 random vectors so the branch predictor
// and caches see varied inputs (the weights, 30 KB, stay in L1/L2 as they would in the actor).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "core/rng.h"
#include "policy/mlp_policy.h"
#include "policy/sb3_reader.h"

namespace kalshiflow::policy {
namespace {

DenseLayer RandomLayer(core::Rng& rng, int in, int out) {
  DenseLayer l{in, out, {}, {}};
  for (int i = 0; i < in * out; ++i) l.weight.push_back(static_cast<float>(rng.Normal() * 0.2));
  for (int i = 0; i < out; ++i) l.bias.push_back(static_cast<float>(rng.Normal() * 0.1));
  return l;
}

MlpPolicy MakePolicy(int obs, int hidden, int actions) {
  core::Rng rng(42);
  std::vector<DenseLayer> pi = {RandomLayer(rng, obs, hidden), RandomLayer(rng, hidden, hidden)};
  std::vector<DenseLayer> vf = {RandomLayer(rng, obs, hidden), RandomLayer(rng, hidden, hidden)};
  auto p = MlpPolicy::Create(std::move(pi), std::move(vf), RandomLayer(rng, hidden, actions),
                             RandomLayer(rng, hidden, 1), Activation::kTanh);
  KF_CHECK(p.ok(), "{}", p.error().ToString());
  return std::move(p).value();
}

std::vector<std::vector<float>> Observations(int obs) {
  core::Rng rng(7);
  std::vector<std::vector<float>> out(256, std::vector<float>(static_cast<size_t>(obs)));
  for (auto& o : out) {
    for (float& v : o) v = static_cast<float>(rng.Normal());
  }
  return out;
}

void RunForward(benchmark::State& state, const MlpPolicy& policy, Heads heads) {
  const auto observations = Observations(policy.observation_size());
  ForwardBuffers buffers = policy.MakeBuffers();
  size_t i = 0;
  int actions = 0;
  for (auto _ : state) {
    policy.Forward(observations[i++ & 255], buffers, heads);
    actions += buffers.action();
    benchmark::DoNotOptimize(buffers.logits().data());
  }
  benchmark::DoNotOptimize(actions);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

// Logits, probabilities, argmax and value: what PPO evaluation and the actor's event log use.
void BM_PolicyForward52x64x64x5(benchmark::State& state) {
  RunForward(state, MakePolicy(52, 64, 5), Heads::kPolicyAndValue);
}
BENCHMARK(BM_PolicyForward52x64x64x5);

// Action only (the actor's deterministic decision).
void BM_PolicyForwardPolicyOnly52x64x64x5(benchmark::State& state) {
  RunForward(state, MakePolicy(52, 64, 5), Heads::kPolicyOnly);
}
BENCHMARK(BM_PolicyForwardPolicyOnly52x64x64x5);

void BM_PolicyForward52x64x64x21(benchmark::State& state) {
  RunForward(state, MakePolicy(52, 64, 21), Heads::kPolicyAndValue);
}
BENCHMARK(BM_PolicyForward52x64x64x21);

// The real session32 weights and stored observation (skipped without ../shared).
void BM_PolicyForwardSession32(benchmark::State& state) {
  const char* env = std::getenv("KF_SHARED_DIR");
  const std::string path = std::string(env != nullptr && *env != '\0' ? env : "../shared") +
                           "/data/kalshiflow/models/session32_final.zip";
  if (!std::filesystem::exists(path)) {
    state.SkipWithError("session32_final.zip not found (set KF_SHARED_DIR)");
    return;
  }
  auto model = ReadSb3Zip(path);
  KF_CHECK(model.ok(), "{}", model.error().ToString());
  ForwardBuffers buffers = model->policy.MakeBuffers();
  for (auto _ : state) {
    model->policy.Forward(model->metadata.last_obs, buffers);
    benchmark::DoNotOptimize(buffers.logits().data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_PolicyForwardSession32);

// Loading the real SB3 zip (libzip + pickle + validation): off the hot path, for reference.
void BM_ReadSb3ZipSession32(benchmark::State& state) {
  const char* env = std::getenv("KF_SHARED_DIR");
  const std::string path = std::string(env != nullptr && *env != '\0' ? env : "../shared") +
                           "/data/kalshiflow/models/session32_final.zip";
  if (!std::filesystem::exists(path)) {
    state.SkipWithError("session32_final.zip not found (set KF_SHARED_DIR)");
    return;
  }
  for (auto _ : state) {
    auto model = ReadSb3Zip(path);
    benchmark::DoNotOptimize(model.ok());
  }
}
BENCHMARK(BM_ReadSb3ZipSession32)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace kalshiflow::policy

BENCHMARK_MAIN();
