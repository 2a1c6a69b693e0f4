// Helpers shared by the kalshi tests: reading golden files.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/fixed_point.h"
#include "core/market.h"

// gtest printers (found by ADL) so that failures show "0.4800" instead of raw bytes.
namespace kalshiflow::core {
inline void PrintTo(Price value, std::ostream* os) { *os << value.ToString(); }
inline void PrintTo(Count value, std::ostream* os) { *os << value.ToString(); }
inline void PrintTo(Money value, std::ostream* os) { *os << value.ToString(); }
inline void PrintTo(const PriceLevel& level, std::ostream* os) {
  *os << "[" << level.price.ToString() << ", " << level.count.ToString() << "]";
}
}  // namespace kalshiflow::core

namespace kalshiflow::kalshi::testing {

inline core::Price P(int64_t units) { return core::Price::FromUnits(units); }
inline core::Count C(int64_t units) { return core::Count::FromUnits(units); }
inline core::Money M(int64_t units) { return core::Money::FromUnits(units); }

template <typename T>
std::vector<T> ToVector(std::span<const T> items) {
  return std::vector<T>(items.begin(), items.end());
}

/// Repository root: $KF_SOURCE_DIR (set by CTest), else the working directory.
inline std::filesystem::path SourceDir() {
  const char* dir = std::getenv("KF_SOURCE_DIR");
  return dir != nullptr ? std::filesystem::path(dir) : std::filesystem::current_path();
}

inline std::filesystem::path GoldenDir() { return SourceDir() / "src/kalshi/tests/golden"; }

/// Contents of golden/<relative>; empty string if missing (tests then fail on decode).
inline std::string ReadGolden(std::string_view relative) {
  std::ifstream in(GoldenDir() / relative, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

/// Relative paths ("current/x.json") of every golden file in `folder`, sorted.
inline std::vector<std::string> GoldenFiles(std::string_view folder) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(GoldenDir() / folder, ec)) {
    if (entry.path().extension() == ".json") {
      files.push_back(std::string(folder) + "/" + entry.path().filename().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace kalshiflow::kalshi::testing
