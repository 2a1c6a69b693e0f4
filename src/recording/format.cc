#include "recording/format.h"

#include <fmt/format.h>

#include <array>
#include <cstring>

namespace kalshiflow::recording {
namespace {

constexpr uint8_t kKindFrame = 1;
constexpr uint8_t kKindEnd = 2;

void PutU16(char* p, uint16_t v) {
  p[0] = static_cast<char>(v & 0xFF);
  p[1] = static_cast<char>(v >> 8);
}
void PutU32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
void PutU64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
uint16_t GetU16(const char* p) {
  return static_cast<uint16_t>(static_cast<unsigned char>(p[0]) | static_cast<unsigned char>(p[1])
                                                                      << 8);
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

constexpr std::array<std::string_view, 5> kEnvNames = {"demo", "production", "local", "replay",
                                                       "converted"};

}  // namespace

std::string_view DirectionName(Direction direction) {
  return direction == Direction::kServerToClient ? "server_to_client" : "client_to_server";
}

std::string_view EnvironmentName(KalshiEnvironment env) {
  return kEnvNames[static_cast<std::size_t>(env)];
}

std::optional<KalshiEnvironment> ParseEnvironment(std::string_view text) {
  for (std::size_t i = 0; i < kEnvNames.size(); ++i) {
    if (kEnvNames[i] == text) return static_cast<KalshiEnvironment>(i);
  }
  return std::nullopt;
}

// ---- header JSON --------------------------------------------------------------------------

std::string RecordingHeader::ToJson() const {
  nlohmann::json j = extra.is_object() ? extra : nlohmann::json::object();
  j["format"] = kFormatName;
  j["version"] = kFormatVersion;
  j["source"] = source;
  j["environment"] = EnvironmentName(environment);
  j["use_yes_price"] = use_yes_price;
  j["creator"] = creator;
  if (websocket_url) j["websocket_url"] = *websocket_url;
  if (created_at) j["created_at"] = *created_at;
  if (seed) j["seed"] = *seed;
  if (tz_offset_minutes) j["tz_offset_minutes"] = *tz_offset_minutes;
  nlohmann::json in = nlohmann::json::array();
  for (const InputFileInfo& f : inputs) {
    in.push_back({{"name", f.name}, {"bytes", f.bytes}, {"sha256", f.sha256}});
  }
  j["inputs"] = std::move(in);
  j["details"] = details.is_object() ? details : nlohmann::json::object();
  // Replace invalid UTF-8 (file names need not be UTF-8) instead of throwing.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

core::Result<RecordingHeader> RecordingHeader::FromJson(std::string_view json) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return core::InvalidArgumentError("recording header is not a JSON object");
  }
  auto bad = [](std::string_view key, std::string_view want) {
    return core::InvalidArgumentError(
        fmt::format("recording header: \"{}\" missing or not {}", key, want));
  };
  auto str = [&](const char* key) -> const std::string* {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
  };
  const std::string* format = str("format");
  if (format == nullptr) return bad("format", "a string");
  if (*format != kFormatName) {
    return core::InvalidArgumentError(
        fmt::format("recording header: format is \"{}\", expected \"{}\"", *format, kFormatName));
  }
  auto version = j.find("version");
  if (version == j.end() || !version->is_number_integer()) return bad("version", "an integer");
  if (version->get<int64_t>() != kFormatVersion) {
    return core::InvalidArgumentError(
        fmt::format("recording header: version {} is not supported (this build reads version {})",
                    version->get<int64_t>(), kFormatVersion));
  }
  RecordingHeader h;
  const std::string* source = str("source");
  if (source == nullptr) return bad("source", "a string");
  h.source = *source;
  const std::string* env = str("environment");
  if (env == nullptr) return bad("environment", "a string");
  auto parsed_env = ParseEnvironment(*env);
  if (!parsed_env) {
    return core::InvalidArgumentError(
        fmt::format("recording header: unknown environment \"{}\"", *env));
  }
  h.environment = *parsed_env;
  auto yes = j.find("use_yes_price");
  if (yes == j.end() || !yes->is_boolean()) return bad("use_yes_price", "a boolean");
  h.use_yes_price = yes->get<bool>();
  const std::string* creator = str("creator");
  if (creator == nullptr) return bad("creator", "a string");
  h.creator = *creator;
  if (j.contains("websocket_url")) {
    if (str("websocket_url") == nullptr) return bad("websocket_url", "a string");
    h.websocket_url = *str("websocket_url");
  }
  if (j.contains("created_at")) {
    if (str("created_at") == nullptr) return bad("created_at", "a string");
    h.created_at = *str("created_at");
  }
  if (auto it = j.find("seed"); it != j.end()) {
    if (!it->is_number_unsigned()) return bad("seed", "an unsigned integer");
    h.seed = it->get<uint64_t>();
  }
  if (auto it = j.find("tz_offset_minutes"); it != j.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < -24 * 60 || it->get<int64_t>() > 24 * 60) {
      return bad("tz_offset_minutes", "an integer in [-1440, 1440]");
    }
    h.tz_offset_minutes = static_cast<int>(it->get<int64_t>());
  }
  auto inputs = j.find("inputs");
  if (inputs == j.end() || !inputs->is_array()) return bad("inputs", "an array");
  for (const auto& f : *inputs) {
    if (!f.is_object() || !f.contains("name") || !f["name"].is_string() || !f.contains("bytes") ||
        !f["bytes"].is_number_unsigned() || !f.contains("sha256") || !f["sha256"].is_string()) {
      return bad("inputs[]", "objects {name: string, bytes: unsigned, sha256: string}");
    }
    h.inputs.push_back(
        {f["name"].get<std::string>(), f["bytes"].get<uint64_t>(), f["sha256"].get<std::string>()});
  }
  if (auto it = j.find("details"); it != j.end()) {
    if (!it->is_object()) return bad("details", "an object");
    h.details = *it;
  }
  static constexpr std::array<std::string_view, 12> kKnown = {
      "format", "version",       "source", "environment",       "use_yes_price", "creator",
      "inputs", "websocket_url", "seed",   "tz_offset_minutes", "created_at",    "details"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool known = false;
    for (std::string_view k : kKnown) known = known || k == it.key();
    if (!known) h.extra[it.key()] = it.value();
  }
  return h;
}

