#include "recording/format.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <zstd.h>

#include <string>
#include <vector>

#include "core/rng.h"
#include "recording/stats.h"
#include "recording/tests/test_util.h"

namespace kalshiflow::recording {
namespace {

using testing::ReadFileBytes;
using testing::TempDir;
using testing::WriteFileBytes;

struct OwnedRecord {
  int64_t ts_ns;
  Direction direction;
  int64_t sid;
  int64_t seq;
  std::string frame;
  friend bool operator==(const OwnedRecord&, const OwnedRecord&) = default;
};

RecordingHeader SampleHeader() {
  RecordingHeader h;
  h.source = "unit test";
  h.environment = KalshiEnvironment::kDemo;
  h.use_yes_price = false;
  h.creator = "format_test";
  h.websocket_url = "wss://demo-api.kalshi.co/trade-api/ws/v2";
  h.seed = 42;
  h.inputs = {{"a.csv", 12, "00ff"}};
  h.details = {{"k", "v"}};
  return h;
}

std::vector<OwnedRecord> RandomRecords(core::Rng& rng, int n) {
  std::vector<OwnedRecord> out;
  int64_t ts = 1'700'000'000'000'000'000;
  for (int i = 0; i < n; ++i) {
    ts += rng.UniformInt(0, 5'000'000);
    std::string frame(static_cast<std::size_t>(rng.UniformInt(0, 300)), '\0');
    for (char& c : frame) c = static_cast<char>(rng.UniformInt(0, 255));
    out.push_back({ts, rng.Bernoulli(0.1) ? Direction::kClientToServer : Direction::kServerToClient,
                   rng.UniformInt(0, 5), rng.UniformInt(0, 1'000'000), std::move(frame)});
  }
  return out;
}

void WriteRecording(const std::string& path, const std::vector<OwnedRecord>& records,
                    bool close = true, const RecordingHeader& header = SampleHeader()) {
  auto writer = RecordingWriter::Create(path, header);
  ASSERT_TRUE(writer.ok()) << writer.error().ToString();
  for (const auto& r : records) {
    ASSERT_TRUE(
        (*writer)
            ->Append({core::Timestamp::FromNanos(r.ts_ns), r.direction, r.sid, r.seq, r.frame})
            .ok());
  }
  if (close) {
    ASSERT_TRUE((*writer)->Close().ok());
  } else {
    ASSERT_TRUE((*writer)->Flush().ok());
  }
}

// Reads everything; returns the records read before the end or the first error.
core::Status ReadAll(const std::string& path, std::vector<OwnedRecord>* out) {
  auto reader = RecordingReader::Open(path);
  if (!reader.ok()) return reader.error();
  Record rec;
  while (true) {
    auto more = (*reader)->Next(&rec);
    if (!more.ok()) return more.error();
    if (!*more) return core::Status::Ok();
    out->push_back({rec.local_ts.nanos(), rec.direction, rec.sid, rec.seq, std::string(rec.frame)});
  }
}

std::string Decompress(const std::string& compressed) {
  std::string out;
  std::vector<char> buf(ZSTD_DStreamOutSize());
  ZSTD_DCtx* d = ZSTD_createDCtx();
  ZSTD_inBuffer in{compressed.data(), compressed.size(), 0};
  while (true) {
    ZSTD_outBuffer o{buf.data(), buf.size(), 0};
    const std::size_t r = ZSTD_decompressStream(d, &o, &in);
    if (ZSTD_isError(r)) break;
    out.append(buf.data(), o.pos);
    if (in.pos == in.size && o.pos < o.size) break;
  }
  ZSTD_freeDCtx(d);
  return out;
}

TEST(RecordingFormat, RoundTripsRecordsAndHeader) {
  TempDir dir;
  core::Rng rng(7);
  const auto records = RandomRecords(rng, 2000);
  WriteRecording(dir.File("a.kfrec"), records);
  auto reader = RecordingReader::Open(dir.File("a.kfrec"));
  ASSERT_TRUE(reader.ok()) << reader.error().ToString();
  const RecordingHeader& h = (*reader)->header();
  EXPECT_EQ(h.source, "unit test");
  EXPECT_EQ(h.environment, KalshiEnvironment::kDemo);
  EXPECT_FALSE(h.use_yes_price);
  EXPECT_EQ(h.websocket_url, SampleHeader().websocket_url);
  EXPECT_EQ(h.seed, 42u);
  EXPECT_EQ(h.inputs, SampleHeader().inputs);
  EXPECT_EQ(h.details, SampleHeader().details);
  std::vector<OwnedRecord> got;
  ASSERT_TRUE(ReadAll(dir.File("a.kfrec"), &got).ok());
  EXPECT_EQ(got, records);
}

TEST(RecordingFormat, TrailerSummarisesTheRecords) {
  TempDir dir;
  core::Rng rng(8);
  const auto records = RandomRecords(rng, 10);
  WriteRecording(dir.File("t.kfrec"), records);
  auto reader = RecordingReader::Open(dir.File("t.kfrec"));
  ASSERT_TRUE(reader.ok());
  Record rec;
  while (*(*reader)->Next(&rec)) {
  }
  ASSERT_TRUE((*reader)->trailer().has_value());
  EXPECT_EQ((*reader)->trailer()->frames, 10u);
  EXPECT_EQ((*reader)->trailer()->first_local_ts->nanos(), records.front().ts_ns);
  EXPECT_EQ((*reader)->trailer()->last_local_ts->nanos(), records.back().ts_ns);
  // Next() after the end keeps answering "end".
  auto again = (*reader)->Next(&rec);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
}

RC_GTEST_PROP(RecordingFormatProp, RandomRecordsRoundTrip, (uint64_t seed)) {
  TempDir dir;
  core::Rng rng(seed);
  const auto records = RandomRecords(rng, static_cast<int>(rng.UniformInt(0, 50)));
  WriteRecording(dir.File("p.kfrec"), records);
  std::vector<OwnedRecord> got;
  RC_ASSERT(ReadAll(dir.File("p.kfrec"), &got).ok());
  RC_ASSERT(got == records);
}

TEST(RecordingFormat, EmptyRecordingIsValid) {
  TempDir dir;
  WriteRecording(dir.File("e.kfrec"), {});
  std::vector<OwnedRecord> got;
  EXPECT_TRUE(ReadAll(dir.File("e.kfrec"), &got).ok());
  EXPECT_TRUE(got.empty());
}

TEST(RecordingFormat, SameInputGivesIdenticalBytes) {
  TempDir dir;
  core::Rng a(9), b(9);
  WriteRecording(dir.File("1.kfrec"), RandomRecords(a, 500));
  WriteRecording(dir.File("2.kfrec"), RandomRecords(b, 500));
  EXPECT_EQ(ReadFileBytes(dir.File("1.kfrec")), ReadFileBytes(dir.File("2.kfrec")));
}

// Cutting the file anywhere gives a clean DataLoss (or, at offset 0, "not a recording"), never
// a crash, and every record returned before the error is intact.
TEST(RecordingFormat, TruncationAtEveryOffsetIsDataLoss) {
  TempDir dir;
  core::Rng rng(10);
  const auto records = RandomRecords(rng, 40);
  WriteRecording(dir.File("full.kfrec"), records);
  const std::string bytes = ReadFileBytes(dir.File("full.kfrec"));
  ASSERT_GT(bytes.size(), 100u);
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    WriteFileBytes(dir.File("cut.kfrec"), bytes.substr(0, cut));
    std::vector<OwnedRecord> got;
    core::Status s = ReadAll(dir.File("cut.kfrec"), &got);
    ASSERT_FALSE(s.ok()) << "cut at " << cut;
    EXPECT_EQ(s.code(), core::StatusCode::kDataLoss) << "cut at " << cut << ": " << s.ToString();
    EXPECT_NE(s.message().find("offset"), std::string::npos) << s.ToString();
    ASSERT_LE(got.size(), records.size());
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], records[i]);
  }
}

