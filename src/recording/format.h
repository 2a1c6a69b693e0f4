// The kalshiflow recording format, version 1: a zstd-compressed stream of Kalshi WebSocket
// frames with their local receive time, direction and (sid, seq). The collector writes it
// from live frames, `kalshiflow convert` writes it from top-of-book logs, and the local
// exchange / replay environment read it. The byte-level specification is in
// src/recording/README.md ("Format specification, version 1"); this header is its API.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "recording/io.h"

namespace kalshiflow::recording {

/// Value of the header's "format" field.
inline constexpr std::string_view kFormatName = "kalshiflow-recording";
/// The version this code writes (and the only one it reads).
inline constexpr int kFormatVersion = 1;
/// First 8 bytes of the uncompressed stream.
inline constexpr std::string_view kMagic = "KFLOWREC";
/// Size of a record's fixed part (before the frame bytes).
inline constexpr std::size_t kRecordHeaderBytes = 36;
/// Largest frame a record may hold (16 MiB); larger lengths are corruption.
inline constexpr uint32_t kMaxFrameBytes = 16u << 20;
/// Largest header JSON (1 MiB).
inline constexpr uint32_t kMaxHeaderBytes = 1u << 20;

/// Who sent a frame.
enum class Direction : uint8_t { kServerToClient = 0, kClientToServer = 1 };
std::string_view DirectionName(Direction direction);  // "server_to_client" / "client_to_server"

/// Which Kalshi the frames came from (DESIGN.md §4 `environment`, plus `converted`).
enum class KalshiEnvironment { kDemo, kProduction, kLocal, kReplay, kConverted };
std::string_view EnvironmentName(KalshiEnvironment env);  // "demo", "production", ...
std::optional<KalshiEnvironment> ParseEnvironment(std::string_view text);

/// One input file a recording was derived from.
struct InputFileInfo {
  std::string name;    // base name, no directories (keeps output independent of paths)
  uint64_t bytes = 0;  // size as stored
  std::string sha256;  // lower-case hex of the stored bytes
  friend bool operator==(const InputFileInfo&, const InputFileInfo&) = default;
};

/// The JSON header record. Unknown keys written by newer writers are preserved in `extra`.
struct RecordingHeader {
  std::string source;  // free text: what the frames are ("Kalshi WebSocket, live", ...)
  KalshiEnvironment environment = KalshiEnvironment::kConverted;
  bool use_yes_price = false;  // the orderbook subscription's `use_yes_price` (PROTOCOL §3.6)
  std::string creator;         // program and version that wrote the file
  std::optional<std::string> websocket_url;
  std::optional<std::string> created_at;  // ISO 8601 UTC; the converter omits it (determinism)
  std::optional<uint64_t> seed;           // converter seed
  std::optional<int> tz_offset_minutes;   // converter: offset applied to zone-less timestamps
  std::vector<InputFileInfo> inputs;      // converter inputs, in order
  nlohmann::json details = nlohmann::json::object();  // writer-specific (e.g. depth model)
  nlohmann::json extra = nlohmann::json::object();    // unknown top-level keys, preserved

  /// Compact JSON with sorted keys (deterministic).
  std::string ToJson() const;
  /// Parses and validates ("format" must be kFormatName, "version" kFormatVersion, required
  /// keys present with the right types). InvalidArgument naming the problem otherwise.
  static core::Result<RecordingHeader> FromJson(std::string_view json);
};

/// One recorded frame. `frame` is the exact WebSocket text payload.
struct Record {
  core::Timestamp local_ts;  // local receive (or, converted: source row) time
  Direction direction = Direction::kServerToClient;
  int64_t sid = 0;  // Kalshi subscription id, 0 when the frame carries none
  int64_t seq = 0;  // Kalshi `seq`, 0 when the frame carries none
  std::string_view frame;
};

/// Summary written by the end record (and recomputed by the reader, which checks it).
struct RecordingTrailer {
  uint64_t frames = 0;
  std::optional<core::Timestamp> first_local_ts;
  std::optional<core::Timestamp> last_local_ts;
};

/// Writer options.
struct WriterOptions {
  int zstd_level = 6;              // 1..22; 19 for archival, 3 for a live collector
  uint64_t flush_every_bytes = 0;  // 0 = only on Flush()/Close(); else auto-flush
};

/// Writes a recording. Append() validates and buffers; Close() writes the end record and
/// finishes the zstd stream. A file that was not closed (crash) stays readable up to the
/// last flushed record; its reader then reports DataLoss for the missing end record.
/// Errors: InvalidArgument (frame too large, bad direction), Unavailable (I/O).
/// Thread-compatible: one writer thread.
class RecordingWriter {
 public:
  static core::Result<std::unique_ptr<RecordingWriter>> Create(const std::string& path,
                                                               const RecordingHeader& header,
                                                               const WriterOptions& options = {});
  ~RecordingWriter();

  core::Status Append(const Record& record);
  /// Makes all appended records durable in the file (zstd flush + fflush).
  core::Status Flush();
  /// Writes the end record and closes. Further calls fail with FailedPrecondition.
  core::Status Close();

  uint64_t frames() const { return trailer_.frames; }
  uint64_t uncompressed_bytes() const { return sink_->uncompressed_bytes(); }
  /// Compressed bytes written to the file so far.
  uint64_t file_bytes() const { return sink_->compressed_bytes(); }

 private:
  RecordingWriter() = default;
  core::Status WriteRecord(uint8_t kind, Direction direction, int64_t ts_ns, int64_t sid,
                           int64_t seq, std::string_view payload);

  std::unique_ptr<ZstdFileSink> sink_;
  WriterOptions options_;
  RecordingTrailer trailer_;
  uint64_t unflushed_ = 0;
  bool closed_ = false;
  std::string scratch_;
};

/// Reads a recording sequentially in constant memory (plus the largest frame).
///
/// Every error is DataLoss naming the file and the byte offset (uncompressed, and the
/// approximate compressed offset): bad magic/version, header CRC mismatch, a truncated or
/// corrupt record (CRC-32C mismatch, unknown kind, length over kMaxFrameBytes), a corrupt or
/// truncated zstd stream, a missing end record, an end record whose counts disagree, or data
/// after the end record. Records before the error have already been returned intact.
/// Thread-compatible: one reader thread.
class RecordingReader {
 public:
  /// Opens and reads the header. NotFound if the file does not exist.
  static core::Result<std::unique_ptr<RecordingReader>> Open(const std::string& path);

  const RecordingHeader& header() const { return header_; }

  /// The next record (true), or false after a valid end record. `record->frame` stays valid
  /// until the next call.
  core::Result<bool> Next(Record* record);

  /// The end record's summary once Next() has returned false.
  const std::optional<RecordingTrailer>& trailer() const { return trailer_; }
  /// Uncompressed offset of the next record.
  uint64_t offset() const { return source_->offset(); }
  uint64_t records_read() const { return records_read_; }

 private:
  RecordingReader() = default;
  core::Status Corrupt(uint64_t at, std::string_view what) const;
  core::Result<bool> ReadExact(char* dst, std::size_t n, uint64_t record_start,
                               std::string_view what);

  std::unique_ptr<ByteSource> source_;
  RecordingHeader header_;
  std::string frame_;
  uint64_t records_read_ = 0;
  std::optional<core::Timestamp> first_ts_;
  std::optional<core::Timestamp> last_ts_;
  std::optional<RecordingTrailer> trailer_;
  bool done_ = false;
};

}  // namespace kalshiflow::recording
