#include "recording/convert.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "book/book_set.h"
#include "kalshi/decoder.h"
#include "recording/format.h"
#include "recording/stats.h"
#include "recording/tests/test_util.h"

namespace kalshiflow::recording {
namespace {

using core::OutcomeSide;
using testing::ReadFileBytes;
using testing::TempDir;
using testing::WriteFileBytes;

const std::string kHeader = std::string(kTopOfBookCsvHeader) + "\n";

// One CSV row as parsed independently of TopOfBookCsvReader (plain getline + split).
struct CsvRow {
  std::string ts;
  std::string ticker;
  int yes = 0;
  int no = 0;
};

std::vector<CsvRow> ParseCsvIndependently(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  std::vector<CsvRow> rows;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) f.push_back(cell);
    if (f.size() != 6) continue;
    rows.push_back({f[0], f[1], std::stoi(f[2]), std::stoi(f[3])});
  }
  return rows;
}

// The state of one market after one group of frames (all frames of one input row).
struct GroupState {
  int64_t local_ts_ns = 0;
  std::string ticker;
  int yes_best_cents = 0;  // 0 = no bids
  int no_best_cents = 0;
  int64_t yes_best_size = 0;  // contracts x 100
  int64_t no_best_size = 0;
};

struct Replay {
  core::Status status;
  std::vector<GroupState> groups;
  int64_t frames = 0;
  int64_t snapshots = 0;
  int64_t deltas = 0;
  std::vector<std::string> problems;  // book/sequence problems (must stay empty)
  RecordingHeader header;
};

int BestCents(const book::OrderBook& b, OutcomeSide side) {
  auto best = b.BestBid(side);
  if (!best) return 0;
  EXPECT_EQ(best->price.units() % 100, 0);
  return static_cast<int>(best->price.units() / 100);
}

// Replays a recording through kalshi::Decoder + book::BookSet, recording the best bids of the
// market after each group of consecutive frames with the same (local_ts, ticker).
Replay ReplayRecording(const std::string& path) {
  Replay out;
  auto reader = RecordingReader::Open(path);
  if (!reader.ok()) {
    out.status = reader.error();
    return out;
  }
  out.header = (*reader)->header();
  kalshi::Decoder decoder;
  book::BookSet books;
  Record rec;
  std::string group_ticker;
  int64_t group_ts = 0;
  bool in_group = false;
  auto close_group = [&] {
    if (!in_group) return;
    const book::OrderBook* b = books.Find(group_ticker);
    GroupState g;
    g.local_ts_ns = group_ts;
    g.ticker = group_ticker;
    if (b == nullptr) {
      out.problems.push_back("no book for " + group_ticker);
    } else {
      if (!b->live()) out.problems.push_back("book not live: " + group_ticker);
      g.yes_best_cents = BestCents(*b, OutcomeSide::kYes);
      g.no_best_cents = BestCents(*b, OutcomeSide::kNo);
      if (auto l = b->BestBid(OutcomeSide::kYes)) g.yes_best_size = l->count.units();
      if (auto l = b->BestBid(OutcomeSide::kNo)) g.no_best_size = l->count.units();
    }
    out.groups.push_back(g);
  };
  while (true) {
    auto more = (*reader)->Next(&rec);
    if (!more.ok()) {
      out.status = more.error();
      return out;
    }
    if (!*more) break;
    ++out.frames;
    auto decoded = decoder.Decode(rec.frame);
    if (!decoded.ok()) {
      out.problems.push_back("decode: " + decoded.error().ToString());
      continue;
    }
    const kalshi::Message& m = **decoded;
    if (m.format != kalshi::WireFormat::kFixedPoint) out.problems.push_back("legacy format");
    if (m.sid != rec.sid || !m.seq || *m.seq != rec.seq) {
      out.problems.push_back("record sid/seq differ from the frame's");
    }
    std::string_view ticker = m.type == kalshi::MessageType::kOrderbookSnapshot
                                  ? m.snapshot.market_ticker
                                  : m.delta.market_ticker;
    // A new (local_ts, ticker) starts the next row's group: record the previous one first.
    if (!in_group || ticker != group_ticker || rec.local_ts.nanos() != group_ts) {
      close_group();
      in_group = true;
      group_ticker = std::string(ticker);
      group_ts = rec.local_ts.nanos();
    }
    book::ApplyOutcome outcome;
    if (m.type == kalshi::MessageType::kOrderbookSnapshot) {
      ++out.snapshots;
      outcome = books.ApplySnapshot(m.sid, *m.seq, ticker, m.snapshot.yes_bids, m.snapshot.no_bids);
    } else if (m.type == kalshi::MessageType::kOrderbookDelta) {
      ++out.deltas;
      if (!m.delta.ts_ms || *m.delta.ts_ms != rec.local_ts.millis()) {
        out.problems.push_back("delta ts_ms differs from the row time");
      }
      outcome = books.ApplyDelta(m.sid, *m.seq, ticker, m.delta.side, m.delta.price, m.delta.delta,
                                 m.delta.ts_ms);
      if (outcome.effect == book::DeltaEffect::kClamped) out.problems.push_back("clamped delta");
    } else {
      out.problems.push_back("unexpected message type");
      continue;
    }
    if (outcome.verdict != book::SeqVerdict::kApply) {
      out.problems.push_back(std::string("seq verdict ") +
                             std::string(book::SeqVerdictName(outcome.verdict)));
    }
    if (!outcome.applied || outcome.error) {
      out.problems.push_back(
          "book refused: " +
          (outcome.error ? std::string(book::BookErrorName(*outcome.error)) : std::string("?")));
    }
  }
  close_group();
  return out;
}

