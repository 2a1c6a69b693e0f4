// Splitting comma-separated command-line values ("1,2,5", "64,64", "0.5,0.1,...").
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace kalshiflow::app {

/// The items of `text` split at every ',', each with surrounding spaces removed. Empty items
/// are kept (",1" gives {"", "1"}) so that callers can name them as errors; "" gives {""}.
inline std::vector<std::string> SplitCommaList(std::string_view text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (true) {
    const size_t end = std::min(text.find(',', start), text.size());
    std::string_view item = text.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    items.emplace_back(item);
    if (end == text.size()) return items;
    start = end + 1;
  }
}

}  // namespace kalshiflow::app
