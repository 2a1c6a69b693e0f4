// VerifySession: a session stored by the Collector from a recording's frames verifies with
// zero mismatches (also after a lost frame healed by a resync snapshot); a corrupted stored
// row is reported.
#include "feed/integrity.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "book/tests/test_util.h"
#include "feed/collector.h"
#include "kalshi/frame_encoder.h"
#include "recording/format.h"
#include "storage/database_url.h"
#include "storage/tests/test_util.h"

namespace kalshiflow::feed {
namespace {

using book::testing::C;
using book::testing::D;
using book::testing::L;

class NullSender : public CommandSender {
 public:
  bool SendCommand(std::string) override { return true; }
};

struct Frames {
  std::vector<std::string> frames;
};

// A small two-market stream on sid 1: snapshots then 200 deltas.
Frames MakeStream() {
  Frames out;
  std::vector<core::PriceLevel> yes_a = {L("0.40", "10"), L("0.41", "5")};
  std::vector<core::PriceLevel> no_a = {L("0.55", "7")};
  std::vector<core::PriceLevel> yes_b = {L("0.10", "1")};
  kalshi::OrderbookSnapshot a;
  a.market_ticker = "KXA-1";
  a.yes_bids = yes_a;
  a.no_bids = no_a;
  kalshi::OrderbookSnapshot b;
  b.market_ticker = "KXB-2";
  b.yes_bids = yes_b;
  std::string frame;
  kalshi::EncodeOrderbookSnapshot(1, 1, a, frame);
  out.frames.push_back(frame);
  frame.clear();
  kalshi::EncodeOrderbookSnapshot(1, 2, b, frame);
  out.frames.push_back(frame);
  for (int i = 0; i < 200; ++i) {
    kalshi::OrderbookDelta d;
    d.market_ticker = i % 3 == 0 ? "KXB-2" : "KXA-1";
    d.side = i % 2 == 0 ? core::OutcomeSide::kYes : core::OutcomeSide::kNo;
    d.price = core::Price::FromUnits(1000 + (i % 7) * 100);
    d.delta = core::Count::FromUnits((i % 5 == 4 ? -1 : 1) * 100 * (1 + i % 4));
    frame.clear();
    kalshi::EncodeOrderbookDelta(1, 3 + i, d, frame);
    out.frames.push_back(frame);
  }
  return out;
}

class IntegrityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stream_ = MakeStream();
    recording_ = dir_.File("stream.kfrec");
    recording::RecordingHeader header;
    header.source = "test";
    auto writer = recording::RecordingWriter::Create(recording_, header);
    ASSERT_TRUE(writer.ok()) << writer.error().ToString();
    int64_t ts = 1'700'000'000'000'000'000;
    for (const auto& f : stream_.frames) {
      recording::Record r;
      r.local_ts = core::Timestamp::FromNanos(ts += 1000);
      r.frame = f;
      ASSERT_TRUE((*writer)->Append(r).ok());
    }
    ASSERT_TRUE((*writer)->Close().ok());
    auto store = storage::OpenStore("sqlite://" + dir_.File("db.sqlite"));
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
  }

  // Stores the stream as a Collector would receive it from an exchange: `transform` may drop
  // or alter frames (by index). Returns the session id.
  storage::SessionId Collect(
      const std::function<std::vector<std::string>(size_t index, const std::string& frame)>&
          transform) {
    storage::NewSession session;
    session.market_tickers = {"KXA-1", "KXB-2"};
    session.websocket_url = "wss://test";
    session.environment = storage::Environment::kLocal;
    auto id = store_->CreateSession(session);
    EXPECT_TRUE(id.ok());
    auto queue = storage::WriteQueue::Create(*store_, {});
    EXPECT_TRUE(queue.ok());
    NullSender sender;
    CollectorOptions options;
    options.session_id = *id;
    options.market_tickers = {"KXA-1", "KXB-2"};
    auto c = Collector::Create(options, queue->get(), &sender, &clock_);
    EXPECT_TRUE(c.ok());
    (*c)->OnConnected();
    std::string ack;
    kalshi::EncodeSubscribed(1, "orderbook_delta", 1, ack);
    Deliver(**c, ack);
    for (size_t i = 0; i < stream_.frames.size(); ++i) {
      for (const auto& f : transform(i, stream_.frames[i])) Deliver(**c, f);
    }
    EXPECT_TRUE((*queue)->Shutdown().ok());
    return *id;
  }
  void Deliver(Collector& c, const std::string& frame) {
    std::string padded = frame + std::string(kalshi::Decoder::kPadding, '\0');
    clock_.AdvanceNanos(1000);
    c.OnFrame(std::string_view(padded.data(), frame.size()), clock_.Now());
  }