std::string RealDay(const std::string& name) {
  return testing::SharedDataDir() + "/Kalshi-Trader/market_logs/" + name;
}

// The key test: one real day, replayed through the decoder and the books, keeps every best
// bid of the CSV exactly, row by row, with contiguous seq and no book errors.
TEST(ConvertRealDay, KeepsEveryBestBidOfTheCsvRowByRow) {
  const std::string csv = RealDay("market_data_KXHIGHNY-25DEC05.csv");
  if (!std::filesystem::exists(csv)) GTEST_SKIP() << "real data not found: " << csv;
  TempDir dir;
  ConvertOptions opts;
  opts.seed = 1;
  auto report = ConvertTopOfBookCsvToFile(std::vector<std::string>{csv}, dir.File("d.kfrec"), opts);
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  EXPECT_EQ(report->rows_malformed, 0);
  EXPECT_EQ(report->markets, 6);
  EXPECT_FALSE(std::filesystem::exists(dir.File("d.kfrec.partial")));

  const std::vector<CsvRow> rows = ParseCsvIndependently(csv);
  ASSERT_GT(rows.size(), 40000u);
  EXPECT_EQ(report->rows, static_cast<int64_t>(rows.size()));

  Replay replay = ReplayRecording(dir.File("d.kfrec"));
  ASSERT_TRUE(replay.status.ok()) << replay.status.ToString();
  EXPECT_TRUE(replay.problems.empty())
      << replay.problems.size()
      << " problems, first: " << (replay.problems.empty() ? "" : replay.problems[0]);
  EXPECT_EQ(replay.frames, report->frames);
  EXPECT_EQ(replay.snapshots, report->snapshots);
  EXPECT_EQ(replay.deltas, report->deltas);
  ASSERT_EQ(replay.groups.size(), rows.size());
  std::map<std::string, bool> seen;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const CsvRow& r = rows[i];
    const GroupState& g = replay.groups[i];
    ASSERT_EQ(g.ticker, r.ticker) << "row " << i + 2;
    ASSERT_EQ(g.yes_best_cents, r.yes) << "row " << i + 2 << " " << r.ts << " " << r.ticker;
    ASSERT_EQ(g.no_best_cents, r.no) << "row " << i + 2 << " " << r.ts << " " << r.ticker;
    auto ts = core::Timestamp::ParseIso8601(r.ts);
    ASSERT_TRUE(ts.ok());
    ASSERT_EQ(g.local_ts_ns, ts->nanos()) << "row " << i + 2;  // real timing kept exactly
    seen[r.ticker] = true;
  }
  EXPECT_EQ(seen.size(), 6u);

  // Header: what the recording says about itself.
  const RecordingHeader& h = replay.header;
  EXPECT_EQ(h.environment, KalshiEnvironment::kConverted);
  EXPECT_FALSE(h.use_yes_price);
  EXPECT_EQ(h.seed, 1u);
  EXPECT_EQ(h.tz_offset_minutes, 0);
  ASSERT_EQ(h.inputs.size(), 1u);
  EXPECT_EQ(h.inputs[0].name, "market_data_KXHIGHNY-25DEC05.csv");
  auto digest = DigestFile(csv);
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(h.inputs[0].sha256, digest->sha256);
  EXPECT_EQ(h.inputs[0].bytes, digest->bytes);
  EXPECT_EQ(h.details["depth_model"]["name"], kDepthModelName);

  // Stats agree with the conversion report.
  auto stats = ComputeRecordingStats(dir.File("d.kfrec"));
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(stats->frames, report->frames);
  EXPECT_EQ(stats->seq_gaps, 0);
  EXPECT_EQ(stats->undecodable_frames, 0);
  EXPECT_EQ(stats->per_market.size(), 6u);
  for (const auto& m : report->per_market) {
    ASSERT_TRUE(stats->per_market.count(m.ticker));
    EXPECT_EQ(stats->per_market.at(m.ticker).snapshots, m.snapshots);
    EXPECT_EQ(stats->per_market.at(m.ticker).deltas, m.deltas);
  }
  EXPECT_EQ(stats->start, report->first_ts);
  EXPECT_EQ(stats->end, report->last_ts);
  EXPECT_EQ(stats->file_bytes, report->output_bytes);
  const nlohmann::json j = stats->ToJson();
  EXPECT_EQ(j["markets"], 6);
  EXPECT_EQ(j["frames"], report->frames);
  EXPECT_GT(j["span_seconds"].get<double>(), 3600.0);
}

