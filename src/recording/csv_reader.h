// Reader for the Kalshi-Trader top-of-book market logs
// (../shared/data/Kalshi-Trader/market_logs/market_data_<EVENT>.csv, see that folder's
// README): header `timestamp,market_ticker,best_yes_bid,best_no_bid,implied_no_ask,
// implied_yes_ask`, integer cents, one row per top-of-book change, local wall-clock
// timestamps without a zone. Plain `.csv` and zstd-compressed `.csv.zst` are both read
// (zstd detected by its magic number).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "recording/io.h"

namespace kalshiflow::recording {

/// The exact header line the reader requires (after removing a UTF-8 BOM and a trailing CR).
inline constexpr std::string_view kTopOfBookCsvHeader =
    "timestamp,market_ticker,best_yes_bid,best_no_bid,implied_no_ask,implied_yes_ask";

/// One validated row. Prices are integer cents: the YES bid in YES-leg cents, the NO bid in
/// NO-leg cents; 0 means that side of the book is empty (no bids).
struct TopOfBookRow {
  core::Timestamp ts;     // row timestamp (UTC after applying the zone offset)
  std::string ticker;     // validated by core::ValidateTicker
  int yes_bid_cents = 0;  // [0, 99]
  int no_bid_cents = 0;   // [0, 99]
  int64_t line = 0;       // 1-based line number in the file
};

/// A rejected line: `file:line: reason`.
struct MalformedLine {
  std::string file;  // the path as given
  int64_t line = 0;
  std::string reason;
  std::string ToString() const;  // "file:line: reason"
};

struct CsvOptions {
  /// Offset of the file's zone-less wall-clock timestamps from UTC, in minutes (e.g. -300 for
  /// US Eastern standard time). 0 = taken as UTC. A timestamp with an explicit zone ignores it.
  int tz_offset_minutes = 0;
  /// Called for every malformed line (after counting it). Optional.
  std::function<void(const MalformedLine&)> on_malformed;
};

/// Streams the validated rows of one market-log file, in file order, in constant memory.
///
/// Validation per data line (a failing line is reported as MalformedLine, counted and
/// skipped; reading continues): exactly 6 comma-separated fields; the timestamp parses
/// (ISO 8601 `YYYY-MM-DDTHH:MM:SS[.f{1,9}]`, optional zone); the ticker passes
/// core::ValidateTicker; the four prices are plain decimal integers; bids lie in [0, 99]
/// (a bid of 100 cents cannot rest); implied_no_ask == 100 - best_yes_bid and
/// implied_yes_ask == 100 - best_no_bid; the timestamp is not earlier than the previous
/// accepted row's (files are written in time order; an out-of-order row cannot be placed in
/// the merged stream without reordering real updates). Empty lines and lines over 4 KiB are
/// malformed too. Crossed or locked rows (yes + no >= 100) are valid: the real logs contain
/// them (the logger saw transient states) and the books accept them.
///
/// Whole-file errors (returned, not skipped): the file cannot be opened/read (NotFound,
/// Unavailable), corrupt/truncated zstd (DataLoss), a missing or different header line
/// (InvalidArgument naming `file:1`).
/// Thread-compatible.
class TopOfBookCsvReader {
 public:
  static core::Result<std::unique_ptr<TopOfBookCsvReader>> Open(const std::string& path,
                                                                CsvOptions options = {});

  /// The next valid row (true) or the end of the file (false).
  core::Result<bool> Next(TopOfBookRow* row);

  const std::string& path() const { return path_; }
  int64_t data_lines() const { return data_lines_; }     // lines after the header
  int64_t rows_ok() const { return rows_ok_; }           // valid rows returned
  int64_t rows_malformed() const { return malformed_; }  // lines reported and skipped

 private:
  TopOfBookCsvReader() = default;
  void Report(std::string reason);
  // Validates `line_` into `row`; returns the reason on failure (empty on success).
  std::string Parse(TopOfBookRow* row);

  std::string path_;
  CsvOptions options_;
  std::unique_ptr<LineReader> lines_;
  std::string line_;
  int64_t data_lines_ = 0;
  int64_t rows_ok_ = 0;
  int64_t malformed_ = 0;
  std::optional<core::Timestamp> last_ts_;
};

}  // namespace kalshiflow::recording
