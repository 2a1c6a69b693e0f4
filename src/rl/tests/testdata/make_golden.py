#!/usr/bin/env python3
"""Writes golden.json: expected GAE, rollout and loss numbers for rl_test, computed
independently of the C++ code with plain Python floats (no numpy, no torch) by re-implementing
Stable-Baselines3's formulas (stable_baselines3/common/buffers.py RolloutBuffer.
compute_returns_and_advantage, common/on_policy_algorithm.py collect_rollouts, ppo/ppo.py and
a2c/a2c.py train, torch.distributions.Categorical).

Regenerate (from the repository root):
    python3 src/rl/tests/testdata/make_golden.py > src/rl/tests/testdata/golden.json
The output is deterministic (fixed inputs, no randomness). Python computes in double; the C++
code computes in float32 like SB3, so the tests compare with tolerances of ~1e-5.
"""
import json
import math

GAMMA = 0.99
LAMBDA = 0.95

# ------------------------------------------------------------------ tiny network --------
# obs 2 -> policy trunk [3] tanh -> 3 logits; obs 2 -> value trunk [3] tanh -> 1 value.
# Names and shapes are SB3 state-dict keys (Linear weight = [out, in]).
PARAMS = [
    ("mlp_extractor.policy_net.0.weight", [3, 2], [0.5, -0.3, 0.2, 0.8, -0.6, 0.1]),
    ("mlp_extractor.policy_net.0.bias", [3], [0.05, -0.1, 0.2]),
    ("mlp_extractor.value_net.0.weight", [3, 2], [0.3, 0.7, -0.4, 0.25, 0.9, -0.2]),
    ("mlp_extractor.value_net.0.bias", [3], [0.1, 0.0, -0.05]),
    ("action_net.weight", [3, 3], [0.6, -0.2, 0.3, -0.5, 0.4, 0.1, 0.2, 0.7, -0.8]),
    ("action_net.bias", [3], [0.1, -0.05, 0.0]),
    ("value_net.weight", [1, 3], [0.8, -0.6, 0.45]),
    ("value_net.bias", [1], [0.2]),
]
P = {name: data for name, _, data in PARAMS}


def linear(w, b, x, out_dim):
    n_in = len(x)
    return [b[i] + sum(w[i * n_in + j] * x[j] for j in range(n_in)) for i in range(out_dim)]


def logits_of(obs):
    h = [math.tanh(v) for v in linear(P["mlp_extractor.policy_net.0.weight"],
                                      P["mlp_extractor.policy_net.0.bias"], obs, 3)]
    return linear(P["action_net.weight"], P["action_net.bias"], h, 3)


def value_of(obs):
    h = [math.tanh(v) for v in linear(P["mlp_extractor.value_net.0.weight"],
                                      P["mlp_extractor.value_net.0.bias"], obs, 3)]
    return linear(P["value_net.weight"], P["value_net.bias"], h, 1)[0]


def log_softmax(z):
    m = max(z)
    lse = m + math.log(sum(math.exp(v - m) for v in z))
    return [v - lse for v in z]


# ------------------------------------------------------------------ 1. raw GAE ----------
def gae(n_steps, n_envs, rewards, values, episode_starts, last_values, dones, gamma, lam):
    """SB3 compute_returns_and_advantage; arrays are [step][env] flattened step-major."""
    adv = [0.0] * (n_steps * n_envs)
    for e in range(n_envs):
        last = 0.0
        for t in reversed(range(n_steps)):
            i = t * n_envs + e
            if t == n_steps - 1:
                nnt = 1.0 - float(dones[e])
                nv = last_values[e]
            else:
                nnt = 1.0 - episode_starts[i + n_envs]
                nv = values[i + n_envs]
            delta = rewards[i] + gamma * nv * nnt - values[i]
            last = delta + gamma * lam * nnt * last
            adv[i] = last
    ret = [a + v for a, v in zip(adv, values)]
    return adv, ret


