#include "policy/sb3_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "policy/action_space.h"
#include "policy/pickle.h"
#include "policy/zip_archive.h"

namespace kalshiflow::policy {
namespace {

using pickle::Kind;
using pickle::Object;

constexpr int kStorageTag = 1;
constexpr int kTensorTag = 2;

PolicyError Prefixed(PolicyError e, std::string_view label) {
  e.detail = fmt::format("{}: {}", label, e.detail);
  return e;
}

// ---------------------------------------------------------------------------------------------
// torch state dicts

struct StorageRecord {
  std::string key;
  std::string dtype;  // "float32", "int64", ... or the storage class name when unknown
  std::string type_name;
  int64_t numel = 0;
  bool loaded = false;
  std::vector<float> values;
};

struct TensorRecord {
  size_t storage = 0;
  int64_t offset = 0;
  std::vector<int64_t> size;
  std::vector<int64_t> stride;
};

std::string StorageDtype(std::string_view type_name) {
  static const std::unordered_map<std::string_view, std::string_view> kTypes = {
      {"FloatStorage", "float32"},     {"DoubleStorage", "float64"}, {"HalfStorage", "float16"},
      {"BFloat16Storage", "bfloat16"}, {"LongStorage", "int64"},     {"IntStorage", "int32"},
      {"ShortStorage", "int16"},       {"CharStorage", "int8"},      {"ByteStorage", "uint8"},
      {"BoolStorage", "bool"}};
  auto it = kTypes.find(type_name);
  return std::string(it != kTypes.end() ? it->second : type_name);
}

bool IntTuple(const Object* o, std::vector<int64_t>& out) {
  if (o == nullptr || o->kind != Kind::kTuple) return false;
  out.clear();
  for (const Object* item : o->items) {
    if (item->kind != Kind::kInt) return false;
    out.push_back(item->int_value);
  }
  return true;
}

class StateDictReader {
 public:
  StateDictReader(const ZipArchive& zip, std::string dir, std::string label)
      : zip_(zip), dir_(std::move(dir)), label_(std::move(label)) {}

  PolicyResult<TensorMap> Read(std::string_view pickle_bytes) {
    pickle::Unpickler::Hooks hooks;
    hooks.persistent_load = [this](pickle::Unpickler& u, Object* pid) {
      return PersistentLoad(u, pid);
    };
    hooks.reduce = [this](pickle::Unpickler& u, const Object& callable, Object* args) {
      return Reduce(u, callable, args);
    };
    pickle::Unpickler unpickler(std::move(hooks));
    auto root = unpickler.Load(pickle_bytes);
    if (!root.ok()) return core::Err(root.error());
    const Object* dict = *root;
    if (dict->kind != Kind::kDict) {
      return PolicyErr(PolicyErrorKind::kBadPickle,
                       fmt::format("the state dict is a {}, not a dict", dict->Describe()));
    }
    TensorMap out;
    for (size_t i = 0; i + 1 < dict->items.size(); i += 2) {
      const Object* key = dict->items[i];
      const Object* value = dict->items[i + 1];
      if (key->kind != Kind::kString) {
        return PolicyErr(PolicyErrorKind::kBadPickle,
                         fmt::format("a state dict key is a {}", key->Describe()));
      }
      if (value->kind != Kind::kExtension || value->ext_tag != kTensorTag) {
        return PolicyErr(PolicyErrorKind::kUnsupportedModel,
                         fmt::format("state dict entry '{}' is a {}, not a tensor", key->text,
                                     value->Describe()));
      }
      auto tensor = Materialize(key->text, tensors_[static_cast<size_t>(value->int_value)]);
      if (!tensor.ok()) return core::Err(tensor.error());
      if (!out.emplace(key->text, std::move(*tensor)).second) {
        return PolicyErr(PolicyErrorKind::kBadPickle,
                         fmt::format("duplicate state dict key '{}'", key->text));
      }
    }
    return out;
  }