// ---- writer -------------------------------------------------------------------------------

core::Result<std::unique_ptr<RecordingWriter>> RecordingWriter::Create(
    const std::string& path, const RecordingHeader& header, const WriterOptions& options) {
  std::unique_ptr<RecordingWriter> w(new RecordingWriter());
  w->options_ = options;
  KF_ASSIGN_OR_RETURN(w->sink_, ZstdFileSink::Create(path, options.zstd_level));
  const std::string json = header.ToJson();
  if (json.size() > kMaxHeaderBytes) {
    return core::InvalidArgumentError(
        fmt::format("recording header is {} bytes (limit {})", json.size(), kMaxHeaderBytes));
  }
  std::string head(16, '\0');
  std::memcpy(head.data(), kMagic.data(), 8);
  PutU32(head.data() + 8, static_cast<uint32_t>(kFormatVersion));
  PutU32(head.data() + 12, static_cast<uint32_t>(json.size()));
  head += json;
  char crc[4];
  PutU32(crc, Crc32c(json));
  head.append(crc, 4);
  KF_RETURN_IF_ERROR(w->sink_->Write(head));
  return w;
}

RecordingWriter::~RecordingWriter() = default;

core::Status RecordingWriter::WriteRecord(uint8_t kind, Direction direction, int64_t ts_ns,
                                          int64_t sid, int64_t seq, std::string_view payload) {
  char fixed[kRecordHeaderBytes];
  PutU32(fixed, static_cast<uint32_t>(payload.size()));
  fixed[4] = static_cast<char>(kind);
  fixed[5] = static_cast<char>(direction);
  PutU16(fixed + 6, 0);
  PutU64(fixed + 8, static_cast<uint64_t>(ts_ns));
  PutU64(fixed + 16, static_cast<uint64_t>(sid));
  PutU64(fixed + 24, static_cast<uint64_t>(seq));
  PutU32(fixed + 32, Crc32c(payload, Crc32c(std::string_view(fixed, 32))));
  KF_RETURN_IF_ERROR(sink_->Write(std::string_view(fixed, kRecordHeaderBytes)));
  KF_RETURN_IF_ERROR(sink_->Write(payload));
  unflushed_ += kRecordHeaderBytes + payload.size();
  return core::Status::Ok();
}

