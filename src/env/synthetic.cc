#include "env/synthetic.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "core/check.h"
#include "core/rng.h"

namespace kalshiflow::env {
namespace {

using Ladder = std::map<int64_t, int64_t>;  // price units -> Count units

struct MarketState {
  std::string ticker;
  double x = 0.5;
  Ladder yes, no;
};

int64_t Contracts(core::Rng& rng, const SyntheticMarketOptions& o) {
  return rng.UniformInt(o.min_level_contracts, o.max_level_contracts) *
         core::Count::kUnitsPerContract;
}

// New ladders for mid x: YES bids at b, b-1, ... and NO bids at 100-a, 99-a, ... cents
// (a = b + spread). A level that exists already is resized with resize_probability.
void Quote(core::Rng& rng, const SyntheticMarketOptions& o, MarketState& m) {
  const int64_t spread = rng.UniformInt(o.min_spread_cents, o.max_spread_cents);
  const double mid_cents = m.x * 100.0;
  int64_t bid = std::llround(mid_cents - static_cast<double>(spread) / 2.0);
  bid = std::clamp<int64_t>(bid, o.levels + 1, 99 - spread - o.levels);
  const int64_t ask = bid + spread;
  auto fill = [&](const Ladder& old, int64_t best_cents) {
    Ladder next;
    for (int l = 0; l < o.levels; ++l) {
      const int64_t price = (best_cents - l) * core::Price::kUnitsPerCent;
      auto it = old.find(price);
      next[price] = (it != old.end() && !rng.Bernoulli(o.resize_probability)) ? it->second
                                                                              : Contracts(rng, o);
    }
    return next;
  };
  m.yes = fill(m.yes, bid);
  m.no = fill(m.no, 100 - ask);
}

std::vector<core::PriceLevel> Levels(const Ladder& ladder) {
  std::vector<core::PriceLevel> out;
  for (const auto& [price, count] : ladder) {
    out.push_back({core::Price::FromUnits(price), core::Count::FromUnits(count)});
  }
  return out;
}

}  // namespace

std::vector<storage::ReplayUpdate> SyntheticSessionUpdates(storage::SessionId id,
                                                           const SyntheticMarketOptions& o) {
  KF_CHECK(o.points >= 1 && o.markets >= 1 && o.levels >= 1,
           "synthetic: points {} markets {} "
           "levels {}",
           o.points, o.markets, o.levels);
  KF_CHECK(o.min_spread_cents >= 1 && o.max_spread_cents <= 10 &&
               o.min_spread_cents <= o.max_spread_cents,
           "synthetic: spreads [{}, {}]", o.min_spread_cents, o.max_spread_cents);
  KF_CHECK(o.min_level_contracts >= 1 && o.min_level_contracts <= o.max_level_contracts,
           "synthetic: level sizes");
  KF_CHECK(o.min_gap_ms >= 1 && o.min_gap_ms <= o.max_gap_ms, "synthetic: gaps");
  core::Rng rng(o.seed);
  std::vector<MarketState> markets(static_cast<std::size_t>(o.markets));
  for (int i = 0; i < o.markets; ++i) {
    markets[static_cast<std::size_t>(i)].ticker = fmt::format("KXSYNTH-26JAN01-M{}", i);
    markets[static_cast<std::size_t>(i)].x = o.mean;
  }
  std::vector<storage::ReplayUpdate> rows;
  int64_t seq = 0;
  int64_t ts_ms = o.start_ms;
  for (int p = 0; p < o.points; ++p) {
    if (p > 0) ts_ms += rng.UniformInt(o.min_gap_ms, o.max_gap_ms);
    int64_t k = 0;  // update number within the point (ns offset)
    auto local = [&]() { return core::Timestamp::FromNanos(ts_ms * 1'000'000 + k++); };
    for (MarketState& m : markets) {
      if (p > 0) {
        m.x += o.reversion * (o.mean - m.x) + o.volatility * rng.Normal();
        m.x = std::clamp(m.x, 0.05, 0.95);
      }
      const Ladder old_yes = m.yes, old_no = m.no;
      Quote(rng, o, m);
      if (p == 0 || !o.deltas) {
        storage::SnapshotRow s;
        s.session_id = id;
        s.market_ticker = m.ticker;
        s.sid = 1;
        s.seq = ++seq;
        s.local_ts = local();
        s.yes_bids = Levels(m.yes);
        s.no_bids = Levels(m.no);
        rows.emplace_back(std::move(s));
        continue;
      }
      // Deltas: all decreases / removals first, then increases / insertions.
      for (int pass = 0; pass < 2; ++pass) {
        for (core::OutcomeSide side : {core::OutcomeSide::kYes, core::OutcomeSide::kNo}) {
          const Ladder& before = side == core::OutcomeSide::kYes ? old_yes : old_no;
          const Ladder& after = side == core::OutcomeSide::kYes ? m.yes : m.no;
          Ladder prices = before;
          prices.insert(after.begin(), after.end());
          for (const auto& [price, unused] : prices) {
            auto b = before.find(price);
            auto a = after.find(price);
            const int64_t change =
                (a == after.end() ? 0 : a->second) - (b == before.end() ? 0 : b->second);
            if (change == 0 || (pass == 0) != (change < 0)) continue;
            storage::DeltaRow d;
            d.session_id = id;
            d.market_ticker = m.ticker;
            d.sid = 1;
            d.seq = ++seq;
            d.exchange_ts_ms = ts_ms;
            d.local_ts = local();
            d.side = side;
            d.price = core::Price::FromUnits(price);
            d.delta = core::Count::FromUnits(change);
            rows.emplace_back(std::move(d));
          }
        }
      }
    }
  }
  return rows;
}

core::Result<SessionData> SyntheticSessionData(const SyntheticMarketOptions& options,
                                               int sessions) {
  if (sessions < 1) return core::InvalidArgumentError("synthetic: sessions < 1");
  std::vector<SessionData::SessionInput> inputs;
  for (int s = 1; s <= sessions; ++s) {
    SyntheticMarketOptions o = options;
    o.seed = options.seed + static_cast<uint64_t>(s - 1);
    inputs.push_back({s, SyntheticSessionUpdates(s, o)});
  }
  return SessionData::FromUpdates(std::move(inputs));
}

}  // namespace kalshiflow::env