// The same on the uncompressed stream (the reader accepts it), so record-level truncation is
// exercised at every byte, including exact record boundaries (missing end record).
TEST(RecordingFormat, TruncatedUncompressedStreamIsDataLoss) {
  TempDir dir;
  core::Rng rng(11);
  const auto records = RandomRecords(rng, 25);
  WriteRecording(dir.File("full.kfrec"), records);
  const std::string plain = Decompress(ReadFileBytes(dir.File("full.kfrec")));
  ASSERT_EQ(plain.substr(0, 8), "KFLOWREC");
  int boundary_cuts = 0;
  for (std::size_t cut = 0; cut < plain.size(); ++cut) {
    WriteFileBytes(dir.File("cut.kfrec"), plain.substr(0, cut));
    std::vector<OwnedRecord> got;
    core::Status s = ReadAll(dir.File("cut.kfrec"), &got);
    ASSERT_EQ(s.code(), core::StatusCode::kDataLoss) << "cut at " << cut << ": " << s.ToString();
    if (s.message().find("missing end record") != std::string::npos) ++boundary_cuts;
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], records[i]);
  }
  EXPECT_EQ(boundary_cuts, 26);  // after the header and after each of the 25 records
  WriteFileBytes(dir.File("plain.kfrec"), plain);
  std::vector<OwnedRecord> got;
  EXPECT_TRUE(ReadAll(dir.File("plain.kfrec"), &got).ok());
  EXPECT_EQ(got, records);
}

