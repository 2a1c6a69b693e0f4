// Byte-level file I/O for recordings and converter inputs: a reading source that
// transparently decompresses zstd, a zstd-compressing sink, a line reader, CRC-32C and
// SHA-256 helpers. Internal to the recording module but public so tools and tests can use it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

// Forward declarations of the zstd contexts (zstd.h stays out of our headers).
struct ZSTD_DCtx_s;
struct ZSTD_CCtx_s;

namespace kalshiflow::recording {

/// True when `prefix` starts with the zstd frame magic number 0xFD2FB528 (little-endian).
bool HasZstdMagic(std::string_view prefix);

/// Reads a file sequentially, decompressing it when it is a zstd stream (detected by the
/// magic number, not by the file name; concatenated zstd frames are read as one stream).
///
/// Errors: NotFound / Unavailable when the file cannot be opened or read; DataLoss naming
/// the compressed byte offset when the zstd data is corrupt (including a content-checksum
/// mismatch) or ends in the middle of a zstd frame (truncation).
/// Memory is constant (two buffers of ~128 KiB). Thread-compatible (one reader).
class ByteSource {
 public:
  ~ByteSource();
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  static core::Result<std::unique_ptr<ByteSource>> Open(const std::string& path);

  /// Reads up to `n` bytes into `dst`; returns fewer than `n` only at the end of the data
  /// (0 = end). A clean end requires the last zstd frame to be complete.
  core::Result<std::size_t> Read(char* dst, std::size_t n);

  /// Bytes delivered so far (uncompressed offset of the next byte).
  uint64_t offset() const { return offset_; }
  /// Bytes of the underlying file consumed by the decompressor so far (== offset() for a
  /// plain file). Approximate by at most one internal buffer for zstd.
  uint64_t compressed_offset() const;
  bool compressed() const { return dctx_ != nullptr; }
  const std::string& path() const { return path_; }

 private:
  ByteSource() = default;
  core::Result<std::size_t> ReadRaw(char* dst, std::size_t n);
  core::Status FillOutput();

  std::string path_;
  std::FILE* file_ = nullptr;
  ZSTD_DCtx_s* dctx_ = nullptr;
  std::vector<char> in_buf_;
  std::size_t in_pos_ = 0;
  std::size_t in_size_ = 0;
  std::vector<char> out_buf_;
  std::size_t out_pos_ = 0;
  std::size_t out_size_ = 0;
  uint64_t file_bytes_read_ = 0;  // bytes fread from the file
  uint64_t offset_ = 0;
  bool frame_complete_ = true;  // the last zstd frame decoded to its end
  bool file_eof_ = false;
  bool flushing_ = false;  // decompressor may still hold output for consumed input
  // Bytes peeked for magic detection when the file is plain.
  std::string pending_;
};

/// Splits a ByteSource into lines ('\n'-terminated; a trailing '\r' is removed; the last
/// line may lack its '\n'). Lines longer than `max_line_bytes` are reported as too long and
/// skipped up to their '\n', so memory stays bounded on garbage input.
class LineReader {
 public:
  explicit LineReader(std::unique_ptr<ByteSource> source, std::size_t max_line_bytes = 1 << 20);

  enum class LineStatus { kLine, kTooLong, kEnd };
  /// Next line into `line` (kLine), a too-long line (kTooLong, `line` holds its first
  /// max_line_bytes bytes) or the end. Errors come from the source (DataLoss, Unavailable).
  core::Result<LineStatus> Next(std::string* line);
  /// 1-based number of the line last returned.
  int64_t line_number() const { return line_number_; }
  const ByteSource& source() const { return *source_; }

 private:
  core::Status Refill();
  std::unique_ptr<ByteSource> source_;
  std::size_t max_line_bytes_;
  std::vector<char> buf_;
  std::size_t pos_ = 0;
  std::size_t size_ = 0;
  bool eof_ = false;
  int64_t line_number_ = 0;
};

/// Writes a zstd-compressed stream to a file (one zstd frame with content checksum; Flush()
/// makes everything written so far decodable without ending the frame). Output bytes depend
/// only on the bytes written, the flush points and the level (deterministic, single-threaded
/// compression). Errors: Unavailable on I/O failure; InvalidArgument for a bad level.
/// Thread-compatible.
class ZstdFileSink {
 public:
  ~ZstdFileSink();
  ZstdFileSink(const ZstdFileSink&) = delete;
  ZstdFileSink& operator=(const ZstdFileSink&) = delete;

  /// Creates (truncates) `path`. `level` is a zstd level in [1, 22].
  static core::Result<std::unique_ptr<ZstdFileSink>> Create(const std::string& path, int level);

  core::Status Write(std::string_view bytes);
  /// Compresses and writes out everything buffered (ZSTD_e_flush) and fflush()es the file.
  core::Status Flush();
  /// Ends the zstd frame and closes the file. Further calls fail with FailedPrecondition.
  core::Status Close();

  uint64_t uncompressed_bytes() const { return uncompressed_bytes_; }
  uint64_t compressed_bytes() const { return compressed_bytes_; }

 private:
  ZstdFileSink() = default;
  core::Status Drive(int end_op, std::string_view input);

  std::string path_;
  std::FILE* file_ = nullptr;
  ZSTD_CCtx_s* cctx_ = nullptr;
  std::vector<char> in_buf_;  // bytes not yet handed to zstd (compressed in 1 MiB chunks)
  std::vector<char> out_buf_;
  uint64_t uncompressed_bytes_ = 0;
  uint64_t compressed_bytes_ = 0;
  bool closed_ = false;
};

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI/ext4/LevelDB.
/// `crc` is the running value (start with 0). Crc32c("123456789") == 0xE3069283.
uint32_t Crc32c(std::string_view data, uint32_t crc = 0);

/// Lower-case hex SHA-256 of a file's bytes (as stored, not decompressed), and its size.
struct FileDigest {
  uint64_t bytes = 0;
  std::string sha256;
};
core::Result<FileDigest> DigestFile(const std::string& path);

/// The file name without directories ("a/b/c.csv" -> "c.csv").
std::string BaseName(std::string_view path);

}  // namespace kalshiflow::recording
