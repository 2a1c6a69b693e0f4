// Collector unit tests: frames in, commands out, rows into a real SQLite store through the
// real write queue. No network (the live path is tested end to end in app/tests).
#include "feed/collector.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "book/tests/test_util.h"
#include "kalshi/frame_encoder.h"
#include "storage/database_url.h"

namespace kalshiflow::feed {
namespace {

using book::testing::C;
using book::testing::D;
using book::testing::kNo;
using book::testing::kYes;
using book::testing::L;

class RecordingSender : public CommandSender {
 public:
  bool SendCommand(std::string text) override {
    sent.push_back(nlohmann::json::parse(text));
    return accept;
  }
  std::vector<nlohmann::json> sent;
  bool accept = true;
};

class CollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = storage::OpenStore("sqlite://:memory:");
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    store_ = std::move(*store);
    storage::NewSession session;
    session.market_tickers = {"KXA-1", "KXB-2", "KXC-3"};
    session.websocket_url = "wss://test";
    session.environment = storage::Environment::kLocal;
    auto id = store_->CreateSession(session);
    ASSERT_TRUE(id.ok());
    session_id_ = *id;
    auto queue = storage::WriteQueue::Create(*store_, {});
    ASSERT_TRUE(queue.ok());
    queue_ = std::move(*queue);
  }

  std::unique_ptr<Collector> Make(CollectorOptions options = {}) {
    options.session_id = session_id_;
    if (options.market_tickers.empty()) options.market_tickers = {"KXA-1", "KXB-2", "KXC-3"};
    auto c = Collector::Create(options, queue_.get(), &sender_, &clock_);
    EXPECT_TRUE(c.ok());
    std::unique_ptr<Collector> out = std::move(*c);
    out->SetActorTriggerHook([this](const ActorTrigger& t) {
      triggers_.push_back(std::string(t.market_ticker) + "@" + std::to_string(t.seq));
      // What the actor copies: the book after the update and the exchange time (deltas only).
      trigger_ts_.push_back(t.exchange_ts_ms.value_or(-1));
      trigger_book_sizes_.push_back(
          t.book == nullptr ? "none" : t.book->BidSizeAt(kYes, D("0.40")).ToString());
    });
    return out;
  }

  void Advance(std::chrono::nanoseconds d) { clock_.AdvanceNanos(d.count()); }
  void Feed(Collector& c, const std::string& frame) {
    std::string padded = frame + std::string(kalshi::Decoder::kPadding, '\0');
    Advance(std::chrono::milliseconds(1));
    c.OnFrame(std::string_view(padded.data(), frame.size()), clock_.Now());
  }
  static std::string Subscribed(int64_t id, int64_t sid) {
    std::string out;
    kalshi::EncodeSubscribed(id, "orderbook_delta", sid, out);
    return out;
  }
  static std::string Snapshot(int64_t sid, int64_t seq, std::string_view ticker,
                              std::vector<core::PriceLevel> yes, std::vector<core::PriceLevel> no) {
    kalshi::OrderbookSnapshot s;
    s.market_ticker = ticker;
    s.yes_bids = yes;
    s.no_bids = no;
    std::string out;
    kalshi::EncodeOrderbookSnapshot(sid, seq, s, out);
    return out;
  }
  static std::string Delta(int64_t sid, int64_t seq, std::string_view ticker,
                           core::OutcomeSide side, const char* price, const char* delta) {
    kalshi::OrderbookDelta d;
    d.market_ticker = ticker;
    d.side = side;
    d.price = D(price);
    d.delta = C(delta);
    d.ts_ms = 1700000000000 + seq;
    std::string out;
    kalshi::EncodeOrderbookDelta(sid, seq, d, out);
    return out;
  }
  storage::SessionCounts Counts() {
    EXPECT_TRUE(queue_->Flush());
    auto info = store_->GetSession(session_id_);
    EXPECT_TRUE(info.ok());
    return info->counts;
  }
  // Subscribes all three markets on sid 7 (one command) and delivers their snapshots.
  void SubscribeAll(Collector& c) {
    c.OnConnected();
    ASSERT_FALSE(sender_.sent.empty());
    Feed(c, Subscribed(sender_.sent.back()["id"].get<int64_t>(), 7));
    Feed(c, Snapshot(7, 1, "KXA-1", {L("0.40", "10")}, {L("0.55", "5")}));
    Feed(c, Snapshot(7, 2, "KXB-2", {L("0.20", "3")}, {}));
    Feed(c, Snapshot(7, 3, "KXC-3", {}, {L("0.90", "1")}));
  }

