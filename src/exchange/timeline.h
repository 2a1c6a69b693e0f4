// Internal to the exchange module: the replay timeline, i.e. several recordings merged by
// local timestamp (recording/format.h).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "recording/format.h"

namespace kalshiflow::exchange::internal {

/// True for the frame types the exchange replays: orderbook_snapshot, orderbook_delta,
/// ticker and trade.
bool IsMarketDataFrame(std::string_view frame);

/// Time span of one market on the timeline (local_ts of its first and last record).
struct MarketSpan {
  core::Timestamp first_ts;
  core::Timestamp last_ts;
};

/// One server -> client record of the merged timeline.
struct TimelineRecord {
  core::Timestamp local_ts;
  std::string_view frame;      // valid until the next Next() call
  bool use_yes_price = false;  // the recording's header flag: NO prices are YES-leg prices
  std::size_t file_index = 0;
};

/// Merges the server -> client records of several recordings by local_ts (ties: lower file
/// index first, then file order). Open() pre-scans every file once: it checks the files are
/// readable end to end (errors name the file) and counts the market-data records and
/// collects their tickers, so the exchange knows its markets before the replay starts.
/// Thread-compatible (one reader thread).
class Timeline {
 public:
  /// InvalidArgument without files; the readers' errors (NotFound, DataLoss) naming the file.
  static core::Result<std::unique_ptr<Timeline>> Open(const std::vector<std::string>& paths);

  /// The next record (true) or the end (false). DataLoss naming the file on a read error
  /// (the pre-scan makes this unlikely: only if a file changed since Open).
  core::Result<bool> Next(TimelineRecord* out);

  /// Market-data records over all files (IsMarketDataFrame and decodable).
  uint64_t market_records() const { return market_records_; }
  /// Every market that appears in a market-data record, by ticker.
  const std::map<std::string, MarketSpan>& markets() const { return markets_; }
  std::optional<core::Timestamp> first_ts() const { return first_ts_; }

 private:
  struct Source {
    std::string path;
    std::unique_ptr<recording::RecordingReader> reader;
    bool use_yes_price = false;
    bool has_current = false;
    core::Timestamp ts;
    std::string frame;
  };
  core::Status Advance(Source& source);

  std::vector<Source> sources_;
  uint64_t market_records_ = 0;
  std::map<std::string, MarketSpan> markets_;
  std::optional<core::Timestamp> first_ts_;
  std::string current_frame_;
};

}  // namespace kalshiflow::exchange::internal
