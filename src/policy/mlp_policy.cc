#include "policy/mlp_policy.h"

#include <fmt/format.h>

#include <Eigen/Core>
#include <algorithm>
#include <limits>

namespace kalshiflow::policy {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixMap = Eigen::Map<const RowMatrix>;
using ConstVectorMap = Eigen::Map<const Eigen::VectorXf>;
using VectorMap = Eigen::Map<Eigen::VectorXf>;

constexpr int kMaxLayerWidth = 1 << 16;

// y = W x + b, then the activation when `activate`. x and y must not overlap.
inline void Dense(const DenseLayer& layer, const float* x, float* y, Activation activation,
                  bool activate) {
  MatrixMap w(layer.weight.data(), layer.out, layer.in);
  ConstVectorMap xv(x, layer.in);
  VectorMap yv(y, layer.out);
  yv = ConstVectorMap(layer.bias.data(), layer.out);
  yv.noalias() += w * xv;
  if (!activate) return;
  if (activation == Activation::kTanh) {
    yv = yv.array().tanh();
  } else {
    yv = yv.array().max(0.0f);
  }
}

// Runs a trunk from `x` through the ping/pong buffers; returns the last activation (or `x`
// for an empty trunk).
inline const float* Trunk(const std::vector<DenseLayer>& trunk, const float* x, float* ping,
                          float* pong, Activation activation) {
  float* out = ping;
  for (const DenseLayer& layer : trunk) {
    Dense(layer, x, out, activation, /*activate=*/true);
    x = out;
    out = out == ping ? pong : ping;
  }
  return x;
}

std::string WeightName(std::string_view trunk, size_t layer, std::string_view part) {
  // The Linear layers of SB3's nn.Sequential sit at even indices (activations at odd ones).
  return fmt::format("mlp_extractor.{}.{}.{}", trunk, 2 * layer, part);
}

PolicyResult<DenseLayer> TakeLayer(const TensorMap& tensors, const std::string& weight_name,
                                   const std::string& bias_name) {
  auto w = tensors.find(weight_name);
  if (w == tensors.end()) {
    return PolicyErr(PolicyErrorKind::kMissingTensor, fmt::format("no tensor '{}'", weight_name));
  }
  auto b = tensors.find(bias_name);
  if (b == tensors.end()) {
    return PolicyErr(PolicyErrorKind::kMissingTensor, fmt::format("no tensor '{}'", bias_name));
  }
  for (const auto* t : {&w->second, &b->second}) {
    auto n = CheckedNumel(t->shape);
    if (!n || *n != static_cast<int64_t>(t->data.size())) {
      return PolicyErr(
          PolicyErrorKind::kBadTensor,
          fmt::format("tensor '{}' has shape {} but {} values",
                      t == &w->second ? weight_name : bias_name, t->ShapeString(), t->data.size()));
    }
  }
  const Tensor& wt = w->second;
  const Tensor& bt = b->second;
  if (wt.shape.size() != 2 || wt.shape[0] < 1 || wt.shape[1] < 1 || wt.shape[0] > kMaxLayerWidth ||
      wt.shape[1] > kMaxLayerWidth) {
    return PolicyErr(PolicyErrorKind::kShapeMismatch,
                     fmt::format("'{}' has shape {}, want [out, in] with 1..{} each", weight_name,
                                 wt.ShapeString(), kMaxLayerWidth));
  }
  if (bt.shape.size() != 1 || bt.shape[0] != wt.shape[0]) {
    return PolicyErr(PolicyErrorKind::kShapeMismatch,
                     fmt::format("'{}' has shape {}, want [{}] to match '{}' {}", bias_name,
                                 bt.ShapeString(), wt.shape[0], weight_name, wt.ShapeString()));
  }
  DenseLayer layer;
  layer.out = static_cast<int>(wt.shape[0]);
  layer.in = static_cast<int>(wt.shape[1]);
  layer.weight = wt.data;
  layer.bias = bt.data;
  return layer;
}

PolicyResult<std::vector<DenseLayer>> TakeTrunk(const TensorMap& tensors, std::string_view trunk,
                                                std::vector<std::string>& used) {
  std::vector<DenseLayer> layers;
  for (size_t i = 0;; ++i) {
    const std::string w = WeightName(trunk, i, "weight");
    const std::string b = WeightName(trunk, i, "bias");
    if (!tensors.contains(w) && !tensors.contains(b)) break;
    auto layer = TakeLayer(tensors, w, b);
    if (!layer.ok()) return core::Err(layer.error());
    layers.push_back(std::move(*layer));
    used.push_back(w);
    used.push_back(b);
  }
  return layers;
}

Tensor ToTensor(std::vector<int64_t> shape, const std::vector<float>& data) {
  return Tensor{std::move(shape), data};
}

}  // namespace

