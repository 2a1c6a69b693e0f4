// The only translation unit of kalshiflow that includes <torch/torch.h> (~25 s, 1.3 GB to
// compile). Everything else in `rl` talks to it through learner.h.
#include "rl/learner.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>

#include "core/check.h"
#include "rl/native_network.h"

namespace kalshiflow::rl {
namespace {

// ---------------------------------------------------------------- network ---------------

struct Trunk {
  torch::nn::Sequential seq;
  std::vector<torch::nn::Linear> linears;  // the Linear layers of `seq`, in order
};

Trunk MakeTrunk(int64_t in, const std::vector<int>& widths, Activation activation) {
  Trunk t;
  int64_t prev = in;
  for (int width : widths) {
    torch::nn::Linear linear(prev, width);
    t.linears.push_back(linear);
    t.seq->push_back(linear);
    if (activation == Activation::kTanh) {
      t.seq->push_back(torch::nn::Tanh());
    } else {
      t.seq->push_back(torch::nn::ReLU());
    }
    prev = width;
  }
  return t;
}

// SB3 `MlpExtractor`: registered children `policy_net` and `value_net`.
struct MlpExtractorImpl : torch::nn::Module {
  MlpExtractorImpl(int64_t obs_size, const PolicyConfig& p)
      : pi(MakeTrunk(obs_size, p.pi_layers, p.activation)),
        vf(MakeTrunk(obs_size, p.vf_layers, p.activation)) {
    register_module("policy_net", pi.seq);
    register_module("value_net", vf.seq);
  }
  Trunk pi;
  Trunk vf;
};
TORCH_MODULE(MlpExtractor);

torch::Tensor RunTrunk(Trunk& trunk, const torch::Tensor& x) {
  return trunk.seq->is_empty() ? x : trunk.seq->forward(x);
}

// SB3 `ActorCriticPolicy` for Discrete actions: mlp_extractor, action_net, value_net.
struct ActorCriticImpl : torch::nn::Module {
  ActorCriticImpl(int64_t obs_size, int64_t num_actions, const PolicyConfig& p)
      : mlp_extractor(obs_size, p),
        action_net(p.pi_layers.empty() ? obs_size : p.pi_layers.back(), num_actions),
        value_net(p.vf_layers.empty() ? obs_size : p.vf_layers.back(), 1) {
    register_module("mlp_extractor", mlp_extractor);
    register_module("action_net", action_net);
    register_module("value_net", value_net);
  }

  /// logits [n, num_actions], values [n].
  std::pair<torch::Tensor, torch::Tensor> Forward(const torch::Tensor& obs) {
    torch::Tensor latent_pi = RunTrunk(mlp_extractor->pi, obs);
    torch::Tensor latent_vf = RunTrunk(mlp_extractor->vf, obs);
    return {action_net(latent_pi), value_net(latent_vf).squeeze(-1)};
  }
  torch::Tensor Values(const torch::Tensor& obs) {
    return value_net(RunTrunk(mlp_extractor->vf, obs)).squeeze(-1);
  }

  /// SB3 ActorCriticPolicy._build with ortho_init: module.apply(init_weights) in the order
  /// mlp_extractor (policy_net layers, then value_net layers), action_net, value_net.
  void OrthoInit() {
    torch::NoGradGuard no_grad;
    auto init = [](torch::nn::Linear& l, double gain) {
      torch::nn::init::orthogonal_(l->weight, gain);
      l->bias.fill_(0.0);
    };
    for (auto& l : mlp_extractor->pi.linears) init(l, std::sqrt(2.0));
    for (auto& l : mlp_extractor->vf.linears) init(l, std::sqrt(2.0));
    init(action_net, 0.01);
    init(value_net, 1.0);
  }

  MlpExtractor mlp_extractor;
  torch::nn::Linear action_net;
  torch::nn::Linear value_net;
};
TORCH_MODULE(ActorCritic);

// ---------------------------------------------------------------- batches ---------------

struct BatchTensors {
  torch::Tensor obs;            // [n, obs] float
  torch::Tensor actions;        // [n] int64
  torch::Tensor old_values;     // [n]
  torch::Tensor old_log_probs;  // [n]
  torch::Tensor advantages;     // [n]
  torch::Tensor returns;        // [n]

