#include "recording/calibration.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "recording/io.h"

namespace kalshiflow::recording {
namespace {

core::Result<std::string> ReadWholeFile(const std::string& path) {
  KF_ASSIGN_OR_RETURN(auto src, ByteSource::Open(path));
  std::string out;
  char buf[1 << 16];
  while (true) {
    KF_ASSIGN_OR_RETURN(std::size_t got, src->Read(buf, sizeof(buf)));
    if (got == 0) break;
    out.append(buf, got);
  }
  return out;
}

std::vector<WeightedValue> ToTable(const std::map<int64_t, int64_t>& counts) {
  std::vector<WeightedValue> out;
  for (const auto& [v, w] : counts) out.push_back({v, w});
  return out;
}

nlohmann::json TableJson(const std::vector<WeightedValue>& t) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& e : t) j.push_back({e.value, e.weight});
  return j;
}

std::string TableText(const std::vector<WeightedValue>& t) {
  std::string s;
  int64_t total = 0;
  for (const auto& e : t) total += e.weight;
  for (const auto& e : t) s += fmt::format("{}{}x{}", s.empty() ? "" : " ", e.value, e.weight);
  return fmt::format("{} (n={})", s, total);
}

// Empirical quantile summary of a table (for the text report).
int64_t TableQuantile(const std::vector<WeightedValue>& t, int32_t per_million) {
  int64_t total = 0;
  for (const auto& e : t) total += e.weight;
  int64_t cum = 0;
  for (const auto& e : t) {
    cum += e.weight;
    if (cum * 1'000'000 >= static_cast<int64_t>(per_million) * total) return e.value;
  }
  return t.empty() ? 0 : t.back().value;
}

}  // namespace

