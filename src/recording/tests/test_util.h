// Helpers shared by the recording tests.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace kalshiflow::recording::testing {

/// A fresh temporary directory, removed with its contents at destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "kf-rec-XXXXXX").string();
    char* made = ::mkdtemp(tmpl.data());
    if (made == nullptr) std::abort();
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFileBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

/// The shared data directory (KF_SHARED_DIR, else ../shared) + "/data".
inline std::string SharedDataDir() {
  const char* env = std::getenv("KF_SHARED_DIR");
  return std::string(env != nullptr && *env != '\0' ? env : "../shared") + "/data";
}

/// The repository root (KF_SOURCE_DIR, else ".").
inline std::string SourceDir() {
  const char* env = std::getenv("KF_SOURCE_DIR");
  return env != nullptr && *env != '\0' ? env : ".";
}

}  // namespace kalshiflow::recording::testing
