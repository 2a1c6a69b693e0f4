// `kalshiflow convert`: real top-of-book market logs -> a recording of current-format
// `orderbook_snapshot` / `orderbook_delta` frames (see README.md "Converter").
//
// What is real and what is synthetic: every row's best YES bid and best NO bid, and its
// timestamp, are kept exactly (after each row's frames a book built from them has exactly
// the row's best bids); sizes and deeper levels come from the seeded depth model
// (depth_model.h), so they are synthetic.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "recording/calibration.h"
#include "recording/csv_reader.h"
#include "recording/format.h"

namespace kalshiflow::recording {

/// Name and version of the depth model written into recording headers.
inline constexpr std::string_view kDepthModelName = "kalshiflow-depth-v1";

struct ConvertOptions {
  uint64_t seed = 1;          // depth-model seed
  int tz_offset_minutes = 0;  // offset of the logs' zone-less timestamps from UTC
  /// Calibration of the depth model; nullptr = DefaultCalibration(). Must outlive the call.
  const DepthCalibration* calibration = nullptr;
  std::string creator = "kalshiflow convert";
  /// Called for each malformed input line (it is also counted and, up to
  /// max_malformed_kept, stored in the report).
  std::function<void(const MalformedLine&)> on_malformed;
  std::size_t max_malformed_kept = 100;
};

/// Per-market figures of a conversion.
struct MarketConvertStats {
  std::string ticker;
  int64_t sid = 0;        // subscription id = 1-based index of its input file
  int64_t rows = 0;       // input rows of this market
  int64_t snapshots = 0;  // orderbook_snapshot frames (first row + re-snapshots)
  int64_t deltas = 0;     // orderbook_delta frames
};

struct ConvertReport {
  int64_t files = 0;
  int64_t data_lines = 0;                // lines after the header lines
  int64_t rows = 0;                      // valid rows converted
  int64_t rows_malformed = 0;            // lines reported and skipped
  std::vector<MalformedLine> malformed;  // the first ConvertOptions::max_malformed_kept
  int64_t markets = 0;
  int64_t frames = 0;
  int64_t snapshots = 0;
  int64_t deltas = 0;
  int64_t resnapshots = 0;      // snapshots for rows that repeat the previous best bids
  int64_t crossed_rows = 0;     // yes + no > 100 cents (kept as is)
  int64_t locked_rows = 0;      // yes + no == 100 cents (kept as is)
  int64_t empty_side_rows = 0;  // rows with a 0 (empty) side
  std::optional<core::Timestamp> first_ts;
  std::optional<core::Timestamp> last_ts;
  std::vector<MarketConvertStats> per_market;  // in order of first appearance
  uint64_t output_bytes = 0;  // compressed file size (set by ConvertTopOfBookCsvToFile)
};

/// The header a conversion writes: environment `converted`, use_yes_price false, the seed,
/// the tz offset, every input's base name/size/sha256 and the depth model + calibration in
/// `details`. No wall-clock time (same input + seed => byte-identical file).
/// Errors: the inputs' I/O errors (NotFound, Unavailable).
core::Result<RecordingHeader> MakeConvertHeader(std::span<const std::string> inputs,
                                                const ConvertOptions& options);

/// Converts the inputs into frames appended to `writer` (which the caller created with
/// MakeConvertHeader's header and closes afterwards).
///
/// Streams: one subscription per input file (sid = 1-based file index, seq 1, 2, ... per sid
/// over all its markets, as Kalshi numbers them); rows of all files are merged by timestamp
/// (ties: lower file index first; within a file, file order). For each row:
///  * first row of a market: an `orderbook_snapshot` of the model's initial ladders;
///  * a row that changes a best bid: the model's level changes as `orderbook_delta` frames
///    (`ts_ms` = row time in ms), in the depth model's apply order;
///  * a row that repeats the market's previous best bids (the real logs have these in bursts
///    across all markets at one instant: the logger's re-subscription snapshots): a fresh
///    `orderbook_snapshot` of the current ladders.
/// Every frame's local_ts is the row timestamp. NO-side levels are in NO-leg prices
/// (use_yes_price=false); `market_id` is omitted (as in real production captures, §3.4).
///
/// Errors: whole-file input errors (see TopOfBookCsvReader), InvalidArgument when a market
/// appears in two input files, or when there are no inputs; the writer's errors.
/// Malformed lines are not errors: they are reported, skipped and counted.
core::Result<ConvertReport> ConvertTopOfBookCsv(std::span<const std::string> inputs,
                                                const ConvertOptions& options,
                                                RecordingWriter& writer);

/// MakeConvertHeader + a RecordingWriter on `out_path` + ConvertTopOfBookCsv + Close. Writes
/// to `<out_path>.partial` and renames on success (removed on failure), so `out_path` is
/// either the complete new recording or untouched.
core::Result<ConvertReport> ConvertTopOfBookCsvToFile(std::span<const std::string> inputs,
                                                      const std::string& out_path,
                                                      const ConvertOptions& options,
                                                      const WriterOptions& writer_options = {});

}  // namespace kalshiflow::recording
