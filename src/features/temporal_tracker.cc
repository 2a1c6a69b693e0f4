#include "features/temporal_tracker.h"

#include <algorithm>
#include <cmath>

#include "core/check.h"
#include "features/book_stats.h"
#include "features/units.h"

namespace kalshiflow::features {

TrackerUpdate MakeTrackerUpdate(uint32_t market, int64_t ts_ms, const book::OrderBook& book) {
  const BookStats stats = SummarizeBook(book);
  TrackerUpdate update;
  update.market = market;
  update.ts_ms = ts_ms;
  update.volume = core::Count::FromUnits(stats.total_volume());
  update.yes_mid_twice = stats.yes_mid_twice();
  return update;
}

uint32_t TemporalTracker::MarketIndex(std::string_view ticker) {
  if (auto it = index_.find(ticker); it != index_.end()) return it->second;
  // A fresh slot after every existing one (also after slots made by ReserveMarkets).
  const uint32_t index = static_cast<uint32_t>(markets_.size());
  index_.emplace(std::string(ticker), index);
  markets_.emplace_back();
  return index;
}

std::optional<uint32_t> TemporalTracker::FindMarket(std::string_view ticker) const {
  if (auto it = index_.find(ticker); it != index_.end()) return it->second;
  return std::nullopt;
}

void TemporalTracker::ReserveMarkets(uint32_t count) {
  if (markets_.size() < count) markets_.resize(count);
}

void TemporalTracker::Reset() {
  for (MarketState& m : markets_) m = MarketState{};
  terms_.clear();
  term_valid_.clear();
  slot_market_.clear();
  point_first_slot_ = 0;
  valid_terms_ = 0;
  point_count_ = 0;
  point_ts_ms_ = 0;
  point_markets_ = 0;
  point_volume_ = 0;
  current_ = TemporalInputs{};
}

void TemporalTracker::PushMid(MarketState& m, double mid_cents) {
  if (m.mids.count < 3) {
    m.mids.mids[m.mids.count++] = mid_cents;
  } else {
    m.mids.mids[0] = m.mids.mids[1];
    m.mids.mids[1] = m.mids.mids[2];
    m.mids.mids[2] = mid_cents;
  }
}

void TemporalTracker::InsertSlot(uint32_t market) {
  MarketState& m = markets_[market];
  std::size_t pos = point_first_slot_;
  while (pos < slot_market_.size() && markets_[slot_market_[pos]].point_rank < m.point_rank) {
    ++pos;
  }
  const auto at = static_cast<std::ptrdiff_t>(pos);
  terms_.insert(terms_.begin() + at, 0.0);
  term_valid_.insert(term_valid_.begin() + at, 0);
  slot_market_.insert(slot_market_.begin() + at, market);
  for (std::size_t j = pos; j < slot_market_.size(); ++j) {
    markets_[slot_market_[j]].order = static_cast<int64_t>(j);
  }
}

void TemporalTracker::RemoveSlot(uint32_t market) {
  MarketState& m = markets_[market];
  const auto pos = static_cast<std::size_t>(m.order);
  const auto at = static_cast<std::ptrdiff_t>(pos);
  valid_terms_ -= term_valid_[pos];
  terms_.erase(terms_.begin() + at);
  term_valid_.erase(term_valid_.begin() + at);
  slot_market_.erase(slot_market_.begin() + at);
  for (std::size_t j = pos; j < slot_market_.size(); ++j) {
    markets_[slot_market_[j]].order = static_cast<int64_t>(j);
  }
  m.order = -1;
}

void TemporalTracker::UpdateTerm(const MarketState& m) {
  if (m.order < 0) return;
  const auto pos = static_cast<std::size_t>(m.order);
  double term = 0.0;
  bool valid = false;
  if (m.mids.count >= 3) {
    // Original: recent_change = prices[-1] - prices[-2]; prev_change = prices[-2] - prices[-3];
    // if abs(prev_change) > 0.001: tanh((recent_change - prev_change) / abs(prev_change)).
    const double recent = m.mids.mids[2] - m.mids.mids[1];
    const double prev = m.mids.mids[1] - m.mids.mids[0];
    if (std::fabs(prev) > 0.001) {
      term = std::tanh((recent - prev) / std::fabs(prev));
      valid = true;
    }
  }
  valid_terms_ += static_cast<int64_t>(valid) - static_cast<int64_t>(term_valid_[pos]);
  term_valid_[pos] = valid ? 1 : 0;
  // An invalid term is stored as +0.0: adding +0.0 leaves a sum that started at +0.0 unchanged,
  // so summing every slot equals the original's sum over valid terms only.
  terms_[pos] = term;
}

TemporalInputs TemporalTracker::Observe(const TrackerUpdate& update) {
  KF_CHECK(update.market < markets_.size(), "TemporalTracker: market index {} not registered ({})",
           update.market, markets_.size());
  if (point_count_ == 0 || update.ts_ms != point_ts_ms_) {
    // A new data point. time_gap = (ts - prev_ts) / 1000.0 as in the original (an exact
    // integer difference, then one division).
    current_.time_gap_s =
        point_count_ == 0 ? 0.0 : static_cast<double>(update.ts_ms - point_ts_ms_) / 1000.0;
    ++point_count_;
    point_ts_ms_ = update.ts_ms;
    point_markets_ = 0;
    point_volume_ = 0;
    point_first_slot_ = terms_.size();
  }
  MarketState& m = markets_[update.market];
  if (m.point != point_count_) {
    // First update of this market in the point.
    m.point = point_count_;
    m.point_rank = point_markets_++;
    m.saved = m.mids;
  } else {
    // Repeat within the point: the market's latest state replaces the earlier one.
    m.mids = m.saved;
    point_volume_ -= m.point_volume;
    if (m.order >= 0 && m.saved.count == 0) RemoveSlot(update.market);  // slot made this point
  }
  m.point_volume = update.volume.units();
  point_volume_ += m.point_volume;

  if (update.yes_mid_twice) {
    if (m.order < 0) InsertSlot(update.market);
    PushMid(m, static_cast<double>(*update.yes_mid_twice) / 200.0);  // cents, rounded once
  }
  UpdateTerm(m);

  // activity = min(1.0, (num_markets * log(1 + total_volume)) / 1000.0), volume in contracts.
  const double volume = static_cast<double>(point_volume_) / kCountUnitsPerContract;
  current_.activity_score =
      std::min(1.0, (static_cast<double>(point_markets_) * std::log(1.0 + volume)) / 1000.0);

  if (valid_terms_ > 0) {
    double sum = 0.0;
    for (double term : terms_) sum += term;
    current_.momentum = sum / static_cast<double>(valid_terms_);
  } else {
    current_.momentum = 0.0;
  }
  return current_;
}

TemporalInputs TemporalTracker::Observe(uint32_t market, int64_t ts_ms,
                                        const book::OrderBook& book) {
  return Observe(MakeTrackerUpdate(market, ts_ms, book));
}

std::vector<TemporalInputs> SessionTemporalInputs(std::span<const TrackerUpdate> updates) {
  std::vector<TemporalInputs> out(updates.size());
  TemporalTracker tracker;
  uint32_t max_market = 0;
  for (const TrackerUpdate& u : updates) max_market = std::max(max_market, u.market + 1);
  tracker.ReserveMarkets(max_market);
  std::size_t point_start = 0;
  for (std::size_t i = 0; i < updates.size(); ++i) {
    if (i > 0 && updates[i].ts_ms != updates[i - 1].ts_ms) {
      // The previous point is complete: every update in it gets its final values.
      std::fill(out.begin() + static_cast<std::ptrdiff_t>(point_start),
                out.begin() + static_cast<std::ptrdiff_t>(i), tracker.current());
      point_start = i;
    }
    tracker.Observe(updates[i]);
  }
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(point_start), out.end(), tracker.current());
  if (tracker.point_count() < 2) std::fill(out.begin(), out.end(), TemporalInputs{});
  return out;
}

}  // namespace kalshiflow::features