std::string_view ActivationName(Activation activation) {
  return activation == Activation::kTanh ? "tanh" : "relu";
}

std::optional<Activation> ParseActivation(std::string_view name) {
  if (name == "tanh") return Activation::kTanh;
  if (name == "relu") return Activation::kRelu;
  return std::nullopt;
}

PolicyResult<MlpPolicy> MlpPolicy::FromTensors(const TensorMap& tensors, Activation activation) {
  std::vector<std::string> used;
  auto pi = TakeTrunk(tensors, "policy_net", used);
  if (!pi.ok()) return core::Err(pi.error());
  auto vf = TakeTrunk(tensors, "value_net", used);
  if (!vf.ok()) return core::Err(vf.error());
  auto action = TakeLayer(tensors, "action_net.weight", "action_net.bias");
  if (!action.ok()) return core::Err(action.error());
  auto value = TakeLayer(tensors, "value_net.weight", "value_net.bias");
  if (!value.ok()) return core::Err(value.error());
  used.insert(used.end(),
              {"action_net.weight", "action_net.bias", "value_net.weight", "value_net.bias"});
  for (const auto& [name, tensor] : tensors) {
    if (std::find(used.begin(), used.end(), name) == used.end()) {
      return PolicyErr(PolicyErrorKind::kUnsupportedModel,
                       fmt::format("unexpected tensor '{}' {} (only an MLP actor-critic with "
                                   "separate trunks and a Discrete action head is supported)",
                                   name, tensor.ShapeString()));
    }
  }
  return Create(std::move(*pi), std::move(*vf), std::move(*action), std::move(*value), activation);
}

PolicyResult<MlpPolicy> MlpPolicy::Create(std::vector<DenseLayer> policy_trunk,
                                          std::vector<DenseLayer> value_trunk,
                                          DenseLayer action_head, DenseLayer value_head,
                                          Activation activation) {
  MlpPolicy p;
  p.policy_trunk_ = std::move(policy_trunk);
  p.value_trunk_ = std::move(value_trunk);
  p.action_head_ = std::move(action_head);
  p.value_head_ = std::move(value_head);
  p.activation_ = activation;
  return Validate(std::move(p));
}

PolicyResult<MlpPolicy> MlpPolicy::Validate(MlpPolicy p) {
  auto check_layer = [](const DenseLayer& l,
                        const std::string& what) -> std::optional<PolicyError> {
    if (l.in < 1 || l.out < 1 || l.in > kMaxLayerWidth || l.out > kMaxLayerWidth) {
      return PolicyError{
          PolicyErrorKind::kShapeMismatch,
          fmt::format("{} is {}x{}, want 1..{} each", what, l.out, l.in, kMaxLayerWidth)};
    }
    if (l.weight.size() != static_cast<size_t>(l.in) * static_cast<size_t>(l.out) ||
        l.bias.size() != static_cast<size_t>(l.out)) {
      return PolicyError{PolicyErrorKind::kBadTensor,
                         fmt::format("{} declares {}x{} but has {} weights and {} biases", what,
                                     l.out, l.in, l.weight.size(), l.bias.size())};
    }
    return std::nullopt;
  };
  const int obs = !p.policy_trunk_.empty() ? p.policy_trunk_.front().in : p.action_head_.in;
  int max_width = 1;
  auto check_chain = [&](const std::vector<DenseLayer>& trunk, const DenseLayer& head,
                         std::string_view trunk_name,
                         std::string_view head_name) -> std::optional<PolicyError> {
    int width = obs;
    for (size_t i = 0; i < trunk.size(); ++i) {
      const std::string what = WeightName(trunk_name, i, "weight");
      if (auto e = check_layer(trunk[i], what)) return e;
      if (trunk[i].in != width) {
        return PolicyError{
            PolicyErrorKind::kShapeMismatch,
            fmt::format("{} takes {} inputs but its input has {}", what, trunk[i].in, width)};
      }
      width = trunk[i].out;
      max_width = std::max(max_width, width);
    }
    const std::string what = fmt::format("{}.weight", head_name);
    if (auto e = check_layer(head, what)) return e;
    if (head.in != width) {
      return PolicyError{
          PolicyErrorKind::kShapeMismatch,
          fmt::format("{} takes {} inputs but its trunk ends with {}", what, head.in, width)};
    }
    return std::nullopt;
  };
  if (auto e = check_chain(p.policy_trunk_, p.action_head_, "policy_net", "action_net")) {
    return core::Err(std::move(*e));
  }
  if (auto e = check_chain(p.value_trunk_, p.value_head_, "value_net", "value_net")) {
    return core::Err(std::move(*e));
  }
  if (p.value_head_.out != 1) {
    return PolicyErr(PolicyErrorKind::kShapeMismatch,
                     fmt::format("value_net.weight has {} outputs, want 1", p.value_head_.out));
  }
  p.observation_size_ = obs;
  p.max_width_ = max_width;
  return p;
}