raw = {
    "n_steps": 5, "n_envs": 2, "gamma": GAMMA, "gae_lambda": LAMBDA,
    # [t][e]: env 0's episode ends after t=1 (episode_starts[2][0] = 1); env 1 runs through and
    # is done at the last step (dones[1] = 1).
    "rewards": [0.5, -1.0, 1.0, 0.25, -0.3, 0.0, 0.2, 0.75, 0.1, 2.0],
    "values": [0.4, 0.1, 0.6, -0.2, 0.3, 0.05, 0.45, 0.5, 0.2, 0.9],
    "episode_starts": [1, 1, 0, 0, 1, 0, 0, 0, 0, 0],
    "last_values": [0.7, -0.4],
    "dones": [0, 1],
}
raw["advantages"], raw["returns"] = gae(raw["n_steps"], raw["n_envs"], raw["rewards"],
                                        raw["values"], raw["episode_starts"],
                                        raw["last_values"], raw["dones"], GAMMA, LAMBDA)

# ------------------------------------------------------------------ 2. rollout ----------
# A scripted 2-env vector env (actions ignored), 4 steps. obs[e][t] is what the learner sees
# before step t. env 0 terminates at t=1 and at t=3 (the last step); env 1 is truncated at
# t=2 (time limit) with the terminal observation below, so its reward at t=2 is bootstrapped:
# r + gamma * V(terminal_obs).
N_STEPS, N_ENVS = 4, 2
reset_obs = [[0.2, -0.1], [0.5, 0.3]]
steps = [  # per t, per env: next obs (after auto-reset), reward, terminated, truncated, terminal
    [([0.4, 0.0], 0.1, 0, 0, None), ([0.6, 0.1], -0.2, 0, 0, None)],
    [([-0.3, 0.8], 1.0, 1, 0, None), ([0.7, -0.1], 0.3, 0, 0, None)],
    [([-0.1, 0.6], 0.0, 0, 0, None), ([0.1, 0.9], 0.5, 0, 1, [0.9, -0.3])],
    [([0.3, 0.3], -0.5, 1, 0, None), ([0.2, 0.7], 0.25, 0, 0, None)],
]
obs = [[None] * N_ENVS for _ in range(N_STEPS + 1)]
for e in range(N_ENVS):
    obs[0][e] = reset_obs[e]
for t in range(N_STEPS):
    for e in range(N_ENVS):
        obs[t + 1][e] = steps[t][e][0]
rewards, values, starts, log_probs = [], [], [], []
prev_done = [1] * N_ENVS  # SB3 _last_episode_starts starts as ones
for t in range(N_STEPS):
    for e in range(N_ENVS):
        nxt, r, term, trunc, terminal = steps[t][e]
        if trunc and not term:
            r = r + GAMMA * value_of(terminal)
        rewards.append(r)
        values.append(value_of(obs[t][e]))
        starts.append(prev_done[e])
        log_probs.append(log_softmax(logits_of(obs[t][e])))
    prev_done = [int(steps[t][e][2] or steps[t][e][3]) for e in range(N_ENVS)]
last_values = [value_of(obs[N_STEPS][e]) for e in range(N_ENVS)]
adv, ret = gae(N_STEPS, N_ENVS, rewards, values, starts, last_values, prev_done, GAMMA, LAMBDA)
rollout = {
    "n_steps": N_STEPS, "n_envs": N_ENVS, "gamma": GAMMA, "gae_lambda": LAMBDA,
    "reset_obs": reset_obs,
    "steps": [[{"next_obs": s[0], "reward": s[1], "terminated": s[2], "truncated": s[3],
                "terminal_obs": s[4] or []} for s in row] for row in steps],
    "expected_rewards": rewards, "expected_values": values, "expected_episode_starts": starts,
    "expected_log_softmax": log_probs, "expected_advantages": adv, "expected_returns": ret,
    "expected_last_values": last_values,
}