  BatchTensors Slice(int64_t start, int64_t length) const {
    return {obs.narrow(0, start, length),        actions.narrow(0, start, length),
            old_values.narrow(0, start, length), old_log_probs.narrow(0, start, length),
            advantages.narrow(0, start, length), returns.narrow(0, start, length)};
  }
  BatchTensors Select(const torch::Tensor& index) const {
    return {obs.index_select(0, index),        actions.index_select(0, index),
            old_values.index_select(0, index), old_log_probs.index_select(0, index),
            advantages.index_select(0, index), returns.index_select(0, index)};
  }
};

torch::Tensor FloatTensor(const float* data, std::vector<int64_t> shape) {
  // from_blob does not take ownership; clone so the tensor outlives the source.
  return torch::from_blob(const_cast<float*>(data), shape, torch::kFloat).clone();
}

torch::Tensor ActionTensor(const int32_t* data, int64_t n) {
  return torch::from_blob(const_cast<int32_t*>(data), {n}, torch::kInt).to(torch::kLong);
}

struct LossTensors {
  torch::Tensor policy_loss, value_loss, entropy_loss, loss, approx_kl, clip_fraction, advantages;
};

// The six scalars of a LossTensors, read with one stack + copy (A2C: approx_kl and
// clip_fraction are 0): {policy, value, entropy, loss, approx_kl, clip_fraction}.
std::array<double, 6> Scalars(const LossTensors& l) {
  torch::NoGradGuard no_grad;
  const torch::Tensor zero = torch::zeros({}, torch::kFloat);
  const torch::Tensor all = torch::stack({l.policy_loss, l.value_loss, l.entropy_loss, l.loss,
                                          l.approx_kl.defined() ? l.approx_kl : zero,
                                          l.clip_fraction.defined() ? l.clip_fraction : zero})
                                .to(torch::kDouble);
  std::array<double, 6> out;
  std::memcpy(out.data(), all.data_ptr<double>(), sizeof(out));
  return out;
}

LossReport ToReport(const LossTensors& l, bool with_advantages) {
  LossReport r;
  const std::array<double, 6> v = Scalars(l);
  r.policy_loss = v[0];
  r.value_loss = v[1];
  r.entropy_loss = v[2];
  r.loss = v[3];
  r.approx_kl = v[4];
  r.clip_fraction = v[5];
  if (with_advantages) {
    torch::Tensor a = l.advantages.detach().contiguous();
    r.advantages_used.assign(a.data_ptr<float>(), a.data_ptr<float>() + a.numel());
  }
  return r;
}

void SetBlasThreads(int n) {
  // Debian's libtorch calls BLAS through the libblas.so.3 alternative; with
  // libopenblas0-pthread installed that is OpenBLAS, whose own thread pool torch's
  // set_num_threads does not control. Looked up at run time: other BLAS have no such symbol.
  using SetThreadsFn = void (*)(int);
  void* symbol = dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
  if (symbol != nullptr) reinterpret_cast<SetThreadsFn>(symbol)(n);
}

}  // namespace

// ---------------------------------------------------------------- Impl ------------------

struct Learner::Impl {
  TrainerConfig config;
  int obs_size = 0;
  int num_actions = 0;
  ActorCritic net{nullptr};
  std::vector<torch::Tensor> params;  // the module's parameters (SB3 names), aliases of `flat`
  // All parameters live in one contiguous buffer and all gradients in another: each module
  // parameter's data is a view of `flat` and its .grad a view of `flat_grad` (autograd
  // accumulates into an existing .grad in place). Zeroing, clipping and the optimiser then
  // run as a handful of ops on one tensor instead of ~150 small ops over 12 tensors; the
  // arithmetic is elementwise and identical to per-parameter Adam / RMSprop.
  torch::Tensor flat;
  torch::Tensor flat_grad;
  std::unique_ptr<torch::optim::Optimizer> optimizer;  // over {flat}
  double lr = 0;
  // The native gradient engine (config.gradient_engine == kNative): reads `flat` and writes
  // `flat_grad` directly; null for kAutograd.
  std::unique_ptr<NativeActorCritic> native;
  // Native Update scratch: the rollout in SB3's flatten order and one gathered minibatch.
  struct Columns {
    std::vector<float> obs, old_values, old_log_probs, advantages, returns;
    std::vector<int32_t> actions;
    void Resize(size_t n, size_t obs_size) {
      obs.resize(n * obs_size);
      old_values.resize(n);
      old_log_probs.resize(n);
      advantages.resize(n);
      returns.resize(n);
      actions.resize(n);
    }
    MinibatchView View(int n) const {
      return {n,
              obs.data(),
              actions.data(),
              old_values.data(),
              old_log_probs.data(),
              advantages.data(),
              returns.data()};
    }
  };
  Columns rollout, minibatch;