 private:
  // pid = ('storage', <global torch.XStorage>, key, location, numel)
  PolicyResult<Object*> PersistentLoad(pickle::Unpickler& u, Object* pid) {
    if (pid->kind != Kind::kTuple || pid->items.size() != 5 ||
        pid->items[0]->kind != Kind::kString || pid->items[0]->text != "storage" ||
        pid->items[1]->kind != Kind::kGlobal || pid->items[2]->kind != Kind::kString ||
        pid->items[4]->kind != Kind::kInt || pid->items[4]->int_value < 0) {
      return PolicyErr(PolicyErrorKind::kBadPickle,
                       fmt::format("persistent id {} is not ('storage', type, key, location, "
                                   "numel)",
                                   pid->Describe()));
    }
    const std::string& key = pid->items[2]->text;
    auto it = storage_by_key_.find(key);
    size_t index;
    if (it != storage_by_key_.end()) {
      index = it->second;
    } else {
      index = storages_.size();
      StorageRecord rec;
      rec.key = key;
      rec.type_name = pid->items[1]->module + "." + pid->items[1]->name;
      rec.dtype = StorageDtype(pid->items[1]->name);
      rec.numel = pid->items[4]->int_value;
      storages_.push_back(std::move(rec));
      storage_by_key_.emplace(key, index);
    }
    Object* o = u.New(Kind::kExtension);
    o->ext_tag = kStorageTag;
    o->int_value = static_cast<int64_t>(index);
    return o;
  }

  PolicyResult<Object*> Reduce(pickle::Unpickler& u, const Object& callable, Object* args) {
    if (callable.module != "torch._utils") return static_cast<Object*>(nullptr);
    const std::string& fn = callable.name;
    if (fn == "_rebuild_parameter" || fn == "_rebuild_parameter_with_state") {
      if (args->items.empty() || args->items[0]->kind != Kind::kExtension ||
          args->items[0]->ext_tag != kTensorTag) {
        return PolicyErr(PolicyErrorKind::kBadPickle,
                         fmt::format("{} of a {}", fn, args->Describe()));
      }
      return args->items[0];
    }
    if (fn == "_rebuild_tensor_v2" || fn == "_rebuild_tensor") {
      TensorRecord rec;
      if (args->items.size() < 4 || args->items[0]->kind != Kind::kExtension ||
          args->items[0]->ext_tag != kStorageTag || args->items[1]->kind != Kind::kInt ||
          !IntTuple(args->items[2], rec.size) || !IntTuple(args->items[3], rec.stride) ||
          rec.size.size() != rec.stride.size()) {
        return PolicyErr(
            PolicyErrorKind::kBadPickle,
            fmt::format("{} arguments are not (storage, offset, size, stride, ...)", fn));
      }
      rec.storage = static_cast<size_t>(args->items[0]->int_value);
      rec.offset = args->items[1]->int_value;
      Object* o = u.New(Kind::kExtension);
      o->ext_tag = kTensorTag;
      o->int_value = static_cast<int64_t>(tensors_.size());
      tensors_.push_back(std::move(rec));
      return o;
    }
    return PolicyErr(PolicyErrorKind::kUnsupportedPickle,
                     fmt::format("torch._utils.{} is not supported (only float32 dense tensors "
                                 "and parameters)",
                                 fn));
  }

