#include "storage/levels_codec.h"

#include <fmt/core.h>

#include <iterator>
#include <nlohmann/json.hpp>

namespace kalshiflow::storage {
namespace {

// Reads a JSON integer that fits int64 (nlohmann keeps non-negative numbers as unsigned).
bool ReadInt64(const nlohmann::json& value, int64_t& out) {
  if (value.is_number_unsigned()) {
    auto u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return false;
    out = static_cast<int64_t>(u);
    return true;
  }
  if (value.is_number_integer()) {
    out = value.get<int64_t>();
    return true;
  }
  return false;
}

}  // namespace

std::string EncodeLevels(std::span<const core::PriceLevel> levels) {
  std::string out;
  out.reserve(2 + levels.size() * 16);
  out.push_back('[');
  for (size_t i = 0; i < levels.size(); ++i) {
    if (i > 0) out.push_back(',');
    fmt::format_to(std::back_inserter(out), "[{},{}]", levels[i].price.units(),
                   levels[i].count.units());
  }
  out.push_back(']');
  return out;
}

core::Result<std::vector<core::PriceLevel>> DecodeLevels(std::string_view text) {
  nlohmann::json doc = nlohmann::json::parse(text.begin(), text.end(), nullptr,
                                             /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_array()) {
    return core::DataLossError(
        fmt::format("snapshot levels are not a JSON array: '{}'", text.substr(0, 64)));
  }
  std::vector<core::PriceLevel> levels;
  levels.reserve(doc.size());
  for (size_t i = 0; i < doc.size(); ++i) {
    const nlohmann::json& pair = doc[i];
    int64_t price = 0;
    int64_t count = 0;
    if (!pair.is_array() || pair.size() != 2 || !ReadInt64(pair[0], price) ||
        !ReadInt64(pair[1], count)) {
      return core::DataLossError(
          fmt::format("snapshot level {} is not an [integer, integer] pair: '{}'", i, pair.dump()));
    }
    levels.push_back(
        core::PriceLevel{core::Price::FromUnits(price), core::Count::FromUnits(count)});
  }
  return levels;
}

}  // namespace kalshiflow::storage
