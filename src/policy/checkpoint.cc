#include "policy/checkpoint.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <zlib.h>

#include <bit>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "policy/action_space.h"

namespace kalshiflow::policy {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the checkpoint stores float32 little-endian; a big-endian port must byte-swap");

constexpr size_t kPrefixBytes = 24;
constexpr size_t kAlign = 64;
constexpr uint64_t kMaxDataBytes = uint64_t{1} << 34;  // 16 GiB: far above any MLP
constexpr std::string_view kFormatName = "kalshiflow-policy";

size_t AlignUp(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

void PutLe(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
uint64_t GetLe(std::string_view in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    v |= static_cast<uint64_t>(static_cast<uint8_t>(in[at + i])) << (8 * i);
  }
  return v;
}

uint32_t Crc32(std::string_view bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* p = reinterpret_cast<const Bytef*>(bytes.data());
  size_t n = bytes.size();
  while (n > 0) {  // zlib takes uInt lengths
    const uInt chunk = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    crc = crc32(crc, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

nlohmann::json ArchToJson(const NetArch& arch) {
  return nlohmann::json{{"pi", arch.pi}, {"vf", arch.vf}};
}

// Typed accessors over an untrusted JSON header: each returns false and fills `error`.
struct HeaderReader {
  const nlohmann::json& root;
  std::string error;

  const nlohmann::json* Field(const nlohmann::json& obj, std::string_view key,
                              std::string_view path) {
    auto it = obj.find(key);
    if (it == obj.end()) {
      error = fmt::format("missing field '{}'", path);
      return nullptr;
    }
    return &*it;
  }
  bool String(const nlohmann::json& obj, std::string_view key, std::string_view path,
              std::string& out) {
    const nlohmann::json* f = Field(obj, key, path);
    if (f == nullptr) return false;
    if (!f->is_string()) {
      error = fmt::format("field '{}' is not a string", path);
      return false;
    }
    out = f->get<std::string>();
    return true;
  }
  bool Int(const nlohmann::json& obj, std::string_view key, std::string_view path, int64_t lo,
           int64_t hi, int64_t& out) {
    const nlohmann::json* f = Field(obj, key, path);
    if (f == nullptr) return false;
    if (!f->is_number_integer()) {
      error = fmt::format("field '{}' is not an integer", path);
      return false;
    }
    const int64_t v = f->is_number_unsigned()
                          ? static_cast<int64_t>(std::min<uint64_t>(
                                f->get<uint64_t>(), static_cast<uint64_t>(INT64_MAX)))
                          : f->get<int64_t>();
    if (v < lo || v > hi) {
      error = fmt::format("field '{}' = {} is outside [{}, {}]", path, v, lo, hi);
      return false;
    }
    out = v;
    return true;
  }
  bool IntList(const nlohmann::json& obj, std::string_view key, std::string_view path, int64_t lo,
               int64_t hi, std::vector<int64_t>& out) {
    const nlohmann::json* f = Field(obj, key, path);
    if (f == nullptr) return false;
    if (!f->is_array() || f->size() > 64) {
      error = fmt::format("field '{}' is not an array of at most 64 integers", path);
      return false;
    }
    out.clear();
    for (const auto& v : *f) {
      if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > INT64_MAX)) {
        error = fmt::format("field '{}' holds a non-integer", path);
        return false;
      }
      const int64_t x = v.get<int64_t>();
      if (x < lo || x > hi) {
        error = fmt::format("field '{}' holds {} outside [{}, {}]", path, x, lo, hi);
        return false;
      }
      out.push_back(x);
    }
    return true;
  }
  bool Object(const nlohmann::json& obj, std::string_view key, std::string_view path,
              nlohmann::json& out) {
    const nlohmann::json* f = Field(obj, key, path);
    if (f == nullptr) return false;
    if (!f->is_object()) {
      error = fmt::format("field '{}' is not an object", path);
      return false;
    }
    out = *f;
    return true;
  }
};

}  // namespace

std::string SerializeCheckpoint(const Checkpoint& checkpoint) {
  const CheckpointMetadata& m = checkpoint.metadata;
  KF_CHECK(m.hyperparameters.is_object() && m.extra.is_object(),
           "hyperparameters and extra must be JSON objects");
  nlohmann::json tensors = nlohmann::json::array();
  uint64_t offset = 0;
  for (const auto& [name, t] : checkpoint.tensors) {
    auto n = CheckedNumel(t.shape);
    KF_CHECK(n && *n == static_cast<int64_t>(t.data.size()), "tensor '{}' shape {} has {} values",
             name, t.ShapeString(), t.data.size());
    const uint64_t bytes = t.data.size() * sizeof(float);
    tensors.push_back({{"name", name},
                       {"dtype", "float32"},
                       {"shape", t.shape},
                       {"offset", offset},
                       {"bytes", bytes}});
    offset = AlignUp(offset + bytes);
  }
  const uint64_t data_bytes = offset;
  nlohmann::json header = {
      {"format", kFormatName},
      {"format_version", kCheckpointFormatVersion},
      {"observation_spec", m.observation_spec},
      {"observation_size", m.observation_size},
      {"action_space", m.action_space},
      {"algorithm", m.algorithm},
      {"policy",
       {{"class", "mlp-actor-critic"},
        {"activation", ActivationName(m.activation)},
        {"net_arch", ArchToJson(m.net_arch)}}},
      {"hyperparameters", m.hyperparameters},
      {"extra", m.extra},
      {"tensors", std::move(tensors)},
  };
  // Invalid UTF-8 in a string is replaced rather than thrown on.
  const std::string json = header.dump(1, ' ', false, nlohmann::json::error_handler_t::replace);
  KF_CHECK(json.size() <= kMaxHeaderBytes, "checkpoint header of {} bytes", json.size());

  std::string out;
  const size_t data_start = AlignUp(kPrefixBytes + json.size());
  out.reserve(data_start + data_bytes + 4);
  out.append(kCheckpointMagic);
  PutLe(out, kCheckpointFormatVersion, 4);
  PutLe(out, json.size(), 4);
  PutLe(out, data_bytes, 8);
  out.append(json);
  out.resize(data_start, '\0');
  for (const auto& [name, t] : checkpoint.tensors) {
    out.append(reinterpret_cast<const char*>(t.data.data()), t.data.size() * sizeof(float));
    out.resize(data_start + AlignUp(out.size() - data_start), '\0');
  }
  KF_CHECK(out.size() == data_start + data_bytes, "checkpoint layout");
  PutLe(out, Crc32(out), 4);
  return out;
}

PolicyResult<Checkpoint> ParseCheckpoint(std::string_view bytes) {
  const size_t magic_len = std::min(bytes.size(), kCheckpointMagic.size());
  if (bytes.substr(0, magic_len) != kCheckpointMagic.substr(0, magic_len)) {
    return PolicyErr(PolicyErrorKind::kBadMagic,
                     "not a kalshiflow policy checkpoint (the file "
                     "does not start with \"KFPOLICY\")");
  }
  if (bytes.size() < kPrefixBytes) {
    return PolicyErr(
        PolicyErrorKind::kTruncated,
        fmt::format("{} bytes, shorter than the {}-byte prefix", bytes.size(), kPrefixBytes));
  }
  const uint64_t version = GetLe(bytes, 8, 4);
  if (version != kCheckpointFormatVersion) {
    return PolicyErr(PolicyErrorKind::kUnsupportedVersion,
                     fmt::format("format version {}; this build reads version {}", version,
                                 kCheckpointFormatVersion));
  }
  const uint64_t header_len = GetLe(bytes, 12, 4);
  const uint64_t data_len = GetLe(bytes, 16, 8);
  if (header_len > kMaxHeaderBytes || data_len > kMaxDataBytes) {
    return PolicyErr(
        PolicyErrorKind::kBadHeader,
        fmt::format("header length {} or data length {} over the limit", header_len, data_len));
  }
  const uint64_t data_start = AlignUp(kPrefixBytes + header_len);
  const uint64_t total = data_start + data_len + 4;
  if (bytes.size() < total) {
    return PolicyErr(PolicyErrorKind::kTruncated,
                     fmt::format("{} bytes, the prefix declares {}", bytes.size(), total));
  }
  if (bytes.size() > total) {
    return PolicyErr(PolicyErrorKind::kBadHeader,
                     fmt::format("{} trailing bytes after the CRC", bytes.size() - total));
  }
  const uint32_t want_crc = static_cast<uint32_t>(GetLe(bytes, total - 4, 4));
  const uint32_t got_crc = Crc32(bytes.substr(0, total - 4));
  if (want_crc != got_crc) {
    return PolicyErr(PolicyErrorKind::kCrcMismatch,
                     fmt::format("CRC-32 is {:08x}, the file says {:08x}", got_crc, want_crc));
  }

  const nlohmann::json header =
      nlohmann::json::parse(bytes.substr(kPrefixBytes, header_len), nullptr,
                            /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) {
    return PolicyErr(PolicyErrorKind::kBadHeader, "the header is not a JSON object");
  }
  HeaderReader r{header, {}};
  auto bad = [&]() { return PolicyErr(PolicyErrorKind::kBadHeader, r.error); };
  Checkpoint cp;
  CheckpointMetadata& m = cp.metadata;
  std::string format;
  int64_t format_version = 0, obs_size = 0;
  if (!r.String(header, "format", "format", format)) return bad();
  if (format != kFormatName) {
    return PolicyErr(PolicyErrorKind::kBadHeader, fmt::format("format is '{}'", format));
  }
  if (!r.Int(header, "format_version", "format_version", 1, 1 << 30, format_version)) return bad();
  if (format_version != static_cast<int64_t>(version)) {
    return PolicyErr(
        PolicyErrorKind::kBadHeader,
        fmt::format("header format_version {} != prefix version {}", format_version, version));
  }
  if (!r.String(header, "observation_spec", "observation_spec", m.observation_spec) ||
      !r.Int(header, "observation_size", "observation_size", 0, 1 << 16, obs_size) ||
      !r.String(header, "action_space", "action_space", m.action_space) ||
      !r.String(header, "algorithm", "algorithm", m.algorithm) ||
      !r.Object(header, "hyperparameters", "hyperparameters", m.hyperparameters) ||
      !r.Object(header, "extra", "extra", m.extra)) {
    return bad();
  }
  m.observation_size = static_cast<int>(obs_size);
  nlohmann::json policy;
  if (!r.Object(header, "policy", "policy", policy)) return bad();
  std::string activation, policy_class;
  if (!r.String(policy, "class", "policy.class", policy_class)) return bad();
  if (policy_class != "mlp-actor-critic") {
    return PolicyErr(PolicyErrorKind::kBadHeader,
                     fmt::format("policy.class is '{}', want 'mlp-actor-critic'", policy_class));
  }
  if (!r.String(policy, "activation", "policy.activation", activation)) return bad();
  auto act = ParseActivation(activation);
  if (!act) {
    return PolicyErr(PolicyErrorKind::kBadHeader,
                     fmt::format("policy.activation '{}' is not tanh or relu", activation));
  }
  m.activation = *act;
  nlohmann::json arch;
  std::vector<int64_t> pi, vf;
  if (!r.Object(policy, "net_arch", "policy.net_arch", arch) ||
      !r.IntList(arch, "pi", "policy.net_arch.pi", 1, 1 << 16, pi) ||
      !r.IntList(arch, "vf", "policy.net_arch.vf", 1, 1 << 16, vf)) {
    return bad();
  }
  m.net_arch.pi.assign(pi.begin(), pi.end());
  m.net_arch.vf.assign(vf.begin(), vf.end());

  const nlohmann::json* tensors = r.Field(header, "tensors", "tensors");
  if (tensors == nullptr) return bad();
  if (!tensors->is_array()) return PolicyErr(PolicyErrorKind::kBadHeader, "tensors is not a list");
  const std::string_view data = bytes.substr(data_start, data_len);
  uint64_t next_free = 0;  // tensors must come in order, without overlap
  for (size_t i = 0; i < tensors->size(); ++i) {
    const nlohmann::json& e = (*tensors)[i];
    const std::string path = fmt::format("tensors[{}]", i);
    if (!e.is_object()) {
      return PolicyErr(PolicyErrorKind::kBadTensor, fmt::format("{} is not an object", path));
    }
    std::string name, dtype;
    std::vector<int64_t> shape;
    int64_t offset = 0, nbytes = 0;
    if (!r.String(e, "name", path + ".name", name) ||
        !r.String(e, "dtype", path + ".dtype", dtype) ||
        !r.IntList(e, "shape", path + ".shape", 0, kMaxTensorElements, shape) ||
        !r.Int(e, "offset", path + ".offset", 0, static_cast<int64_t>(kMaxDataBytes), offset) ||
        !r.Int(e, "bytes", path + ".bytes", 0, static_cast<int64_t>(kMaxDataBytes), nbytes)) {
      return PolicyErr(PolicyErrorKind::kBadTensor, r.error);
    }
    if (dtype != "float32") {
      return PolicyErr(PolicyErrorKind::kBadTensor,
                       fmt::format("tensor '{}' has dtype '{}', want float32", name, dtype));
    }
    auto numel = CheckedNumel(shape);
    if (!numel || static_cast<uint64_t>(*numel) * sizeof(float) != static_cast<uint64_t>(nbytes)) {
      return PolicyErr(PolicyErrorKind::kBadTensor,
                       fmt::format("tensor '{}' has shape {} but {} bytes", name,
                                   Tensor{shape, {}}.ShapeString(), nbytes));
    }
    if (offset % kAlign != 0 || static_cast<uint64_t>(offset) < next_free ||
        static_cast<uint64_t>(offset + nbytes) > data_len) {
      return PolicyErr(PolicyErrorKind::kBadTensor,
                       fmt::format("tensor '{}' at offset {} (+{} bytes) is misaligned, overlaps "
                                   "the previous tensor or ends past the data section ({} bytes)",
                                   name, offset, nbytes, data_len));
    }
    next_free = static_cast<uint64_t>(offset + nbytes);
    Tensor t;
    t.shape = std::move(shape);
    t.data.resize(static_cast<size_t>(*numel));
    if (nbytes > 0) std::memcpy(t.data.data(), data.data() + offset, static_cast<size_t>(nbytes));
    if (!cp.tensors.emplace(name, std::move(t)).second) {
      return PolicyErr(PolicyErrorKind::kBadTensor, fmt::format("duplicate tensor '{}'", name));
    }
  }
  return cp;
}

PolicyResult<uint64_t> SaveCheckpoint(const std::string& path, const Checkpoint& checkpoint) {
  const std::string bytes = SerializeCheckpoint(checkpoint);
  const std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  auto fail = [&](std::string_view what) {
    const int err = errno;
    std::remove(tmp.c_str());
    return PolicyErr(PolicyErrorKind::kIo,
                     fmt::format("{} '{}': {}", what, path, std::strerror(err)));
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail("cannot create a temporary file for");
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return fail("cannot write");
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return fail("cannot fsync");
  }
  if (::close(fd) != 0) return fail("cannot close");
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return fail("cannot rename onto");
  return static_cast<uint64_t>(bytes.size());
}

PolicyResult<Checkpoint> LoadCheckpoint(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return PolicyErr(PolicyErrorKind::kIo,
                     fmt::format("cannot open '{}': {}", path, std::strerror(errno)));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return PolicyErr(PolicyErrorKind::kIo, fmt::format("cannot read '{}'", path));
  auto cp = ParseCheckpoint(buffer.view());
  if (!cp.ok()) {
    PolicyError e = cp.error();
    e.detail = fmt::format("{}: {}", path, e.detail);
    return core::Err(std::move(e));
  }
  return cp;
}

PolicyResult<LoadedPolicy> PolicyFromCheckpoint(const Checkpoint& checkpoint) {
  const CheckpointMetadata& m = checkpoint.metadata;
  auto n_actions = ParseDiscreteActionSpace(m.action_space);
  if (!n_actions) {
    return PolicyErr(PolicyErrorKind::kUnknownActionSpace,
                     fmt::format("action_space '{}' is not \"discrete-<n>\"", m.action_space));
  }
  auto policy = MlpPolicy::FromTensors(checkpoint.tensors, m.activation);
  if (!policy.ok()) return core::Err(policy.error());
  if (policy->net_arch() != m.net_arch) {
    const NetArch got = policy->net_arch();
    return PolicyErr(PolicyErrorKind::kShapeMismatch,
                     fmt::format("the header's net_arch {} does not match the tensors' {}",
                                 ArchToJson(m.net_arch).dump(), ArchToJson(got).dump()));
  }
  if (policy->observation_size() != m.observation_size) {
    return PolicyErr(PolicyErrorKind::kShapeMismatch,
                     fmt::format("the header says {} observation floats, the tensors take {}",
                                 m.observation_size, policy->observation_size()));
  }
  if (policy->action_count() != *n_actions) {
    return PolicyErr(PolicyErrorKind::kShapeMismatch,
                     fmt::format("action space {} but action_net has {} outputs", m.action_space,
                                 policy->action_count()));
  }
  return LoadedPolicy{m, std::move(*policy)};
}

PolicyResult<LoadedPolicy> LoadPolicy(const std::string& path) {
  auto cp = LoadCheckpoint(path);
  if (!cp.ok()) return core::Err(cp.error());
  auto loaded = PolicyFromCheckpoint(*cp);
  if (!loaded.ok()) {
    PolicyError e = loaded.error();
    e.detail = fmt::format("{}: {}", path, e.detail);
    return core::Err(std::move(e));
  }
  return loaded;
}

Checkpoint MakeCheckpoint(const MlpPolicy& policy, CheckpointMetadata metadata) {
  metadata.observation_size = policy.observation_size();
  metadata.activation = policy.activation();
  metadata.net_arch = policy.net_arch();
  return Checkpoint{std::move(metadata), policy.ToTensors()};
}

}  // namespace kalshiflow::policy