  core::SimulatedClock clock_{core::Timestamp::FromNanos(1'700'000'000'000'000'000)};
  std::unique_ptr<storage::Store> store_;
  storage::SessionId session_id_ = 0;
  std::unique_ptr<storage::WriteQueue> queue_;
  RecordingSender sender_;
  std::vector<std::string> triggers_;
  std::vector<int64_t> trigger_ts_;
  std::vector<std::string> trigger_book_sizes_;
};

TEST_F(CollectorTest, RejectsBadOptions) {
  RecordingSender sender;
  CollectorOptions options;
  options.session_id = session_id_;
  EXPECT_FALSE(Collector::Create(options, queue_.get(), &sender, &clock_).ok());  // no tickers
  options.market_tickers = {"bad ticker with spaces"};
  EXPECT_FALSE(Collector::Create(options, queue_.get(), &sender, &clock_).ok());
  options.market_tickers = {"KXA-1"};
  options.session_id = 0;
  EXPECT_FALSE(Collector::Create(options, queue_.get(), &sender, &clock_).ok());
  options.session_id = session_id_;
  options.max_tickers_per_subscribe = 0;
  EXPECT_FALSE(Collector::Create(options, queue_.get(), &sender, &clock_).ok());
}

TEST_F(CollectorTest, SubscribesInBatchesWithExplicitUseYesPriceFalse) {
  CollectorOptions options;
  options.max_tickers_per_subscribe = 2;
  options.subscribe_trade = true;
  auto c = Make(options);
  c->OnConnected();
  // Two batches x (orderbook_delta, trade).
  ASSERT_EQ(sender_.sent.size(), 4u);
  std::vector<std::string> orderbook_markets;
  std::set<int64_t> ids;
  for (const auto& cmd : sender_.sent) {
    EXPECT_EQ(cmd["cmd"], "subscribe");
    ids.insert(cmd["id"].get<int64_t>());
    const auto& params = cmd["params"];
    ASSERT_EQ(params["channels"].size(), 1u);
    if (params["channels"][0] == "orderbook_delta") {
      ASSERT_TRUE(params.contains("use_yes_price"));
      EXPECT_FALSE(params["use_yes_price"].get<bool>());
      for (const auto& t : params["market_tickers"]) orderbook_markets.push_back(t);
      EXPECT_LE(params["market_tickers"].size(), 2u);
    } else {
      EXPECT_EQ(params["channels"][0], "trade");
      EXPECT_FALSE(params.contains("use_yes_price"));
    }
  }
  EXPECT_EQ(ids.size(), 4u);  // unique command ids
  EXPECT_EQ(orderbook_markets, (std::vector<std::string>{"KXA-1", "KXB-2", "KXC-3"}));
}

