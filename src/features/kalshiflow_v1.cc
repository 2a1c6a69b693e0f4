#include "features/kalshiflow_v1.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/check.h"
#include "features/book_stats.h"
#include "features/units.h"

namespace kalshiflow::features {

const std::array<std::string_view, kKalshiflowV1Size> kKalshiflowV1FeatureNames = {
    // market 0-20
    "best_yes_bid_norm", "best_yes_ask_norm", "best_no_bid_norm", "best_no_ask_norm",
    "yes_spread_norm", "no_spread_norm", "yes_mid_price_norm", "no_mid_price_norm",
    "yes_volume_norm", "no_volume_norm", "total_volume_norm", "volume_imbalance",
    "yes_side_imbalance", "no_side_imbalance", "yes_book_depth_norm", "no_book_depth_norm",
    "yes_liquidity_concentration", "no_liquidity_concentration", "arbitrage_opportunity",
    "market_efficiency", "cross_side_efficiency",
    // temporal 21-34
    "time_since_last_update", "time_of_day_norm", "day_of_week_norm", "current_activity_score",
    "activity_change", "update_frequency", "activity_burst_indicator", "quiet_period_indicator",
    "activity_trend", "price_momentum", "volatility_regime", "activity_consistency",
    "price_stability", "activity_persistence",
    // portfolio 35-46
    "cash_ratio", "position_ratio", "position_count_norm", "average_position_size_norm",
    "long_position_ratio", "short_position_ratio", "net_position_bias", "position_concentration",
    "largest_position_norm", "unrealized_pnl_ratio", "position_diversity", "leverage",
    // order 47-51 (always 0 in v1; names from the original's default_order_features comment)
    "has_open_buy", "has_open_sell", "buy_distance", "sell_distance", "time_since_order"};

// Spec "Market features 0-20": `.49 .51 .49 .51 .02 .02 .5 .5 .01 .01 .01 0 0 0 .1 .1 .5 .5 0 1 1`.
const std::array<double, kV1MarketCount> kKalshiflowV1PaddingMarketFeatures = {
    0.49, 0.51, 0.49, 0.51, 0.02, 0.02, 0.5, 0.5, 0.01, 0.01, 0.01,
    0.0,  0.0,  0.0,  0.1,  0.1,  0.5,  0.5, 0.0, 1.0,  1.0};

namespace {

double Clamp(double v, double lo, double hi) { return std::min(std::max(v, lo), hi); }

// numpy's float64 add.reduce on a contiguous array of n <= 128 elements (pairwise_sum in
// numpy/_core/src/umath/loops_utils.h.src): below 8 elements a plain left-to-right sum;
// otherwise eight interleaved partial sums, combined as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)),
// then the remainder in order. Used so np.mean / np.std values match the original bit for bit.
double NumpySum(const double* a, std::size_t n) {
  if (n < 8) {
    double res = 0.0;
    for (std::size_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  double r[8];
  for (std::size_t j = 0; j < 8; ++j) r[j] = a[j];
  std::size_t i = 8;
  for (; i < n - (n % 8); i += 8) {
    for (std::size_t j = 0; j < 8; ++j) r[j] += a[i + j];
  }
  double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
  for (; i < n; ++i) res += a[i];
  return res;
}

// np.mean: sum / n.
double Mean(const double* a, std::size_t n) { return NumpySum(a, n) / static_cast<double>(n); }

// np.std (population, ddof = 0): sqrt(sum((a - mean)^2) / n). n <= 16 here.
double PopulationStd(const double* a, std::size_t n) {
  const double mean = Mean(a, n);
  double sq[16];
  KF_DCHECK(n <= 16, "PopulationStd: {} values", n);
  for (std::size_t i = 0; i < n; ++i) sq[i] = (a[i] - mean) * (a[i] - mean);
  return std::sqrt(NumpySum(sq, n) / static_cast<double>(n));
}

// Least-squares slope of y against x = 0..n-1 (np.polyfit(range(n), y, 1)[0] up to rounding).
double Slope(const double* y, std::size_t n) {
  const double x_mean = static_cast<double>(n - 1) / 2.0;
  const double y_mean = Mean(y, n);
  double sxy = 0.0;
  double sxx = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double dx = static_cast<double>(i) - x_mean;
    sxy += dx * (y[i] - y_mean);
    sxx += dx * dx;
  }
  return sxy / sxx;
}

// Floor division and modulo for possibly negative times.
int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

void MarketFeaturesV1(const book::OrderBook* book, std::span<double, kV1MarketCount> f) {
  if (book == nullptr) {
    std::copy(kKalshiflowV1PaddingMarketFeatures.begin(), kKalshiflowV1PaddingMarketFeatures.end(),
              f.begin());
    return;
  }
  const BookStats s = SummarizeBook(*book);
  // Prices: the original divided integer cents by 100; with prices in 1/10,000 $ units the
  // same rational is units / 10,000, so one correctly rounded division gives the same double.
  f[0] = s.has_yes_bid ? static_cast<double>(s.best_yes_bid) / kPriceUnitsPerDollar : 0.5;
  f[1] = s.has_yes_ask() ? static_cast<double>(s.best_yes_ask()) / kPriceUnitsPerDollar : 0.5;
  f[2] = s.has_no_bid ? static_cast<double>(s.best_no_bid) / kPriceUnitsPerDollar : 0.5;
  f[3] = s.has_no_ask() ? static_cast<double>(s.best_no_ask()) / kPriceUnitsPerDollar : 0.5;
  // Spreads: (ask - bid) / 100 in cents, default 10 cents -> 0.1.
  const bool yes_both = s.has_yes_bid && s.has_yes_ask();
  const bool no_both = s.has_no_bid && s.has_no_ask();
  const double yes_spread =
      yes_both ? static_cast<double>(s.best_yes_ask() - s.best_yes_bid) / kPriceUnitsPerDollar
               : 0.1;
  const double no_spread =
      no_both ? static_cast<double>(s.best_no_ask() - s.best_no_bid) / kPriceUnitsPerDollar : 0.1;
  f[4] = Clamp(yes_spread, 0.001, 0.99);
  f[5] = Clamp(no_spread, 0.001, 0.99);
  // Mids: (bid + ask) / 200 in cents = twice_units / 20,000.
  const double mid_y = yes_both ? static_cast<double>(*s.yes_mid_twice()) / 20'000.0 : 0.5;
  const double mid_n = no_both ? static_cast<double>(*s.no_mid_twice()) / 20'000.0 : 0.5;
  f[6] = Clamp(mid_y, 0.01, 0.99);
  f[7] = Clamp(mid_n, 0.01, 0.99);
  // Volumes in contracts (Count units / 100; exact for whole contracts).
  const int64_t vy = s.yes_volume();
  const int64_t vn = s.no_volume();
  const int64_t v = s.total_volume();
  const double log_ref = std::log(1.0 + 10'000.0);
  f[8] = std::min(std::log(1.0 + static_cast<double>(vy) / kCountUnitsPerContract) / log_ref, 1.0);
  f[9] = std::min(std::log(1.0 + static_cast<double>(vn) / kCountUnitsPerContract) / log_ref, 1.0);
  f[10] = std::min(std::log(1.0 + static_cast<double>(v) / kCountUnitsPerContract) / log_ref, 1.0);
  // Ratios of sizes: exact integer numerators and denominators (the unit scale cancels).
  f[11] = v > 0 ? static_cast<double>(vy - vn) / static_cast<double>(v) : 0.0;
  f[12] = vy > 0 ? static_cast<double>(s.yes_bid_size - s.yes_ask_size()) / static_cast<double>(vy)
                 : 0.0;
  f[13] =
      vn > 0 ? static_cast<double>(s.no_bid_size - s.no_ask_size()) / static_cast<double>(vn) : 0.0;
  // Depth: YES side = YES bid levels + YES ask levels (= NO bid levels), likewise NO.
  const auto levels = static_cast<double>(s.yes_bid_levels + s.no_bid_levels);
  f[14] = std::min(levels / 20.0, 1.0);
  f[15] = std::min(levels / 20.0, 1.0);
  // Concentration: the 3 largest levels of a side's bids + asks = of both ladders.
  const bool any_levels = s.yes_bid_levels + s.no_bid_levels > 0;
  f[16] = any_levels && vy > 0 ? static_cast<double>(s.top3_size) / static_cast<double>(vy) : 0.5;
  f[17] = any_levels && vn > 0 ? static_cast<double>(s.top3_size) / static_cast<double>(vn) : 0.5;
  // Efficiency, in the original's operation order.
  f[18] = std::fabs((f[6] + f[7]) - 1.0);
  f[19] = std::max(0.0, 1.0 - f[18]);
  f[20] = std::max(0.0, 1.0 - 5.0 * std::fabs(f[6] - (1.0 - f[7])));
}

void TemporalFeaturesV1(const ObservationPoint& cur, const MarketHistory& hist,
                        const KalshiflowV1Options& options, std::span<double, kV1TemporalCount> f) {
  const std::size_t n = hist.size();
  const double act = cur.temporal.activity_score;

  // 21 time_since_last_update.
  const double gap = cur.temporal.time_gap_s > 0 ? cur.temporal.time_gap_s : 0.0;
  f[0] = std::min(gap / 300.0, 1.0);

  // 22 time_of_day_norm, 23 day_of_week_norm (feature time zone = fixed UTC offset).
  const int64_t local_ms = cur.ts_ms + int64_t{options.utc_offset_minutes} * 60'000;
  const int64_t days = FloorDiv(local_ms, 86'400'000);
  const int64_t hour = FloorDiv(local_ms - days * 86'400'000, 3'600'000);
  f[1] = (hour >= 9 && hour <= 16) ? static_cast<double>(hour - 9) / 7.0 : 0.0;
  const int64_t weekday = ((days + 3) % 7 + 7) % 7;  // 1970-01-01 was a Thursday; Monday = 0
  f[2] = static_cast<double>(weekday) / 6.0;

  // 24 current_activity_score.
  f[3] = act;

  // 25 activity_change, 26 update_frequency.
  if (n >= 1) {
    f[4] = std::tanh(act - hist.back().temporal.activity_score);
    const std::size_t r = std::min<std::size_t>(n, 5);  // r = hist[-5:]
    if (r >= 2) {
      const double span_s = static_cast<double>(cur.ts_ms - hist[n - r].ts_ms) / 1000.0;
      const double freq = static_cast<double>(r) / std::max(span_s, 1.0);
      f[5] = std::min(freq / 2.0, 1.0);
    } else {
      f[5] = 0.1;
    }
  } else {
    f[4] = 0.0;
    f[5] = 0.1;
  }

  // w = activity of hist[-10:] + [cur].
  double w[MarketHistory::kCapacity + 1];
  const std::size_t w_hist = std::min<std::size_t>(n, 10);
  for (std::size_t i = 0; i < w_hist; ++i) w[i] = hist[n - w_hist + i].temporal.activity_score;
  w[w_hist] = act;
  const std::size_t wn = w_hist + 1;

  // 27 activity_burst_indicator, 28 quiet_period_indicator, 29 activity_trend.
  if (wn >= 3) {
    const double mean = Mean(w, wn);
    const double std = PopulationStd(w, wn);
    f[6] = act > mean + 1.5 * std ? 1.0 : 0.0;
    f[7] = act < mean - 1.0 * std ? 1.0 : 0.0;
    f[8] = wn >= 5 ? std::tanh(Slope(w, wn) * 10.0) : 0.0;
  } else {
    f[6] = 0.0;
    f[7] = 0.0;
    f[8] = 0.0;
  }

  // 30 price_momentum.
  f[9] = cur.temporal.momentum;

  // 31 volatility_regime: consecutive pairs of hist[-5:] + [cur]; a pair with an absent YES
  // mid is skipped (the original compared mids only when both were present).
  if (n >= 5) {
    double changes[5];
    std::size_t nc = 0;
    for (std::size_t i = 0; i < 5; ++i) {
      const ObservationPoint& a = hist[n - 5 + i];
      const ObservationPoint& b = i + 1 < 5 ? hist[n - 4 + i] : cur;
      if (a.yes_mid_cents && b.yes_mid_cents) {
        changes[nc++] = std::fabs(*b.yes_mid_cents - *a.yes_mid_cents);
      }
    }
    f[10] = nc > 0 ? std::min(PopulationStd(changes, nc) / 5.0, 1.0) : 0.1;
  } else {
    f[10] = 0.1;
  }

  // 32 activity_consistency: std of activity over hist[-5:] + [cur].
  if (n >= 5) {
    double a6[6];
    for (std::size_t i = 0; i < 5; ++i) a6[i] = hist[n - 5 + i].temporal.activity_score;
    a6[5] = act;
    f[11] = std::max(0.0, 1.0 - PopulationStd(a6, 6) / 0.3);
  } else {
    f[11] = 0.5;
  }

  // 33 price_stability: transitions (hist[i-1], hist[i]) for i in the last 3 indexes of hist,
  // i > 0, both mids present; cur is not included.
  if (n >= 3) {
    double changes[3];
    std::size_t nc = 0;
    for (std::size_t i = n - 3; i < n; ++i) {
      if (i == 0) continue;
      const ObservationPoint& a = hist[i - 1];
      const ObservationPoint& b = hist[i];
      if (a.yes_mid_cents && b.yes_mid_cents) {
        changes[nc++] = std::fabs(*b.yes_mid_cents - *a.yes_mid_cents);
      }
    }
    f[12] = nc > 0 ? std::max(0.0, 1.0 - Mean(changes, nc) / 5.0) : 0.5;
  } else {
    f[12] = 0.5;
  }

  // 34 activity_persistence: c = 1, then +1 for each of up to 9 latest hist points (newest
  // first) while |act(h) - act(cur)| <= 0.1.
  if (n >= 3) {
    int c = 1;
    for (std::size_t k = 0; k < std::min<std::size_t>(n, 9); ++k) {
      if (std::fabs(hist[n - 1 - k].temporal.activity_score - act) > 0.1) break;
      ++c;
    }
    f[13] = std::min(static_cast<double>(c) / 10.0, 1.0);
  } else {
    f[13] = 0.0;
  }
}

void PortfolioFeaturesV1(const PortfolioInput& p, std::span<double, kV1PortfolioCount> f) {
  std::fill(f.begin(), f.end(), 0.0);
  const int64_t pv_units = p.portfolio_value.units();
  // pv <= 0.01 cent (= 100 Money units): cash_ratio = 1, all else 0.
  if (pv_units <= 100) {
    f[0] = 1.0;
    return;
  }
  const double pv = MoneyToCents(p.portfolio_value);
  const int64_t cash_units = p.cash.units();
  // c / pv and (pv - c) / pv: the cent scale cancels, so divide the exact integers.
  f[0] = Clamp(static_cast<double>(cash_units) / static_cast<double>(pv_units), 0.0, 1.0);
  f[1] =
      Clamp(static_cast<double>(pv_units - cash_units) / static_cast<double>(pv_units), 0.0, 1.0);

  int64_t n = 0;
  int64_t longs = 0;
  int64_t shorts = 0;
  int64_t sum_abs = 0;  // Count units
  int64_t sum_pos = 0;  // Count units
  int64_t largest = 0;  // the position with the largest |pos| (first one on ties)
  double max_val = 0.0;
  double sum_val = 0.0;
  double unrealized = 0.0;
  for (const PositionInput& position : p.positions) {
    const int64_t pos = position.position.units();
    if (pos == 0) continue;
    ++n;
    (pos > 0 ? longs : shorts) += 1;
    const int64_t abs_pos = pos < 0 ? -pos : pos;
    if (abs_pos > (largest < 0 ? -largest : largest)) largest = pos;
    sum_abs += abs_pos;
    sum_pos += pos;
    // yes_mid_price = clamp(mid_y, 0.01, 0.99), or 0.5 without a YES mid;
    // val = |pos| * (yes_mid_price * 100.0) in the original's operation order (cents).
    const double ymp =
        position.yes_mid_twice
            ? Clamp(static_cast<double>(*position.yes_mid_twice) / 20'000.0, 0.01, 0.99)
            : 0.5;
    const double val = (static_cast<double>(abs_pos) / kCountUnitsPerContract) * (ymp * 100.0);
    max_val = n == 1 ? val : std::max(max_val, val);
    sum_val += val;
    unrealized += val - MoneyToCents(position.cost_basis);
  }
  if (n == 0) return;  // 37-46 stay 0
  const auto nd = static_cast<double>(n);
  const double sum_abs_contracts = static_cast<double>(sum_abs) / kCountUnitsPerContract;
  f[2] = std::min(nd / 10.0, 1.0);                                                         // 37
  f[3] = std::min((sum_abs_contracts / nd) / 1000.0, 1.0);                                 // 38
  f[4] = static_cast<double>(longs) / nd;                                                  // 39
  f[5] = static_cast<double>(shorts) / nd;                                                 // 40
  f[6] = std::tanh(static_cast<double>(sum_pos) / static_cast<double>(sum_abs));           // 41
  f[7] = std::min(max_val / pv, 1.0);                                                      // 42
  f[8] = std::min((static_cast<double>(largest) / kCountUnitsPerContract) / 1000.0, 1.0);  // 43
  f[9] = std::tanh(unrealized / pv);                                                       // 44
  // 45 position_diversity: T = sum|pos|, H = sum (|pos|/T)^2, Hmin = 1/n.
  double h = 0.0;
  for (const PositionInput& position : p.positions) {
    const int64_t pos = position.position.units();
    if (pos == 0) continue;
    const double share = static_cast<double>(pos < 0 ? -pos : pos) / static_cast<double>(sum_abs);
    h += share * share;
  }
  const double h_min = 1.0 / nd;
  f[10] = h_min < 1.0 ? 1.0 - (h - h_min) / (1.0 - h_min) : 1.0;
  f[11] = std::min(sum_val / pv, 2.0) / 2.0;  // 46
}

void FinalizeObservation(std::span<const double> raw, std::span<float> out) {
  KF_CHECK(raw.size() == out.size(), "FinalizeObservation: {} values into {} floats", raw.size(),
           out.size());
  // Smallest double that rounds to +inf as float32: the midpoint between FLT_MAX and 2^128
  // (ties go to even, i.e. to infinity).
  constexpr double kFloatOverflow = 340282356779733661637539395458142568448.0;  // 2^128 - 2^103
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const double d = raw[i];
    float v;
    if (std::isnan(d)) {
      v = 0.0f;
    } else if (d >= kFloatOverflow) {
      v = 1.0f;  // float32 +inf -> nan_to_num posinf = 1
    } else if (d <= -kFloatOverflow) {
      v = -1.0f;
    } else {
      v = std::clamp(static_cast<float>(d), -2.0f, 2.0f);
    }
    out[i] = v;
  }
}

void BuildKalshiflowV1(const ObservationInputs& in, std::span<float> out,
                       const KalshiflowV1Options& options) {
  KF_CHECK(out.size() == kKalshiflowV1Size, "kalshiflow-v1 needs {} floats, got {}",
           kKalshiflowV1Size, out.size());
  if (in.past_end_of_data) {
    std::fill(out.begin(), out.end(), 0.0f);
    return;
  }
  static const MarketHistory kNoHistory;
  std::array<double, kKalshiflowV1Size> raw;
  const std::span<double, kKalshiflowV1Size> all(raw);
  MarketFeaturesV1(in.book, all.subspan<kV1MarketBegin, kV1MarketCount>());
  TemporalFeaturesV1(in.current, in.history != nullptr ? *in.history : kNoHistory, options,
                     all.subspan<kV1TemporalBegin, kV1TemporalCount>());
  PortfolioFeaturesV1(in.portfolio, all.subspan<kV1PortfolioBegin, kV1PortfolioCount>());
  // 47-51: zeros in kalshiflow-v1 (spec "Order features"); in.orders is deliberately unused.
  std::fill(raw.begin() + kV1OrderBegin, raw.end(), 0.0);
  FinalizeObservation(raw, out);
}

}  // namespace kalshiflow::features
