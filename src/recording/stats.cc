#include "recording/stats.h"

#include <sys/stat.h>

#include "book/sequencer.h"
#include "kalshi/decoder.h"
#include "kalshi/messages.h"

namespace kalshiflow::recording {
namespace {

MarketFrameCounts& CountsFor(RecordingStats& s, std::string_view ticker) {
  auto it = s.per_market.find(ticker);
  if (it == s.per_market.end())
    it = s.per_market.emplace(std::string(ticker), MarketFrameCounts{}).first;
  return it->second;
}

std::string_view TickerOf(const kalshi::Message& m) {
  switch (m.type) {
    case kalshi::MessageType::kTicker:
      return m.ticker.market_ticker;
    case kalshi::MessageType::kTrade:
      return m.trade.market_ticker;
    case kalshi::MessageType::kFill:
      return m.fill.market_ticker;
    case kalshi::MessageType::kMarketPosition:
      return m.market_position.market_ticker;
    case kalshi::MessageType::kUserOrder:
      return m.user_order.market_ticker;
    case kalshi::MessageType::kMarketLifecycleV2:
    case kalshi::MessageType::kMultivariateMarketLifecycle:
      return m.lifecycle.market_ticker;
    default:
      return {};
  }
}

}  // namespace

nlohmann::json RecordingStats::ToJson() const {
  nlohmann::json j;
  j["file"] = path;
  j["file_bytes"] = file_bytes;
  j["uncompressed_bytes"] = uncompressed_bytes;
  j["format"] = kFormatName;
  j["version"] = kFormatVersion;
  j["environment"] = EnvironmentName(header.environment);
  j["source"] = header.source;
  j["creator"] = header.creator;
  j["use_yes_price"] = header.use_yes_price;
  if (header.seed) j["seed"] = *header.seed;
  j["markets"] = per_market.size();
  j["frames"] = frames;
  j["snapshots"] = snapshots;
  j["deltas"] = deltas;
  j["other_frames"] = other_frames;
  j["undecodable_frames"] = undecodable_frames;
  j["client_frames"] = client_frames;
  j["seq_gaps"] = seq_gaps;
  j["seq_duplicates"] = seq_duplicates;
  j["seq_invalid"] = seq_invalid;
  j["out_of_order_ts"] = out_of_order_ts;
  j["start"] = start ? nlohmann::json(start->ToIso8601()) : nlohmann::json(nullptr);
  j["end"] = end ? nlohmann::json(end->ToIso8601()) : nlohmann::json(nullptr);
  j["span_seconds"] =
      (start && end) ? static_cast<double>(end->nanos() - start->nanos()) / 1e9 : 0.0;
  nlohmann::json sids = nlohmann::json::object();
  for (const auto& [sid, n] : frames_per_sid) sids[std::to_string(sid)] = n;
  j["sids"] = std::move(sids);
  nlohmann::json pm = nlohmann::json::object();
  for (const auto& [ticker, c] : per_market) {
    nlohmann::json e = {{"snapshots", c.snapshots}, {"deltas", c.deltas}};
    if (c.other > 0) e["other"] = c.other;
    pm[ticker] = std::move(e);
  }
  j["per_market"] = std::move(pm);
  return j;
}

core::Result<RecordingStats> ComputeRecordingStats(const std::string& path) {
  RecordingStats s;
  s.path = path;
  KF_ASSIGN_OR_RETURN(auto reader, RecordingReader::Open(path));
  s.header = reader->header();
  kalshi::Decoder decoder;
  book::Sequencer sequencer(book::Sequencer::Options{});
  Record rec;
  std::optional<core::Timestamp> prev_ts;
  while (true) {
    KF_ASSIGN_OR_RETURN(bool more, reader->Next(&rec));
    if (!more) break;
    ++s.frames;
    if (!s.start) s.start = rec.local_ts;
    s.end = rec.local_ts;
    if (prev_ts && rec.local_ts < *prev_ts) ++s.out_of_order_ts;
    prev_ts = rec.local_ts;
    ++s.frames_per_sid[rec.sid];
    if (rec.direction == Direction::kClientToServer) {
      ++s.client_frames;
      continue;
    }
    ++s.server_frames;
    if (rec.seq != 0 && rec.sid > 0) {
      // The per-sid rule of PROTOCOL §3.5, the same code the collector and replay use.
      switch (sequencer.Check(rec.sid, rec.seq)) {
        case book::SeqVerdict::kApply:
          break;
        case book::SeqVerdict::kDuplicate:
          ++s.seq_duplicates;
          break;
        case book::SeqVerdict::kGap:
          ++s.seq_gaps;
          break;
        case book::SeqVerdict::kInvalid:
          ++s.seq_invalid;
          break;
      }
    }
    auto decoded = decoder.Decode(rec.frame);
    if (!decoded.ok()) {
      ++s.undecodable_frames;
      continue;
    }
    const kalshi::Message& m = **decoded;
    if (m.type == kalshi::MessageType::kOrderbookSnapshot) {
      ++s.snapshots;
      ++CountsFor(s, m.snapshot.market_ticker).snapshots;
    } else if (m.type == kalshi::MessageType::kOrderbookDelta) {
      ++s.deltas;
      ++CountsFor(s, m.delta.market_ticker).deltas;
    } else {
      ++s.other_frames;
      const std::string_view t = TickerOf(m);
      if (!t.empty()) ++CountsFor(s, t).other;
    }
  }
  s.uncompressed_bytes = reader->offset();
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) s.file_bytes = static_cast<uint64_t>(st.st_size);
  return s;
}

}  // namespace kalshiflow::recording
