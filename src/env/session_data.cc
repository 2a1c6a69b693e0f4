#include "env/session_data.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <variant>

#include "book/order_book.h"
#include "core/check.h"
#include "features/data_point_clock.h"

namespace kalshiflow::env {
namespace {

// Builds one SessionReplay from its updates in arrival order: applies every row to a fresh
// book per market (as src/feed/integrity.cc rebuilds stored sessions), keeps the accepted
// rows of the selected markets, groups them into data points, and feeds every accepted row
// of every market to the session temporal tracker (loader path).
class SessionBuilder {
 public:
  SessionBuilder(storage::SessionId id, const LoadOptions& options) : options_(options) {
    session_.id = id;
  }

  // Time base of data points (ts_ms): the exchange's clock (Kalshi's `ts_ms` of deltas) when
  // the session's rows carry it, else local receive time. Rows without an exchange time
  // (snapshots) take their local time shifted by the session's exchange - local offset,
  // measured at the first row that has both; the result is kept non-decreasing in arrival
  // order. Why: a recording replayed faster than real time (the demo replays three days in
  // under a second) keeps its real timing only in the exchange times; live, the two clocks
  // differ by the network latency. Rows before the first exchange time wait in `pending_`.
  core::Status Add(const storage::ReplayUpdate& update) {
    const core::Timestamp local_ts = storage::UpdateLocalTs(update);
    if (rows_seen_ > 0 && local_ts < last_local_ts_) {
      return core::InvalidArgumentError(fmt::format(
          "session {}: update {} has local time {} before the previous update's {} (updates "
          "must be in arrival order)",
          session_.id, rows_seen_, local_ts.ToIso8601(), last_local_ts_.ToIso8601()));
    }
    last_local_ts_ = local_ts;
    ++rows_seen_;
    const std::optional<int64_t> exchange_ms = std::visit(
        [](const auto& row) { return features::DataPointClock::ExchangeTime(row.exchange_ts_ms); },
        update);
    if (clock_.NeedsHold(exchange_ms)) {
      pending_.push_back(update);
      return core::Status::Ok();
    }
    if (!clock_.calibrated()) {
      clock_.Calibrate(exchange_ms, local_ts.millis());
      session_.stats.exchange_clock = true;
      for (const auto& waiting : pending_) KF_RETURN_IF_ERROR(Process(waiting, std::nullopt));
      pending_.clear();
    }
    return Process(update, exchange_ms);
  }

  core::Status Process(const storage::ReplayUpdate& update, std::optional<int64_t> exchange_ms) {
    const bool is_snapshot = std::holds_alternative<storage::SnapshotRow>(update);
    const core::Timestamp local_ts = storage::UpdateLocalTs(update);
    const int64_t ts_ms = clock_.Assign(exchange_ms, local_ts.millis());
    ++session_.stats.rows;
    const std::string& ticker = is_snapshot ? std::get<storage::SnapshotRow>(update).market_ticker
                                            : std::get<storage::DeltaRow>(update).market_ticker;
    Market& market = MarketFor(ticker);

    MarketUpdate stored;
    stored.local_ns = local_ts.nanos();
    if (is_snapshot) {
      const auto& s = std::get<storage::SnapshotRow>(update);
      if (market.book.ApplySnapshot(s.yes_bids, s.no_bids).has_value()) {
        ++session_.stats.skipped_refused;
        return core::Status::Ok();
      }
      stored.kind = MarketUpdate::Kind::kSnapshot;
      if (market.selected) {
        auto& levels = session_.markets[market.stream_index].levels;
        KF_CHECK(levels.size() + s.yes_bids.size() + s.no_bids.size() <=
                     std::numeric_limits<uint32_t>::max(),
                 "market {}: too many snapshot levels", ticker);
        stored.levels_begin = static_cast<uint32_t>(levels.size());
        stored.yes_count = static_cast<uint32_t>(s.yes_bids.size());
        stored.no_count = static_cast<uint32_t>(s.no_bids.size());
        levels.insert(levels.end(), s.yes_bids.begin(), s.yes_bids.end());
        levels.insert(levels.end(), s.no_bids.begin(), s.no_bids.end());
      }
    } else {
      const auto& d = std::get<storage::DeltaRow>(update);
      auto applied = market.book.ApplyDelta(d.side, d.price, d.delta);
      if (!applied.ok()) {
        if (applied.error() == book::BookError::kNoSnapshot) {
          ++session_.stats.skipped_no_snapshot;
        } else {
          ++session_.stats.skipped_refused;
        }
        return core::Status::Ok();
      }
      stored.kind = MarketUpdate::Kind::kDelta;
      stored.side = d.side;
      stored.price_units = static_cast<int32_t>(d.price.units());
      stored.delta_units = d.delta.units();
    }
    ++session_.stats.accepted;

    const features::TrackerUpdate tracker_update =
        features::MakeTrackerUpdate(market.index, ts_ms, market.book);
    tracker_updates_.push_back(tracker_update);
    if (tracker_updates_.size() == 1 ||
        tracker_updates_[tracker_updates_.size() - 2].ts_ms != ts_ms) {
      ++session_.stats.session_points;
    }
    if (!market.selected) {
      point_of_update_.push_back(kNotKept);
      return core::Status::Ok();
    }
    MarketStream& stream = session_.markets[market.stream_index];
    KF_CHECK(stream.updates.size() < std::numeric_limits<uint32_t>::max(),
             "market {}: too many updates", ticker);
    stream.updates.push_back(stored);
    if (stream.points.empty() || stream.points.back().ts_ms != ts_ms) {
      stream.points.push_back(MarketPoint{});
      stream.points.back().ts_ms = ts_ms;
    }
    MarketPoint& point = stream.points.back();
    point.end = static_cast<uint32_t>(stream.updates.size());
    point.yes_mid_twice = tracker_update.yes_mid_twice.value_or(MarketPoint::kNoMid);
    point_of_update_.push_back(
        PointRef{market.stream_index, static_cast<uint32_t>(stream.points.size() - 1)});
    return core::Status::Ok();
  }