TEST(ConvertRealDay, SameSeedIsByteIdenticalOtherSeedChangesOnlySizes) {
  const std::string csv = RealDay("market_data_KXHIGHNY-25DEC07.csv");
  if (!std::filesystem::exists(csv)) GTEST_SKIP() << "real data not found: " << csv;
  TempDir dir;
  const std::vector<std::string> in{csv};
  ConvertOptions a;
  a.seed = 7;
  ConvertOptions b;
  b.seed = 8;
  ASSERT_TRUE(ConvertTopOfBookCsvToFile(in, dir.File("a1.kfrec"), a).ok());
  ASSERT_TRUE(ConvertTopOfBookCsvToFile(in, dir.File("a2.kfrec"), a).ok());
  ASSERT_TRUE(ConvertTopOfBookCsvToFile(in, dir.File("b.kfrec"), b).ok());
  const std::string a1 = ReadFileBytes(dir.File("a1.kfrec"));
  EXPECT_EQ(a1, ReadFileBytes(dir.File("a2.kfrec")));
  EXPECT_NE(a1, ReadFileBytes(dir.File("b.kfrec")));

  Replay ra = ReplayRecording(dir.File("a1.kfrec"));
  Replay rb = ReplayRecording(dir.File("b.kfrec"));
  ASSERT_TRUE(ra.status.ok() && rb.status.ok());
  EXPECT_TRUE(ra.problems.empty());
  EXPECT_TRUE(rb.problems.empty());
  ASSERT_EQ(ra.groups.size(), rb.groups.size());
  int64_t size_differences = 0;
  for (std::size_t i = 0; i < ra.groups.size(); ++i) {
    ASSERT_EQ(ra.groups[i].yes_best_cents, rb.groups[i].yes_best_cents) << i;
    ASSERT_EQ(ra.groups[i].no_best_cents, rb.groups[i].no_best_cents) << i;
    ASSERT_EQ(ra.groups[i].local_ts_ns, rb.groups[i].local_ts_ns) << i;
    size_differences += ra.groups[i].yes_best_size != rb.groups[i].yes_best_size;
  }
  EXPECT_GT(size_differences, static_cast<int64_t>(ra.groups.size() / 4));
}

