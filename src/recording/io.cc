#include "recording/io.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <zstd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace kalshiflow::recording {
namespace {

constexpr std::size_t kChunk = 1 << 17;      // 128 KiB read buffers
constexpr std::size_t kSinkChunk = 1 << 20;  // 1 MiB compression input chunks
constexpr unsigned char kZstdMagic[4] = {0x28, 0xB5, 0x2F, 0xFD};

std::string ErrnoText() { return std::strerror(errno); }

// CRC-32C slice-by-8 tables, built at compile time.
struct Crc32cTables {
  uint32_t t[8][256];
  constexpr Crc32cTables() : t{} {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : (c >> 1);
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i) {
      for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
    }
  }
};
constexpr Crc32cTables kCrcTables;

}  // namespace

bool HasZstdMagic(std::string_view prefix) {
  return prefix.size() >= 4 && std::memcmp(prefix.data(), kZstdMagic, 4) == 0;
}

uint32_t Crc32c(std::string_view data, uint32_t crc) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t n = data.size();
  crc = ~crc;
  const auto& t = kCrcTables.t;
  while (n >= 8) {
    const uint32_t lo = (static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
                         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24) ^
                        crc;
    crc = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^ t[4][lo >> 24] ^
          t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xFF];
  return ~crc;
}

