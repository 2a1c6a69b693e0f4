// For tests that trade on the local exchange: a recording holding one market's order-book
// snapshot (sid 1, seq 1, at 2026-01-01T00:00:00Z), so the replayed book is exactly
// `yes_bids` / `no_bids` (prices in fixed-point units, ascending; sizes in contracts).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/fixed_point.h"
#include "kalshi/frame_encoder.h"
#include "recording/format.h"

namespace kalshiflow::exchange::testing {

/// Writes the recording to `path` (failures are test failures) and returns `path`.
inline std::string WriteOneBookRecording(const std::filesystem::path& path, std::string_view ticker,
                                         std::vector<core::PriceLevel> yes_bids,
                                         std::vector<core::PriceLevel> no_bids) {
  recording::RecordingHeader header;
  header.source = "one-book test recording";
  header.environment = recording::KalshiEnvironment::kLocal;
  header.creator = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  auto writer = recording::RecordingWriter::Create(path.string(), header);
  EXPECT_TRUE(writer.ok());
  if (!writer.ok()) return path.string();
  kalshi::OrderbookSnapshot snapshot;
  snapshot.market_ticker = ticker;
  snapshot.yes_bids = yes_bids;
  snapshot.no_bids = no_bids;
  recording::Record record;
  record.local_ts = core::Timestamp::FromMillis(1'767'225'600'000);
  record.sid = 1;
  record.seq = 1;
  std::string frame;
  kalshi::EncodeOrderbookSnapshot(1, 1, snapshot, frame);
  record.frame = frame;
  EXPECT_TRUE((*writer)->Append(record).ok());
  EXPECT_TRUE((*writer)->Close().ok());
  return path.string();
}

}  // namespace kalshiflow::exchange::testing
