// `kalshiflow recording stats|dump`: inspect a recording (src/recording/README.md).
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <string>

#include "app/commands.h"
#include "recording/format.h"
#include "recording/stats.h"

namespace kalshiflow::app {
namespace {

struct StatsArgs {
  std::string path;
  bool json = false;
};

struct DumpArgs {
  std::string path;
  int64_t limit = -1;
  bool header = false;
};

void RunStats(const StatsArgs& args) {
  auto stats = recording::ComputeRecordingStats(args.path);
  if (!stats.ok()) {
    throw CommandFailed(1, fmt::format("recording stats: {}", stats.error().ToString()));
  }
  const nlohmann::json j = stats->ToJson();
  if (args.json) {
    std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return;
  }
  std::printf("%s: %s v%d, environment %s, use_yes_price %s\n", args.path.c_str(),
              std::string(recording::kFormatName).c_str(), recording::kFormatVersion,
              std::string(recording::EnvironmentName(stats->header.environment)).c_str(),
              stats->header.use_yes_price ? "true" : "false");
  std::printf("  source:   %s\n", stats->header.source.c_str());
  std::printf("  creator:  %s\n", stats->header.creator.c_str());
  std::printf("  bytes:    %llu on disk, %llu uncompressed\n",
              static_cast<unsigned long long>(stats->file_bytes),
              static_cast<unsigned long long>(stats->uncompressed_bytes));
  std::printf(
      "  frames:   %lld (%lld snapshots, %lld deltas, %lld other, %lld undecodable, "
      "%lld client->server)\n",
      static_cast<long long>(stats->frames), static_cast<long long>(stats->snapshots),
      static_cast<long long>(stats->deltas), static_cast<long long>(stats->other_frames),
      static_cast<long long>(stats->undecodable_frames),
      static_cast<long long>(stats->client_frames));
  std::printf("  markets:  %zu, sids: %zu, seq gaps: %lld\n", stats->per_market.size(),
              stats->frames_per_sid.size(), static_cast<long long>(stats->seq_gaps));
  std::printf("  span:     %s .. %s (%.3f s)\n",
              j["start"].is_null() ? "-" : j["start"].get<std::string>().c_str(),
              j["end"].is_null() ? "-" : j["end"].get<std::string>().c_str(),
              j["span_seconds"].get<double>());
  for (const auto& [ticker, c] : stats->per_market) {
    std::printf("  %-32s %8lld snapshots %10lld deltas\n", ticker.c_str(),
                static_cast<long long>(c.snapshots), static_cast<long long>(c.deltas));
  }
}

void RunDump(const DumpArgs& args) {
  auto reader = recording::RecordingReader::Open(args.path);
  if (!reader.ok()) {
    throw CommandFailed(1, fmt::format("recording dump: {}", reader.error().ToString()));
  }
  if (args.header) std::printf("%s\n", (*reader)->header().ToJson().c_str());
  recording::Record rec;
  int64_t n = 0;
  while (args.limit < 0 || n < args.limit) {
    auto more = (*reader)->Next(&rec);
    if (!more.ok()) {
      std::fflush(stdout);
      throw CommandFailed(1, fmt::format("recording dump: {}", more.error().ToString()));
    }
    if (!*more) break;
    ++n;
    std::printf("%s\t%s\t%lld\t%lld\t%.*s\n", rec.local_ts.ToIso8601().c_str(),
                rec.direction == recording::Direction::kServerToClient ? "in" : "out",
                static_cast<long long>(rec.sid), static_cast<long long>(rec.seq),
                static_cast<int>(rec.frame.size()), rec.frame.data());
  }
}

}  // namespace

void AddRecordingCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("recording", "Inspect kalshiflow recordings");
  cmd->require_subcommand(1);

  auto stats = std::make_shared<StatsArgs>();
  auto* s = cmd->add_subcommand(
      "stats",
      "Read a whole recording (verifying it) and print markets, frames, time span and "
      "per-market counts");
  s->add_option("recording", stats->path, "RECORDING file")->required();
  s->add_flag("--json", stats->json, "print one JSON object");
  s->callback([stats] { RunStats(*stats); });

  auto dump = std::make_shared<DumpArgs>();
  auto* d = cmd->add_subcommand(
      "dump", "Print records as tab-separated lines: local_ts, in|out, sid, seq, frame");
  d->add_option("recording", dump->path, "RECORDING file")->required();
  d->add_option("--limit,-n", dump->limit, "print at most N records (default: all)");
  d->add_flag("--header", dump->header, "print the header JSON first");
  d->callback([dump] { RunDump(*dump); });
}

}  // namespace kalshiflow::app