TEST_F(CollectorTest, StoresSnapshotsAndDeltasAndTriggersAfterAcceptance) {
  auto c = Make();
  SubscribeAll(*c);
  Feed(*c, Delta(7, 4, "KXA-1", kYes, "0.40", "-4"));
  Feed(*c, Delta(7, 5, "KXB-2", kNo, "0.70", "12"));
  EXPECT_TRUE(c->AllBooksLive());
  const CollectorStats s = c->Stats();
  EXPECT_EQ(s.snapshots, 3u);
  EXPECT_EQ(s.deltas, 2u);
  EXPECT_EQ(s.gaps, 0u);
  EXPECT_EQ(s.markets_live, 3u);
  EXPECT_EQ(s.frames, 6u);
  EXPECT_EQ(triggers_,
            (std::vector<std::string>{"KXA-1@1", "KXB-2@2", "KXC-3@3", "KXA-1@4", "KXB-2@5"}));
  EXPECT_EQ(trigger_ts_, (std::vector<int64_t>{-1, -1, -1, 1700000000004, 1700000000005}));
  // KXA-1's YES 0.40 level: 10 at its snapshot, 6 after its delta; each trigger saw its own
  // market's book after the update (KXB-2 and KXC-3 have no 0.40 YES level).
  EXPECT_EQ(trigger_book_sizes_,
            (std::vector<std::string>{"10.00", "0.00", "0.00", "6.00", "0.00"}));
  const auto* a = c->books().Find("KXA-1");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->BidSizeAt(kYes, D("0.40")), C("6"));
  const auto counts = Counts();
  EXPECT_EQ(counts.snapshots, 3);
  EXPECT_EQ(counts.deltas, 2);
  EXPECT_EQ(counts.frames, 6);  // every received frame, the ack included
  // Stored rows rebuild the same book and keep the exchange's ts_ms.
  auto updates = storage::LoadSessionUpdates(*store_, session_id_);
  ASSERT_TRUE(updates.ok());
  ASSERT_EQ(updates->size(), 5u);
  const auto& d = std::get<storage::DeltaRow>(updates->at(3));
  EXPECT_EQ(d.market_ticker, "KXA-1");
  EXPECT_EQ(d.seq, 4);
  EXPECT_EQ(d.delta, C("-4"));
  EXPECT_EQ(d.exchange_ts_ms, 1700000000000 + 4);
}

TEST_F(CollectorTest, DuplicateIsDroppedAndCounted) {
  auto c = Make();
  SubscribeAll(*c);
  Feed(*c, Delta(7, 4, "KXA-1", kYes, "0.40", "-4"));
  Feed(*c, Delta(7, 4, "KXA-1", kYes, "0.40", "-4"));
  EXPECT_EQ(c->Stats().duplicates, 1u);
  EXPECT_EQ(c->Stats().deltas, 1u);
  EXPECT_EQ(c->books().Find("KXA-1")->BidSizeAt(kYes, D("0.40")), C("6"));
  EXPECT_EQ(Counts().deltas, 1);
}

TEST_F(CollectorTest, GapRequestsSnapshotsAndTheSnapshotHeals) {
  auto c = Make();
  SubscribeAll(*c);
  sender_.sent.clear();
  Feed(*c, Delta(7, 5, "KXA-1", kYes, "0.40", "-4"));  // seq 4 missing
  EXPECT_EQ(c->Stats().gaps, 1u);
  EXPECT_EQ(c->Stats().markets_live, 0u);
  ASSERT_EQ(sender_.sent.size(), 1u);
  const auto& cmd = sender_.sent[0];
  EXPECT_EQ(cmd["cmd"], "update_subscription");
  EXPECT_EQ(cmd["params"]["action"], "get_snapshot");
  EXPECT_EQ(cmd["params"]["market_tickers"].size(), 3u);
  EXPECT_EQ(c->Stats().resync_requests, 1u);
  // A second gap while the request is in flight (say one of its snapshots was lost) asks
  // again for every market still needing one.
  Feed(*c, Delta(7, 7, "KXB-2", kYes, "0.20", "1"));
  ASSERT_EQ(sender_.sent.size(), 2u);
  EXPECT_EQ(sender_.sent[1]["params"]["action"], "get_snapshot");
  EXPECT_EQ(c->Stats().resync_requests, 2u);
  // Deltas on stale books are refused, not stored.
  EXPECT_EQ(c->Stats().deltas, 0u);
  // The exchange answers with fresh snapshots continuing the sid's seq.
  Feed(*c, Snapshot(7, 8, "KXA-1", {L("0.41", "2")}, {}));
  Feed(*c, Snapshot(7, 9, "KXB-2", {L("0.21", "2")}, {}));
  Feed(*c, Snapshot(7, 10, "KXC-3", {}, {L("0.91", "2")}));
  EXPECT_TRUE(c->AllBooksLive());
  Feed(*c, Delta(7, 11, "KXA-1", kYes, "0.41", "1"));
  EXPECT_EQ(c->Stats().deltas, 1u);
  EXPECT_EQ(c->books().Find("KXA-1")->BidSizeAt(kYes, D("0.41")), C("3"));
  // Healed in time: no resubscribe even after the deadline.
  Advance(std::chrono::seconds(60));
  c->Tick(clock_.Now());
  EXPECT_EQ(c->Stats().resubscribes, 0u);
}

