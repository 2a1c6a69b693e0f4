#include "recording/csv_reader.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <string>
#include <vector>

#include "recording/tests/test_util.h"

namespace kalshiflow::recording {
namespace {

using testing::TempDir;
using testing::WriteFileBytes;

const std::string kHeader = std::string(kTopOfBookCsvHeader) + "\n";

struct ReadResult {
  core::Status status;
  std::vector<TopOfBookRow> rows;
  std::vector<MalformedLine> malformed;
  int64_t data_lines = 0;
  int64_t rows_malformed = 0;
};

ReadResult ReadCsv(const std::string& path, int tz = 0) {
  ReadResult out;
  CsvOptions opts;
  opts.tz_offset_minutes = tz;
  opts.on_malformed = [&](const MalformedLine& m) { out.malformed.push_back(m); };
  auto reader = TopOfBookCsvReader::Open(path, opts);
  if (!reader.ok()) {
    out.status = reader.error();
    return out;
  }
  TopOfBookRow row;
  while (true) {
    auto more = (*reader)->Next(&row);
    if (!more.ok()) {
      out.status = more.error();
      break;
    }
    if (!*more) break;
    out.rows.push_back(row);
  }
  out.data_lines = (*reader)->data_lines();
  out.rows_malformed = (*reader)->rows_malformed();
  return out;
}

// Like the zstd command-line tool: one frame with a content checksum.
std::string Compress(const std::string& plain, int level = 3) {
  std::string out(ZSTD_compressBound(plain.size()), '\0');
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
  const std::size_t n = ZSTD_compress2(c, out.data(), out.size(), plain.data(), plain.size());
  ZSTD_freeCCtx(c);
  out.resize(n);
  return out;
}

TEST(TopOfBookCsv, ReadsValidRows) {
  TempDir dir;
  WriteFileBytes(dir.File("a.csv"),
                 kHeader +
                     "2025-12-04T12:27:16.079996,KXHIGHNY-25DEC05-T37,1,96,99,4\n"
                     "2025-12-04T12:27:16.080242,KXHIGHNY-25DEC05-B32.5,45,54,55,46\n"
                     "2025-12-13T07:02:38,KXHIGHNY-25DEC05-B32.5,0,54,100,46\n");
  ReadResult r = ReadCsv(dir.File("a.csv"));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(r.rows[0].ticker, "KXHIGHNY-25DEC05-T37");
  EXPECT_EQ(r.rows[0].yes_bid_cents, 1);
  EXPECT_EQ(r.rows[0].no_bid_cents, 96);
  EXPECT_EQ(r.rows[0].line, 2);
  EXPECT_EQ(r.rows[0].ts.ToIso8601(), "2025-12-04T12:27:16.079996000Z");
  EXPECT_EQ(r.rows[1].yes_bid_cents, 45);
  EXPECT_EQ(r.rows[2].yes_bid_cents, 0);                                  // empty YES side
  EXPECT_EQ(r.rows[2].ts.ToIso8601(), "2025-12-13T07:02:38.000000000Z");  // no fraction
  EXPECT_TRUE(r.malformed.empty());
  EXPECT_EQ(r.data_lines, 3);
}

TEST(TopOfBookCsv, AppliesTzOffsetToZonelessTimestamps) {
  TempDir dir;
  WriteFileBytes(dir.File("a.csv"), kHeader +
                                        "2025-12-04T12:00:00,KX-A,1,2,99,98\n"
                                        "2025-12-04T18:00:00Z,KX-A,1,2,99,98\n");
  ReadResult r = ReadCsv(dir.File("a.csv"), -300);  // US Eastern standard time
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0].ts.ToIso8601(), "2025-12-04T17:00:00.000000000Z");
  EXPECT_EQ(r.rows[1].ts.ToIso8601(), "2025-12-04T18:00:00.000000000Z");  // explicit zone wins
}

