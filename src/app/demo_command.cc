// `kalshiflow demo`: the end-to-end run on the bundled real data, with no credentials and no
// network. Today (issue 2) it exercises the foundation as the collector will use it:
//   1. convert the bundled real Kalshi top-of-book logs (data/demo/market_logs/*.csv.zst) into
//      a recording of current-format orderbook_snapshot / orderbook_delta frames;
//   2. replay the recording frame by frame through the WebSocket decoder, the per-sid
//      sequencer and the order books;
//   3. persist every accepted frame (raw, plus normalised snapshot/delta rows) through the
//      non-blocking write queue into a fresh SQLite database (session environment "replay");
//   4. print where everything is and a summary (counts, throughput, final top of book).
// Later issues add the local exchange, the collector over TLS, training and the paper actor.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "app/commands.h"
#include "book/book_set.h"
#include "core/time.h"
#include "kalshi/decoder.h"
#include "recording/convert.h"
#include "recording/format.h"
#include "recording/stats.h"
#include "storage/database_url.h"
#include "storage/write_queue.h"

namespace kalshiflow::app {
namespace {

namespace fs = std::filesystem;

struct DemoArgs {
  std::string data_dir = "data/demo";
  std::string out_dir = "data/demo-run";
  uint64_t seed = 1;
};

struct ReplayTotals {
  int64_t frames = 0;
  int64_t decode_errors = 0;
  int64_t snapshots_applied = 0;
  int64_t deltas_applied = 0;
  int64_t book_refusals = 0;
  int64_t rows_offered = 0;
  int64_t rows_refused = 0;
  int64_t backpressure_waits = 0;  // times the replay waited for the writer (queue half full)
};

std::vector<std::string> FindInputs(const fs::path& dir) {
  std::vector<std::string> inputs;
  std::error_code ec;  // the non-throwing overloads: a missing folder gives an empty list
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code type_ec;
    if (it->is_regular_file(type_ec) && (name.ends_with(".csv.zst") || name.ends_with(".csv"))) {
      inputs.push_back(it->path().string());
    }
  }
  std::sort(inputs.begin(), inputs.end());
  return inputs;
}

std::string FormatBid(const std::optional<core::PriceLevel>& level) {
  if (!level) return "   none      ";
  return fmt::format("{} x {:>7}", level->price.ToString(), level->count.ToString());
}

void RunDemo(const DemoArgs& args) {
  const auto wall_start = std::chrono::steady_clock::now();
  const fs::path logs = fs::path(args.data_dir) / "market_logs";
  const std::vector<std::string> inputs = FindInputs(logs);
  if (inputs.empty()) {
    throw CommandFailed(1, fmt::format("demo: no *.csv.zst market logs in {} (run from the "
                                       "repository root or pass --data-dir)",
                                       logs.string()));
  }
  std::error_code ec;
  fs::create_directories(args.out_dir, ec);
  if (ec)
    throw CommandFailed(1, fmt::format("demo: cannot create {}: {}", args.out_dir, ec.message()));
  const std::string recording_path = (fs::path(args.out_dir) / "demo.kfrec").string();
  const std::string db_path = (fs::path(args.out_dir) / "kalshiflow.db").string();

  // 1. Convert.
  std::printf("kalshiflow demo: %zu real Kalshi top-of-book logs from %s\n", inputs.size(),
              logs.string().c_str());
  recording::ConvertOptions convert_options;
  convert_options.seed = args.seed;
  convert_options.creator = "kalshiflow 0.1.0 demo";
  int64_t malformed_printed = 0;
  convert_options.on_malformed = [&](const recording::MalformedLine& m) {
    if (malformed_printed++ < 20) std::fprintf(stderr, "%s (skipped)\n", m.ToString().c_str());
  };
  auto report = recording::ConvertTopOfBookCsvToFile(inputs, recording_path, convert_options);
  if (!report.ok())
    throw CommandFailed(1, fmt::format("demo: convert: {}", report.error().ToString()));
  std::printf(
      "  1. converted %lld rows (%lld malformed, skipped) of %lld markets into %lld "
      "frames -> %s (%llu bytes)\n",
      static_cast<long long>(report->rows), static_cast<long long>(report->rows_malformed),
      static_cast<long long>(report->markets), static_cast<long long>(report->frames),
      recording_path.c_str(), static_cast<unsigned long long>(report->output_bytes));

  // 2 + 3. Replay through decoder, sequencer and books into the store.
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db_path + suffix, ec);
  const fs::path db_absolute = fs::absolute(db_path, ec);
  if (ec) throw CommandFailed(1, fmt::format("demo: {}: {}", db_path, ec.message()));
  auto store = storage::OpenStore("sqlite://" + db_absolute.string());
  if (!store.ok())
    throw CommandFailed(1, fmt::format("demo: database: {}", store.error().ToString()));
  storage::NewSession session;
  for (const auto& m : report->per_market) session.market_tickers.push_back(m.ticker);
  session.websocket_url = "recording://" + fs::absolute(recording_path, ec).string();
  session.environment = storage::Environment::kReplay;
  session.started_at = core::RealClock::Instance().Now();
  auto session_id = (*store)->CreateSession(session);
  if (!session_id.ok())
    throw CommandFailed(1, fmt::format("demo: {}", session_id.error().ToString()));
  storage::WriteQueueOptions queue_options;  // defaults: 100,000 rows, batches of 100 or 1 s
  auto queue = storage::WriteQueue::Create(**store, queue_options);
  if (!queue.ok()) throw CommandFailed(1, fmt::format("demo: {}", queue.error().ToString()));