TEST_F(CollectorTest, UnansweredSnapshotRequestFallsBackToResubscribe) {
  CollectorOptions options;
  options.snapshot_timeout = std::chrono::milliseconds(500);
  auto c = Make(options);
  SubscribeAll(*c);
  Feed(*c, Delta(7, 9, "KXA-1", kYes, "0.40", "-4"));
  sender_.sent.clear();
  Advance(std::chrono::milliseconds(499));
  c->Tick(clock_.Now());
  EXPECT_TRUE(sender_.sent.empty());
  Advance(std::chrono::milliseconds(2));
  c->Tick(clock_.Now());
  ASSERT_EQ(sender_.sent.size(), 2u);
  EXPECT_EQ(sender_.sent[0]["cmd"], "unsubscribe");
  EXPECT_EQ(sender_.sent[0]["params"]["sids"][0], 7);
  EXPECT_EQ(sender_.sent[1]["cmd"], "subscribe");
  EXPECT_EQ(sender_.sent[1]["params"]["market_tickers"].size(), 3u);
  EXPECT_EQ(c->Stats().resubscribes, 1u);
  // The new subscription (sid 8) restarts at seq 1 and heals every book.
  Feed(*c, Subscribed(sender_.sent[1]["id"].get<int64_t>(), 8));
  Feed(*c, Delta(7, 10, "KXA-1", kYes, "0.40", "1"));  // late frame of the old sid: ignored
  EXPECT_EQ(c->Stats().stale_sid_frames, 1u);
  EXPECT_EQ(c->Stats().gaps, 1u);  // only the real one
  Feed(*c, Snapshot(8, 1, "KXA-1", {L("0.40", "1")}, {}));
  Feed(*c, Snapshot(8, 2, "KXB-2", {}, {}));
  Feed(*c, Snapshot(8, 3, "KXC-3", {}, {}));
  EXPECT_TRUE(c->AllBooksLive());
  EXPECT_EQ(c->books().Find("KXA-1")->BidSizeAt(kYes, D("0.40")), C("1"));
}

TEST_F(CollectorTest, SnapshotRequestErrorFallsBackToResubscribe) {
  auto c = Make();
  SubscribeAll(*c);
  Feed(*c, Delta(7, 9, "KXA-1", kYes, "0.40", "-4"));
  const int64_t request_id = sender_.sent.back()["id"].get<int64_t>();
  sender_.sent.clear();
  kalshi::ErrorBody error;
  error.code = 12;
  error.message = "Not supported";
  std::string frame;
  kalshi::EncodeError(request_id, 0, std::nullopt, error, frame);
  Feed(*c, frame);
  EXPECT_EQ(c->Stats().command_errors, 1u);
  EXPECT_EQ(c->Stats().resubscribes, 1u);
  ASSERT_EQ(sender_.sent.size(), 2u);
  EXPECT_EQ(sender_.sent[0]["cmd"], "unsubscribe");
  EXPECT_EQ(sender_.sent[1]["cmd"], "subscribe");
}