TEST(TopOfBookCsv, ReportsMalformedLinesWithFileAndLineAndSkipsThem) {
  TempDir dir;
  const std::string path = dir.File("m.csv");
  WriteFileBytes(path, kHeader +
                           "2025-12-04T12:00:00,KX-A,40,50,60,50\n"   // 2 ok
                           "2025-12-04T12:00:01,KX-A,40,50,60\n"      // 3 fields
                           "not-a-time,KX-A,40,50,60,50\n"            // 4 timestamp
                           "2025-12-04T12:00:02,kx-a,40,50,60,50\n"   // 5 ticker
                           "2025-12-04T12:00:03,KX-A,4.5,50,95,50\n"  // 6 non-integer
                           "2025-12-04T12:00:04,KX-A,100,0,0,100\n"   // 7 bid 100
                           "2025-12-04T12:00:05,KX-A,40,50,61,50\n"   // 8 implied no ask
                           "2025-12-04T12:00:06,KX-A,40,50,60,51\n"   // 9 implied yes ask
                           "\n"                                       // 10 empty
                           "2025-12-04T11:00:00,KX-A,40,50,60,50\n"   // 11 backwards
                           "2025-12-04T12:00:07,KX-A,-1,50,101,50\n"  // 12 negative
                           "2025-12-04T12:00:08,KX-A, 40,50,60,50\n"  // 13 space
                           "2025-12-04T12:00:09,KX-A,40,50,60,50,\n"  // 14 7 fields
                           + std::string(5000, 'z') +
                           "\n"                                        // 15 too long
                           "2025-12-04T12:00:10,KX-A,41,50,59,50\n");  // 16 ok
  ReadResult r = ReadCsv(path);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0].line, 2);
  EXPECT_EQ(r.rows[1].line, 16);
  EXPECT_EQ(r.rows[1].yes_bid_cents, 41);
  EXPECT_EQ(r.rows_malformed, 13);
  EXPECT_EQ(r.data_lines, 15);
  std::vector<int64_t> lines;
  for (const auto& m : r.malformed) {
    lines.push_back(m.line);
    EXPECT_EQ(m.file, path);
    EXPECT_EQ(m.ToString().substr(0, path.size() + 1), path + ":");
  }
  EXPECT_EQ(lines, (std::vector<int64_t>{3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}));
  auto reason = [&](int64_t line) {
    for (const auto& m : r.malformed) {
      if (m.line == line) return m.reason;
    }
    return std::string();
  };
  EXPECT_NE(reason(3).find("6 comma-separated fields"), std::string::npos) << reason(3);
  EXPECT_NE(reason(4).find("timestamp"), std::string::npos) << reason(4);
  EXPECT_NE(reason(5).find("market_ticker"), std::string::npos) << reason(5);
  EXPECT_NE(reason(6).find("best_yes_bid"), std::string::npos) << reason(6);
  EXPECT_NE(reason(7).find("outside [0, 99]"), std::string::npos) << reason(7);
  EXPECT_NE(reason(8).find("implied_no_ask"), std::string::npos) << reason(8);
  EXPECT_NE(reason(9).find("implied_yes_ask"), std::string::npos) << reason(9);
  EXPECT_NE(reason(10).find("empty line"), std::string::npos) << reason(10);
  EXPECT_NE(reason(11).find("earlier than the previous"), std::string::npos) << reason(11);
  EXPECT_NE(reason(15).find("longer than"), std::string::npos) << reason(15);
}

TEST(TopOfBookCsv, HandlesCrlfBomAndMissingFinalNewline) {
  TempDir dir;
  WriteFileBytes(dir.File("w.csv"), "\xEF\xBB\xBF" + std::string(kTopOfBookCsvHeader) +
                                        "\r\n2025-12-04T12:00:00,KX-A,40,50,60,50\r\n"
                                        "2025-12-04T12:00:01,KX-A,41,50,59,50");
  ReadResult r = ReadCsv(dir.File("w.csv"));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[1].yes_bid_cents, 41);
  EXPECT_EQ(r.rows[1].line, 3);
  EXPECT_TRUE(r.malformed.empty());
}