// A small synthetic pair of files: sids per file, merge by time, seq numbering, re-snapshots,
// empty sides, malformed lines.
TEST(Convert, MergesFilesBySidAndTime) {
  TempDir dir;
  WriteFileBytes(dir.File("a.csv"), kHeader +
                                        "2025-12-04T12:00:00.000001,KX-A-1,40,50,60,50\n"
                                        "2025-12-04T12:00:00.000002,KX-A-2,10,80,90,20\n"
                                        "2025-12-04T12:00:03,KX-A-1,41,50,59,50\n"
                                        "2025-12-04T12:00:05,KX-A-1,41,50,59,50\n"  // repeat
                                        "bad line\n"
                                        "2025-12-04T12:00:06,KX-A-2,0,80,100,20\n");
  WriteFileBytes(dir.File("b.csv"), kHeader +
                                        "2025-12-04T12:00:01,KX-B-1,30,60,70,40\n"
                                        "2025-12-04T12:00:03,KX-B-1,25,60,75,40\n"
                                        "2025-12-04T12:00:04,KX-A-X,5,5,95,95\n");
  std::vector<MalformedLine> reported;
  ConvertOptions opts;
  opts.on_malformed = [&](const MalformedLine& m) { reported.push_back(m); };
  const std::vector<std::string> in{dir.File("a.csv"), dir.File("b.csv")};
  auto report = ConvertTopOfBookCsvToFile(in, dir.File("m.kfrec"), opts);
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  EXPECT_EQ(report->files, 2);
  EXPECT_EQ(report->rows, 8);
  EXPECT_EQ(report->rows_malformed, 1);
  EXPECT_EQ(report->data_lines, 9);
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_TRUE(reported[0].ToString().ends_with("a.csv:6: expected 6 comma-separated fields, got 1"))
      << reported[0].ToString();
  EXPECT_EQ(reported[0].line, 6);
  EXPECT_EQ(report->markets, 4);
  EXPECT_EQ(report->resnapshots, 1);
  EXPECT_EQ(report->empty_side_rows, 1);

  auto reader = RecordingReader::Open(dir.File("m.kfrec"));
  ASSERT_TRUE(reader.ok());
  kalshi::Decoder decoder;
  Record rec;
  std::map<int64_t, int64_t> last_seq;
  std::vector<std::pair<int64_t, std::string>> order;  // (sid, type:ticker) of each frame
  int64_t prev_ts = 0;
  while (*(*reader)->Next(&rec)) {
    EXPECT_GE(rec.local_ts.nanos(), prev_ts);  // merged in time order
    prev_ts = rec.local_ts.nanos();
    EXPECT_EQ(rec.seq, last_seq[rec.sid] + 1);  // contiguous per sid from 1
    last_seq[rec.sid] = rec.seq;
    auto d = decoder.Decode(rec.frame);
    ASSERT_TRUE(d.ok()) << d.error().ToString() << " " << rec.frame;
    const kalshi::Message& m = **d;
    if (m.type == kalshi::MessageType::kOrderbookSnapshot) {
      order.emplace_back(rec.sid, "S:" + std::string(m.snapshot.market_ticker));
      EXPECT_EQ(rec.frame.find("market_id"), std::string_view::npos);
    } else {
      order.emplace_back(rec.sid, "D:" + std::string(m.delta.market_ticker));
    }
  }
  // Snapshots at first appearance, on the sid of the market's file.
  ASSERT_GE(order.size(), 5u);
  EXPECT_EQ(order[0], (std::pair<int64_t, std::string>{1, "S:KX-A-1"}));
  EXPECT_EQ(order[1], (std::pair<int64_t, std::string>{1, "S:KX-A-2"}));
  EXPECT_EQ(order[2], (std::pair<int64_t, std::string>{2, "S:KX-B-1"}));
  // 12:00:03 tie: file a (sid 1) first.
  EXPECT_EQ(order[3], (std::pair<int64_t, std::string>{1, "D:KX-A-1"}));
  int resnapshots = 0;
  for (const auto& [sid, what] : order) resnapshots += what == "S:KX-A-1";
  EXPECT_EQ(resnapshots, 2);  // first row + the repeated row
  EXPECT_EQ(last_seq.size(), 2u);
}

TEST(Convert, RejectsAMarketInTwoFilesAndLeavesNoOutput) {
  TempDir dir;
  WriteFileBytes(dir.File("a.csv"), kHeader + "2025-12-04T12:00:00,KX-A,40,50,60,50\n");
  WriteFileBytes(dir.File("b.csv"), kHeader + "2025-12-04T12:00:01,KX-A,41,50,59,50\n");
  const std::vector<std::string> in{dir.File("a.csv"), dir.File("b.csv")};
  auto report = ConvertTopOfBookCsvToFile(in, dir.File("x.kfrec"), {});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(report.error().message().find("KX-A"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir.File("x.kfrec")));
  EXPECT_FALSE(std::filesystem::exists(dir.File("x.kfrec.partial")));
}

