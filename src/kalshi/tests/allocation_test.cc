// The decoder's hot path performs no heap allocation once warmed up (DESIGN §2 "Life of a
// delta"). Counts calls to the global operator new (plain and nothrow, which simdjson uses),
// which this test binary replaces.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "core/tests/allocation_counter.h"
#include "kalshi/decoder.h"
#include "kalshi/frame_encoder.h"
#include "kalshi/tests/test_util.h"

using kalshiflow::testing::g_allocations;
using kalshiflow::testing::g_counting;

namespace kalshiflow::kalshi {
namespace {

// Frames of every hot type, in varied shapes.
std::vector<std::string> Frames() {
  std::vector<std::string> frames;
  std::vector<core::PriceLevel> yes, no;
  for (int i = 0; i < 10; ++i) {
    yes.push_back({core::Price::FromUnits(100 * (i + 1)), core::Count::FromUnits(1000 + i)});
    no.push_back({core::Price::FromUnits(100 * (i + 20)), core::Count::FromUnits(500 + i)});
  }
  OrderbookSnapshot snapshot;
  snapshot.market_ticker = "KXGOLD15M-26AUG102130-30";
  snapshot.market_id = "9b0f6b43-5b68-4f9f-9f02-9a2d1b8ac1a1";
  snapshot.yes_bids = yes;
  snapshot.no_bids = no;
  std::string frame;
  EncodeOrderbookSnapshot(1, 1, snapshot, frame);
  frames.push_back(frame);
  for (int i = 0; i < 50; ++i) {
    OrderbookDelta delta;
    delta.market_ticker = "KXGOLD15M-26AUG102130-30";
    delta.price = core::Price::FromUnits(100 * (i % 99 + 1));
    delta.delta = core::Count::FromUnits((i % 7 - 3) * 100);
    delta.side = i % 2 == 0 ? core::OutcomeSide::kYes : core::OutcomeSide::kNo;
    delta.ts_ms = 1786410915566 + i;
    if (i % 5 == 0) delta.client_order_id = "order-with-\"escape\"";
    frame.clear();
    EncodeOrderbookDelta(1, i + 2, delta, frame);
    frames.push_back(frame);
  }
  for (const char* golden :
       {"legacy/orderbookDelta.priceLevelUpdate.json",
        "legacy/orderbookSnapshot.orderbookWithBothSides.json", "current/ticker.tickerUpdate.json",
        "current/trade.tradeNotification.json", "current/fill.userFill.json",
        "current/okResponse.updateSuccess.json",
        "current/listSubscriptionsResponse.listSubscriptionsResponse.json",
        "current/marketLifecycleV2.priceLevelStructureUpdated.json"}) {
    frames.push_back(testing::ReadGolden(golden));
  }
  return frames;
}

TEST(DecoderAllocation, SteadyStateDecodesDoNotAllocate) {
  std::vector<std::string> frames = Frames();
  Decoder decoder;
  for (const std::string& frame : frames) {  // warm-up: buffers reach their size
    ASSERT_TRUE(decoder.Decode(frame).ok()) << frame;
  }
  g_allocations = 0;
  g_counting = true;
  int decoded = 0;
  for (int round = 0; round < 20; ++round) {
    for (const std::string& frame : frames) decoded += decoder.Decode(frame).ok() ? 1 : 0;
  }
  g_counting = false;
  EXPECT_EQ(decoded, 20 * static_cast<int>(frames.size()));
  EXPECT_EQ(g_allocations.load(), 0);
}

TEST(DecoderAllocation, TheCounterSeesAllocations) {
  // Guards the test above against a counter that never counts: a frame larger than any seen
  // before must grow the decoder's buffers.
  Decoder decoder;
  ASSERT_TRUE(decoder.Decode(Frames()[1]).ok());
  std::string big = Frames()[0];
  big.insert(big.size() - 2, ",\"padding\":\"" + std::string(100'000, 'x') + "\"");
  g_allocations = 0;
  g_counting = true;
  auto result = decoder.Decode(big);
  g_counting = false;
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_GT(g_allocations.load(), 0);
}

}  // namespace
}  // namespace kalshiflow::kalshi