  float* Params() { return flat.data_ptr<float>(); }

  // The buffer in SB3's flatten order (k = env * n_steps + step) into `rollout`.
  void FlattenColumns(const RolloutBuffer& buffer) {
    const size_t steps = static_cast<size_t>(buffer.n_steps());
    const size_t envs = static_cast<size_t>(buffer.n_envs());
    const size_t d = static_cast<size_t>(obs_size);
    rollout.Resize(steps * envs, d);
    for (size_t e = 0; e < envs; ++e) {
      for (size_t t = 0; t < steps; ++t) {
        const size_t k = e * steps + t, src = t * envs + e;
        std::memcpy(rollout.obs.data() + k * d, buffer.observations().data() + src * d,
                    d * sizeof(float));
        rollout.actions[k] = buffer.actions()[src];
        rollout.old_values[k] = buffer.values()[src];
        rollout.old_log_probs[k] = buffer.log_probs()[src];
        rollout.advantages[k] = buffer.advantages()[src];
        rollout.returns[k] = buffer.returns()[src];
      }
    }
  }

  // Rows index[0..length) of `rollout` into `minibatch`.
  void GatherMinibatch(const int64_t* index, int64_t length) {
    const size_t d = static_cast<size_t>(obs_size);
    minibatch.Resize(static_cast<size_t>(length), d);
    for (int64_t i = 0; i < length; ++i) {
      const size_t k = static_cast<size_t>(index[i]), m = static_cast<size_t>(i);
      std::memcpy(minibatch.obs.data() + m * d, rollout.obs.data() + k * d, d * sizeof(float));
      minibatch.actions[m] = rollout.actions[k];
      minibatch.old_values[m] = rollout.old_values[k];
      minibatch.old_log_probs[m] = rollout.old_log_probs[k];
      minibatch.advantages[m] = rollout.advantages[k];
      minibatch.returns[m] = rollout.returns[k];
    }
  }

  // The native layout must be exactly where FlattenParameters put each parameter.
  void CheckNativeLayout() const {
    const NetworkLayout& l = native->layout();
    std::vector<LinearSlice> order = l.policy_trunk;
    order.insert(order.end(), l.value_trunk.begin(), l.value_trunk.end());
    order.push_back(l.action_head);
    order.push_back(l.value_head);
    KF_CHECK(params.size() == 2 * order.size(), "native layout has {} tensors, the module {}",
             2 * order.size(), params.size());
    int64_t offset = 0;
    for (size_t k = 0; k < order.size(); ++k) {
      const LinearSlice& s = order[k];
      KF_CHECK(s.weight == offset && params[2 * k].numel() == int64_t{s.in} * s.out &&
                   s.bias == offset + params[2 * k].numel() && params[2 * k + 1].numel() == s.out,
               "native layout differs from the module at layer {}", k);
      offset = s.bias + s.out;
    }
    KF_CHECK(offset == flat.numel(), "native layout covers {} of {} parameters", offset,
             flat.numel());
  }

  void CheckBatch(const Batch& b) const {
    const int64_t n = b.size;
    KF_CHECK(n >= 1, "empty batch");
    KF_CHECK(b.observations.size() == static_cast<size_t>(n) * obs_size &&
                 b.actions.size() == static_cast<size_t>(n) &&
                 b.old_values.size() == static_cast<size_t>(n) &&
                 b.old_log_probs.size() == static_cast<size_t>(n) &&
                 b.advantages.size() == static_cast<size_t>(n) &&
                 b.returns.size() == static_cast<size_t>(n),
             "Batch arrays do not match size {} (observation size {})", n, obs_size);
    for (int32_t a : b.actions) {
      KF_CHECK(a >= 0 && a < num_actions, "action {} outside [0, {})", a, num_actions);
    }
  }

  static MinibatchView ViewOf(const Batch& b) {
    return {b.size,
            b.observations.data(),
            b.actions.data(),
            b.old_values.data(),
            b.old_log_probs.data(),
            b.advantages.data(),
            b.returns.data()};
  }

