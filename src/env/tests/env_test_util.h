// Row builders and small data sets for the env tests.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/check.h"
#include "env/session_data.h"
#include "storage/rows.h"

namespace kalshiflow::env::testing {

/// (cents, contracts) levels.
using CentLevels = std::vector<std::pair<int64_t, int64_t>>;

inline std::vector<core::PriceLevel> ToLevels(const CentLevels& levels) {
  std::vector<core::PriceLevel> out;
  for (const auto& [cents, contracts] : levels) {
    out.push_back({core::Price::FromCents(cents), core::Count::FromContracts(contracts)});
  }
  return out;
}

/// A snapshot of `ticker` received at `local_ms` (+ `ns` nanoseconds).
inline storage::ReplayUpdate Snap(const std::string& ticker, int64_t local_ms,
                                  const CentLevels& yes, const CentLevels& no, int64_t ns = 0) {
  storage::SnapshotRow s;
  s.session_id = 1;
  s.market_ticker = ticker;
  s.sid = 1;
  s.local_ts = core::Timestamp::FromNanos(local_ms * 1'000'000 + ns);
  s.yes_bids = ToLevels(yes);
  s.no_bids = ToLevels(no);
  return s;
}

/// A delta of `contracts` at `cents` on `side` (its leg's price), received at `local_ms`.
inline storage::ReplayUpdate Delta(const std::string& ticker, int64_t local_ms,
                                   core::OutcomeSide side, int64_t cents, int64_t contracts,
                                   int64_t ns = 0) {
  storage::DeltaRow d;
  d.session_id = 1;
  d.market_ticker = ticker;
  d.sid = 1;
  d.exchange_ts_ms = local_ms;
  d.local_ts = core::Timestamp::FromNanos(local_ms * 1'000'000 + ns);
  d.side = side;
  d.price = core::Price::FromCents(cents);
  d.delta = core::Count::FromContracts(contracts);
  return d;
}

inline constexpr core::OutcomeSide kYes = core::OutcomeSide::kYes;
inline constexpr core::OutcomeSide kNo = core::OutcomeSide::kNo;

/// Numbers seq 1, 2, ... and sets the session id (for writing to a store).
inline void Sequence(std::vector<storage::ReplayUpdate>& rows, storage::SessionId id) {
  int64_t seq = 0;
  for (auto& row : rows) {
    std::visit(
        [&](auto& r) {
          r.session_id = id;
          r.seq = ++seq;
        },
        row);
  }
}

inline std::shared_ptr<const SessionData> MakeData(
    std::vector<SessionData::SessionInput> sessions) {
  auto data = SessionData::FromUpdates(std::move(sessions));
  KF_CHECK(data.ok(), "test data: {}", data.error().ToString());
  return std::make_shared<const SessionData>(std::move(data).value());
}

/// The hand-computed market (replay_env_test): 4 data points, 3 steps.
///   P0 t=1000: snapshot YES {45: 100, 44: 50}, NO {54: 100, 53: 50}   YES 0.45 / 0.46
///   P1 t=2000: YES 45 +20                                             YES 0.45 / 0.46
///   P2 t=3000: NO 54 -100 (level gone), YES 47 +30 (same ms)          YES 0.47 / 0.47
///   P3 t=4000: YES 44 -50 (level gone)                                YES 0.47 / 0.47
inline std::vector<storage::ReplayUpdate> HandMarket(const std::string& ticker = "KXHAND-26-A") {
  return {Snap(ticker, 1000, {{45, 100}, {44, 50}}, {{54, 100}, {53, 50}}),
          Delta(ticker, 2000, kYes, 45, 20), Delta(ticker, 3000, kNo, 54, -100),
          Delta(ticker, 3000, kYes, 47, 30, 1), Delta(ticker, 4000, kYes, 44, -50)};
}

/// A market of `points` data points 1 s apart whose YES bid walks 40, 41, 42, ... (NO bid
/// 100 - bid - 2): a snapshot then one delta pair per point.
inline std::vector<storage::ReplayUpdate> WalkMarket(const std::string& ticker, int points,
                                                     int64_t start_ms = 1000) {
  std::vector<storage::ReplayUpdate> rows;
  rows.push_back(Snap(ticker, start_ms, {{40, 100}}, {{58, 100}}));
  for (int p = 1; p < points; ++p) {
    const int64_t t = start_ms + 1000 * p;
    rows.push_back(Delta(ticker, t, kNo, 58 - (p - 1), -100, 0));
    rows.push_back(Delta(ticker, t, kNo, 58 - p, 100, 1));
    rows.push_back(Delta(ticker, t, kYes, 40 + p, 100, 2));
    rows.push_back(Delta(ticker, t, kYes, 40 + (p - 1), -100, 3));
  }
  return rows;
}

}  // namespace kalshiflow::env::testing