# ------------------------------------------------------------------ 3. losses -----------
batch_obs = [[0.2, -0.1], [0.5, 0.3], [-0.4, 0.6], [0.9, -0.3], [0.0, 0.0], [-0.7, -0.5]]
batch_actions = [0, 2, 1, 1, 0, 2]
# old log-probs = current log-probs + offsets, so the ratios exp(-offset) are known:
# 1, 0.74, 1.35, 0.90, 1.05, 0.61 -> with clip 0.2, samples 1, 2 and 5 lie outside [0.8, 1.2].
offsets = [0.0, 0.3, -0.3, 0.1, -0.05, 0.5]
batch_old_values = [0.5, -0.2, 0.1, 0.8, 0.0, -0.6]
batch_adv = [1.0, -0.5, 2.0, 0.3, -1.2, 0.7]
batch_returns = [0.7, -0.1, 0.6, 0.5, 0.2, -1.0]
cur_lp_all = [log_softmax(logits_of(o)) for o in batch_obs]
cur_lp = [cur_lp_all[i][a] for i, a in enumerate(batch_actions)]
batch_old_lp = [lp + off for lp, off in zip(cur_lp, offsets)]
cur_values = [value_of(o) for o in batch_obs]


def mean(xs):
    return sum(xs) / len(xs)


def normalise(a):
    m = mean(a)
    std = math.sqrt(sum((x - m) ** 2 for x in a) / (len(a) - 1))  # torch .std(): unbiased
    return [(x - m) / (std + 1e-8) for x in a]


def entropy(lp):
    return -sum(math.exp(v) * v for v in lp)


def losses(algo, normalize, clip_range, clip_range_vf, ent_coef, vf_coef):
    a = normalise(batch_adv) if normalize else list(batch_adv)
    ratio = [math.exp(c - o) for c, o in zip(cur_lp, batch_old_lp)]
    if algo == "ppo":
        pl = -mean([min(x * r, x * min(max(r, 1 - clip_range), 1 + clip_range))
                    for x, r in zip(a, ratio)])
    else:
        pl = -mean([x * lp for x, lp in zip(a, cur_lp)])
    if clip_range_vf is None:
        vpred = cur_values
    else:
        vpred = [ov + min(max(v - ov, -clip_range_vf), clip_range_vf)
                 for v, ov in zip(cur_values, batch_old_values)]
    vl = mean([(r - v) ** 2 for r, v in zip(batch_returns, vpred)])
    el = -mean([entropy(lp) for lp in cur_lp_all])
    out = {"policy_loss": pl, "value_loss": vl, "entropy_loss": el,
           "loss": pl + ent_coef * el + vf_coef * vl, "advantages_used": a}
    if algo == "ppo":
        log_ratio = [c - o for c, o in zip(cur_lp, batch_old_lp)]
        out["approx_kl"] = mean([(math.exp(x) - 1) - x for x in log_ratio])
        out["clip_fraction"] = mean([1.0 if abs(r - 1) > clip_range else 0.0 for r in ratio])
    else:
        out["approx_kl"] = 0.0
        out["clip_fraction"] = 0.0
    return out


loss_cases = [
    {"name": "ppo_normalised", "algorithm": "ppo", "normalize_advantage": True,
     "clip_range": 0.2, "clip_range_vf": None, "ent_coef": 0.01, "vf_coef": 0.5},
    {"name": "ppo_raw_adv_vf_clip", "algorithm": "ppo", "normalize_advantage": False,
     "clip_range": 0.2, "clip_range_vf": 0.1, "ent_coef": 0.0, "vf_coef": 0.5},
    {"name": "a2c", "algorithm": "a2c", "normalize_advantage": False,
     "clip_range": 0.2, "clip_range_vf": None, "ent_coef": 0.02, "vf_coef": 0.25},
]
for case in loss_cases:
    case["expected"] = losses(case["algorithm"], case["normalize_advantage"],
                              case["clip_range"], case["clip_range_vf"], case["ent_coef"],
                              case["vf_coef"])

golden = {
    "params": [{"name": n, "shape": s, "data": d} for n, s, d in PARAMS],
    "gae": raw,
    "rollout": rollout,
    "batch": {"obs": batch_obs, "actions": batch_actions, "old_log_probs": batch_old_lp,
              "old_values": batch_old_values, "advantages": batch_adv,
              "returns": batch_returns, "current_values": cur_values,
              "current_log_softmax": cur_lp_all},
    "loss_cases": loss_cases,
}
print(json.dumps(golden, indent=1))