  static LossReport ToReport(const NativeLoss& l) {
    LossReport r;
    r.policy_loss = l.policy_loss;
    r.value_loss = l.value_loss;
    r.entropy_loss = l.entropy_loss;
    r.loss = l.loss;
    r.approx_kl = l.approx_kl;
    r.clip_fraction = l.clip_fraction;
    return r;
  }

  // The native minibatch loss; with `step`, also its gradient into flat_grad, clipping and
  // the optimiser step (returns the pre-clip norm in *grad_norm).
  NativeLoss NativeLossAndStep(const MinibatchView& view, bool step, double* grad_norm,
                               float* advantages_used) {
    NativeLoss l;
    if (!step) return native->LossAndGradient(Params(), view, config, nullptr, advantages_used);
    {
      torch::NoGradGuard no_grad;
      l = native->LossAndGradient(Params(), view, config, flat_grad.data_ptr<float>(),
                                  advantages_used);
    }
    *grad_norm = ClipAndStep();
    return l;
  }

  void FlattenParameters() {
    torch::NoGradGuard no_grad;
    int64_t total = 0;
    for (const auto& p : params) total += p.numel();
    flat = torch::empty({total}, torch::kFloat);
    flat_grad = torch::zeros({total}, torch::kFloat);
    int64_t offset = 0;
    for (auto& p : params) {
      const int64_t n = p.numel();
      torch::Tensor data = flat.narrow(0, offset, n).view(p.sizes());
      data.copy_(p);
      p.set_data(data);
      p.mutable_grad() = flat_grad.narrow(0, offset, n).view(p.sizes());
      offset += n;
    }
    flat.set_requires_grad(true);
    flat.mutable_grad() = flat_grad;
  }

  bool IsPpo() const { return config.algorithm == Algorithm::kPpo; }

  BatchTensors ToTensors(const Batch& b) const {
    CheckBatch(b);
    const int64_t n = b.size;
    return {FloatTensor(b.observations.data(), {n, obs_size}),
            ActionTensor(b.actions.data(), n),
            FloatTensor(b.old_values.data(), {n}),
            FloatTensor(b.old_log_probs.data(), {n}),
            FloatTensor(b.advantages.data(), {n}),
            FloatTensor(b.returns.data(), {n})};
  }

  // SB3 PPO.train / A2C.train loss for one minibatch (gradients enabled).
  LossTensors ComputeLosses(const BatchTensors& b) {
    const TrainerConfig& c = config;
    auto [logits, values] = net->Forward(b.obs);
    // torch.distributions.Categorical(logits): normalised logits, probs = softmax.
    torch::Tensor log_probs_all = torch::log_softmax(logits, -1);
    torch::Tensor log_prob = log_probs_all.gather(1, b.actions.unsqueeze(1)).squeeze(1);
    // Categorical.entropy: logits clamped at finfo.min so that 0 * -inf does not give NaN.
    // With ent_coef == 0 (the default) the entropy only feeds the statistics, so it is built
    // outside the autograd graph: same loss value and gradient, ~10 fewer backward nodes.
    auto entropy_of = [&] {
      return -(log_probs_all.clamp_min(std::numeric_limits<float>::lowest()) *
               torch::softmax(logits, -1))
                  .sum(-1);
    };
    LossTensors l;
    torch::Tensor entropy;
    if (c.ent_coef != 0) {
      entropy = entropy_of();
    } else {
      torch::NoGradGuard no_grad;
      entropy = entropy_of();
    }

    torch::Tensor adv = b.advantages;
    if (c.normalize_advantage && adv.size(0) > 1) {
      adv = (adv - adv.mean()) / (adv.std() + 1e-8);
    }
    l.advantages = adv;
    torch::Tensor values_pred = values;
    if (IsPpo()) {
      torch::Tensor log_ratio = log_prob - b.old_log_probs;
      torch::Tensor ratio = torch::exp(log_ratio);
      torch::Tensor loss1 = adv * ratio;
      torch::Tensor loss2 = adv * torch::clamp(ratio, 1 - c.clip_range, 1 + c.clip_range);
      l.policy_loss = -torch::min(loss1, loss2).mean();
      if (c.clip_range_vf) {
        values_pred =
            b.old_values + torch::clamp(values - b.old_values, -*c.clip_range_vf, *c.clip_range_vf);
      }
      torch::NoGradGuard no_grad;
      l.clip_fraction = ((ratio - 1).abs() > c.clip_range).to(torch::kFloat).mean();
      l.approx_kl = ((torch::exp(log_ratio) - 1) - log_ratio).mean();
    } else {
      l.policy_loss = -(adv * log_prob).mean();
    }
    l.value_loss = torch::mse_loss(values_pred, b.returns);
    l.entropy_loss = -entropy.mean();
    l.loss = c.ent_coef != 0
                 ? l.policy_loss + c.ent_coef * l.entropy_loss + c.vf_coef * l.value_loss
                 : l.policy_loss + c.vf_coef * l.value_loss;
    return l;
  }

