#include "actor/live_features.h"

#include "core/check.h"

namespace kalshiflow::actor {

features::ObservationPoint LiveFeatures::Fresh(const features::ObservationPoint& point) const {
  features::ObservationPoint p = point;
  if (tracker_.point_count() > 0 && tracker_.point_ts_ms() == p.ts_ms) {
    p.temporal = tracker_.current();
  }
  return p;
}

void LiveFeatures::Ingest(const AcceptedUpdate& update, std::vector<uint32_t>* ingested) {
  KF_CHECK(update.book != nullptr, "AcceptedUpdate without a book ({})", update.market_ticker);
  if (clock_.NeedsHold(update.exchange_ts_ms) && held_.size() < kMaxHeld) {
    held_.push_back(
        Held{std::string(update.market_ticker), update.seq, update.local_ms, *update.book});
    return;
  }
  if (!held_.empty()) {
    clock_.Calibrate(update.exchange_ts_ms, update.local_ms);
    for (const Held& h : held_) {
      const int64_t ts = clock_.Assign(std::nullopt, h.local_ms);
      ingested->push_back(Apply(h.ticker, h.seq, ts, h.book));
    }
    held_.clear();
  }
  clock_.Calibrate(update.exchange_ts_ms, update.local_ms);
  const int64_t ts = clock_.Assign(update.exchange_ts_ms, update.local_ms);
  ingested->push_back(Apply(update.market_ticker, update.seq, ts, *update.book));
}

uint32_t LiveFeatures::Apply(std::string_view ticker, int64_t seq, int64_t ts_ms,
                             const book::OrderBook& book) {
  const uint32_t index = tracker_.MarketIndex(ticker);
  if (index >= markets_.size()) {
    markets_.resize(index + 1);
    markets_[index].ticker = std::string(ticker);
  }
  // A new ms closes the session's current data point: its values are final now; the training
  // loader gives every market point of it these final values (SessionTemporalInputs).
  if (tracker_.point_count() > 0 && ts_ms != tracker_.point_ts_ms()) {
    const int64_t closed_ts = tracker_.point_ts_ms();
    const features::TemporalInputs final_values = tracker_.current();
    for (uint32_t k : point_markets_) {
      Market& touched = markets_[k];
      if (touched.has_point && touched.current.ts_ms == closed_ts) {
        touched.current.temporal = final_values;
      }
    }
    point_markets_.clear();
  }
  Market& m = markets_[index];
  // A new ms closes the market's current data point: it joins the history (as the training
  // environment pushes each point after its decision).
  if (m.has_point && ts_ms != m.current.ts_ms) m.history.Push(Fresh(m.current));
  const features::TemporalInputs temporal = tracker_.Observe(index, ts_ms, book);
  if (point_markets_.empty() || point_markets_.back() != index) point_markets_.push_back(index);
  m.current = features::MakeObservationPoint(ts_ms, temporal, book);
  m.has_point = true;
  m.book = book;  // copy-assignment reuses the ladders' capacity
  m.seq = seq;
  ++m.updates;
  return index;
}

bool LiveFeatures::Snapshot(uint32_t market, MarketSnapshot& out) const {
  if (market >= markets_.size() || !markets_[market].has_point) return false;
  const Market& m = markets_[market];
  out.market = market;
  out.market_ticker = m.ticker;
  out.book = m.book;
  out.history = m.history;
  out.current = Fresh(m.current);
  out.seq = m.seq;
  out.updates = m.updates;
  return true;
}

std::optional<uint32_t> LiveFeatures::FindMarket(std::string_view ticker) const {
  return tracker_.FindMarket(ticker);
}

}  // namespace kalshiflow::actor
