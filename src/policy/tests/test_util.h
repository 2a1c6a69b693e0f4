// Helpers shared by the policy tests.
#pragma once

#include <cstdlib>
#include <string>
#include <vector>

#include "core/rng.h"
#include "policy/mlp_policy.h"
#include "policy/tensor.h"

namespace kalshiflow::policy::testing {

/// The shared data directory (KF_SHARED_DIR, else ../shared) + "/data".
inline std::string SharedDataDir() {
  const char* env = std::getenv("KF_SHARED_DIR");
  return std::string(env != nullptr && *env != '\0' ? env : "../shared") + "/data";
}

/// The real SB3 model of the original system (see ../shared/data/kalshiflow/README.md).
inline std::string Session32Path() {
  return SharedDataDir() + "/kalshiflow/models/session32_final.zip";
}

inline std::string GoldenPath() { return "src/policy/tests/golden/session32_final.json"; }

inline DenseLayer Layer(int in, int out, std::vector<float> weight, std::vector<float> bias) {
  return DenseLayer{in, out, std::move(weight), std::move(bias)};
}

inline DenseLayer RandomLayer(core::Rng& rng, int in, int out) {
  DenseLayer l{in, out, {}, {}};
  for (int i = 0; i < in * out; ++i) l.weight.push_back(static_cast<float>(rng.Normal() * 0.2));
  for (int i = 0; i < out; ++i) l.bias.push_back(static_cast<float>(rng.Normal() * 0.1));
  return l;
}

/// A random SB3-shaped policy obs → hidden... → n (both trunks the same widths).
inline MlpPolicy RandomPolicy(uint64_t seed, int obs, std::vector<int> hidden, int actions,
                              Activation activation = Activation::kTanh) {
  core::Rng rng(seed);
  std::vector<DenseLayer> pi, vf;
  int width = obs;
  for (int h : hidden) {
    pi.push_back(RandomLayer(rng, width, h));
    width = h;
  }
  width = obs;
  for (int h : hidden) {
    vf.push_back(RandomLayer(rng, width, h));
    width = h;
  }
  const int last = hidden.empty() ? obs : hidden.back();
  auto p = MlpPolicy::Create(std::move(pi), std::move(vf), RandomLayer(rng, last, actions),
                             RandomLayer(rng, last, 1), activation);
  KF_CHECK(p.ok(), "{}", p.error().ToString());
  return std::move(p).value();
}

}  // namespace kalshiflow::policy::testing