  PolicyResult<Tensor> Materialize(const std::string& name, const TensorRecord& rec) {
    StorageRecord& st = storages_[rec.storage];
    if (st.dtype != "float32") {
      return PolicyErr(PolicyErrorKind::kUnsupportedDtype,
                       fmt::format("tensor '{}' has dtype {} ({}); only float32 is supported", name,
                                   st.dtype, st.type_name));
    }
    if (!st.loaded) {
      const std::string entry = fmt::format("{}/data/{}", dir_, st.key);
      auto bytes = zip_.Read(entry);
      if (!bytes.ok()) return core::Err(bytes.error());
      if (st.numel > kMaxTensorElements ||
          bytes->size() != static_cast<size_t>(st.numel) * sizeof(float)) {
        return PolicyErr(bytes->size() < static_cast<size_t>(st.numel) * sizeof(float)
                             ? PolicyErrorKind::kTruncated
                             : PolicyErrorKind::kBadTensor,
                         fmt::format("storage '{}' has {} bytes for {} float32 values", entry,
                                     bytes->size(), st.numel));
      }
      st.values.resize(static_cast<size_t>(st.numel));
      if (!bytes->empty()) std::memcpy(st.values.data(), bytes->data(), bytes->size());
      st.loaded = true;
    }
    auto numel = CheckedNumel(rec.size);
    if (!numel || rec.offset < 0) {
      return PolicyErr(PolicyErrorKind::kBadTensor,
                       fmt::format("tensor '{}' has a bad size or offset", name));
    }
    Tensor t;
    t.shape = rec.size;
    t.data.resize(static_cast<size_t>(*numel));
    if (*numel == 0) return t;
    // The largest storage index the view touches must lie inside the storage. Each term is
    // bounded by the storage size (<= 2^32) before it is added, so nothing overflows.
    int64_t last = rec.offset;
    bool inside = rec.offset < st.numel;
    for (size_t k = 0; k < rec.size.size() && inside; ++k) {
      if (rec.stride[k] < 0) {
        return PolicyErr(PolicyErrorKind::kBadTensor,
                         fmt::format("tensor '{}' has a negative stride", name));
      }
      if (rec.stride[k] > 0 && rec.size[k] - 1 > st.numel / rec.stride[k]) {
        inside = false;
      } else {
        last += (rec.size[k] - 1) * rec.stride[k];
        inside = last < st.numel;
      }
    }
    if (!inside) {
      return PolicyErr(PolicyErrorKind::kBadTensor,
                       fmt::format("tensor '{}' {} (offset {}) reaches past its storage of {} "
                                   "values",
                                   name, t.ShapeString(), rec.offset, st.numel));
    }
    // Gather with an odometer over the indices (row-major output order).
    const size_t rank = rec.size.size();
    std::vector<int64_t> index(rank, 0);
    int64_t src = rec.offset;
    for (int64_t i = 0; i < *numel; ++i) {
      t.data[static_cast<size_t>(i)] = st.values[static_cast<size_t>(src)];
      for (size_t k = rank; k-- > 0;) {
        if (++index[k] < rec.size[k]) {
          src += rec.stride[k];
          break;
        }
        src -= rec.stride[k] * (rec.size[k] - 1);
        index[k] = 0;
      }
    }
    return t;
  }

