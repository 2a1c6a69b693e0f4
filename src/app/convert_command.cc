// `kalshiflow convert`: real top-of-book market logs -> a recording (src/recording/README.md).
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "app/commands.h"
#include "core/time.h"
#include "recording/calibration.h"
#include "recording/convert.h"

namespace kalshiflow::app {
namespace {

struct ConvertArgs {
  std::vector<std::string> inputs;
  std::string out;
  uint64_t seed = 1;
  int tz_offset_minutes = 0;
  int zstd_level = 6;
  bool print_calibration = false;
  std::string shared_data;
  bool json = false;
  std::size_t max_reported = 100;
};

std::string DefaultSharedData() {
  const char* env = std::getenv("KF_SHARED_DIR");
  return std::string(env != nullptr && *env != '\0' ? env : "../shared") + "/data";
}

void PrintCalibration(const ConvertArgs& args) {
  const std::string dir = args.shared_data.empty() ? DefaultSharedData() : args.shared_data;
  auto measured = recording::CalibrateFromSharedData(dir);
  if (!measured.ok()) {
    throw CommandFailed(
        1, fmt::format("convert --print-calibration: {}", measured.error().ToString()));
  }
  const bool same = *measured == recording::DefaultCalibration();
  if (args.json) {
    nlohmann::json j = {
        {"data_dir", dir}, {"measured", measured->ToJson()}, {"matches_defaults", same}};
    std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("Depth-model calibration recomputed from %s\n%s", dir.c_str(),
                recording::CalibrationSummary(*measured).c_str());
    std::printf("matches the built-in defaults: %s\n", same ? "yes" : "NO");
  }
  if (!same) {
    throw CommandFailed(1, "the recomputed calibration differs from the built-in defaults");
  }
}

void RunConvert(const ConvertArgs& args) {
  if (args.print_calibration) {
    PrintCalibration(args);
    if (args.inputs.empty()) return;
  }
  if (args.inputs.empty()) throw CommandFailed(2, "convert: no INPUT files given");
  if (args.out.empty()) throw CommandFailed(2, "convert: --out RECORDING is required");
  recording::ConvertOptions options;
  options.seed = args.seed;
  options.tz_offset_minutes = args.tz_offset_minutes;
  options.creator = "kalshiflow 0.1.0 convert";
  std::size_t printed = 0;
  options.on_malformed = [&](const recording::MalformedLine& m) {
    if (printed++ < args.max_reported) {
      std::fprintf(stderr, "%s (skipped)\n", m.ToString().c_str());
    }
  };
  recording::WriterOptions writer_options;
  writer_options.zstd_level = args.zstd_level;
  const core::Timestamp started = core::RealClock::Instance().Now();
  auto report =
      recording::ConvertTopOfBookCsvToFile(args.inputs, args.out, options, writer_options);
  if (!report.ok()) throw CommandFailed(1, fmt::format("convert: {}", report.error().ToString()));
  const double elapsed =
      static_cast<double>((core::RealClock::Instance().Now().nanos() - started.nanos())) / 1e9;
  if (printed > args.max_reported) {
    std::fprintf(stderr, "... and %zu more malformed lines\n", printed - args.max_reported);
  }
  const double span =
      report->first_ts && report->last_ts
          ? static_cast<double>(report->last_ts->nanos() - report->first_ts->nanos()) / 1e9
          : 0.0;
  const std::string first = report->first_ts ? report->first_ts->ToIso8601() : "-";
  const std::string last = report->last_ts ? report->last_ts->ToIso8601() : "-";
  if (args.json) {
    nlohmann::json pm = nlohmann::json::object();
    for (const auto& m : report->per_market) {
      pm[m.ticker] = {
          {"sid", m.sid}, {"rows", m.rows}, {"snapshots", m.snapshots}, {"deltas", m.deltas}};
    }
    nlohmann::json j = {{"output", args.out},
                        {"output_bytes", report->output_bytes},
                        {"files", report->files},
                        {"rows_read", report->data_lines},
                        {"rows_converted", report->rows},
                        {"rows_skipped", report->rows_malformed},
                        {"markets", report->markets},
                        {"frames", report->frames},
                        {"snapshots", report->snapshots},
                        {"deltas", report->deltas},
                        {"resnapshots", report->resnapshots},
                        {"crossed_rows", report->crossed_rows},
                        {"locked_rows", report->locked_rows},
                        {"empty_side_rows", report->empty_side_rows},
                        {"start", first},
                        {"end", last},
                        {"span_seconds", span},
                        {"seed", args.seed},
                        {"tz_offset_minutes", args.tz_offset_minutes},
                        {"elapsed_seconds", elapsed},
                        {"per_market", pm}};
    std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return;
  }
  std::printf("converted %lld file(s) into %s\n", static_cast<long long>(report->files),
              args.out.c_str());
  std::printf("  rows read:        %lld\n", static_cast<long long>(report->data_lines));
  std::printf("  rows skipped:     %lld (malformed)\n",
              static_cast<long long>(report->rows_malformed));
  std::printf("  rows converted:   %lld (crossed %lld, locked %lld, with an empty side %lld)\n",
              static_cast<long long>(report->rows), static_cast<long long>(report->crossed_rows),
              static_cast<long long>(report->locked_rows),
              static_cast<long long>(report->empty_side_rows));
  std::printf("  markets:          %lld\n", static_cast<long long>(report->markets));
  std::printf("  frames written:   %lld (%lld snapshots incl. %lld re-snapshots, %lld deltas)\n",
              static_cast<long long>(report->frames), static_cast<long long>(report->snapshots),
              static_cast<long long>(report->resnapshots), static_cast<long long>(report->deltas));
  std::printf("  output bytes:     %llu\n", static_cast<unsigned long long>(report->output_bytes));
  std::printf("  time span:        %s .. %s (%.3f s)\n", first.c_str(), last.c_str(), span);
  std::printf("  seed:             %llu (tz offset %d min)\n",
              static_cast<unsigned long long>(args.seed), args.tz_offset_minutes);
  std::printf("  elapsed:          %.2f s\n", elapsed);
}

}  // namespace

void AddConvertCommand(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  auto* cmd = app.add_subcommand(
      "convert",
      "Convert real top-of-book market logs (Kalshi-Trader CSV, .csv or .csv.zst) into a "
      "recording of orderbook_snapshot/orderbook_delta frames. Best bids and timing are real; "
      "sizes and deeper levels come from the seeded depth model (src/recording/README.md).");
  cmd->add_option("inputs", args->inputs, "INPUT market-log files (one subscription each)");
  cmd->add_option("--out,-o", args->out, "output RECORDING file (written atomically)");
  cmd->add_option("--seed", args->seed, "depth-model seed (same input + seed => same bytes)")
      ->capture_default_str();
  cmd->add_option("--tz-offset-minutes", args->tz_offset_minutes,
                  "offset of the logs' zone-less timestamps from UTC in minutes (0 = UTC)")
      ->check(CLI::Range(-1440, 1440))
      ->capture_default_str();
  cmd->add_option("--zstd-level", args->zstd_level, "zstd compression level of the output")
      ->check(CLI::Range(1, 19))
      ->capture_default_str();
  cmd->add_option("--max-reported", args->max_reported,
                  "print at most this many malformed lines (all are counted)")
      ->capture_default_str();
  cmd->add_flag("--print-calibration", args->print_calibration,
                "recompute the depth-model calibration from the real data and print it "
                "(fails if it differs from the built-in defaults)");
  cmd->add_option("--shared-data", args->shared_data,
                  "data directory for --print-calibration (default $KF_SHARED_DIR/data or "
                  "../shared/data)");
  cmd->add_flag("--json", args->json, "print the summary as JSON");
  cmd->callback([args] { RunConvert(*args); });
}

}  // namespace kalshiflow::app