TEST(TopOfBookCsv, AcceptsCrossedAndLockedRows) {
  TempDir dir;
  WriteFileBytes(dir.File("x.csv"), kHeader +
                                        "2025-12-10T08:03:44.226907,KX-B,40,61,60,39\n"
                                        "2025-12-10T08:03:45,KX-B,24,76,76,24\n");
  ReadResult r = ReadCsv(dir.File("x.csv"));
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.rows.size(), 2u);
  EXPECT_TRUE(r.malformed.empty());
}

TEST(TopOfBookCsv, WrongHeaderOrEmptyFileIsAnError) {
  TempDir dir;
  WriteFileBytes(dir.File("h.csv"), "timestamp,ticker,bid\n2025-12-04T12:00:00,KX-A,40\n");
  ReadResult r = ReadCsv(dir.File("h.csv"));
  EXPECT_EQ(r.status.code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status.message().find("h.csv:1:"), std::string::npos) << r.status.ToString();
  WriteFileBytes(dir.File("e.csv"), "");
  EXPECT_EQ(ReadCsv(dir.File("e.csv")).status.code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadCsv(dir.File("missing.csv")).status.code(), core::StatusCode::kNotFound);
}

TEST(TopOfBookCsv, ReadsZstdCompressedFilesIdentically) {
  TempDir dir;
  std::string body = kHeader;
  for (int i = 0; i < 5000; ++i) {
    body += "2025-12-04T12:00:00." + std::to_string(100000 + i) + ",KX-A," +
            std::to_string(i % 90 + 1) + ",5," + std::to_string(100 - (i % 90 + 1)) + ",95\n";
  }
  body += "garbage line\n";
  WriteFileBytes(dir.File("p.csv"), body);
  WriteFileBytes(dir.File("p.csv.zst"), Compress(body));
  ReadResult plain = ReadCsv(dir.File("p.csv"));
  ReadResult zst = ReadCsv(dir.File("p.csv.zst"));
  ASSERT_TRUE(plain.status.ok());
  ASSERT_TRUE(zst.status.ok()) << zst.status.ToString();
  ASSERT_EQ(plain.rows.size(), 5000u);
  ASSERT_EQ(zst.rows.size(), plain.rows.size());
  for (std::size_t i = 0; i < plain.rows.size(); ++i) {
    ASSERT_EQ(zst.rows[i].ts, plain.rows[i].ts);
    ASSERT_EQ(zst.rows[i].yes_bid_cents, plain.rows[i].yes_bid_cents);
    ASSERT_EQ(zst.rows[i].line, plain.rows[i].line);
  }
  EXPECT_EQ(zst.rows_malformed, 1);
  EXPECT_EQ(zst.malformed[0].line, 5002);
}

TEST(TopOfBookCsv, TruncatedOrCorruptZstdIsDataLoss) {
  TempDir dir;
  std::string body = kHeader;
  for (int i = 0; i < 2000; ++i) body += "2025-12-04T12:00:00,KX-A,40,50,60,50\n";
  const std::string z = Compress(body);
  ASSERT_GT(z.size(), 20u);
  for (std::size_t cut : {z.size() / 2, z.size() - 1, z.size() - 4}) {
    WriteFileBytes(dir.File("t.csv.zst"), z.substr(0, cut));
    ReadResult r = ReadCsv(dir.File("t.csv.zst"));
    EXPECT_EQ(r.status.code(), core::StatusCode::kDataLoss) << cut << " " << r.status.ToString();
  }
  std::string bad = z;
  bad[bad.size() / 2] = static_cast<char>(bad[bad.size() / 2] ^ 0x55);
  WriteFileBytes(dir.File("c.csv.zst"), bad);
  EXPECT_EQ(ReadCsv(dir.File("c.csv.zst")).status.code(), core::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace kalshiflow::recording
