#include "recording/convert.h"

#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <unordered_map>

#include "kalshi/frame_encoder.h"
#include "kalshi/messages.h"
#include "recording/depth_model.h"

namespace kalshiflow::recording {
namespace {

struct MarketState {
  std::size_t stats_index = 0;  // into report.per_market
  std::size_t file = 0;
  SyntheticBook book;
};

struct Input {
  std::unique_ptr<TopOfBookCsvReader> reader;
  TopOfBookRow row;
  bool has_row = false;
  int64_t sid = 0;
  int64_t next_seq = 1;
};

}  // namespace

core::Result<RecordingHeader> MakeConvertHeader(std::span<const std::string> inputs,
                                                const ConvertOptions& options) {
  const DepthCalibration& cal =
      options.calibration != nullptr ? *options.calibration : DefaultCalibration();
  RecordingHeader h;
  h.source =
      "Kalshi-Trader top-of-book market logs (real best YES/NO bids and update times) with "
      "synthetic sizes and depth from the seeded depth model " +
      std::string(kDepthModelName);
  h.environment = KalshiEnvironment::kConverted;
  h.use_yes_price = false;
  h.creator = options.creator;
  h.seed = options.seed;
  h.tz_offset_minutes = options.tz_offset_minutes;
  nlohmann::json sids = nlohmann::json::object();
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    KF_ASSIGN_OR_RETURN(FileDigest d, DigestFile(inputs[i]));
    h.inputs.push_back({BaseName(inputs[i]), d.bytes, d.sha256});
    sids[std::to_string(i + 1)] = BaseName(inputs[i]);
  }
  h.details = {
      {"converter", "top_of_book_csv"},
      {"channel", "orderbook_delta"},
      {"sid_per_input", sids},
      {"market_id", "omitted"},
      {"depth_model", {{"name", kDepthModelName}, {"calibration", cal.ToJson()}}},
  };
  return h;
}

