#include "policy/zip_archive.h"

#include <fmt/format.h>
#include <zip.h>

#include <algorithm>

namespace kalshiflow::policy {

struct ZipArchive::Impl {
  std::string bytes;  // must outlive `zip` (the source does not copy)
  std::string label;
  zip_t* zip = nullptr;
  ~Impl() {
    if (zip != nullptr) zip_discard(zip);
  }
};

ZipArchive::ZipArchive(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ZipArchive::ZipArchive(ZipArchive&&) noexcept = default;
ZipArchive& ZipArchive::operator=(ZipArchive&&) noexcept = default;
ZipArchive::~ZipArchive() = default;

PolicyResult<ZipArchive> ZipArchive::Open(std::string bytes, std::string label) {
  auto impl = std::make_unique<Impl>();
  impl->bytes = std::move(bytes);
  impl->label = std::move(label);
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source =
      zip_source_buffer_create(impl->bytes.data(), impl->bytes.size(), /*freep=*/0, &error);
  if (source == nullptr) {
    std::string msg = zip_error_strerror(&error);
    zip_error_fini(&error);
    return PolicyErr(PolicyErrorKind::kIo, fmt::format("{}: {}", impl->label, msg));
  }
  impl->zip = zip_open_from_source(source, ZIP_RDONLY, &error);
  if (impl->zip == nullptr) {
    const int code = zip_error_code_zip(&error);
    std::string msg = zip_error_strerror(&error);
    zip_error_fini(&error);
    zip_source_free(source);
    return PolicyErr(code == ZIP_ER_NOZIP || code == ZIP_ER_INCONS || code == ZIP_ER_EOF
                         ? PolicyErrorKind::kNotZip
                         : PolicyErrorKind::kIo,
                     fmt::format("{} is not a readable zip archive: {}", impl->label, msg));
  }
  zip_error_fini(&error);
  ZipArchive archive(std::move(impl));
  const zip_int64_t n = zip_get_num_entries(archive.impl_->zip, 0);
  for (zip_int64_t i = 0; i < n; ++i) {
    const char* name = zip_get_name(archive.impl_->zip, static_cast<zip_uint64_t>(i), 0);
    if (name != nullptr) archive.names_.emplace_back(name);
  }
  return archive;
}

bool ZipArchive::Contains(std::string_view name) const {
  return std::find(names_.begin(), names_.end(), name) != names_.end();
}

PolicyResult<std::string> ZipArchive::Read(std::string_view name) const {
  const std::string key(name);
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat(impl_->zip, key.c_str(), 0, &st) != 0 || (st.valid & ZIP_STAT_SIZE) == 0) {
    return PolicyErr(PolicyErrorKind::kMissingEntry,
                     fmt::format("{} has no entry '{}'", impl_->label, key));
  }
  if (st.size > kMaxEntryBytes) {
    return PolicyErr(PolicyErrorKind::kIo, fmt::format("{}: entry '{}' is {} bytes, over the limit",
                                                       impl_->label, key, st.size));
  }
  zip_file_t* file = zip_fopen(impl_->zip, key.c_str(), 0);
  if (file == nullptr) {
    return PolicyErr(
        PolicyErrorKind::kIo,
        fmt::format("{}: cannot open entry '{}': {}", impl_->label, key, zip_strerror(impl_->zip)));
  }
  std::string out(static_cast<size_t>(st.size), '\0');
  size_t got = 0;
  while (got < out.size()) {
    const zip_int64_t n = zip_fread(file, out.data() + got, out.size() - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  // Reading to the end lets libzip verify the CRC (reported by a failing read or close).
  char extra;
  const zip_int64_t tail = got == out.size() ? zip_fread(file, &extra, 1) : -1;
  zip_error_t* ferr = zip_file_get_error(file);
  const int code = zip_error_code_zip(ferr);
  std::string msg = zip_error_strerror(ferr);
  const int closed = zip_fclose(file);
  if (got != out.size() || tail != 0 || closed != 0) {
    return PolicyErr(code == ZIP_ER_CRC || closed == ZIP_ER_CRC ? PolicyErrorKind::kCrcMismatch
                                                                : PolicyErrorKind::kIo,
                     fmt::format("{}: cannot read entry '{}' ({} of {} bytes): {}", impl_->label,
                                 key, got, out.size(), msg));
  }
  return out;
}

}  // namespace kalshiflow::policy