  double GradNorm() const { return flat_grad.norm().item<double>(); }

  // zero_grad, backward, clip, step (SB3); returns the pre-clip global L2 norm. Clipping is
  // torch.nn.utils.clip_grad_norm_: scale all gradients by max / (norm + 1e-6) when < 1.
  double Step(const torch::Tensor& loss) {
    flat_grad.zero_();
    loss.backward();
    return ClipAndStep();
  }

  // Clipping and the optimiser step on the gradient held in flat_grad.
  double ClipAndStep() {
    const double norm = GradNorm();
    if (config.max_grad_norm) {
      const double coef = *config.max_grad_norm / (norm + 1e-6);
      if (coef < 1.0) flat_grad.mul_(coef);
    }
    optimizer->step();
    return norm;
  }

  void SetLr(double value) {
    lr = value;
    for (auto& group : optimizer->param_groups()) group.options().set_lr(value);
  }

  // The buffer in SB3's flatten order (k = env * n_steps + step).
  BatchTensors Flatten(const RolloutBuffer& buffer) const {
    const int64_t steps = buffer.n_steps(), envs = buffer.n_envs();
    auto flatten = [&](std::span<const float> v) {
      return torch::from_blob(const_cast<float*>(v.data()), {steps, envs}, torch::kFloat)
          .transpose(0, 1)
          .reshape({steps * envs})
          .clone();
    };
    torch::Tensor obs = torch::from_blob(const_cast<float*>(buffer.observations().data()),
                                         {steps, envs, obs_size}, torch::kFloat)
                            .transpose(0, 1)
                            .reshape({steps * envs, obs_size})
                            .clone();
    torch::Tensor actions =
        torch::from_blob(const_cast<int32_t*>(buffer.actions().data()), {steps, envs}, torch::kInt)
            .transpose(0, 1)
            .reshape({steps * envs})
            .to(torch::kLong);
    return {obs,
            actions,
            flatten(buffer.values()),
            flatten(buffer.log_probs()),
            flatten(buffer.advantages()),
            flatten(buffer.returns())};
  }
};

// ---------------------------------------------------------------- Learner ---------------

Learner::Learner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Learner::~Learner() = default;

core::Result<std::unique_ptr<Learner>> Learner::Create(int observation_size, int num_actions,
                                                       const TrainerConfig& config) {
  if (auto error = Validate(config)) return error->ToStatus();
  if (observation_size < 1 || num_actions < 1) {
    return core::InvalidArgumentError(
        fmt::format("learner needs observation_size >= 1 and num_actions >= 1, got {} and {}",
                    observation_size, num_actions));
  }
  try {
    auto impl = std::make_unique<Impl>();
    impl->config = config;
    impl->obs_size = observation_size;
    impl->num_actions = num_actions;
    torch::set_num_threads(config.torch_threads);
    SetBlasThreads(config.torch_threads);
    torch::manual_seed(config.seed);
    impl->net = ActorCritic(observation_size, num_actions, config.policy);
    if (config.policy.ortho_init) impl->net->OrthoInit();
    impl->params = impl->net->parameters();
    impl->FlattenParameters();
    if (config.gradient_engine == GradientEngine::kNative) {
      impl->native = std::make_unique<NativeActorCritic>(
          NetworkLayout::For(observation_size, num_actions, config.policy));
      impl->CheckNativeLayout();
    }
    const std::vector<torch::Tensor> optimised{impl->flat};
    const bool rms_prop = config.algorithm == Algorithm::kA2c && config.use_rms_prop;
    if (rms_prop) {
      impl->optimizer = std::make_unique<torch::optim::RMSprop>(
          optimised, torch::optim::RMSpropOptions(config.learning_rate)
                         .alpha(config.rms_prop_alpha)
                         .eps(config.rms_prop_eps)
                         .weight_decay(0)
                         .momentum(0)
                         .centered(false));
    } else {
      impl->optimizer = std::make_unique<torch::optim::Adam>(
          optimised, torch::optim::AdamOptions(config.learning_rate).eps(config.adam_eps));
    }
    impl->lr = config.learning_rate;
    return std::unique_ptr<Learner>(new Learner(std::move(impl)));
  } catch (const std::exception& e) {
    return core::InternalError(fmt::format("LibTorch: {}", e.what()));
  }
}

int Learner::observation_size() const { return impl_->obs_size; }
int Learner::num_actions() const { return impl_->num_actions; }
const TrainerConfig& Learner::config() const { return impl_->config; }
double Learner::learning_rate() const { return impl_->lr; }
void Learner::SetLearningRate(double lr) { impl_->SetLr(lr); }

int64_t Learner::parameter_count() const {
  int64_t n = 0;
  for (const auto& p : impl_->params) n += p.numel();
  return n;
}

void Learner::Predict(std::span<const float> observations, std::span<float> log_probs,
                      std::span<float> values) {
  const size_t obs_size = static_cast<size_t>(impl_->obs_size);
  KF_CHECK(observations.size() % obs_size == 0,
           "Predict: {} floats is not a whole number of "
           "{}-float observations",
           observations.size(), obs_size);
  const int64_t n = static_cast<int64_t>(observations.size() / obs_size);
  KF_CHECK(log_probs.size() == static_cast<size_t>(n) * impl_->num_actions &&
               values.size() == static_cast<size_t>(n),
           "Predict: output sizes do not match {} rows", n);
  if (impl_->native) {
    impl_->native->Predict(impl_->Params(), observations.data(), static_cast<int>(n),
                           log_probs.data(), values.data());
    return;
  }
  torch::InferenceMode guard;
  torch::Tensor x = torch::from_blob(const_cast<float*>(observations.data()), {n, impl_->obs_size},
                                     torch::kFloat);
  auto [logits, v] = impl_->net->Forward(x);
  torch::Tensor lp = torch::log_softmax(logits, -1).contiguous();
  v = v.contiguous();
  std::memcpy(log_probs.data(), lp.data_ptr<float>(), log_probs.size() * sizeof(float));
  std::memcpy(values.data(), v.data_ptr<float>(), values.size() * sizeof(float));
}

void Learner::PredictValues(std::span<const float> observations, std::span<float> values) {
  const size_t obs_size = static_cast<size_t>(impl_->obs_size);
  KF_CHECK(observations.size() % obs_size == 0 && values.size() == observations.size() / obs_size,
           "PredictValues: {} floats for {} values", observations.size(), values.size());
  const int64_t n = static_cast<int64_t>(values.size());
  if (n == 0) return;
  if (impl_->native) {
    impl_->native->PredictValues(impl_->Params(), observations.data(), static_cast<int>(n),
                                 values.data());
    return;
  }
  torch::InferenceMode guard;
  torch::Tensor x = torch::from_blob(const_cast<float*>(observations.data()), {n, impl_->obs_size},
                                     torch::kFloat);
  torch::Tensor v = impl_->net->Values(x).contiguous();
  std::memcpy(values.data(), v.data_ptr<float>(), values.size() * sizeof(float));
}

LossReport Learner::EvaluateLoss(const Batch& batch) {
  if (impl_->native) {
    impl_->CheckBatch(batch);
    std::vector<float> advantages(static_cast<size_t>(batch.size));
    LossReport r = Impl::ToReport(
        impl_->NativeLossAndStep(Impl::ViewOf(batch), /*step=*/false, nullptr, advantages.data()));
    r.advantages_used = std::move(advantages);
    return r;
  }
  BatchTensors b = impl_->ToTensors(batch);
  torch::NoGradGuard no_grad;
  return ToReport(impl_->ComputeLosses(b), /*with_advantages=*/true);
}

StepReport Learner::TrainStep(const Batch& batch) {
  if (impl_->native) {
    impl_->CheckBatch(batch);
    StepReport r;
    std::vector<float> advantages(static_cast<size_t>(batch.size));
    r.losses = Impl::ToReport(impl_->NativeLossAndStep(Impl::ViewOf(batch), /*step=*/true,
                                                       &r.grad_norm, advantages.data()));
    r.losses.advantages_used = std::move(advantages);
    return r;
  }
  BatchTensors b = impl_->ToTensors(batch);
  LossTensors l = impl_->ComputeLosses(b);
  StepReport r;
  r.grad_norm = impl_->Step(l.loss);
  r.losses = ToReport(l, /*with_advantages=*/true);
  return r;
}

std::vector<float> Learner::ComputeGradient(const Batch& batch) {
  Impl& im = *impl_;
  if (im.native) {
    im.CheckBatch(batch);
    torch::NoGradGuard no_grad;
    im.native->LossAndGradient(im.Params(), Impl::ViewOf(batch), im.config,
                               im.flat_grad.data_ptr<float>(), nullptr);
  } else {
    BatchTensors b = im.ToTensors(batch);
    LossTensors l = im.ComputeLosses(b);
    im.flat_grad.zero_();
    l.loss.backward();
  }
  const float* g = im.flat_grad.data_ptr<float>();
  return std::vector<float>(g, g + im.flat_grad.numel());
}

double Learner::GradNorm() const { return impl_->GradNorm(); }

UpdateStats Learner::Update(const RolloutBuffer& buffer, core::Rng& shuffle_rng,
                            double progress_remaining) {
  KF_CHECK(buffer.full(), "Update on a partial rollout buffer");
  KF_CHECK(buffer.observation_size() == impl_->obs_size, "buffer observation size {} != {}",
           buffer.observation_size(), impl_->obs_size);
  Impl& im = *impl_;
  const TrainerConfig& c = im.config;
  UpdateStats s;
  const double lr =
      c.lr_schedule == LrSchedule::kLinear ? c.learning_rate * progress_remaining : c.learning_rate;
  im.SetLr(lr);
  s.learning_rate = lr;
  std::vector<double> pg_losses, value_losses, entropy_losses, clip_fractions, kls;
  double grad_norm_sum = 0;
  // Records one minibatch's loss terms; returns its approx_kl.
  auto record = [&](const NativeLoss& l) {
    pg_losses.push_back(l.policy_loss);
    value_losses.push_back(l.value_loss);
    entropy_losses.push_back(l.entropy_loss);
    s.loss = l.loss;
    if (im.IsPpo()) {
      clip_fractions.push_back(l.clip_fraction);
      kls.push_back(l.approx_kl);
    }
    return l.approx_kl;
  };
  auto count_step = [&](double norm) {
    grad_norm_sum += norm;
    s.grad_norm_max = std::max(s.grad_norm_max, norm);
    ++s.gradient_steps;
  };
  auto scalars = [](const LossTensors& l) {
    const std::array<double, 6> v = Scalars(l);
    NativeLoss r;
    r.policy_loss = v[0];
    r.value_loss = v[1];
    r.entropy_loss = v[2];
    r.loss = v[3];
    r.approx_kl = v[4];
    r.clip_fraction = v[5];
    return r;
  };

  // The rollout in SB3's flatten order (k = env * n_steps + step): tensors for autograd,
  // plain columns for the native engine.
  const int64_t total = static_cast<int64_t>(buffer.n_steps()) * buffer.n_envs();
  BatchTensors all;
  if (im.native) {
    im.FlattenColumns(buffer);
  } else {
    all = im.Flatten(buffer);
  }
  // One minibatch of the given rollout indices: loss (and, unless the KL target stops the
  // epochs first, a step). Returns false when target_kl stopped training.
  auto minibatch = [&](const int64_t* index, int64_t length) {
    NativeLoss l;
    LossTensors lt;
    if (im.native) {
      // Loss and gradient in one pass; the gradient is simply not used if target_kl stops.
      im.GatherMinibatch(index, length);
      torch::NoGradGuard no_grad;
      l = im.native->LossAndGradient(im.Params(), im.minibatch.View(static_cast<int>(length)), c,
                                     im.flat_grad.data_ptr<float>(), nullptr);
    } else {
      const BatchTensors mb =
          length == total && index == nullptr
              ? all
              : all.Select(torch::from_blob(const_cast<int64_t*>(index), {length}, torch::kLong));
      lt = im.ComputeLosses(mb);
      l = scalars(lt);
    }
    const double kl = record(l);
    if (im.IsPpo() && c.target_kl && kl > 1.5 * *c.target_kl) {
      s.early_stopped = true;
      return false;
    }
    if (im.native) {
      torch::NoGradGuard no_grad;
      count_step(im.ClipAndStep());
    } else {
      count_step(im.Step(lt.loss));
    }
    return true;
  };

  if (im.IsPpo()) {
    const int64_t batch_size = std::min<int64_t>(c.batch_size, total);
    std::vector<int64_t> perm(static_cast<size_t>(total));
    bool continue_training = true;
    for (int epoch = 0; epoch < c.n_epochs && continue_training; ++epoch) {
      ++s.epochs;
      kls.clear();  // SB3 logs the approx_kl of the last epoch only
      // SB3 RolloutBuffer.get: a fresh permutation of all samples per epoch (Fisher-Yates).
      std::iota(perm.begin(), perm.end(), int64_t{0});
      for (int64_t i = total - 1; i > 0; --i) {
        std::swap(perm[static_cast<size_t>(i)],
                  perm[static_cast<size_t>(shuffle_rng.UniformInt(0, i))]);
      }
      for (int64_t start = 0; start < total && continue_training; start += batch_size) {
        continue_training = minibatch(perm.data() + start, std::min(batch_size, total - start));
      }
    }
  } else {
    ++s.epochs;
    std::vector<int64_t> identity(static_cast<size_t>(total));
    std::iota(identity.begin(), identity.end(), int64_t{0});
    minibatch(im.native ? identity.data() : nullptr, total);
  }

  auto mean = [](const std::vector<double>& v) {
    return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / v.size();
  };
  s.policy_loss = mean(pg_losses);
  s.value_loss = mean(value_losses);
  s.entropy_loss = mean(entropy_losses);
  s.clip_fraction = mean(clip_fractions);
  s.approx_kl = mean(kls);
  s.grad_norm = s.gradient_steps > 0 ? grad_norm_sum / s.gradient_steps : 0.0;

  // SB3 explained_variance(values, returns) over the whole buffer.
  const auto values = buffer.values();
  const auto returns = buffer.returns();
  const double n = static_cast<double>(values.size());
  double mean_y = 0, mean_d = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    mean_y += returns[i];
    mean_d += returns[i] - values[i];
  }
  mean_y /= n;
  mean_d /= n;
  double var_y = 0, var_d = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    var_y += (returns[i] - mean_y) * (returns[i] - mean_y);
    const double d = returns[i] - values[i] - mean_d;
    var_d += d * d;
  }
  s.explained_variance =
      var_y == 0 ? std::numeric_limits<double>::quiet_NaN() : 1.0 - var_d / var_y;
  return s;
}