TEST(RecordingFormat, FlippedBytesAreDetected) {
  TempDir dir;
  core::Rng rng(12);
  const auto records = RandomRecords(rng, 30);
  WriteRecording(dir.File("full.kfrec"), records);
  const std::string plain = Decompress(ReadFileBytes(dir.File("full.kfrec")));
  const std::string compressed = ReadFileBytes(dir.File("full.kfrec"));
  // Every byte of the uncompressed stream: any single-bit flip is caught (magic, version,
  // header CRC, record CRC-32C, trailer counts).
  for (std::size_t pos = 0; pos < plain.size(); ++pos) {
    std::string bad = plain;
    bad[pos] = static_cast<char>(bad[pos] ^ (1 << (pos % 8)));
    WriteFileBytes(dir.File("bad.kfrec"), bad);
    std::vector<OwnedRecord> got;
    core::Status s = ReadAll(dir.File("bad.kfrec"), &got);
    ASSERT_EQ(s.code(), core::StatusCode::kDataLoss) << "flip at " << pos;
  }
  // Compressed stream: flips are caught by zstd (structure or content checksum) or by our CRCs.
  for (std::size_t pos = 0; pos < compressed.size(); pos += 7) {
    std::string bad = compressed;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x10);
    WriteFileBytes(dir.File("badz.kfrec"), bad);
    std::vector<OwnedRecord> got;
    core::Status s = ReadAll(dir.File("badz.kfrec"), &got);
    ASSERT_EQ(s.code(), core::StatusCode::kDataLoss) << "flip at " << pos;
  }
}

TEST(RecordingFormat, UnclosedWriterLeavesReadableRecordsAndReportsMissingEnd) {
  TempDir dir;
  core::Rng rng(13);
  const auto records = RandomRecords(rng, 20);
  {
    auto writer = RecordingWriter::Create(dir.File("open.kfrec"), SampleHeader());
    ASSERT_TRUE(writer.ok());
    for (const auto& r : records) {
      ASSERT_TRUE(
          (*writer)
              ->Append({core::Timestamp::FromNanos(r.ts_ns), r.direction, r.sid, r.seq, r.frame})
              .ok());
    }
    ASSERT_TRUE((*writer)->Flush().ok());
    // Simulate a crash: copy the file while the writer is still open.
    WriteFileBytes(dir.File("crash.kfrec"), ReadFileBytes(dir.File("open.kfrec")));
    ASSERT_TRUE((*writer)->Close().ok());
  }
  std::vector<OwnedRecord> got;
  core::Status s = ReadAll(dir.File("crash.kfrec"), &got);
  EXPECT_EQ(s.code(), core::StatusCode::kDataLoss);
  EXPECT_EQ(got, records);  // everything flushed is readable
}

TEST(RecordingFormat, DataAfterEndRecordIsDataLoss) {
  TempDir dir;
  core::Rng rng(14);
  WriteRecording(dir.File("a.kfrec"), RandomRecords(rng, 3));
  const std::string plain = Decompress(ReadFileBytes(dir.File("a.kfrec")));
  WriteFileBytes(dir.File("b.kfrec"), plain + "x");
  std::vector<OwnedRecord> got;
  core::Status s = ReadAll(dir.File("b.kfrec"), &got);
  EXPECT_EQ(s.code(), core::StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("after the end record"), std::string::npos) << s.ToString();
}