  auto reader = recording::RecordingReader::Open(recording_path);
  if (!reader.ok()) throw CommandFailed(1, fmt::format("demo: {}", reader.error().ToString()));
  if ((*reader)->header().use_yes_price) {
    // Books hold NO bids in NO-leg prices (DESIGN §3); a recording subscribed with
    // use_yes_price=true would need its NO levels converted first.
    throw CommandFailed(1, "demo: recordings with use_yes_price=true are not supported yet");
  }
  kalshi::Decoder decoder;
  book::BookSet books;
  ReplayTotals totals;
  // A replay, unlike the live feed, may wait for the database: every 4,096 rows, when the queue
  // is more than half full, wait until the writer has caught up (live producers never wait; a
  // full queue there drops and counts, DESIGN §2).
  auto offer = [&](storage::Row row) {
    if (++totals.rows_offered % 4096 == 0 && (*queue)->Stats().depth > queue_options.capacity / 2) {
      ++totals.backpressure_waits;
      (*queue)->Flush();
    }
    totals.rows_refused += !(*queue)->TryEnqueue(std::move(row));
  };
  const auto replay_start = std::chrono::steady_clock::now();
  recording::Record record;
  while (true) {
    auto more = (*reader)->Next(&record);
    if (!more.ok()) throw CommandFailed(1, fmt::format("demo: {}", more.error().ToString()));
    if (!*more) break;
    if (record.direction != recording::Direction::kServerToClient) continue;
    ++totals.frames;
    auto message = decoder.Decode(record.frame);
    if (!message.ok()) {
      ++totals.decode_errors;
      std::fprintf(stderr, "demo: frame %lld: %s\n", static_cast<long long>(totals.frames),
                   message.error().ToString().c_str());
      continue;
    }
    const kalshi::Message& m = **message;
    bool accepted = false;
    if (m.type == kalshi::MessageType::kOrderbookSnapshot && m.seq) {
      const auto& s = m.snapshot;
      auto outcome = books.ApplySnapshot(m.sid, *m.seq, s.market_ticker, s.yes_bids, s.no_bids);
      if (outcome.applied) {
        ++totals.snapshots_applied;
        storage::SnapshotRow row;
        row.session_id = *session_id;
        row.market_ticker.assign(s.market_ticker);
        row.sid = m.sid;
        row.seq = *m.seq;
        row.local_ts = record.local_ts;
        row.yes_bids.assign(s.yes_bids.begin(), s.yes_bids.end());
        row.no_bids.assign(s.no_bids.begin(), s.no_bids.end());
        offer(std::move(row));
        accepted = true;
      } else {
        ++totals.book_refusals;
      }
    } else if (m.type == kalshi::MessageType::kOrderbookDelta && m.seq) {
      const auto& d = m.delta;
      auto outcome =
          books.ApplyDelta(m.sid, *m.seq, d.market_ticker, d.side, d.price, d.delta, d.ts_ms);
      if (outcome.applied) {
        ++totals.deltas_applied;
        storage::DeltaRow row;
        row.session_id = *session_id;
        row.market_ticker.assign(d.market_ticker);
        row.sid = m.sid;
        row.seq = *m.seq;
        row.exchange_ts_ms = d.ts_ms;
        row.local_ts = record.local_ts;
        row.side = d.side;
        row.price = d.price;
        row.delta = d.delta;
        offer(std::move(row));
        accepted = true;
      } else {
        ++totals.book_refusals;
      }
    }
    if (accepted) {
      storage::RawFrameRow raw;
      raw.session_id = *session_id;
      raw.sid = m.sid;
      raw.seq = m.seq;
      raw.local_ts = record.local_ts;
      raw.frame.assign(record.frame);
      offer(std::move(raw));
    }
  }
  const double replay_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - replay_start).count();
  auto shutdown = (*queue)->Shutdown();
  const auto qstats = (*queue)->Stats();
  storage::SessionEnd end;
  end.status = shutdown.ok() && totals.decode_errors == 0 ? storage::SessionStatus::kClosed
                                                          : storage::SessionStatus::kError;
  if (end.status == storage::SessionStatus::kError) {
    end.error = shutdown.ok() ? fmt::format("{} frames failed to decode", totals.decode_errors)
                              : shutdown.ToString();
  }
  end.ended_at = core::RealClock::Instance().Now();
  auto closed = (*store)->CloseSession(*session_id, end);
  if (!closed.ok()) throw CommandFailed(1, fmt::format("demo: {}", closed.ToString()));
  auto counts = (*store)->TableRowCounts();
  std::map<std::string, int64_t> rows_by_table;
  if (counts.ok()) {
    for (const auto& c : *counts) rows_by_table[c.table] = c.rows;
  }
  const auto& seq = books.counters();
  std::printf(
      "  2. replayed %lld frames through decoder -> sequencer -> order books in %.2f s "
      "(%.0f frames/s incl. enqueue and waits for the database): %lld snapshots and %lld deltas "
      "applied, %lld "
      "duplicates, %lld gaps, %lld refused, %lld decode errors\n",
      static_cast<long long>(totals.frames), replay_seconds,
      replay_seconds > 0 ? static_cast<double>(totals.frames) / replay_seconds : 0.0,
      static_cast<long long>(totals.snapshots_applied),
      static_cast<long long>(totals.deltas_applied), static_cast<long long>(seq.duplicates_dropped),
      static_cast<long long>(seq.gaps), static_cast<long long>(totals.book_refusals),
      static_cast<long long>(totals.decode_errors));
  std::printf(
      "  3. write queue: %llu rows accepted, %llu written, %llu dropped, %llu batches, "
      "%lld back-pressure waits -> "
      "%s (session %lld, environment replay): %lld snapshots, %lld deltas, %lld raw "
      "frames\n",
      static_cast<unsigned long long>(qstats.accepted),
      static_cast<unsigned long long>(qstats.written),
      static_cast<unsigned long long>(qstats.dropped),
      static_cast<unsigned long long>(qstats.batches),
      static_cast<long long>(totals.backpressure_waits), db_path.c_str(),
      static_cast<long long>(*session_id),
      static_cast<long long>(rows_by_table["rl_orderbook_snapshots"]),
      static_cast<long long>(rows_by_table["rl_orderbook_deltas"]),
      static_cast<long long>(rows_by_table["rl_raw_frames"]));

  std::printf("\n  Final books (best bids; NO in NO-leg dollars; YES ask = 1 - NO bid):\n");
  std::printf("    %-26s %-20s %-20s %-8s\n", "market", "best YES bid", "best NO bid", "YES ask");
  books.ForEachBook([](const book::OrderBook& b) {
    auto ask = b.BestAsk(core::OutcomeSide::kYes);
    std::printf("    %-26s %-20s %-20s %-8s\n", b.ticker().c_str(),
                FormatBid(b.BestBid(core::OutcomeSide::kYes)).c_str(),
                FormatBid(b.BestBid(core::OutcomeSide::kNo)).c_str(),
                ask ? ask->price.ToString().c_str() : "none");
  });
  const double total_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  const std::string cli = ec ? std::string("kalshiflow") : self.string();
  std::printf("\n  Look at: %s recording stats %s --json\n", cli.c_str(), recording_path.c_str());
  std::printf("           %s recording dump %s -n 5\n", cli.c_str(), recording_path.c_str());
  std::printf("           sqlite3 %s 'select * from rl_orderbook_sessions'\n", db_path.c_str());
  std::printf("  demo finished in %.2f s\n", total_seconds);
  if (!shutdown.ok() || qstats.dropped != 0 || totals.decode_errors != 0 ||
      totals.book_refusals != 0 || qstats.written != qstats.accepted) {
    throw CommandFailed(1, "demo: the pipeline lost or refused data (see the counts above)");
  }
}

}  // namespace

void AddDemoCommand(CLI::App& app) {
  auto args = std::make_shared<DemoArgs>();
  auto* cmd = app.add_subcommand(
      "demo",
      "Run the end-to-end demo on the bundled real data (no credentials, no network): convert "
      "real Kalshi logs to a recording, replay it through decoder, sequencer and books, and "
      "store it through the write queue in SQLite");
  cmd->add_option("--data-dir", args->data_dir, "Folder holding market_logs/*.csv.zst")
      ->capture_default_str();
  cmd->add_option("--out-dir", args->out_dir, "Where the recording and database are written")
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Depth-model seed")->capture_default_str();
  cmd->callback([args] { RunDemo(*args); });
}

}  // namespace kalshiflow::app