TEST_F(CollectorTest, MalformedFrameIsCountedStoredRawAndTheStreamContinues) {
  auto c = Make();
  SubscribeAll(*c);
  Feed(*c, R"({"type":"orderbook_delta","sid":7,"seq":4,"msg":{"market_ticker":"KXA-1","pri)");
  Feed(
      *c,
      R"({"type":"orderbook_delta","sid":7,"seq":4,"msg":{"market_ticker":"KXA-1","price_dollars":"2.5000","delta_fp":"1.00","side":"yes"}})");
  Feed(*c, Delta(7, 4, "KXA-1", kYes, "0.40", "1"));
  const CollectorStats s = c->Stats();
  EXPECT_EQ(s.decode_errors, 2u);
  EXPECT_EQ(s.deltas, 1u);
  EXPECT_EQ(s.gaps, 0u);
  EXPECT_EQ(Counts().frames, 7);  // 4 + 2 bad + 1 good: nothing received is lost
}

// Public trades reach the actor's trade hook (its hot ranking counts traded contracts) once
// their raw frame is stored; a trade whose frame the queue refused does not.
TEST_F(CollectorTest, TradesReachTheTradeHookAfterTheirFrameIsStored) {
  CollectorOptions options;
  options.subscribe_trade = true;
  auto c = Make(options);
  std::vector<std::string> seen;
  c->SetTradeHook([&](const TradeTrigger& t) {
    seen.push_back(fmt::format("{} {} @ {} t={}", t.market_ticker, t.count.ToString(),
                               t.yes_price.ToString(), t.ts_ms));
  });
  SubscribeAll(*c);
  kalshi::Trade trade;
  trade.trade_id = "t-1";
  trade.market_ticker = "KXA-1";
  trade.yes_price = D("0.41");
  trade.no_price = D("0.59");
  trade.count = C("12");
  trade.ts_ms = 1'700'000'000'123;
  std::string frame;
  kalshi::EncodeTrade(9, std::nullopt, trade, frame);
  Feed(*c, frame);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], "KXA-1 12.00 @ 0.4100 t=1700000000123");
  EXPECT_EQ(c->Stats().trades, 1u);
  ASSERT_TRUE(queue_->Shutdown().ok());
  Feed(*c, frame);  // the raw frame is refused: the actor is not told
  EXPECT_EQ(seen.size(), 1u);
  EXPECT_EQ(c->Stats().trades, 2u);
}

TEST_F(CollectorTest, RefusedRowsAreCountedAndDoNotTrigger) {
  auto c = Make();
  c->OnConnected();
  Feed(*c, Subscribed(sender_.sent.back()["id"].get<int64_t>(), 7));
  ASSERT_TRUE(queue_->Shutdown().ok());
  Feed(*c, Snapshot(7, 1, "KXA-1", {L("0.40", "10")}, {}));
  const CollectorStats s = c->Stats();
  EXPECT_EQ(s.snapshots, 1u);     // the book is still maintained
  EXPECT_EQ(s.rows_dropped, 2u);  // raw frame + snapshot row
  EXPECT_EQ(s.triggers, 0u);      // the actor is not told about unstored updates
  EXPECT_TRUE(triggers_.empty());
}

TEST_F(CollectorTest, ReconnectResubscribesAndBooksWaitForFreshSnapshots) {
  auto c = Make();
  SubscribeAll(*c);
  c->OnDisconnected();
  EXPECT_EQ(c->Stats().markets_live, 0u);
  sender_.sent.clear();
  c->OnConnected();
  ASSERT_EQ(sender_.sent.size(), 1u);
  EXPECT_EQ(sender_.sent[0]["cmd"], "subscribe");
  // The new connection reuses sid 7 from 1: not a duplicate of the old connection's seq.
  Feed(*c, Subscribed(sender_.sent[0]["id"].get<int64_t>(), 7));
  Feed(*c, Delta(7, 1, "KXA-1", kYes, "0.40", "1"));  // before its snapshot: refused
  EXPECT_EQ(c->Stats().refused, 1u);
  Feed(*c, Snapshot(7, 2, "KXA-1", {L("0.30", "1")}, {}));
  EXPECT_TRUE(c->books().Find("KXA-1")->live());
  EXPECT_EQ(c->Stats().connects, 2u);
}

}  // namespace
}  // namespace kalshiflow::feed
