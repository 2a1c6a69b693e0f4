// Summary statistics of a recording (`kalshiflow recording stats`).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/status.h"
#include "core/time.h"
#include "recording/format.h"

namespace kalshiflow::recording {

struct MarketFrameCounts {
  int64_t snapshots = 0;  // orderbook_snapshot frames
  int64_t deltas = 0;     // orderbook_delta frames
  int64_t other = 0;      // other frames naming the market (trade, ticker, ...)
};

struct RecordingStats {
  std::string path;
  RecordingHeader header;
  uint64_t file_bytes = 0;          // compressed size on disk
  uint64_t uncompressed_bytes = 0;  // size of the decompressed stream
  int64_t frames = 0;
  int64_t server_frames = 0;  // direction server -> client
  int64_t client_frames = 0;  // direction client -> server
  int64_t snapshots = 0;
  int64_t deltas = 0;
  int64_t other_frames = 0;        // decodable, not an orderbook frame
  int64_t undecodable_frames = 0;  // kalshi::Decoder rejected them (or client frames)
  // Per-sid sequence check of server frames with a seq (book::Sequencer, PROTOCOL §3.5):
  int64_t seq_gaps = 0;                  // seq > last + 1 (or a new sid not starting at 1)
  int64_t seq_duplicates = 0;            // seq <= last
  int64_t seq_invalid = 0;               // seq < 1
  int64_t out_of_order_ts = 0;           // records whose local_ts is before the previous record's
  std::optional<core::Timestamp> start;  // first / last record local_ts
  std::optional<core::Timestamp> end;
  std::map<int64_t, int64_t> frames_per_sid;  // sid -> frames (sid 0 = none)
  std::map<std::string, MarketFrameCounts, std::less<>> per_market;

  /// {"file", "file_bytes", "uncompressed_bytes", "format", "version", "environment",
  ///  "source", "creator", "use_yes_price", "seed"?, "markets", "frames", "snapshots",
  ///  "deltas", "other_frames", "undecodable_frames", "client_frames", "seq_gaps",
  ///  "seq_duplicates", "seq_invalid", "out_of_order_ts", "start", "end" (ISO 8601 or null),
  ///  "span_seconds", "sids" {sid: frames}, "per_market" {ticker: {snapshots, deltas[, other]}}}
  nlohmann::json ToJson() const;
};

/// Reads the whole recording (streaming) and counts. Errors: those of RecordingReader
/// (NotFound, DataLoss naming the offset).
core::Result<RecordingStats> ComputeRecordingStats(const std::string& path);

}  // namespace kalshiflow::recording