nlohmann::json DepthCalibration::ToJson() const {
  nlohmann::json q = nlohmann::json::object();
  for (const auto& p : order_size_quantiles) {
    q[fmt::format("p{}", p.per_million / 10'000.0)] = p.value;
  }
  return {
      {"orderbook_data",
       {{"books", books},
        {"nonempty_sides", nonempty_sides},
        {"levels", levels},
        {"levels_per_side", TableJson(levels_per_side)},
        {"levels_per_side_mode", levels_per_side_mode},
        {"first_gap_cents", TableJson(first_gap_cents)},
        {"deeper_gap_cents", TableJson(deeper_gap_cents)},
        {"best_level_contracts", TableJson(best_level_contracts)},
        {"deeper_level_contracts", TableJson(deeper_level_contracts)}}},
      {"algo_analysis",
       {{"orders", orders},
        {"order_size_min", order_size_min},
        {"order_size_max", order_size_max},
        {"order_size_quantiles", q}}},
      {"order_size_cap_per_million", order_size_cap_per_million},
  };
}

const DepthCalibration& DefaultCalibration() {
  // Measured by CalibrateFromSharedData("../shared/data") (test: calibration_test.cc).
  static const DepthCalibration kDefault = [] {
    DepthCalibration c;
    c.books = 100;
    c.nonempty_sides = 75;
    c.levels = 222;
    c.levels_per_side = {{1, 2}, {2, 3}, {3, 68}, {5, 2}};
    c.levels_per_side_mode = 3;
    c.first_gap_cents = {{1, 23}, {2, 46}, {3, 3}, {7, 1}};
    c.deeper_gap_cents = {{1, 38}, {2, 30}, {3, 5}, {4, 1}};
    c.best_level_contracts = {{10, 2}, {15, 5}, {19, 1},  {30, 12}, {40, 2},  {45, 10}, {60, 14},
                              {75, 8}, {90, 7}, {100, 6}, {105, 5}, {135, 2}, {150, 1}};
    c.deeper_level_contracts = {{13, 2}, {15, 1}, {19, 1}, {100, 33}, {150, 110}};
    c.orders = 12'850'169;
    c.order_size_min = 1;
    c.order_size_max = 8'890'119;
    c.order_size_quantiles = {{50'000, 6},       {100'000, 20},     {250'000, 188},
                              {500'000, 756},    {750'000, 3'000},  {900'000, 14'988},
                              {950'000, 69'998}, {990'000, 808'555}};
    return c;
  }();
  return kDefault;
}

core::Result<DepthCalibration> CalibrateFromFiles(const std::string& orderbook_data,
                                                  const std::vector<std::string>& algo_analysis) {
  DepthCalibration c;
  // ---- real REST books ----
  KF_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(orderbook_data));
  nlohmann::json books = nlohmann::json::parse(text, nullptr, false);
  if (books.is_discarded() || !books.is_array()) {
    return core::InvalidArgumentError(fmt::format("{}: not a JSON array", orderbook_data));
  }
  std::map<int64_t, int64_t> depth, gap1, gapn, size0, sizen;
  for (std::size_t i = 0; i < books.size(); ++i) {
    const auto& entry = books[i];
    if (!entry.is_object() || entry.size() != 1) {
      return core::InvalidArgumentError(fmt::format(
          "{}: element {} is not a one-key object {{TICKER: book}}", orderbook_data, i));
    }
    ++c.books;
    const auto& book = entry.begin().value();
    for (const char* side : {"_yes", "_no"}) {
      if (!book.is_object()) {
        return core::InvalidArgumentError(
            fmt::format("{}: element {} book is not an object", orderbook_data, i));
      }
      auto it = book.find(side);
      if (it == book.end() || it->is_null()) continue;
      if (!it->is_array()) {
        return core::InvalidArgumentError(
            fmt::format("{}: element {} {} is not an array", orderbook_data, i, side));
      }
      std::vector<std::pair<int64_t, int64_t>> levels;
      for (const auto& lv : *it) {
        if (!lv.is_array() || lv.size() != 2 || !lv[0].is_number_integer() ||
            !lv[1].is_number_integer() || lv[0].get<int64_t>() < 1 || lv[0].get<int64_t>() > 99 ||
            lv[1].get<int64_t>() <= 0) {
          return core::InvalidArgumentError(fmt::format(
              "{}: element {} {}: level is not [cents 1..99, qty > 0]", orderbook_data, i, side));
        }
        levels.emplace_back(lv[0].get<int64_t>(), lv[1].get<int64_t>());
      }
      if (levels.empty()) continue;
      // Best (highest) price first; the file lists levels ascending.
      std::sort(levels.begin(), levels.end(), [](auto a, auto b) { return a.first > b.first; });
      ++c.nonempty_sides;
      c.levels += static_cast<int64_t>(levels.size());
      ++depth[static_cast<int64_t>(levels.size())];
      for (std::size_t k = 0; k < levels.size(); ++k) {
        ++(k == 0 ? size0 : sizen)[levels[k].second];
        if (k == 1) ++gap1[levels[0].first - levels[1].first];
        if (k >= 2) ++gapn[levels[k - 1].first - levels[k].first];
      }
    }
  }
  c.levels_per_side = ToTable(depth);
  int64_t best_weight = -1;
  for (const auto& [d, w] : depth) {
    if (w > best_weight) {
      best_weight = w;
      c.levels_per_side_mode = static_cast<int>(d);
    }
  }
  c.first_gap_cents = ToTable(gap1);
  c.deeper_gap_cents = ToTable(gapn);
  c.best_level_contracts = ToTable(size0);
  c.deeper_level_contracts = ToTable(sizen);

  // ---- order-size histograms ----
  std::map<int64_t, int64_t> sizes;
  for (const std::string& path : algo_analysis) {
    KF_ASSIGN_OR_RETURN(std::string body, ReadWholeFile(path));
    nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("market_profiles") ||
        !j["market_profiles"].is_object()) {
      return core::InvalidArgumentError(
          fmt::format("{}: expected an object with \"market_profiles\"", path));
    }
    for (const auto& [market, profile] : j["market_profiles"].items()) {
      if (!profile.is_object() || !profile.contains("order_size_distribution") ||
          !profile["order_size_distribution"].is_object()) {
        return core::InvalidArgumentError(fmt::format(
            "{}: market_profiles.{} has no order_size_distribution object", path, market));
      }
      for (const auto& [key, count] : profile["order_size_distribution"].items()) {
        int64_t size = 0;
        const auto res = std::from_chars(key.data(), key.data() + key.size(), size);
        if (res.ec != std::errc() || res.ptr != key.data() + key.size() || size <= 0 ||
            !count.is_number_integer() || count.get<int64_t>() < 0) {
          return core::InvalidArgumentError(
              fmt::format("{}: market_profiles.{}.order_size_distribution[\"{}\"] is not "
                          "positive-size -> count",
                          path, market, key));
        }
        sizes[size] += count.get<int64_t>();
      }
    }
  }
  for (const auto& [s, n] : sizes) c.orders += n;
  if (c.orders == 0) {
    return core::InvalidArgumentError("order-size histograms are empty");
  }
  c.order_size_min = sizes.begin()->first;
  c.order_size_max = sizes.rbegin()->first;
  const auto table = ToTable(sizes);
  for (int32_t q : kOrderSizeQuantiles)
    c.order_size_quantiles.push_back({q, TableQuantile(table, q)});
  return c;
}

core::Result<DepthCalibration> CalibrateFromSharedData(const std::string& data_dir) {
  const std::string stats = data_dir + "/kalshiflow/orderbook_derived_stats/";
  return CalibrateFromFiles(
      data_dir + "/kalshi-data/orderbook_data.json",
      {stats + "algo_analysis_session_32.json", stats + "algo_analysis_session_72.json"});
}

std::string CalibrationSummary(const DepthCalibration& c) {
  std::string s;
  s += fmt::format("orderbook_data.json: {} books, {} non-empty sides, {} levels\n", c.books,
                   c.nonempty_sides, c.levels);
  s += fmt::format("  levels per non-empty side: {} -> model depth {}\n",
                   TableText(c.levels_per_side), c.levels_per_side_mode);
  s += fmt::format("  gap best->2nd (cents): {}\n", TableText(c.first_gap_cents));
  s += fmt::format("  gap deeper (cents):    {}\n", TableText(c.deeper_gap_cents));
  s += fmt::format("  best level size (contracts): {}\n", TableText(c.best_level_contracts));
  s += fmt::format("    median {} p10 {} p90 {}\n", TableQuantile(c.best_level_contracts, 500'000),
                   TableQuantile(c.best_level_contracts, 100'000),
                   TableQuantile(c.best_level_contracts, 900'000));
  s += fmt::format("  deeper level size (contracts): {}\n", TableText(c.deeper_level_contracts));
  s +=
      fmt::format("    median {} p10 {} p90 {}\n", TableQuantile(c.deeper_level_contracts, 500'000),
                  TableQuantile(c.deeper_level_contracts, 100'000),
                  TableQuantile(c.deeper_level_contracts, 900'000));
  s += fmt::format("algo_analysis sessions 32+72: {} orders, size min {} max {}\n", c.orders,
                   c.order_size_min, c.order_size_max);
  s += "  order-size quantiles (contracts):";
  for (const auto& q : c.order_size_quantiles) {
    s += fmt::format(" p{}={}", q.per_million / 10'000.0, q.value);
  }
  s += fmt::format("\n  model draws new orders below p{} (cap)\n",
                   c.order_size_cap_per_million / 10'000.0);
  return s;
}

}  // namespace kalshiflow::recording