core::Result<ConvertReport> ConvertTopOfBookCsv(std::span<const std::string> inputs,
                                                const ConvertOptions& options,
                                                RecordingWriter& writer) {
  if (inputs.empty()) return core::InvalidArgumentError("convert: no input files");
  const DepthCalibration& cal =
      options.calibration != nullptr ? *options.calibration : DefaultCalibration();
  ConvertReport report;
  report.files = static_cast<int64_t>(inputs.size());

  CsvOptions csv;
  csv.tz_offset_minutes = options.tz_offset_minutes;
  csv.on_malformed = [&](const MalformedLine& m) {
    if (report.malformed.size() < options.max_malformed_kept) report.malformed.push_back(m);
    if (options.on_malformed) options.on_malformed(m);
  };
  std::vector<Input> files(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    KF_ASSIGN_OR_RETURN(files[i].reader, TopOfBookCsvReader::Open(inputs[i], csv));
    files[i].sid = static_cast<int64_t>(i + 1);
  }
  auto advance = [&](Input& in) -> core::Status {
    KF_ASSIGN_OR_RETURN(in.has_row, in.reader->Next(&in.row));
    return core::Status::Ok();
  };
  for (Input& in : files) KF_RETURN_IF_ERROR(advance(in));

  std::unordered_map<std::string, MarketState> markets;
  std::string frame;
  std::vector<LevelChange> changes;
  std::vector<core::PriceLevel> yes_levels;
  std::vector<core::PriceLevel> no_levels;

  auto emit = [&](Input& in, const TopOfBookRow& row) -> core::Status {
    Record rec;
    rec.local_ts = row.ts;
    rec.direction = Direction::kServerToClient;
    rec.sid = in.sid;
    rec.seq = in.next_seq++;
    rec.frame = frame;
    ++report.frames;
    return writer.Append(rec);
  };
  auto emit_snapshot = [&](Input& in, const TopOfBookRow& row, MarketState& m) -> core::Status {
    yes_levels = m.book.Levels(core::OutcomeSide::kYes);
    no_levels = m.book.Levels(core::OutcomeSide::kNo);
    kalshi::OrderbookSnapshot snap;
    snap.market_ticker = row.ticker;
    snap.yes_bids = yes_levels;
    snap.no_bids = no_levels;
    frame.clear();
    kalshi::EncodeOrderbookSnapshot(in.sid, in.next_seq, snap, frame);
    ++report.snapshots;
    ++report.per_market[m.stats_index].snapshots;
    return emit(in, row);
  };

  while (true) {
    // Pick the earliest pending row (ties: lower file index).
    Input* next = nullptr;
    std::size_t next_file = 0;
    for (std::size_t i = 0; i < files.size(); ++i) {
      if (files[i].has_row && (next == nullptr || files[i].row.ts < next->row.ts)) {
        next = &files[i];
        next_file = i;
      }
    }
    if (next == nullptr) break;
    const TopOfBookRow& row = next->row;
    ++report.rows;
    if (!report.first_ts || row.ts < *report.first_ts) report.first_ts = row.ts;
    if (!report.last_ts || row.ts > *report.last_ts) report.last_ts = row.ts;
    if (row.yes_bid_cents + row.no_bid_cents > 100) ++report.crossed_rows;
    if (row.yes_bid_cents + row.no_bid_cents == 100) ++report.locked_rows;
    if (row.yes_bid_cents == 0 || row.no_bid_cents == 0) ++report.empty_side_rows;

    auto it = markets.find(row.ticker);
    if (it == markets.end()) {
      MarketConvertStats stats;
      stats.ticker = row.ticker;
      stats.sid = next->sid;
      report.per_market.push_back(stats);
      it = markets
               .emplace(row.ticker,
                        MarketState{report.per_market.size() - 1, next_file,
                                    SyntheticBook(&cal, MarketSeed(options.seed, row.ticker))})
               .first;
      MarketState& m = it->second;
      m.book.Start(row.yes_bid_cents, row.no_bid_cents);
      KF_RETURN_IF_ERROR(emit_snapshot(*next, row, m));
    } else {
      MarketState& m = it->second;
      if (m.file != next_file) {
        return core::InvalidArgumentError(fmt::format(
            "{}:{}: market {} already appeared in {}; a market must come from one input file "
            "(one subscription)",
            inputs[next_file], row.line, row.ticker, inputs[m.file]));
      }
      changes.clear();
      m.book.MoveTo(row.yes_bid_cents, row.no_bid_cents, &changes);
      if (changes.empty()) {
        ++report.resnapshots;
        KF_RETURN_IF_ERROR(emit_snapshot(*next, row, m));
      } else {
        kalshi::OrderbookDelta delta;
        delta.market_ticker = row.ticker;
        delta.ts_ms = row.ts.millis();
        for (const LevelChange& c : changes) {
          delta.side = c.side;
          delta.price = core::Price::FromCents(c.price_cents);
          delta.delta = core::Count::FromContracts(c.delta_contracts);
          frame.clear();
          kalshi::EncodeOrderbookDelta(next->sid, next->next_seq, delta, frame);
          ++report.deltas;
          ++report.per_market[m.stats_index].deltas;
          KF_RETURN_IF_ERROR(emit(*next, row));
        }
      }
    }
    MarketState& m = it->second;
    KF_CHECK(m.book.BestCents(core::OutcomeSide::kYes) == row.yes_bid_cents &&
                 m.book.BestCents(core::OutcomeSide::kNo) == row.no_bid_cents,
             "depth model lost the real best bids of {}:{}", inputs[next_file], row.line);
    ++report.per_market[m.stats_index].rows;
    KF_RETURN_IF_ERROR(advance(*next));
  }
  for (const Input& in : files) {
    report.data_lines += in.reader->data_lines();
    report.rows_malformed += in.reader->rows_malformed();
  }
  report.markets = static_cast<int64_t>(report.per_market.size());
  return report;
}

core::Result<ConvertReport> ConvertTopOfBookCsvToFile(std::span<const std::string> inputs,
                                                      const std::string& out_path,
                                                      const ConvertOptions& options,
                                                      const WriterOptions& writer_options) {
  KF_ASSIGN_OR_RETURN(RecordingHeader header, MakeConvertHeader(inputs, options));
  const std::string partial = out_path + ".partial";
  auto fail = [&](core::Status status) {
    std::remove(partial.c_str());
    return status;
  };
  auto writer = RecordingWriter::Create(partial, header, writer_options);
  if (!writer.ok()) return fail(writer.error());
  auto report = ConvertTopOfBookCsv(inputs, options, **writer);
  if (!report.ok()) return fail(report.error());
  if (core::Status s = (*writer)->Close(); !s.ok()) return fail(s);
  report->output_bytes = (*writer)->file_bytes();
  if (std::rename(partial.c_str(), out_path.c_str()) != 0) {
    return fail(core::UnavailableError(fmt::format("cannot rename {} to {}", partial, out_path)));
  }
  return report;
}

}  // namespace kalshiflow::recording