  core::Result<SessionReplay> Finish() && {
    // No row carried an exchange time: local receive time for the whole session.
    for (const auto& waiting : pending_) KF_RETURN_IF_ERROR(Process(waiting, std::nullopt));
    pending_.clear();
    if (session_.stats.rows == 0) {
      return core::FailedPreconditionError(
          fmt::format("session {} has no snapshot or delta rows", session_.id));
    }
    if (session_.stats.accepted == 0) {
      return core::FailedPreconditionError(fmt::format(
          "session {} has no usable update: {} rows, {} deltas before any snapshot, {} refused "
          "by the book",
          session_.id, session_.stats.rows, session_.stats.skipped_no_snapshot,
          session_.stats.skipped_refused));
    }
    const std::vector<features::TemporalInputs> temporal =
        features::SessionTemporalInputs(tracker_updates_);
    for (std::size_t i = 0; i < point_of_update_.size(); ++i) {
      const PointRef ref = point_of_update_[i];
      if (ref.stream == kNotKept.stream) continue;
      session_.markets[ref.stream].points[ref.point].temporal = temporal[i];
    }
    // Drop selected markets that never got an accepted update.
    std::erase_if(session_.markets, [](const MarketStream& m) { return m.updates.empty(); });
    if (session_.markets.empty()) {
      return core::FailedPreconditionError(
          fmt::format("session {} has none of the requested markets with a snapshot", session_.id));
    }
    for (MarketStream& m : session_.markets) {
      m.updates.shrink_to_fit();
      m.levels.shrink_to_fit();
      m.points.shrink_to_fit();
    }
    return std::move(session_);
  }

 private:
  struct PointRef {
    uint32_t stream = 0;
    uint32_t point = 0;
  };
  static constexpr PointRef kNotKept{std::numeric_limits<uint32_t>::max(), 0};

  struct Market {
    uint32_t index = 0;  // tracker market index (order of first appearance)
    book::OrderBook book;
    bool selected = false;      // kept (LoadOptions::market_tickers)
    uint32_t stream_index = 0;  // in session_.markets when selected
  };

  Market& MarketFor(const std::string& ticker) {
    auto it = index_.find(ticker);
    if (it != index_.end()) return *markets_[it->second];
    const auto index = static_cast<uint32_t>(markets_.size());
    auto market = std::make_unique<Market>();
    market->index = index;
    market->book = book::OrderBook(ticker);
    market->selected = options_.market_tickers.empty() ||
                       std::find(options_.market_tickers.begin(), options_.market_tickers.end(),
                                 ticker) != options_.market_tickers.end();
    if (market->selected) {
      market->stream_index = static_cast<uint32_t>(session_.markets.size());
      session_.markets.push_back(MarketStream{});
      session_.markets.back().ticker = ticker;
    }
    markets_.push_back(std::move(market));
    index_.emplace(ticker, index);
    return *markets_[index];
  }