  const ZipArchive& zip_;
  std::string dir_;
  std::string label_;
  std::vector<StorageRecord> storages_;
  std::unordered_map<std::string, size_t> storage_by_key_;
  std::vector<TensorRecord> tensors_;
};

// ---------------------------------------------------------------------------------------------
// SB3 `data`

// SB3 writes `data` with Python's json.dumps, which emits NaN / Infinity / -Infinity for
// non-finite floats (not JSON). Replace them with null outside strings.
std::string SanitizeJson(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  bool in_string = false;
  size_t i = 0;
  while (i < in.size()) {
    const char c = in[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < in.size()) {
        out.push_back(in[i + 1]);
        i += 2;
        continue;
      }
      if (c == '"') in_string = false;
      ++i;
      continue;
    }
    if (c == '"') in_string = true;
    bool replaced = false;
    for (std::string_view token : {"-Infinity", "Infinity", "NaN"}) {
      if (in.substr(i, token.size()) == token) {
        out.append("null");
        i += token.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

// The class name inside a Python repr like "<class 'torch.nn.modules.activation.ReLU'>".
std::string ClassNameFromRepr(std::string_view repr) {
  const size_t open = repr.find('\'');
  const size_t close = repr.rfind('\'');
  if (open == std::string_view::npos || close <= open) return std::string(repr);
  return std::string(repr.substr(open + 1, close - open - 1));
}

std::string ShortName(std::string_view dotted) {
  const size_t dot = dotted.rfind('.');
  return std::string(dot == std::string_view::npos ? dotted : dotted.substr(dot + 1));
}

// Unpickles a {":serialized:": base64} entry. The returned object lives in `unpickler`.
PolicyResult<const Object*> UnpickleEntry(const nlohmann::json& entry, pickle::Unpickler& u) {
  auto it = entry.find(":serialized:");
  if (it == entry.end() || !it->is_string()) {
    return PolicyErr(PolicyErrorKind::kBadHeader, "no ':serialized:' string");
  }
  auto raw = DecodeBase64(it->get_ref<const std::string&>());
  if (!raw) return PolicyErr(PolicyErrorKind::kBadHeader, "':serialized:' is not base64");
  auto r = u.Load(*raw);
  if (!r.ok()) return core::Err(r.error());
  return static_cast<const Object*>(*r);
}

bool IsNumpyGlobal(const Object* o, std::string_view submodule, std::string_view name) {
  return o != nullptr && o->kind == Kind::kGlobal && o->name == name &&
         (o->module == fmt::format("numpy._core.{}", submodule) ||
          o->module == fmt::format("numpy.core.{}", submodule));
}

struct NumpyArray {
  std::vector<float> values;
  std::vector<int64_t> shape;
};

// A numpy array pickled by numpy >= 1.x: either `_frombuffer(buf, dtype, shape, order)`
// (protocol 5) or `_reconstruct(ndarray, (0,), b'b')` + BUILD (version, shape, dtype,
// is_fortran, rawdata). float32 and float64 (converted), little-endian, C order.
PolicyResult<NumpyArray> DecodeNumpy(const Object* o) {
  auto bad = [](std::string what) {
    return PolicyErr(PolicyErrorKind::kUnsupportedPickle, "numpy array: " + what);
  };
  if (o->kind != Kind::kObject) return bad("not an object but a " + o->Describe());
  const Object* buffer = nullptr;
  const Object* dtype = nullptr;
  const Object* shape = nullptr;
  bool fortran = false;
  if (IsNumpyGlobal(o->callable, "numeric", "_frombuffer")) {
    const auto& a = o->args->items;
    if (a.size() != 4 || a[3]->kind != Kind::kString) return bad("bad _frombuffer arguments");
    buffer = a[0];
    dtype = a[1];
    shape = a[2];
    fortran = a[3]->text == "F";
  } else if (IsNumpyGlobal(o->callable, "multiarray", "_reconstruct")) {
    const Object* s = o->state;
    if (s == nullptr || s->kind != Kind::kTuple || s->items.size() != 5 ||
        s->items[3]->kind != Kind::kBool) {
      return bad("bad _reconstruct state");
    }
    shape = s->items[1];
    dtype = s->items[2];
    fortran = s->items[3]->bool_value;
    buffer = s->items[4];
  } else {
    return bad(o->Describe());
  }
  NumpyArray out;
  if (buffer->kind != Kind::kBytes) return bad("data is a " + buffer->Describe());
  if (!IntTuple(shape, out.shape)) return bad("bad shape");
  if (dtype->kind != Kind::kObject || dtype->callable == nullptr ||
      !dtype->callable->IsGlobal("numpy", "dtype") || dtype->args->items.empty() ||
      dtype->args->items[0]->kind != Kind::kString) {
    return bad("bad dtype");
  }
  std::string type = dtype->args->items[0]->text;
  char order = '=';
  if (!type.empty() && (type[0] == '<' || type[0] == '>' || type[0] == '=' || type[0] == '|')) {
    order = type[0];
    type = type.substr(1);
  }
  if (dtype->state != nullptr && dtype->state->kind == Kind::kTuple &&
      dtype->state->items.size() > 1 && dtype->state->items[1]->kind == Kind::kString &&
      !dtype->state->items[1]->text.empty()) {
    order = dtype->state->items[1]->text[0];
  }
  if (order == '>') return bad("big-endian data");
  if (fortran) return bad("Fortran order");
  const size_t width = type == "f4" ? 4 : type == "f8" ? 8 : 0;
  if (width == 0) {
    return PolicyErr(PolicyErrorKind::kUnsupportedDtype,
                     fmt::format("numpy array of dtype '{}'; only f4 and f8", type));
  }
  auto numel = CheckedNumel(out.shape);
  if (!numel || buffer->text.size() != static_cast<size_t>(*numel) * width) {
    return bad(fmt::format("{} data bytes for the shape", buffer->text.size()));
  }
  out.values.resize(static_cast<size_t>(*numel));
  for (size_t i = 0; i < out.values.size(); ++i) {
    if (width == 4) {
      std::memcpy(&out.values[i], buffer->text.data() + 4 * i, 4);
    } else {
      double d;
      std::memcpy(&d, buffer->text.data() + 8 * i, 8);
      out.values[i] = static_cast<float>(d);
    }
  }
  return out;
}

// "ConstantSchedule(val=0.2)" → 0.2.
std::optional<double> ParseConstantSchedule(std::string_view text) {
  constexpr std::string_view kPrefix = "ConstantSchedule(val=";
  if (!text.starts_with(kPrefix) || !text.ends_with(")")) return std::nullopt;
  std::string_view number = text.substr(kPrefix.size(), text.size() - kPrefix.size() - 1);
  double v = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
  if (ec != std::errc() || end != number.data() + number.size()) return std::nullopt;
  return v;
}

// net_arch as SB3 accepts it: [64, 64] (both trunks), {"pi": [...], "vf": [...]}, or the
// pre-1.8 form [{"pi": [...], "vf": [...]}].
std::optional<NetArch> ParseNetArch(const nlohmann::json& j) {
  auto ints = [](const nlohmann::json& a, std::vector<int>& out) {
    if (!a.is_array()) return false;
    for (const auto& v : a) {
      if (!v.is_number_integer()) return false;
      out.push_back(v.get<int>());
    }
    return true;
  };
  NetArch arch;
  if (j.is_array() && j.size() == 1 && j[0].is_object()) return ParseNetArch(j[0]);
  if (j.is_array()) {
    if (!ints(j, arch.pi)) return std::nullopt;
    arch.vf = arch.pi;
    return arch;
  }
  if (j.is_object()) {
    if (j.contains("pi") && !ints(j["pi"], arch.pi)) return std::nullopt;
    if (j.contains("vf") && !ints(j["vf"], arch.vf)) return std::nullopt;
    return arch;
  }
  return std::nullopt;
}

PolicyResult<Sb3Model> ReadSb3(const ZipArchive& zip, const std::string& label) {
  Sb3Metadata meta;
  auto data_text = zip.Read("data");
  if (!data_text.ok()) return core::Err(data_text.error());
  const nlohmann::json data =
      nlohmann::json::parse(SanitizeJson(*data_text), nullptr, /*allow_exceptions=*/false);
  if (data.is_discarded() || !data.is_object()) {
    return PolicyErr(PolicyErrorKind::kBadHeader,
                     fmt::format("{}: 'data' is not a JSON object", label));
  }
  auto header_error = [&](std::string what) {
    return PolicyErr(PolicyErrorKind::kBadHeader, fmt::format("{}: data: {}", label, what));
  };
  auto unsupported = [&](std::string what) {
    return PolicyErr(PolicyErrorKind::kUnsupportedModel, fmt::format("{}: {}", label, what));
  };

  if (zip.Contains("_stable_baselines3_version")) {
    auto v = zip.Read("_stable_baselines3_version");
    if (v.ok()) {
      meta.sb3_version = *v;
      while (!meta.sb3_version.empty() &&
             std::isspace(static_cast<unsigned char>(meta.sb3_version.back()))) {
        meta.sb3_version.pop_back();
      }
    }
  }
  if (zip.Contains("system_info.txt")) {
    auto v = zip.Read("system_info.txt");
    if (v.ok()) meta.system_info = *v;
  }

  // Policy class (a pickled class reference).
  if (auto it = data.find("policy_class"); it != data.end() && it->is_object()) {
    pickle::Unpickler u;
    auto cls = UnpickleEntry(*it, u);
    if (cls.ok() && (*cls)->kind == Kind::kGlobal) {
      meta.policy_class = (*cls)->module + "." + (*cls)->name;
      if ((*cls)->name != "ActorCriticPolicy" && (*cls)->name != "MlpPolicy") {
        return unsupported(
            fmt::format("policy class {} (only ActorCriticPolicy / MlpPolicy)", meta.policy_class));
      }
    } else {
      meta.warnings.push_back("policy_class could not be decoded");
    }
  }

  // Observation space: a Box; its shape is plain JSON.
  auto obs_it = data.find("observation_space");
  if (obs_it == data.end() || !obs_it->is_object()) return header_error("no observation_space");
  const std::string obs_type = obs_it->value(":type:", "");
  if (obs_type.find("Box") == std::string::npos) {
    return unsupported(fmt::format("observation space {} (only Box)", obs_type));
  }
  auto shape_it = obs_it->find("_shape");
  if (shape_it == obs_it->end() || !shape_it->is_array()) {
    return header_error("observation_space has no _shape");
  }
  for (const auto& d : *shape_it) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0) {
      return header_error("observation_space._shape is not a list of integers");
    }
    meta.observation_shape.push_back(d.get<int64_t>());
  }
  meta.observation_dtype = obs_it->value("dtype", "");

  // Action space: Discrete(n); gymnasium's n is a numpy int, so SB3 writes it as a string.
  auto act_it = data.find("action_space");
  if (act_it == data.end() || !act_it->is_object()) return header_error("no action_space");
  const std::string act_type = act_it->value(":type:", "");
  if (act_type.find("Discrete") == std::string::npos ||
      act_type.find("MultiDiscrete") != std::string::npos) {
    return unsupported(fmt::format("action space {} (only Discrete)", act_type));
  }
  auto read_int = [](const nlohmann::json& j) -> std::optional<int64_t> {
    if (j.is_number_integer()) return j.get<int64_t>();
    if (j.is_string()) {
      const std::string& s = j.get_ref<const std::string&>();
      int64_t v = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec == std::errc() && end == s.data() + s.size()) return v;
    }
    return std::nullopt;
  };
  std::optional<int64_t> n = act_it->contains("n") ? read_int((*act_it)["n"]) : std::nullopt;
  if (!n || *n < 1 || *n > (1 << 16)) return header_error("action_space.n is not a count");
  meta.action_count = static_cast<int>(*n);
  if (act_it->contains("start")) {
    auto start = read_int((*act_it)["start"]);
    if (!start || *start != 0) return unsupported("Discrete action space with start != 0");
  }

  // policy_kwargs: activation_fn and net_arch (a dict holding a class is serialized, with the
  // class written as its repr).
  std::optional<NetArch> kwargs_arch;
  if (auto it = data.find("policy_kwargs"); it != data.end() && it->is_object()) {
    if (auto a = it->find("activation_fn"); a != it->end()) {
      const std::string cls = a->is_string() ? ClassNameFromRepr(a->get<std::string>()) : "";
      const std::string name = ShortName(cls);
      if (name == "Tanh") {
        meta.activation = Activation::kTanh;
      } else if (name == "ReLU") {
        meta.activation = Activation::kRelu;
      } else {
        return unsupported(
            fmt::format("activation_fn {} (only torch.nn.Tanh and ReLU)", a->dump()));
      }
    }
    if (auto a = it->find("net_arch"); a != it->end()) {
      kwargs_arch = ParseNetArch(*a);
      if (!kwargs_arch)
        meta.warnings.push_back("policy_kwargs.net_arch not understood: " + a->dump());
    }
    if (auto f = it->find("features_extractor_class"); f != it->end()) {
      const std::string cls =
          f->is_string() ? ShortName(ClassNameFromRepr(f->get<std::string>())) : "";
      if (cls != "FlattenExtractor") {
        return unsupported(fmt::format("features_extractor_class {}", f->dump()));
      }
    }
  }

  // Algorithm and hyperparameters.
  if (data.contains("clip_range") || data.contains("n_epochs")) {
    meta.algorithm = "PPO";
  } else if (data.contains("n_steps") && data.contains("gae_lambda")) {
    meta.algorithm = "A2C";
  } else {
    return unsupported("neither PPO nor A2C (no clip_range/n_epochs, n_steps/gae_lambda)");
  }
  for (const char* key :
       {"learning_rate", "gamma", "gae_lambda", "ent_coef", "vf_coef", "max_grad_norm", "n_steps",
        "batch_size", "n_epochs", "normalize_advantage", "target_kl", "use_sde", "sde_sample_freq",
        "n_envs", "seed", "clip_range", "clip_range_vf"}) {
    auto it = data.find(key);
    if (it == data.end()) continue;
    if (it->is_number() || it->is_boolean() || it->is_null()) {
      meta.hyperparameters[key] = *it;
    } else if (it->is_object() && it->contains("value_schedule") &&
               (*it)["value_schedule"].is_string()) {
      auto v = ParseConstantSchedule((*it)["value_schedule"].get<std::string>());
      if (v) {
        meta.hyperparameters[key] = *v;
      } else {
        meta.warnings.push_back(fmt::format("{} is a non-constant schedule: {}", key,
                                            (*it)["value_schedule"].get<std::string>()));
      }
    } else {
      meta.warnings.push_back(fmt::format("{} is a pickled {} and was skipped", key,
                                          it->is_object() ? it->value(":type:", "?") : "value"));
    }
  }
  for (const char* key :
       {"num_timesteps", "_total_timesteps", "_n_updates", "start_time", "_episode_num"}) {
    auto it = data.find(key);
    if (it != data.end() && it->is_number()) meta.training[key] = *it;
  }
  if (auto it = data.find("num_timesteps"); it != data.end() && it->is_number_integer()) {
    meta.num_timesteps = it->get<int64_t>();
  }

  // _last_obs: a pickled numpy array.
  if (auto it = data.find("_last_obs"); it != data.end() && it->is_object()) {
    pickle::Unpickler u;
    auto obj = UnpickleEntry(*it, u);
    auto arr = obj.ok() ? DecodeNumpy(*obj) : PolicyResult<NumpyArray>(core::Err(obj.error()));
    if (arr.ok()) {
      meta.last_obs = std::move(arr->values);
      meta.last_obs_shape = std::move(arr->shape);
    } else {
      meta.warnings.push_back("_last_obs skipped: " + arr.error().ToString());
    }
  }

  // The weights.
  auto pth = zip.Read("policy.pth");
  if (!pth.ok()) return core::Err(pth.error());
  auto tensors = ReadTorchStateDict(std::move(*pth), label + ":policy.pth");
  if (!tensors.ok()) return core::Err(tensors.error());
  auto policy = MlpPolicy::FromTensors(*tensors, meta.activation);
  if (!policy.ok()) return core::Err(Prefixed(policy.error(), label + ":policy.pth"));
  meta.net_arch = policy->net_arch();

  auto mismatch = [&](std::string what) {
    return PolicyErr(PolicyErrorKind::kShapeMismatch, fmt::format("{}: {}", label, what));
  };
  const auto obs_numel = CheckedNumel(meta.observation_shape);
  if (!obs_numel || *obs_numel != policy->observation_size()) {
    return mismatch(fmt::format("observation_space has {} values, the network takes {}",
                                obs_numel.value_or(-1), policy->observation_size()));
  }
  if (meta.action_count != policy->action_count()) {
    return mismatch(fmt::format("action_space is Discrete({}), action_net has {} outputs",
                                meta.action_count, policy->action_count()));
  }
  if (kwargs_arch && (kwargs_arch->pi != meta.net_arch.pi || kwargs_arch->vf != meta.net_arch.vf)) {
    return mismatch("policy_kwargs.net_arch does not match the weights");
  }
  if (!meta.last_obs.empty() && meta.last_obs.size() % static_cast<size_t>(*obs_numel) != 0) {
    meta.warnings.push_back("_last_obs does not hold whole observations; dropped");
    meta.last_obs.clear();
    meta.last_obs_shape.clear();
  }
  return Sb3Model{std::move(*policy), std::move(meta)};
}

}  // namespace

PolicyResult<TensorMap> ReadTorchStateDict(std::string bytes, std::string label) {
  if (!bytes.empty() && static_cast<uint8_t>(bytes[0]) == 0x80) {
    return PolicyErr(PolicyErrorKind::kNotZip,
                     fmt::format("{} is a legacy (non-zip) torch file; re-save it with torch >= "
                                 "1.6 defaults",
                                 label));
  }
  auto zip = ZipArchive::Open(std::move(bytes), label);
  if (!zip.ok()) return core::Err(zip.error());
  // torch writes every entry under one top-level folder ("archive/" or the file stem).
  std::string dir;
  for (const std::string& name : zip->entry_names()) {
    const size_t slash = name.find('/');
    if (slash != std::string::npos && name.substr(slash) == "/data.pkl") {
      dir = name.substr(0, slash);
      break;
    }
  }
  if (dir.empty()) {
    return PolicyErr(PolicyErrorKind::kMissingEntry,
                     fmt::format("{} has no <dir>/data.pkl (not a torch zip checkpoint)", label));
  }
  if (zip->Contains(dir + "/byteorder")) {
    auto order = zip->Read(dir + "/byteorder");
    if (!order.ok()) return core::Err(order.error());
    if (*order != "little") {
      return PolicyErr(PolicyErrorKind::kUnsupportedDtype,
                       fmt::format("{}: storages are '{}'-endian", label, *order));
    }
  }
  auto pkl = zip->Read(dir + "/data.pkl");
  if (!pkl.ok()) return core::Err(pkl.error());
  StateDictReader reader(*zip, dir, label);
  auto out = reader.Read(*pkl);
  if (!out.ok()) {
    return core::Err(Prefixed(out.error(), fmt::format("{}:{}/data.pkl", label, dir)));
  }
  return out;
}

PolicyResult<Sb3Model> ReadSb3ZipBytes(std::string bytes, std::string label) {
  auto zip = ZipArchive::Open(std::move(bytes), label);
  if (!zip.ok()) return core::Err(zip.error());
  return ReadSb3(*zip, label);
}

PolicyResult<Sb3Model> ReadSb3Zip(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return PolicyErr(PolicyErrorKind::kIo,
                     fmt::format("cannot open '{}': {}", path, std::strerror(errno)));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return PolicyErr(PolicyErrorKind::kIo, fmt::format("cannot read '{}'", path));
  return ReadSb3ZipBytes(std::move(buffer).str(), path);
}

Checkpoint Sb3ToCheckpoint(const Sb3Model& model, std::string observation_spec) {
  const Sb3Metadata& m = model.metadata;
  CheckpointMetadata meta;
  meta.observation_spec = std::move(observation_spec);
  meta.action_space = DiscreteActionSpaceId(model.policy.action_count());
  meta.algorithm = m.algorithm;
  meta.hyperparameters = m.hyperparameters;
  meta.extra = {{"source", "stable-baselines3"},  {"sb3_version", m.sb3_version},
                {"policy_class", m.policy_class}, {"observation_shape", m.observation_shape},
                {"training", m.training},         {"warnings", m.warnings}};
  return MakeCheckpoint(model.policy, std::move(meta));
}

std::optional<std::string> DecodeBase64(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + k];
      if (c == '=' && last && k >= 2) {
        v[k] = 0;
        ++pad;
      } else {
        if (pad > 0) return std::nullopt;  // data after '='
        v[k] = value(c);
        if (v[k] < 0) return std::nullopt;
      }
    }
    const uint32_t triple = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out.push_back(static_cast<char>((triple >> 16) & 0xFF));
    if (pad < 2) out.push_back(static_cast<char>((triple >> 8) & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(triple & 0xFF));
  }
  return out;
}

}  // namespace kalshiflow::policy