TEST(RecordingFormat, RejectsOtherFiles) {
  TempDir dir;
  WriteFileBytes(dir.File("csv.kfrec"), "timestamp,market_ticker\n");
  auto r = RecordingReader::Open(dir.File("csv.kfrec"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), core::StatusCode::kDataLoss);
  EXPECT_NE(r.error().message().find("bad magic"), std::string::npos);
  auto missing = RecordingReader::Open(dir.File("nope.kfrec"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), core::StatusCode::kNotFound);
}

TEST(RecordingFormat, RejectsOversizedFrame) {
  TempDir dir;
  auto writer = RecordingWriter::Create(dir.File("big.kfrec"), SampleHeader());
  ASSERT_TRUE(writer.ok());
  std::string big(kMaxFrameBytes + 1, 'x');
  core::Status s = (*writer)->Append({core::Timestamp(), Direction::kServerToClient, 1, 1, big});
  EXPECT_EQ(s.code(), core::StatusCode::kInvalidArgument);
  EXPECT_TRUE((*writer)->Close().ok());
}

TEST(RecordingHeaderJson, ValidatesFields) {
  const std::string good = SampleHeader().ToJson();
  auto parsed = RecordingHeader::FromJson(good);
  ASSERT_TRUE(parsed.ok()) << parsed.error().ToString();
  EXPECT_EQ(parsed->ToJson(), good);

  auto with = [&](const std::string& key, nlohmann::json value) {
    nlohmann::json j = nlohmann::json::parse(good);
    if (value.is_null()) {
      j.erase(key);
    } else {
      j[key] = value;
    }
    return RecordingHeader::FromJson(j.dump());
  };
  EXPECT_FALSE(with("format", "other").ok());
  EXPECT_FALSE(with("version", 2).ok());
  EXPECT_FALSE(with("environment", "staging").ok());
  EXPECT_FALSE(with("use_yes_price", "false").ok());
  EXPECT_FALSE(with("inputs", nullptr).ok());
  EXPECT_FALSE(with("seed", -1).ok());
  EXPECT_FALSE(with("tz_offset_minutes", 5000).ok());
  EXPECT_FALSE(RecordingHeader::FromJson("[1,2]").ok());
  EXPECT_FALSE(RecordingHeader::FromJson("{").ok());
  // Unknown keys from a newer writer are preserved.
  auto future = with("collector_session", 17);
  ASSERT_TRUE(future.ok());
  EXPECT_EQ(future->extra["collector_session"], 17);
  EXPECT_NE(future->ToJson().find("collector_session"), std::string::npos);
}

TEST(Environment, NamesRoundTrip) {
  for (auto env :
       {KalshiEnvironment::kDemo, KalshiEnvironment::kProduction, KalshiEnvironment::kLocal,
        KalshiEnvironment::kReplay, KalshiEnvironment::kConverted}) {
    EXPECT_EQ(ParseEnvironment(EnvironmentName(env)), env);
  }
  EXPECT_FALSE(ParseEnvironment("prod").has_value());
}

TEST(Crc32c, KnownVector) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(""), 0u);
  // Incremental == one shot.
  EXPECT_EQ(Crc32c("6789", Crc32c("12345")), Crc32c("123456789"));
}

// `recording stats` applies the per-sid rule of PROTOCOL §3.5: one duplicate is one duplicate
// (not a gap, and the frame after it is in order), and a skipped seq is one gap.
TEST(RecordingStats, CountsDuplicatesAndGapsPerSid) {
  TempDir dir;
  const std::string ok = R"({"type":"ok","sid":1,"seq":1,"id":3,"msg":{"market_tickers":["A"]}})";
  std::vector<OwnedRecord> records;
  int64_t ts = 1'700'000'000'000'000'000;
  for (int64_t seq : {1, 2, 2, 3, 5, 6}) {
    records.push_back({ts += 1000, Direction::kServerToClient, 1, seq, ok});
  }
  records.push_back({ts += 1000, Direction::kServerToClient, 2, 1, ok});  // another sid
  WriteRecording(dir.File("s.kfrec"), records);
  auto stats = ComputeRecordingStats(dir.File("s.kfrec"));
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(stats->frames, 7);
  EXPECT_EQ(stats->seq_duplicates, 1);
  EXPECT_EQ(stats->seq_gaps, 1);
  EXPECT_EQ(stats->seq_invalid, 0);
}

}  // namespace
}  // namespace kalshiflow::recording
