#include "exchange/timeline.h"

#include <algorithm>
#include <utility>

#include "kalshi/decoder.h"

namespace kalshiflow::exchange::internal {

bool IsMarketDataFrame(std::string_view frame) {
  // Cheap pre-filter on the type string; the caller decodes anyway.
  return frame.find("\"orderbook_delta\"") != std::string_view::npos ||
         frame.find("\"orderbook_snapshot\"") != std::string_view::npos ||
         frame.find("\"ticker\"") != std::string_view::npos ||
         frame.find("\"trade\"") != std::string_view::npos;
}

namespace {

// Ticker of a decoded market-data message, or empty for other types.
std::string_view MarketOf(const kalshi::Message& m) {
  switch (m.type) {
    case kalshi::MessageType::kOrderbookSnapshot:
      return m.snapshot.market_ticker;
    case kalshi::MessageType::kOrderbookDelta:
      return m.delta.market_ticker;
    case kalshi::MessageType::kTicker:
      return m.ticker.market_ticker;
    case kalshi::MessageType::kTrade:
      return m.trade.market_ticker;
    default:
      return {};
  }
}

}  // namespace

core::Result<std::unique_ptr<Timeline>> Timeline::Open(const std::vector<std::string>& paths) {
  if (paths.empty()) return core::InvalidArgumentError("no recording files given");
  auto timeline = std::unique_ptr<Timeline>(new Timeline());
  kalshi::Decoder decoder;
  for (const std::string& path : paths) {
    auto reader = recording::RecordingReader::Open(path);
    if (!reader.ok()) {
      return core::Status(reader.error().code(),
                          "recording " + path + ": " + reader.error().message());
    }
    recording::Record record;
    while (true) {
      auto more = (*reader)->Next(&record);
      if (!more.ok()) {
        return core::Status(more.error().code(),
                            "recording " + path + ": " + more.error().message());
      }
      if (!*more) break;
      if (record.direction != recording::Direction::kServerToClient) continue;
      if (!IsMarketDataFrame(record.frame)) continue;
      auto decoded = decoder.Decode(record.frame);
      if (!decoded.ok()) continue;
      std::string_view ticker = MarketOf(**decoded);
      if (ticker.empty()) continue;
      ++timeline->market_records_;
      auto it = timeline->markets_.find(std::string(ticker));
      if (it == timeline->markets_.end()) {
        timeline->markets_.emplace(std::string(ticker),
                                   MarketSpan{record.local_ts, record.local_ts});
      } else {
        it->second.first_ts = std::min(it->second.first_ts, record.local_ts);
        it->second.last_ts = std::max(it->second.last_ts, record.local_ts);
      }
      if (!timeline->first_ts_ || record.local_ts < *timeline->first_ts_) {
        timeline->first_ts_ = record.local_ts;
      }
    }
    // Reopen for the replay pass.
    auto replay_reader = recording::RecordingReader::Open(path);
    if (!replay_reader.ok()) {
      return core::Status(replay_reader.error().code(),
                          "recording " + path + ": " + replay_reader.error().message());
    }
    Source source;
    source.path = path;
    source.use_yes_price = (*replay_reader)->header().use_yes_price;
    source.reader = std::move(*replay_reader);
    timeline->sources_.push_back(std::move(source));
  }
  for (Source& source : timeline->sources_) KF_RETURN_IF_ERROR(timeline->Advance(source));
  return timeline;
}

core::Status Timeline::Advance(Source& source) {
  source.has_current = false;
  recording::Record record;
  while (true) {
    auto more = source.reader->Next(&record);
    if (!more.ok()) {
      return core::Status(more.error().code(),
                          "recording " + source.path + ": " + more.error().message());
    }
    if (!*more) return core::Status::Ok();
    if (record.direction != recording::Direction::kServerToClient) continue;
    source.ts = record.local_ts;
    source.frame.assign(record.frame);
    source.has_current = true;
    return core::Status::Ok();
  }
}

core::Result<bool> Timeline::Next(TimelineRecord* out) {
  Source* best = nullptr;
  std::size_t best_index = 0;
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    Source& s = sources_[i];
    if (!s.has_current) continue;
    if (best == nullptr || s.ts < best->ts) {
      best = &s;
      best_index = i;
    }
  }
  if (best == nullptr) return false;
  std::swap(current_frame_, best->frame);
  out->local_ts = best->ts;
  out->frame = current_frame_;
  out->use_yes_price = best->use_yes_price;
  out->file_index = best_index;
  KF_RETURN_IF_ERROR(Advance(*best));
  return true;
}

}  // namespace kalshiflow::exchange::internal