TensorMap MlpPolicy::ToTensors() const {
  TensorMap out;
  auto put = [&](std::string weight_name, std::string bias_name, const DenseLayer& l) {
    out[std::move(weight_name)] = ToTensor({l.out, l.in}, l.weight);
    out[std::move(bias_name)] = ToTensor({l.out}, l.bias);
  };
  for (size_t i = 0; i < policy_trunk_.size(); ++i) {
    put(WeightName("policy_net", i, "weight"), WeightName("policy_net", i, "bias"),
        policy_trunk_[i]);
  }
  for (size_t i = 0; i < value_trunk_.size(); ++i) {
    put(WeightName("value_net", i, "weight"), WeightName("value_net", i, "bias"), value_trunk_[i]);
  }
  put("action_net.weight", "action_net.bias", action_head_);
  put("value_net.weight", "value_net.bias", value_head_);
  return out;
}

NetArch MlpPolicy::net_arch() const {
  NetArch arch;
  for (const DenseLayer& l : policy_trunk_) arch.pi.push_back(l.out);
  for (const DenseLayer& l : value_trunk_) arch.vf.push_back(l.out);
  return arch;
}

ForwardBuffers MlpPolicy::MakeBuffers() const {
  ForwardBuffers b;
  b.ping_.assign(static_cast<size_t>(max_width_), 0.0f);
  b.pong_.assign(static_cast<size_t>(max_width_), 0.0f);
  b.logits_.assign(static_cast<size_t>(action_count()), 0.0f);
  b.probabilities_.assign(static_cast<size_t>(action_count()), 0.0f);
  return b;
}

void MlpPolicy::Forward(std::span<const float> observation, ForwardBuffers& buffers,
                        Heads heads) const {
  KF_CHECK(observation.size() == static_cast<size_t>(observation_size_),
           "observation has {} floats, the policy takes {}", observation.size(), observation_size_);
  KF_CHECK(buffers.logits_.size() == static_cast<size_t>(action_count()) &&
               buffers.ping_.size() >= static_cast<size_t>(max_width_),
           "ForwardBuffers were not made by MakeBuffers of this policy's shape");
  float* ping = buffers.ping_.data();
  float* pong = buffers.pong_.data();
  float* logits = buffers.logits_.data();
  const int n = action_count();

  const float* latent_pi = Trunk(policy_trunk_, observation.data(), ping, pong, activation_);
  Dense(action_head_, latent_pi, logits, activation_, /*activate=*/false);

  // Argmax (first maximum) and a numerically stable softmax.
  bool finite = true;
  int best = 0;
  for (int i = 0; i < n; ++i) {
    if (!std::isfinite(logits[i])) finite = false;
    if (logits[i] > logits[best]) best = i;
  }
  bool has_nan = false;
  for (int i = 0; i < n; ++i) has_nan |= std::isnan(logits[i]);
  buffers.action_ = has_nan ? -1 : best;
  float* probs = buffers.probabilities_.data();
  const float max_logit = logits[best];
  float sum = 0.0f;
  for (int i = 0; i < n; ++i) {
    probs[i] = std::exp(logits[i] - max_logit);
    sum += probs[i];
  }
  for (int i = 0; i < n; ++i) probs[i] /= sum;

  if (heads == Heads::kPolicyAndValue) {
    const float* latent_vf = Trunk(value_trunk_, observation.data(), ping, pong, activation_);
    float value = 0.0f;
    Dense(value_head_, latent_vf, &value, activation_, /*activate=*/false);
    buffers.value_ = value;
    finite = finite && std::isfinite(value);
  } else {
    buffers.value_ = std::numeric_limits<float>::quiet_NaN();
  }
  buffers.finite_ = finite;
}

}  // namespace kalshiflow::policy
