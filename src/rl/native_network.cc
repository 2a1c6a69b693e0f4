#include "rl/native_network.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/check.h"

// The matrix kernels below are plain loops that GCC vectorises; target_clones builds them
// three times (baseline x86-64, x86-64-v3 = AVX2 + FMA, x86-64-v4 = AVX-512) and the loader
// picks one from the CPU, so one binary runs everywhere and uses the vector units it finds.
// This file is compiled with -ffp-contract=fast and -fopenmp-simd (src/rl/CMakeLists.txt).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define KF_VECTOR_CLONES __attribute__((target_clones("default", "arch=x86-64-v3")))
#else
#define KF_VECTOR_CLONES
#endif

namespace kalshiflow::rl {
namespace {

// GCC vector types of 8 or 4 floats that may sit at any float address and alias float
// arrays (as the compiler's own __m256_u). In the baseline clone an 8-float vector is split
// into two SSE registers; in the x86-64-v3 clone it is one AVX2 register and `acc += x * b`
// is one fused multiply-add.
using Vec8 = float __attribute__((vector_size(32), aligned(4), may_alias));
using Vec4 = float __attribute__((vector_size(16), aligned(4), may_alias));

// C[m, n] (+)= A[m, k] . B[k, n], B and C row-major (leading dimensions ldb, ldc), A read as
// a[i * a_row + p * a_col] so that a transposed A costs nothing. Register-blocked: kRows rows
// x kVecs vectors of C stay in registers while p runs, so each B load feeds kRows
// multiply-adds. Columns go 16 at a time, then 8, 4 and 1 at the edge.
template <int kRows, int kVecs, typename Vec>
inline __attribute__((always_inline)) void GemmBlock(int i, int j, int k, const float* a,
                                                     ptrdiff_t a_row, ptrdiff_t a_col,
                                                     const float* b, int ldb, float* c, int ldc,
                                                     bool accumulate) {
  constexpr int kWidth = static_cast<int>(sizeof(Vec) / sizeof(float));
  Vec acc[kRows][kVecs];
  for (int r = 0; r < kRows; ++r) {
    for (int v = 0; v < kVecs; ++v) {
      if (accumulate) {
        acc[r][v] =
            *reinterpret_cast<const Vec*>(c + static_cast<size_t>(i + r) * ldc + j + v * kWidth);
      } else {
        acc[r][v] = Vec{};
      }
    }
  }
  for (int p = 0; p < k; ++p) {
    Vec bv[kVecs];
    for (int v = 0; v < kVecs; ++v) {
      bv[v] = *reinterpret_cast<const Vec*>(b + static_cast<size_t>(p) * ldb + j + v * kWidth);
    }
    for (int r = 0; r < kRows; ++r) {
      const float x = a[(i + r) * a_row + p * a_col];
      for (int v = 0; v < kVecs; ++v) acc[r][v] += x * bv[v];
    }
  }
  for (int r = 0; r < kRows; ++r) {
    for (int v = 0; v < kVecs; ++v) {
      *reinterpret_cast<Vec*>(c + static_cast<size_t>(i + r) * ldc + j + v * kWidth) = acc[r][v];
    }
  }
}

template <int kRows>
inline __attribute__((always_inline)) void GemmRows(int i, int n, int k, const float* a,
                                                    ptrdiff_t a_row, ptrdiff_t a_col,
                                                    const float* b, int ldb, float* c, int ldc,
                                                    bool accumulate) {
  int j = 0;
  for (; j + 16 <= n; j += 16) {
    GemmBlock<kRows, 2, Vec8>(i, j, k, a, a_row, a_col, b, ldb, c, ldc, accumulate);
  }
  for (; j + 8 <= n; j += 8) {
    GemmBlock<kRows, 1, Vec8>(i, j, k, a, a_row, a_col, b, ldb, c, ldc, accumulate);
  }
  for (; j + 4 <= n; j += 4) {
    GemmBlock<kRows, 1, Vec4>(i, j, k, a, a_row, a_col, b, ldb, c, ldc, accumulate);
  }
  for (; j < n; ++j) {
    for (int r = 0; r < kRows; ++r) {
      float s = accumulate ? c[static_cast<size_t>(i + r) * ldc + j] : 0.0f;
      for (int p = 0; p < k; ++p)
        s += a[(i + r) * a_row + p * a_col] * b[static_cast<size_t>(p) * ldb + j];
      c[static_cast<size_t>(i + r) * ldc + j] = s;
    }
  }
}

KF_VECTOR_CLONES void Gemm(int m, int n, int k, const float* a, ptrdiff_t a_row, ptrdiff_t a_col,
                           const float* b, int ldb, float* c, int ldc, bool accumulate) {
  int i = 0;
  for (; i + 4 <= m; i += 4) GemmRows<4>(i, n, k, a, a_row, a_col, b, ldb, c, ldc, accumulate);
  for (; i < m; ++i) GemmRows<1>(i, n, k, a, a_row, a_col, b, ldb, c, ldc, accumulate);
}

// y[n, out] = x[n, in] . wt[in, out] + b[out]   (wt = W transposed)
void AffineRows(const float* x, int n, int in, const float* wt, const float* b, int out, float* y) {
  for (int i = 0; i < n; ++i) std::copy(b, b + out, y + static_cast<size_t>(i) * out);
  Gemm(n, out, in, x, in, 1, wt, out, y, out, /*accumulate=*/true);
}

// y[n, out] = x[n, in] . W[out, in]^T + b[out] as dot products (no transpose; for few rows).
KF_VECTOR_CLONES void DotRows(const float* __restrict x, int n, int in, const float* __restrict w,
                              const float* __restrict b, int out, float* __restrict y) {
  for (int i = 0; i < n; ++i) {
    const float* __restrict xr = x + static_cast<size_t>(i) * in;
    for (int o = 0; o < out; ++o) {
      const float* __restrict wr = w + static_cast<size_t>(o) * in;
      float s = 0;
#pragma omp simd reduction(+ : s)
      for (int k = 0; k < in; ++k) s += xr[k] * wr[k];
      y[static_cast<size_t>(i) * out + o] = b[o] + s;
    }
  }
}

// dx[n, in] = dy[n, out] . W[out, in]
void BackwardInput(const float* dy, int n, int out, const float* w, int in, float* dx) {
  Gemm(n, in, out, dy, out, 1, w, in, dx, in, /*accumulate=*/false);
}

// dw[out, in] += dy[n, out]^T . x[n, in];  db[out] += column sums of dy
void AccumulateWeights(const float* dy, int n, int out, const float* x, int in, float* dw,
                       float* db) {
  Gemm(out, in, n, dy, 1, out, x, in, dw, in, /*accumulate=*/true);
  for (int i = 0; i < n; ++i) {
    const float* dyr = dy + static_cast<size_t>(i) * out;
    for (int o = 0; o < out; ++o) db[o] += dyr[o];
  }
}

void Transpose(const float* w, int out, int in, float* wt) {
  for (int o = 0; o < out; ++o) {
    for (int k = 0; k < in; ++k)
      wt[static_cast<size_t>(k) * out + o] = w[static_cast<size_t>(o) * in + k];
  }
}

void Activate(Activation activation, float* v, size_t count) {
  Eigen::Map<Eigen::ArrayXf> a(v, static_cast<Eigen::Index>(count));
  if (activation == Activation::kTanh) {
    a = a.tanh();
  } else {
    a = a.max(0.0f);
  }
}

// dz = dh * activation'(h) in place, h the layer's output: tanh' = 1 - h^2; ReLU passes the
// gradient where the output is > 0 (torch threshold_backward on the result).
void ActivationBackward(Activation activation, const float* h, float* dh, size_t count) {
  if (activation == Activation::kTanh) {
    for (size_t k = 0; k < count; ++k) dh[k] *= 1.0f - h[k] * h[k];
  } else {
    for (size_t k = 0; k < count; ++k) dh[k] = h[k] > 0.0f ? dh[k] : 0.0f;
  }
}

LinearSlice Place(int in, int out, int64_t* offset) {
  LinearSlice s;
  s.in = in;
  s.out = out;
  s.weight = *offset;
  *offset += static_cast<int64_t>(in) * out;
  s.bias = *offset;
  *offset += out;
  return s;
}

int MaxWidth(const NetworkLayout& l) {
  int w = std::max(l.observation_size, l.num_actions);
  for (const auto& s : l.policy_trunk) w = std::max(w, s.out);
  for (const auto& s : l.value_trunk) w = std::max(w, s.out);
  return w;
}

}  // namespace

NetworkLayout NetworkLayout::For(int observation_size, int num_actions,
                                 const PolicyConfig& policy) {
  NetworkLayout l;
  l.observation_size = observation_size;
  l.num_actions = num_actions;
  l.activation = policy.activation;
  int64_t offset = 0;
  int prev = observation_size;
  for (int width : policy.pi_layers) {
    l.policy_trunk.push_back(Place(prev, width, &offset));
    prev = width;
  }
  const int latent_pi = prev;
  prev = observation_size;
  for (int width : policy.vf_layers) {
    l.value_trunk.push_back(Place(prev, width, &offset));
    prev = width;
  }
  const int latent_vf = prev;
  l.action_head = Place(latent_pi, num_actions, &offset);
  l.value_head = Place(latent_vf, 1, &offset);
  l.parameter_count = offset;
  return l;
}

NativeActorCritic::NativeActorCritic(NetworkLayout layout) : layout_(std::move(layout)) {
  KF_CHECK(layout_.observation_size >= 1 && layout_.num_actions >= 1,
           "NativeActorCritic needs sizes >= 1, got {} and {}", layout_.observation_size,
           layout_.num_actions);
  policy_outputs_.resize(layout_.policy_trunk.size());
  value_outputs_.resize(layout_.value_trunk.size());
  int max_in = 1;
  for (const auto* trunk : {&layout_.policy_trunk, &layout_.value_trunk}) {
    for (const auto& s : *trunk) max_in = std::max(max_in, s.in * s.out);
  }
  max_in = std::max(max_in, layout_.action_head.in * layout_.action_head.out);
  transposed_.resize(static_cast<size_t>(max_in));
}

void NativeActorCritic::EnsureRows(int n) {
  if (n <= rows_) return;
  rows_ = n;
  const size_t rows = static_cast<size_t>(n);
  for (size_t l = 0; l < layout_.policy_trunk.size(); ++l) {
    policy_outputs_[l].resize(rows * static_cast<size_t>(layout_.policy_trunk[l].out));
  }
  for (size_t l = 0; l < layout_.value_trunk.size(); ++l) {
    value_outputs_[l].resize(rows * static_cast<size_t>(layout_.value_trunk[l].out));
  }
  const size_t a = static_cast<size_t>(layout_.num_actions);
  logits_.resize(rows * a);
  log_probs_.resize(rows * a);
  probs_.resize(rows * a);
  dlogits_.resize(rows * a);
  values_.resize(rows);
  dvalues_.resize(rows);
  advantages_.resize(rows);
  const size_t width = static_cast<size_t>(MaxWidth(layout_));
  dhidden_.resize(rows * width);
  dhidden_next_.resize(rows * width);
}

const float* NativeActorCritic::RunTrunk(const float* params, const std::vector<LinearSlice>& trunk,
                                         const float* observations, int n,
                                         std::vector<std::vector<float>>& outputs) {
  const float* input = observations;
  for (size_t l = 0; l < trunk.size(); ++l) {
    const LinearSlice& s = trunk[l];
    float* out = outputs[l].data();
    if (n <= 4) {
      DotRows(input, n, s.in, params + s.weight, params + s.bias, s.out, out);
    } else {
      Transpose(params + s.weight, s.out, s.in, transposed_.data());
      AffineRows(input, n, s.in, transposed_.data(), params + s.bias, s.out, out);
    }
    Activate(layout_.activation, out, static_cast<size_t>(n) * static_cast<size_t>(s.out));
    input = out;
  }
  return input;
}

namespace {

// Log-softmax and softmax of n rows of `width` logits (max-shifted, as torch).
void LogSoftmax(const float* logits, int n, int width, float* log_probs, float* probs) {
  for (int i = 0; i < n; ++i) {
    const float* l = logits + static_cast<size_t>(i) * width;
    float* lp = log_probs + static_cast<size_t>(i) * width;
    float m = l[0];
    for (int j = 1; j < width; ++j) m = std::max(m, l[j]);
    float sum = 0;
    for (int j = 0; j < width; ++j) sum += std::exp(l[j] - m);
    const float log_sum = std::log(sum);
    for (int j = 0; j < width; ++j) lp[j] = l[j] - m - log_sum;
    if (probs != nullptr) {
      float* p = probs + static_cast<size_t>(i) * width;
      for (int j = 0; j < width; ++j) p[j] = std::exp(lp[j]);
    }
  }
}

void Head(const float* params, const LinearSlice& s, const float* input, int n, float* out) {
  DotRows(input, n, s.in, params + s.weight, params + s.bias, s.out, out);
}

}  // namespace

void NativeActorCritic::Predict(const float* params, const float* observations, int n,
                                float* log_probs, float* values) {
  if (n <= 0) return;
  EnsureRows(n);
  const float* pi = RunTrunk(params, layout_.policy_trunk, observations, n, policy_outputs_);
  Head(params, layout_.action_head, pi, n, logits_.data());
  LogSoftmax(logits_.data(), n, layout_.num_actions, log_probs, nullptr);
  const float* vf = RunTrunk(params, layout_.value_trunk, observations, n, value_outputs_);
  Head(params, layout_.value_head, vf, n, values);
}

void NativeActorCritic::PredictValues(const float* params, const float* observations, int n,
                                      float* values) {
  if (n <= 0) return;
  EnsureRows(n);
  const float* vf = RunTrunk(params, layout_.value_trunk, observations, n, value_outputs_);
  Head(params, layout_.value_head, vf, n, values);
}

NativeLoss NativeActorCritic::LossAndGradient(const float* params, const MinibatchView& b,
                                              const TrainerConfig& c, float* gradient,
                                              float* advantages_used) {
  const int n = b.size;
  KF_CHECK(n >= 1, "LossAndGradient on an empty minibatch");
  EnsureRows(n);
  const int num_actions = layout_.num_actions;
  const size_t width = static_cast<size_t>(num_actions);
  const bool ppo = c.algorithm == Algorithm::kPpo;

  // Forward.
  const float* latent_pi =
      RunTrunk(params, layout_.policy_trunk, b.observations, n, policy_outputs_);
  const float* latent_vf = RunTrunk(params, layout_.value_trunk, b.observations, n, value_outputs_);
  Head(params, layout_.action_head, latent_pi, n, logits_.data());
  Head(params, layout_.value_head, latent_vf, n, values_.data());
  LogSoftmax(logits_.data(), n, num_actions, log_probs_.data(), probs_.data());

  // Advantages, normalised per minibatch as SB3: (A - mean) / (unbiased std + 1e-8).
  float* adv = advantages_.data();
  if (c.normalize_advantage && n > 1) {
    double mean = 0;
    for (int i = 0; i < n; ++i) mean += b.advantages[i];
    mean /= n;
    double var = 0;
    for (int i = 0; i < n; ++i) var += (b.advantages[i] - mean) * (b.advantages[i] - mean);
    const double std_dev = std::sqrt(var / (n - 1));
    for (int i = 0; i < n; ++i) {
      adv[i] = static_cast<float>((b.advantages[i] - mean) / (std_dev + 1e-8));
    }
  } else {
    std::copy(b.advantages, b.advantages + n, adv);
  }
  if (advantages_used != nullptr) std::copy(adv, adv + n, advantages_used);

  // Losses and their gradients with respect to the logits and the values.
  const float inv_n = 1.0f / static_cast<float>(n);
  const float ent_coef = static_cast<float>(c.ent_coef);
  const float vf_coef = static_cast<float>(c.vf_coef);
  const float low = static_cast<float>(1.0 - c.clip_range);
  const float high = static_cast<float>(1.0 + c.clip_range);
  const float clip = static_cast<float>(c.clip_range);
  const bool clip_values = ppo && c.clip_range_vf.has_value();
  const float clip_vf = clip_values ? static_cast<float>(*c.clip_range_vf) : 0.0f;
  double policy_sum = 0, value_sum = 0, entropy_sum = 0, kl_sum = 0, clipped = 0;
  for (int i = 0; i < n; ++i) {
    const size_t row = static_cast<size_t>(i) * width;
    const float* lp = log_probs_.data() + row;
    const float* p = probs_.data() + row;
    const int32_t action = b.actions[i];
    KF_CHECK(action >= 0 && action < num_actions, "action {} outside [0, {})", action, num_actions);
    float entropy = 0;
    for (int j = 0; j < num_actions; ++j) entropy -= p[j] * lp[j];
    entropy_sum += entropy;

    float dlog_prob;  // d loss / d log pi(action)
    if (ppo) {
      const float log_ratio = lp[action] - b.old_log_probs[i];
      const float ratio = std::exp(log_ratio);
      const float clamped = std::clamp(ratio, low, high);
      const float surrogate = adv[i] * ratio;
      const float clipped_surrogate = adv[i] * clamped;
      policy_sum -= std::min(surrogate, clipped_surrogate);
      const float inside = (ratio >= low && ratio <= high) ? 1.0f : 0.0f;
      float d_min;  // d min(surrogate, clipped) / d ratio; torch.min halves a tie's gradient
      if (surrogate < clipped_surrogate) {
        d_min = adv[i];
      } else if (surrogate > clipped_surrogate) {
        d_min = adv[i] * inside;
      } else {
        d_min = 0.5f * adv[i] + 0.5f * adv[i] * inside;
      }
      dlog_prob = -inv_n * d_min * ratio;
      if (std::abs(ratio - 1.0f) > clip) clipped += 1;
      kl_sum += (ratio - 1.0f) - log_ratio;
    } else {
      policy_sum -= adv[i] * lp[action];
      dlog_prob = -inv_n * adv[i];
    }

    const float v = values_[static_cast<size_t>(i)];
    float v_pred = v;
    float dv_pred = 1.0f;
    if (clip_values) {
      const float delta = v - b.old_values[i];
      v_pred = b.old_values[i] + std::clamp(delta, -clip_vf, clip_vf);
      dv_pred = (delta >= -clip_vf && delta <= clip_vf) ? 1.0f : 0.0f;
    }
    const float error = v_pred - b.returns[i];
    value_sum += static_cast<double>(error) * error;
    dvalues_[static_cast<size_t>(i)] = vf_coef * 2.0f * error * inv_n * dv_pred;

    float* dl = dlogits_.data() + row;
    for (int j = 0; j < num_actions; ++j) {
      dl[j] = dlog_prob * ((j == action ? 1.0f : 0.0f) - p[j]);
      // d(-mean entropy)/d logit_j = p_j (log p_j + H) / n
      if (ent_coef != 0) dl[j] += ent_coef * inv_n * p[j] * (lp[j] + entropy);
    }
  }
  NativeLoss r;
  r.policy_loss = policy_sum / n;
  r.value_loss = value_sum / n;
  r.entropy_loss = -entropy_sum / n;
  r.loss = r.policy_loss + c.vf_coef * r.value_loss;
  if (c.ent_coef != 0) r.loss += c.ent_coef * r.entropy_loss;
  if (ppo) {
    r.approx_kl = kl_sum / n;
    r.clip_fraction = clipped / n;
  }
  if (gradient == nullptr) return r;

  // Backward.
  std::fill(gradient, gradient + layout_.parameter_count, 0.0f);
  auto backward_trunk = [&](const std::vector<LinearSlice>& trunk,
                            std::vector<std::vector<float>>& outputs) {
    // dhidden_ holds d loss / d (last layer's output).
    for (size_t l = trunk.size(); l-- > 0;) {
      const LinearSlice& s = trunk[l];
      const size_t count = static_cast<size_t>(n) * static_cast<size_t>(s.out);
      ActivationBackward(layout_.activation, outputs[l].data(), dhidden_.data(), count);
      const float* input = l > 0 ? outputs[l - 1].data() : b.observations;
      AccumulateWeights(dhidden_.data(), n, s.out, input, s.in, gradient + s.weight,
                        gradient + s.bias);
      if (l > 0) {
        BackwardInput(dhidden_.data(), n, s.out, params + s.weight, s.in, dhidden_next_.data());
        dhidden_.swap(dhidden_next_);
      }
    }
  };
  const LinearSlice& ah = layout_.action_head;
  AccumulateWeights(dlogits_.data(), n, ah.out, latent_pi, ah.in, gradient + ah.weight,
                    gradient + ah.bias);
  if (!layout_.policy_trunk.empty()) {
    BackwardInput(dlogits_.data(), n, ah.out, params + ah.weight, ah.in, dhidden_.data());
    backward_trunk(layout_.policy_trunk, policy_outputs_);
  }
  const LinearSlice& vh = layout_.value_head;
  AccumulateWeights(dvalues_.data(), n, 1, latent_vf, vh.in, gradient + vh.weight,
                    gradient + vh.bias);
  if (!layout_.value_trunk.empty()) {
    BackwardInput(dvalues_.data(), n, 1, params + vh.weight, vh.in, dhidden_.data());
    backward_trunk(layout_.value_trunk, value_outputs_);
  }
  return r;
}

}  // namespace kalshiflow::rl