std::string BaseName(std::string_view path) {
  const auto slash = path.find_last_of('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// ---- ByteSource ---------------------------------------------------------------------------

ByteSource::~ByteSource() {
  if (dctx_ != nullptr) ZSTD_freeDCtx(dctx_);
  if (file_ != nullptr) std::fclose(file_);
}

core::Result<std::unique_ptr<ByteSource>> ByteSource::Open(const std::string& path) {
  std::unique_ptr<ByteSource> src(new ByteSource());
  src->path_ = path;
  src->file_ = std::fopen(path.c_str(), "rb");
  if (src->file_ == nullptr) {
    if (errno == ENOENT) return core::NotFoundError(fmt::format("{}: no such file", path));
    return core::UnavailableError(fmt::format("{}: cannot open: {}", path, ErrnoText()));
  }
  src->in_buf_.resize(kChunk);
  // Peek at the first bytes to decide between plain and zstd.
  char head[4];
  std::size_t got = std::fread(head, 1, sizeof(head), src->file_);
  if (got < sizeof(head) && std::ferror(src->file_)) {
    return core::UnavailableError(fmt::format("{}: read error: {}", path, ErrnoText()));
  }
  src->file_bytes_read_ = got;
  if (HasZstdMagic(std::string_view(head, got))) {
    src->dctx_ = ZSTD_createDCtx();
    KF_CHECK(src->dctx_ != nullptr, "ZSTD_createDCtx failed");
    std::memcpy(src->in_buf_.data(), head, got);
    src->in_size_ = got;
    src->out_buf_.resize(ZSTD_DStreamOutSize());
  } else {
    src->pending_.assign(head, got);
  }
  return src;
}

uint64_t ByteSource::compressed_offset() const {
  return dctx_ != nullptr ? file_bytes_read_ - (in_size_ - in_pos_) : offset_;
}

core::Result<std::size_t> ByteSource::ReadRaw(char* dst, std::size_t n) {
  std::size_t got = std::fread(dst, 1, n, file_);
  if (got < n) {
    if (std::ferror(file_)) {
      return core::UnavailableError(
          fmt::format("{}: read error at byte {}: {}", path_, file_bytes_read_ + got, ErrnoText()));
    }
    file_eof_ = true;
  }
  file_bytes_read_ += got;
  return got;
}

core::Status ByteSource::FillOutput() {
  out_pos_ = out_size_ = 0;
  while (out_size_ == 0) {
    if (in_pos_ == in_size_ && !flushing_) {
      if (file_eof_) return core::Status::Ok();
      KF_ASSIGN_OR_RETURN(std::size_t got, ReadRaw(in_buf_.data(), in_buf_.size()));
      in_pos_ = 0;
      in_size_ = got;
      if (got == 0) return core::Status::Ok();
    }
    ZSTD_inBuffer in{in_buf_.data(), in_size_, in_pos_};
    ZSTD_outBuffer out{out_buf_.data(), out_buf_.size(), 0};
    const uint64_t frame_offset = compressed_offset();
    const std::size_t ret = ZSTD_decompressStream(dctx_, &out, &in);
    in_pos_ = in.pos;
    if (ZSTD_isError(ret)) {
      return core::DataLossError(fmt::format(
          "{}: corrupt zstd data near compressed byte offset {} (uncompressed offset {}): {}",
          path_, frame_offset, offset_, ZSTD_getErrorName(ret)));
    }
    out_size_ = out.pos;
    frame_complete_ = (ret == 0);
    // A full output buffer may leave decoded data inside the context.
    flushing_ = (out.pos == out.size);
  }
  return core::Status::Ok();
}

core::Result<std::size_t> ByteSource::Read(char* dst, std::size_t n) {
  std::size_t done = 0;
  if (dctx_ == nullptr) {
    if (!pending_.empty() && n > 0) {
      const std::size_t take = std::min(n, pending_.size());
      std::memcpy(dst, pending_.data(), take);
      pending_.erase(0, take);
      done = take;
    }
    if (done < n && !file_eof_) {
      KF_ASSIGN_OR_RETURN(std::size_t got, ReadRaw(dst + done, n - done));
      done += got;
    }
    offset_ += done;
    return done;
  }
  while (done < n) {
    if (out_pos_ == out_size_) {
      KF_RETURN_IF_ERROR(FillOutput());
      if (out_size_ == 0) {  // no more input
        if (!frame_complete_) {
          return core::DataLossError(fmt::format(
              "{}: truncated zstd stream: the file ends inside a zstd frame at compressed byte "
              "offset {} (uncompressed offset {})",
              path_, file_bytes_read_, offset_ + done));
        }
        break;
      }
    }
    const std::size_t take = std::min(n - done, out_size_ - out_pos_);
    std::memcpy(dst + done, out_buf_.data() + out_pos_, take);
    out_pos_ += take;
    done += take;
  }
  offset_ += done;
  return done;
}

// ---- LineReader ---------------------------------------------------------------------------

LineReader::LineReader(std::unique_ptr<ByteSource> source, std::size_t max_line_bytes)
    : source_(std::move(source)), max_line_bytes_(max_line_bytes) {
  buf_.resize(kChunk);
}

core::Status LineReader::Refill() {
  if (pos_ > 0) {
    std::memmove(buf_.data(), buf_.data() + pos_, size_ - pos_);
    size_ -= pos_;
    pos_ = 0;
  }
  if (size_ == buf_.size()) buf_.resize(buf_.size() * 2);
  KF_ASSIGN_OR_RETURN(std::size_t got, source_->Read(buf_.data() + size_, buf_.size() - size_));
  if (got == 0) eof_ = true;
  size_ += got;
  return core::Status::Ok();
}

core::Result<LineReader::LineStatus> LineReader::Next(std::string* line) {
  line->clear();
  bool too_long = false;
  std::size_t scan_from = pos_;
  while (true) {
    const char* begin = buf_.data() + pos_;
    const void* nl = std::memchr(buf_.data() + scan_from, '\n', size_ - scan_from);
    if (nl != nullptr) {
      const char* end = static_cast<const char*>(nl);
      std::size_t len = static_cast<std::size_t>(end - begin);
      if (!too_long && len > max_line_bytes_) {
        line->assign(begin, max_line_bytes_);
        too_long = true;
      }
      if (!too_long) {
        std::size_t keep = len;
        if (keep > 0 && begin[keep - 1] == '\r') --keep;
        line->assign(begin, keep);
      }
      pos_ += len + 1;
      ++line_number_;
      return too_long ? LineStatus::kTooLong : LineStatus::kLine;
    }
    if (size_ - pos_ > max_line_bytes_) {
      // Keep the prefix for the report; drop buffered bytes until the newline.
      if (!too_long) line->assign(begin, max_line_bytes_);
      too_long = true;
      pos_ = size_;
    }
    if (eof_) {
      if (pos_ == size_ && !too_long) return LineStatus::kEnd;
      if (!too_long && size_ - pos_ > max_line_bytes_) {
        line->assign(begin, max_line_bytes_);
        too_long = true;
      }
      if (!too_long) {
        std::size_t keep = size_ - pos_;
        if (keep > 0 && begin[keep - 1] == '\r') --keep;
        line->assign(begin, keep);
      }
      pos_ = size_;
      ++line_number_;
      return too_long ? LineStatus::kTooLong : LineStatus::kLine;
    }
    scan_from = size_ - pos_;
    KF_RETURN_IF_ERROR(Refill());
    scan_from += pos_;
  }
}

// ---- ZstdFileSink -------------------------------------------------------------------------

ZstdFileSink::~ZstdFileSink() {
  if (cctx_ != nullptr) ZSTD_freeCCtx(cctx_);
  if (file_ != nullptr) std::fclose(file_);
}

core::Result<std::unique_ptr<ZstdFileSink>> ZstdFileSink::Create(const std::string& path,
                                                                 int level) {
  if (level < 1 || level > ZSTD_maxCLevel()) {
    return core::InvalidArgumentError(
        fmt::format("zstd level {} outside [1, {}]", level, ZSTD_maxCLevel()));
  }
  std::unique_ptr<ZstdFileSink> sink(new ZstdFileSink());
  sink->path_ = path;
  sink->file_ = std::fopen(path.c_str(), "wb");
  if (sink->file_ == nullptr) {
    return core::UnavailableError(fmt::format("{}: cannot create: {}", path, ErrnoText()));
  }
  sink->cctx_ = ZSTD_createCCtx();
  KF_CHECK(sink->cctx_ != nullptr, "ZSTD_createCCtx failed");
  ZSTD_CCtx_setParameter(sink->cctx_, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(sink->cctx_, ZSTD_c_checksumFlag, 1);
  sink->in_buf_.reserve(kSinkChunk);
  sink->out_buf_.resize(ZSTD_CStreamOutSize());
  return sink;
}

core::Status ZstdFileSink::Drive(int end_op, std::string_view input) {
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  const auto op = static_cast<ZSTD_EndDirective>(end_op);
  while (true) {
    ZSTD_outBuffer out{out_buf_.data(), out_buf_.size(), 0};
    const std::size_t remaining = ZSTD_compressStream2(cctx_, &out, &in, op);
    if (ZSTD_isError(remaining)) {
      return core::InternalError(
          fmt::format("{}: zstd compression failed: {}", path_, ZSTD_getErrorName(remaining)));
    }
    if (out.pos > 0) {
      if (std::fwrite(out_buf_.data(), 1, out.pos, file_) != out.pos) {
        return core::UnavailableError(fmt::format("{}: write failed: {}", path_, ErrnoText()));
      }
      compressed_bytes_ += out.pos;
    }
    const bool input_done = in.pos == in.size;
    if (op == ZSTD_e_continue ? input_done : (input_done && remaining == 0)) break;
  }
  return core::Status::Ok();
}

core::Status ZstdFileSink::Write(std::string_view bytes) {
  if (closed_) return core::FailedPreconditionError(fmt::format("{}: sink closed", path_));
  uncompressed_bytes_ += bytes.size();
  while (!bytes.empty()) {
    const std::size_t take = std::min(bytes.size(), kSinkChunk - in_buf_.size());
    in_buf_.insert(in_buf_.end(), bytes.data(), bytes.data() + take);
    bytes.remove_prefix(take);
    if (in_buf_.size() == kSinkChunk) {
      KF_RETURN_IF_ERROR(Drive(ZSTD_e_continue, std::string_view(in_buf_.data(), in_buf_.size())));
      in_buf_.clear();
    }
  }
  return core::Status::Ok();
}

core::Status ZstdFileSink::Flush() {
  if (closed_) return core::FailedPreconditionError(fmt::format("{}: sink closed", path_));
  KF_RETURN_IF_ERROR(Drive(ZSTD_e_flush, std::string_view(in_buf_.data(), in_buf_.size())));
  in_buf_.clear();
  if (std::fflush(file_) != 0) {
    return core::UnavailableError(fmt::format("{}: flush failed: {}", path_, ErrnoText()));
  }
  return core::Status::Ok();
}

core::Status ZstdFileSink::Close() {
  if (closed_) return core::FailedPreconditionError(fmt::format("{}: sink closed", path_));
  closed_ = true;
  core::Status status = Drive(ZSTD_e_end, std::string_view(in_buf_.data(), in_buf_.size()));
  in_buf_.clear();
  const bool write_error = std::ferror(file_) != 0;
  const int close_rc = std::fclose(file_);
  file_ = nullptr;
  KF_RETURN_IF_ERROR(status);
  if (write_error || close_rc != 0) {
    return core::UnavailableError(fmt::format("{}: close failed: {}", path_, ErrnoText()));
  }
  return core::Status::Ok();
}

// ---- digests ------------------------------------------------------------------------------

core::Result<FileDigest> DigestFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    if (errno == ENOENT) return core::NotFoundError(fmt::format("{}: no such file", path));
    return core::UnavailableError(fmt::format("{}: cannot open: {}", path, ErrnoText()));
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  KF_CHECK(ctx != nullptr, "EVP_MD_CTX_new failed");
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::vector<char> buf(kChunk);
  FileDigest digest;
  bool read_error = false;
  while (true) {
    const std::size_t got = std::fread(buf.data(), 1, buf.size(), f);
    if (got > 0) {
      EVP_DigestUpdate(ctx, buf.data(), got);
      digest.bytes += got;
    }
    if (got < buf.size()) {
      read_error = std::ferror(f) != 0;
      break;
    }
  }
  std::fclose(f);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_DigestFinal_ex(ctx, md, &md_len);
  EVP_MD_CTX_free(ctx);
  if (read_error) return core::UnavailableError(fmt::format("{}: read error", path));
  static constexpr char kHex[] = "0123456789abcdef";
  digest.sha256.reserve(md_len * 2);
  for (unsigned int i = 0; i < md_len; ++i) {
    digest.sha256.push_back(kHex[md[i] >> 4]);
    digest.sha256.push_back(kHex[md[i] & 0xF]);
  }
  return digest;
}

}  // namespace kalshiflow::recording