core::Status RecordingWriter::Append(const Record& record) {
  if (closed_) return core::FailedPreconditionError("recording writer is closed");
  if (record.frame.size() > kMaxFrameBytes) {
    return core::InvalidArgumentError(fmt::format("frame of {} bytes exceeds the {} byte limit",
                                                  record.frame.size(), kMaxFrameBytes));
  }
  if (record.direction != Direction::kServerToClient &&
      record.direction != Direction::kClientToServer) {
    return core::InvalidArgumentError(
        "record direction is neither server->client nor "
        "client->server");
  }
  KF_RETURN_IF_ERROR(WriteRecord(kKindFrame, record.direction, record.local_ts.nanos(), record.sid,
                                 record.seq, record.frame));
  ++trailer_.frames;
  if (!trailer_.first_local_ts) trailer_.first_local_ts = record.local_ts;
  trailer_.last_local_ts = record.local_ts;
  if (options_.flush_every_bytes > 0 && unflushed_ >= options_.flush_every_bytes) {
    return Flush();
  }
  return core::Status::Ok();
}

core::Status RecordingWriter::Flush() {
  if (closed_) return core::FailedPreconditionError("recording writer is closed");
  unflushed_ = 0;
  return sink_->Flush();
}

core::Status RecordingWriter::Close() {
  if (closed_) return core::FailedPreconditionError("recording writer is closed");
  closed_ = true;
  nlohmann::json t = {{"frames", trailer_.frames}};
  if (trailer_.first_local_ts) t["first_local_ts_ns"] = trailer_.first_local_ts->nanos();
  if (trailer_.last_local_ts) t["last_local_ts_ns"] = trailer_.last_local_ts->nanos();
  KF_RETURN_IF_ERROR(WriteRecord(kKindEnd, Direction::kServerToClient,
                                 trailer_.last_local_ts ? trailer_.last_local_ts->nanos() : 0, 0, 0,
                                 t.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
  return sink_->Close();
}

// ---- reader -------------------------------------------------------------------------------

core::Status RecordingReader::Corrupt(uint64_t at, std::string_view what) const {
  return core::DataLossError(
      fmt::format("{}: {} at uncompressed byte offset {} (compressed offset ~{}, after {} records)",
                  source_->path(), what, at, source_->compressed_offset(), records_read_));
}

core::Result<bool> RecordingReader::ReadExact(char* dst, std::size_t n, uint64_t record_start,
                                              std::string_view what) {
  KF_ASSIGN_OR_RETURN(std::size_t got, source_->Read(dst, n));
  if (got == n) return true;
  if (got == 0 && what == "record header") return false;  // clean end of data
  return Corrupt(record_start, fmt::format("truncated {} ({} of {} bytes present)", what, got, n));
}

core::Result<std::unique_ptr<RecordingReader>> RecordingReader::Open(const std::string& path) {
  std::unique_ptr<RecordingReader> r(new RecordingReader());
  KF_ASSIGN_OR_RETURN(r->source_, ByteSource::Open(path));
  char head[16];
  KF_ASSIGN_OR_RETURN(std::size_t got, r->source_->Read(head, sizeof(head)));
  if (got < 8 || std::string_view(head, 8) != kMagic) {
    return r->Corrupt(0,
                      "not a kalshiflow recording (bad magic; expected \"KFLOWREC\" after "
                      "zstd decompression)");
  }
  if (got < sizeof(head)) return r->Corrupt(0, "truncated file header");
  const uint32_t version = GetU32(head + 8);
  if (version != static_cast<uint32_t>(kFormatVersion)) {
    return r->Corrupt(8, fmt::format("unsupported format version {} (this build reads {})", version,
                                     kFormatVersion));
  }
  const uint32_t json_len = GetU32(head + 12);
  if (json_len > kMaxHeaderBytes) {
    return r->Corrupt(12, fmt::format("header length {} exceeds {}", json_len, kMaxHeaderBytes));
  }
  std::string json(json_len + 4, '\0');
  KF_ASSIGN_OR_RETURN(got, r->source_->Read(json.data(), json.size()));
  if (got != json.size()) return r->Corrupt(16, "truncated header JSON");
  const uint32_t crc = GetU32(json.data() + json_len);
  json.resize(json_len);
  if (Crc32c(json) != crc) return r->Corrupt(16, "header CRC-32C mismatch");
  auto header = RecordingHeader::FromJson(json);
  if (!header.ok()) return r->Corrupt(16, header.error().message());
  r->header_ = std::move(header).value();
  return r;
}

core::Result<bool> RecordingReader::Next(Record* record) {
  if (done_) return false;
  const uint64_t start = source_->offset();
  char fixed[kRecordHeaderBytes];
  KF_ASSIGN_OR_RETURN(bool have, ReadExact(fixed, sizeof(fixed), start, "record header"));
  if (!have) {
    return Corrupt(start,
                   "missing end record (the file was not closed cleanly, or it was "
                   "truncated at a record boundary)");
  }
  const uint32_t len = GetU32(fixed);
  const uint8_t kind = static_cast<uint8_t>(fixed[4]);
  const uint8_t direction = static_cast<uint8_t>(fixed[5]);
  if (len > kMaxFrameBytes) {
    return Corrupt(start,
                   fmt::format("record length {} exceeds the {} byte limit", len, kMaxFrameBytes));
  }
  frame_.resize(len);
  KF_ASSIGN_OR_RETURN(have, ReadExact(frame_.data(), len, start, "record payload"));
  (void)have;
  const uint32_t want_crc = GetU32(fixed + 32);
  if (Crc32c(frame_, Crc32c(std::string_view(fixed, 32))) != want_crc) {
    return Corrupt(start, "record CRC-32C mismatch");
  }
  if (GetU16(fixed + 6) != 0) return Corrupt(start, "non-zero reserved flags");
  if (kind == kKindEnd) {
    nlohmann::json t = nlohmann::json::parse(frame_, nullptr, false);
    if (t.is_discarded() || !t.is_object() || !t.contains("frames") ||
        !t["frames"].is_number_unsigned()) {
      return Corrupt(start, "malformed end record");
    }
    if (t["frames"].get<uint64_t>() != records_read_) {
      return Corrupt(start, fmt::format("end record counts {} frames but {} were read",
                                        t["frames"].get<uint64_t>(), records_read_));
    }
    char extra;
    KF_ASSIGN_OR_RETURN(std::size_t after, source_->Read(&extra, 1));
    if (after != 0) return Corrupt(source_->offset() - 1, "data after the end record");
    RecordingTrailer trailer;
    trailer.frames = records_read_;
    trailer.first_local_ts = first_ts_;
    trailer.last_local_ts = last_ts_;
    trailer_ = trailer;
    done_ = true;
    return false;
  }
  if (kind != kKindFrame) return Corrupt(start, fmt::format("unknown record kind {}", kind));
  if (direction > 1) return Corrupt(start, fmt::format("unknown direction {}", direction));
  record->local_ts = core::Timestamp::FromNanos(static_cast<int64_t>(GetU64(fixed + 8)));
  record->direction = static_cast<Direction>(direction);
  record->sid = static_cast<int64_t>(GetU64(fixed + 16));
  record->seq = static_cast<int64_t>(GetU64(fixed + 24));
  record->frame = frame_;
  ++records_read_;
  if (!first_ts_) first_ts_ = record->local_ts;
  last_ts_ = record->local_ts;
  return true;
}

}  // namespace kalshiflow::recording