TEST(Convert, MissingInputIsAnError) {
  TempDir dir;
  const std::vector<std::string> in{dir.File("nope.csv")};
  auto report = ConvertTopOfBookCsvToFile(in, dir.File("x.kfrec"), {});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code(), core::StatusCode::kNotFound);
  const std::vector<std::string> none;
  EXPECT_FALSE(ConvertTopOfBookCsvToFile(none, dir.File("x.kfrec"), {}).ok());
}

TEST(Convert, CrossedAndLockedRowsKeepTheirBestBids) {
  TempDir dir;
  WriteFileBytes(dir.File("c.csv"), kHeader +
                                        "2025-12-10T08:03:43,KX-C,38,60,62,40\n"
                                        "2025-12-10T08:03:44,KX-C,40,61,60,39\n"  // crossed
                                        "2025-12-10T08:03:45,KX-C,39,61,61,39\n"  // locked
                                        "2025-12-10T08:03:46,KX-C,0,0,100,100\n"
                                        "2025-12-10T08:03:47,KX-C,20,70,80,30\n");
  auto report = ConvertTopOfBookCsvToFile(std::vector<std::string>{dir.File("c.csv")},
                                          dir.File("c.kfrec"), {});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->crossed_rows, 1);
  EXPECT_EQ(report->locked_rows, 1);
  Replay r = ReplayRecording(dir.File("c.kfrec"));
  ASSERT_TRUE(r.status.ok());
  EXPECT_TRUE(r.problems.empty()) << r.problems[0];
  ASSERT_EQ(r.groups.size(), 5u);
  const int want[5][2] = {{38, 60}, {40, 61}, {39, 61}, {0, 0}, {20, 70}};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(r.groups[i].yes_best_cents, want[i][0]) << i;
    EXPECT_EQ(r.groups[i].no_best_cents, want[i][1]) << i;
  }
}

// The bundled demo data (data/demo/market_logs/*.csv.zst) decompresses to exactly the real
// files in ../shared, and data/demo/README.md lists their sha256.
TEST(DemoData, BundledFilesDecompressToTheOriginals) {
  const std::string demo = testing::SourceDir() + "/data/demo/market_logs";
  ASSERT_TRUE(std::filesystem::exists(demo)) << demo;
  const std::string readme = ReadFileBytes(testing::SourceDir() + "/data/demo/README.md");
  int files = 0;
  TempDir dir;
  for (const auto& entry : std::filesystem::directory_iterator(demo)) {
    const std::string name = entry.path().filename().string();
    if (!name.ends_with(".csv.zst")) continue;
    ++files;
    // Decompress with our reader (checks the zstd content checksum).
    auto src = ByteSource::Open(entry.path().string());
    ASSERT_TRUE(src.ok());
    ASSERT_TRUE((*src)->compressed());
    std::string plain;
    char buf[65536];
    while (true) {
      auto got = (*src)->Read(buf, sizeof(buf));
      ASSERT_TRUE(got.ok()) << got.error().ToString();
      if (*got == 0) break;
      plain.append(buf, *got);
    }
    const std::string csv_name = name.substr(0, name.size() - 4);
    WriteFileBytes(dir.File(csv_name), plain);
    auto digest = DigestFile(dir.File(csv_name));
    ASSERT_TRUE(digest.ok());
    EXPECT_NE(readme.find(digest->sha256), std::string::npos)
        << csv_name << " sha256 " << digest->sha256 << " not in data/demo/README.md";
    const std::string original = RealDay(csv_name);
    if (std::filesystem::exists(original)) {
      auto want = DigestFile(original);
      ASSERT_TRUE(want.ok());
      EXPECT_EQ(digest->sha256, want->sha256) << csv_name;
      EXPECT_EQ(digest->bytes, want->bytes) << csv_name;
    }
  }
  EXPECT_EQ(files, 3);
}

}  // namespace
}  // namespace kalshiflow::recording