  const LoadOptions& options_;
  SessionReplay session_;
  std::map<std::string, uint32_t, std::less<>> index_;
  std::vector<std::unique_ptr<Market>> markets_;
  std::vector<features::TrackerUpdate> tracker_updates_;
  std::vector<PointRef> point_of_update_;  // per accepted update (tracker order)
  core::Timestamp last_local_ts_;
  int64_t rows_seen_ = 0;
  features::DataPointClock clock_;  // shared with the live actor (features/data_point_clock.h)
  std::vector<storage::ReplayUpdate> pending_;  // rows before the first exchange time
};

core::Status CheckIds(std::span<const storage::SessionId> ids) {
  if (ids.empty()) return core::InvalidArgumentError("no session ids to load");
  std::set<storage::SessionId> seen;
  for (storage::SessionId id : ids) {
    if (!seen.insert(id).second) {
      return core::InvalidArgumentError(fmt::format("session {} listed twice", id));
    }
  }
  return core::Status::Ok();
}

}  // namespace

core::Result<SessionData> SessionData::Load(storage::Store& store,
                                            std::span<const storage::SessionId> ids,
                                            const LoadOptions& options) {
  KF_RETURN_IF_ERROR(CheckIds(ids));
  SessionData data;
  for (storage::SessionId id : ids) {
    KF_ASSIGN_OR_RETURN(storage::SessionInfo info, store.GetSession(id));
    (void)info;
    SessionBuilder builder(id, options);
    KF_RETURN_IF_ERROR(store.ReadSessionUpdates(
        id, storage::ReplayQuery{},
        [&](storage::ReplayUpdate update) { return builder.Add(update); }));
    KF_ASSIGN_OR_RETURN(SessionReplay session, std::move(builder).Finish());
    data.sessions_.push_back(std::move(session));
  }
  return data;
}

core::Result<SessionData> SessionData::FromUpdates(std::vector<SessionInput> sessions,
                                                   const LoadOptions& options) {
  std::vector<storage::SessionId> ids;
  for (const SessionInput& s : sessions) ids.push_back(s.id);
  KF_RETURN_IF_ERROR(CheckIds(ids));
  SessionData data;
  for (SessionInput& input : sessions) {
    SessionBuilder builder(input.id, options);
    for (const storage::ReplayUpdate& update : input.updates) {
      KF_RETURN_IF_ERROR(builder.Add(update));
    }
    input.updates = {};
    KF_ASSIGN_OR_RETURN(SessionReplay session, std::move(builder).Finish());
    data.sessions_.push_back(std::move(session));
  }
  return data;
}

const SessionReplay* SessionData::FindSession(storage::SessionId id) const {
  for (const SessionReplay& s : sessions_) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

core::Status SessionData::SetMarketResult(storage::SessionId session, std::string_view ticker,
                                          core::Price yes_value) {
  if (yes_value.IsNegative() || yes_value > core::Price::OneDollar()) {
    return core::InvalidArgumentError(
        fmt::format("market result {} outside [0, 1]", yes_value.ToString()));
  }
  for (SessionReplay& s : sessions_) {
    if (s.id != session) continue;
    for (MarketStream& m : s.markets) {
      if (m.ticker == ticker) {
        m.result = yes_value;
        return core::Status::Ok();
      }
    }
  }
  return core::NotFoundError(fmt::format("session {} has no market {}", session, ticker));
}

int64_t SessionData::total_updates() const {
  int64_t n = 0;
  for (const SessionReplay& s : sessions_) {
    for (const MarketStream& m : s.markets) n += static_cast<int64_t>(m.updates.size());
  }
  return n;
}

int64_t SessionData::total_points() const {
  int64_t n = 0;
  for (const SessionReplay& s : sessions_) {
    for (const MarketStream& m : s.markets) n += static_cast<int64_t>(m.points.size());
  }
  return n;
}

std::size_t SessionData::MemoryBytes() const {
  std::size_t bytes = sessions_.capacity() * sizeof(SessionReplay);
  for (const SessionReplay& s : sessions_) {
    bytes += s.markets.capacity() * sizeof(MarketStream);
    for (const MarketStream& m : s.markets) {
      bytes += m.ticker.capacity() + m.updates.capacity() * sizeof(MarketUpdate) +
               m.levels.capacity() * sizeof(core::PriceLevel) +
               m.points.capacity() * sizeof(MarketPoint);
    }
  }
  return bytes;
}

void ApplyPointUpdates(const MarketStream& s, std::size_t point, book::OrderBook& book,
                       const std::function<void(const MarketUpdate&)>& after_each) {
  const uint32_t end = s.points[point].end;
  for (uint32_t i = s.PointBegin(point); i < end; ++i) {
    const MarketUpdate& u = s.updates[i];
    if (u.kind == MarketUpdate::Kind::kSnapshot) {
      const auto error = book.ApplySnapshot(s.SnapshotYes(u), s.SnapshotNo(u));
      KF_CHECK(!error, "replay of {}: snapshot refused: {}", s.ticker, book::BookErrorName(*error));
    } else {
      const auto applied = book.ApplyDelta(u.side, core::Price::FromUnits(u.price_units),
                                           core::Count::FromUnits(u.delta_units));
      KF_CHECK(applied.ok(), "replay of {}: delta refused: {}", s.ticker,
               book::BookErrorName(applied.error()));
    }
    if (after_each) after_each(u);
  }
}

}  // namespace kalshiflow::env
