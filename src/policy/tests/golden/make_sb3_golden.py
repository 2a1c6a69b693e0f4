#!/usr/bin/env python3
"""Independent reference forward pass for a Stable-Baselines3 PPO/A2C zip.

Reads the zip with the standard library only (zipfile, json, base64, pickle, struct, math; no
numpy, torch or SB3 needed), decodes the stored `_last_obs` and the `policy.pth` state dict with
restricted pickle.Unpickler subclasses (nothing is imported or executed: find_class only admits
the handful of names below), and runs the SB3 ActorCriticPolicy MLP in float64:

    latent_pi = act(W_pi_k ... act(W_pi_0 obs + b) ...)    act = tanh (SB3 default) or relu
    logits    = action_net.weight @ latent_pi + action_net.bias
    probs     = softmax(logits)
    value     = value_net.weight @ latent_vf + value_net.bias

The C++ test (src/policy/tests/sb3_reader_test.cc) compares its float32 Eigen forward pass
against this output.

Regenerate (from the repository root):
    python3 src/policy/tests/golden/make_sb3_golden.py \
        ../shared/data/kalshiflow/models/session32_final.zip \
        > src/policy/tests/golden/session32_final.json
"""
import base64
import collections
import hashlib
import io
import json
import math
import os
import pickle
import struct
import sys
import zipfile


class DType:
    """Stands in for numpy.dtype: remembers its type string ('f4') and byte order."""

    def __init__(self, name, align=False, copy=True):
        self.name = name
        self.order = "="

    def __setstate__(self, state):
        self.order = state[1]


def frombuffer(buf, dtype, shape, order):
    """numpy._core.numeric._frombuffer: a C-order array from raw bytes -> (shape, flat list)."""
    assert order == "C", order
    assert dtype.order in "<=|", dtype.order
    fmt = {"f4": "f", "f8": "d"}[dtype.name.lstrip("<=|")]
    count = len(buf) // struct.calcsize(fmt)
    return list(shape), list(struct.unpack("<%d%s" % (count, fmt), bytes(buf)))


class NumpyUnpickler(pickle.Unpickler):
    ALLOWED = {
        ("numpy._core.numeric", "_frombuffer"): frombuffer,
        ("numpy.core.numeric", "_frombuffer"): frombuffer,
        ("numpy", "dtype"): DType,
    }

    def find_class(self, module, name):
        try:
            return self.ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError("refusing %s.%s" % (module, name))


def rebuild_tensor(storage, offset, size, stride, *unused):
    """torch._utils._rebuild_tensor_v2 -> (shape, flat row-major list), any strides."""
    flat = []
    index = [0] * len(size)
    total = 1
    for s in size:
        total *= s
    for _ in range(total):
        flat.append(storage[offset + sum(i * st for i, st in zip(index, stride))])
        for k in reversed(range(len(size))):
            index[k] += 1
            if index[k] < size[k]:
                break
            index[k] = 0
    return list(size), flat


class TorchUnpickler(pickle.Unpickler):
    def __init__(self, data, archive, prefix):
        super().__init__(io.BytesIO(data))
        self.archive = archive
        self.prefix = prefix

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return rebuild_tensor
        if (module, name) == ("torch._utils", "_rebuild_parameter"):
            return lambda data, requires_grad, hooks: data
        if module == "torch" and name.endswith("Storage"):
            return name
        raise pickle.UnpicklingError("refusing %s.%s" % (module, name))

    def persistent_load(self, pid):
        kind, storage_type, key, location, numel = pid
        assert kind == "storage" and storage_type == "FloatStorage", pid
        raw = self.archive.read("%s/data/%s" % (self.prefix, key))
        return list(struct.unpack("<%df" % numel, raw))


def read_state_dict(pth_bytes):
    archive = zipfile.ZipFile(io.BytesIO(pth_bytes))
    pkl = next(n for n in archive.namelist() if n.endswith("/data.pkl"))
    prefix = pkl[: -len("/data.pkl")]
    return TorchUnpickler(archive.read(pkl), archive, prefix).load()


def linear(weight, bias, x):
    (out_features, in_features), w = weight
    assert len(x) == in_features
    return [sum(w[o * in_features + i] * x[i] for i in range(in_features)) + bias[1][o]
            for o in range(out_features)]


def trunk(state, name, x, act):
    k = 0
    while "mlp_extractor.%s.%d.weight" % (name, k) in state:
        x = [act(v) for v in linear(state["mlp_extractor.%s.%d.weight" % (name, k)],
                                    state["mlp_extractor.%s.%d.bias" % (name, k)], x)]
        k += 2
    return x


def main(path):
    raw = open(path, "rb").read()
    model = zipfile.ZipFile(io.BytesIO(raw))
    data = json.loads(model.read("data"))
    blob = base64.b64decode(data["_last_obs"][":serialized:"])
    obs_shape, obs_flat = NumpyUnpickler(io.BytesIO(blob)).load()
    state = read_state_dict(model.read("policy.pth"))

    kwargs = data.get("policy_kwargs", {})
    act_name = "tanh"
    if "ReLU" in str(kwargs.get("activation_fn", "")):
        act_name = "relu"
    act = math.tanh if act_name == "tanh" else (lambda v: max(v, 0.0))

    n_obs = state["mlp_extractor.policy_net.0.weight"][0][1]
    obs = obs_flat[:n_obs]  # the first environment's observation
    logits = linear(state["action_net.weight"], state["action_net.bias"],
                    trunk(state, "policy_net", obs, act))
    value = linear(state["value_net.weight"], state["value_net.bias"],
                   trunk(state, "value_net", obs, act))[0]
    top = max(logits)
    exps = [math.exp(v - top) for v in logits]
    probs = [e / sum(exps) for e in exps]
    print(json.dumps({
        "generated_by": "src/policy/tests/golden/make_sb3_golden.py (float64, stdlib only)",
        "model_file": os.path.basename(path),
        "model_sha256": hashlib.sha256(raw).hexdigest(),
        "activation": act_name,
        "state_dict_shapes": {k: v[0] for k, v in state.items()},
        "last_obs_shape": obs_shape,
        "observation": obs,
        "logits": logits,
        "probabilities": probs,
        "action": logits.index(top),
        "value": value,
    }, indent=1))


if __name__ == "__main__":
    main(sys.argv[1])