  storage::testing::TempDir dir_;
  Frames stream_;
  std::string recording_;
  std::unique_ptr<storage::Store> store_;
  core::SimulatedClock clock_{core::Timestamp::FromNanos(1'700'000'000'000'000'000)};
};

TEST_F(IntegrityTest, FaithfulSessionHasNoMismatches) {
  const auto id = Collect([](size_t, const std::string& f) { return std::vector{f}; });
  auto report = VerifySession(*store_, id, recording_);
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  EXPECT_EQ(report->markets, 2);
  EXPECT_EQ(report->recording_updates, 202);
  EXPECT_EQ(report->stored_snapshots + report->stored_deltas, 202);
  EXPECT_EQ(report->books_checked, 202);
  EXPECT_EQ(report->in_step, 202);
  EXPECT_EQ(report->mismatches, 0);
  EXPECT_EQ(report->final_books_equal, 2);
  EXPECT_TRUE(report->ok());
}

TEST_F(IntegrityTest, ResyncAfterALostFrameStillVerifies) {
  // Frame 50 is lost; the exchange later sends a fresh snapshot of the market (what
  // get_snapshot returns), continuing the sid's seq after the gap.
  book::BookSet truth;
  kalshi::Decoder decoder;
  std::vector<std::string> healed;
  const auto id = Collect([&](size_t i, const std::string& f) {
    auto m = decoder.Decode(f);
    EXPECT_TRUE(m.ok());
    const kalshi::Message& msg = **m;
    if (msg.type == kalshi::MessageType::kOrderbookSnapshot) {
      truth.ApplySnapshot(1, *msg.seq, msg.snapshot.market_ticker, msg.snapshot.yes_bids,
                          msg.snapshot.no_bids);
    } else {
      truth.ApplyDelta(1, *msg.seq, msg.delta.market_ticker, msg.delta.side, msg.delta.price,
                       msg.delta.delta);
    }
    if (i == 50) return std::vector<std::string>{};
    if (i == 60) {
      // Gap revealed by frame 51; frames 51..59 were refused (stale). Now: snapshots of both
      // markets as of frame 60 (seq 63 is frame 60's), then the stream continues.
      std::vector<std::string> out;
      int64_t seq = 1000;  // the resync snapshots' seq; later deltas continue after it
      for (const char* t : {"KXA-1", "KXB-2"}) {
        const book::OrderBook* b = truth.Find(t);
        kalshi::OrderbookSnapshot s;
        s.market_ticker = t;
        s.yes_bids = b->Bids(core::OutcomeSide::kYes);
        s.no_bids = b->Bids(core::OutcomeSide::kNo);
        std::string frame;
        kalshi::EncodeOrderbookSnapshot(1, seq++, s, frame);
        out.push_back(frame);
      }
      healed = out;
      return out;
    }
    if (i > 60) {
      // Re-number the rest after the resync snapshots.
      std::string frame;
      kalshi::EncodeOrderbookDelta(1, 1002 + static_cast<int64_t>(i - 61), msg.delta, frame);
      return std::vector{frame};
    }
    return std::vector{f};
  });
  ASSERT_EQ(healed.size(), 2u);
  auto report = VerifySession(*store_, id, recording_);
  ASSERT_TRUE(report.ok()) << report.error().ToString();
  EXPECT_EQ(report->mismatches, 0)
      << (report->first_mismatches.empty() ? "" : report->first_mismatches.front());
  EXPECT_LT(report->in_step, report->books_checked);  // the snapshots jumped forward
  EXPECT_EQ(report->final_books_equal, 2);
}

TEST_F(IntegrityTest, CorruptedStoredDeltaIsAMismatch) {
  const auto id = Collect([](size_t i, const std::string& f) {
    if (i != 100) return std::vector{f};
    std::string altered = f;
    const auto pos = altered.find("\"delta_fp\":\"");
    EXPECT_NE(pos, std::string::npos);
    altered.insert(pos + 12, "1");  // e.g. "2.00" -> "12.00"
    return std::vector{altered};
  });
  auto report = VerifySession(*store_, id, recording_);
  ASSERT_TRUE(report.ok());
  EXPECT_GT(report->mismatches, 0);
  ASSERT_FALSE(report->first_mismatches.empty());
  EXPECT_NE(report->first_mismatches.front().find("KX"), std::string::npos);
  EXPECT_FALSE(report->ok());
}

TEST_F(IntegrityTest, UnknownSessionAndBadRecordingAreErrors) {
  EXPECT_FALSE(VerifySession(*store_, 999, recording_).ok());
  const auto id = Collect([](size_t, const std::string& f) { return std::vector{f}; });
  auto missing = VerifySession(*store_, id, dir_.File("missing.kfrec"));
  EXPECT_FALSE(missing.ok());
}

}  // namespace
}  // namespace kalshiflow::feed