std::vector<NamedArray> Learner::ExportParameters() const {
  std::vector<NamedArray> out;
  for (const auto& item : impl_->net->named_parameters(/*recurse=*/true)) {
    torch::Tensor t = item.value().detach().contiguous();
    NamedArray a;
    a.name = item.key();
    a.shape.assign(t.sizes().begin(), t.sizes().end());
    a.data.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    out.push_back(std::move(a));
  }
  return out;
}

core::Status Learner::ImportParameters(std::span<const NamedArray> parameters) {
  auto named = impl_->net->named_parameters(/*recurse=*/true);
  if (parameters.size() != named.size()) {
    return core::InvalidArgumentError(
        fmt::format("expected {} parameter arrays, got {}", named.size(), parameters.size()));
  }
  std::map<std::string, const NamedArray*> by_name;
  for (const NamedArray& a : parameters) {
    if (!by_name.emplace(a.name, &a).second) {
      return core::InvalidArgumentError("duplicate parameter " + a.name);
    }
  }
  // Check everything before changing anything.
  for (const auto& item : named) {
    auto it = by_name.find(item.key());
    if (it == by_name.end()) return core::InvalidArgumentError("missing parameter " + item.key());
    const NamedArray& a = *it->second;
    const std::vector<int64_t> shape(item.value().sizes().begin(), item.value().sizes().end());
    if (a.shape != shape) {
      return core::InvalidArgumentError(fmt::format("parameter {} has shape [{}], expected [{}]",
                                                    a.name, fmt::join(a.shape, ","),
                                                    fmt::join(shape, ",")));
    }
    if (static_cast<int64_t>(a.data.size()) != item.value().numel()) {
      return core::InvalidArgumentError(
          fmt::format("parameter {} has {} values, its shape needs {}", a.name, a.data.size(),
                      item.value().numel()));
    }
  }
  torch::NoGradGuard no_grad;
  for (auto& item : named) {
    const NamedArray& a = *by_name.at(item.key());
    item.value().copy_(
        torch::from_blob(const_cast<float*>(a.data.data()), item.value().sizes(), torch::kFloat));
  }
  return core::Status::Ok();
}

}  // namespace kalshiflow::rl
