// A read-only zip archive in memory (libzip), for SB3 model zips and the torch zip inside them.
// Internal to the policy module.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "policy/error.h"

namespace kalshiflow::policy {

/// Owns a copy of the archive bytes. Entries are read whole (at most kMaxEntryBytes each);
/// libzip verifies each entry's CRC-32 as it is read. Threading: single-threaded.
class ZipArchive {
 public:
  static constexpr uint64_t kMaxEntryBytes = uint64_t{1} << 30;

  /// kNotZip when `bytes` is not a zip archive (or is a damaged one); `label` names the
  /// archive in error messages.
  static PolicyResult<ZipArchive> Open(std::string bytes, std::string label);

  ZipArchive(ZipArchive&&) noexcept;
  ZipArchive& operator=(ZipArchive&&) noexcept;
  ~ZipArchive();

  const std::vector<std::string>& entry_names() const { return names_; }
  bool Contains(std::string_view name) const;
  /// The entry's bytes. kMissingEntry when absent; kCrcMismatch / kIo when libzip cannot
  /// decompress or verify it.
  PolicyResult<std::string> Read(std::string_view name) const;

 private:
  struct Impl;
  explicit ZipArchive(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::vector<std::string> names_;
};

}  // namespace kalshiflow::policy
