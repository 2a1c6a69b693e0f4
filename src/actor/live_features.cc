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

uint32_t LiveFeatures::Ingest(const AcceptedUpdate& update) {
  KF_CHECK(update.book != nullptr, "AcceptedUpdate without a book ({})", update.market_ticker);
  const uint32_t index = tracker_.MarketIndex(update.market_ticker);
  if (index >= markets_.size()) {
    markets_.resize(index + 1);
    markets_[index].ticker = std::string(update.market_ticker);
  }
  // A new ms closes the session's current data point: its values are final now; the training
  // loader gives every market point of it these final values (SessionTemporalInputs).
  if (tracker_.point_count() > 0 && update.ts_ms != tracker_.point_ts_ms()) {
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
  if (m.has_point && update.ts_ms != m.current.ts_ms) m.history.Push(Fresh(m.current));
  const features::TemporalInputs temporal = tracker_.Observe(index, update.ts_ms, *update.book);
  if (point_markets_.empty() || point_markets_.back() != index) point_markets_.push_back(index);
  m.current = features::MakeObservationPoint(update.ts_ms, temporal, *update.book);
  m.has_point = true;
  m.book = *update.book;  // copy-assignment reuses the ladders' capacity
  m.seq = update.seq;
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
