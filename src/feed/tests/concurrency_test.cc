// The collector and the write queue under concurrency, for ThreadSanitizer (the `tsan` preset
// runs this binary; the debug preset runs it under ASan): one thread plays the WebSocket I/O
// thread feeding frames into a LiveCollector, another plays the owner (Tick, stats, the live
// stats line), a third consumes actor triggers, and the write queue's writer thread commits to
// SQLite. Every accepted row must be written and every applied update triggered once.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "feed/live_collector.h"
#include "kalshi/frame_encoder.h"
#include "storage/database_url.h"
#include "storage/tests/test_util.h"

namespace kalshiflow::feed {
namespace {

std::string Padded(const std::string& frame) {
  return frame + std::string(kalshi::Decoder::kPadding, '\0');
}

TEST(CollectorConcurrencyTest, IoThreadOwnerThreadActorThreadAndWriterAgree) {
  storage::testing::TempDir dir;
  auto store = storage::OpenStore("sqlite://" + dir.File("c.db"));
  ASSERT_TRUE(store.ok());
  storage::NewSession session;
  session.market_tickers = {"KXA-1", "KXB-2", "KXC-3", "KXD-4"};
  session.websocket_url = "ws://127.0.0.1:9/trade-api/ws/v2";
  session.environment = storage::Environment::kLocal;
  auto id = (*store)->CreateSession(session);
  ASSERT_TRUE(id.ok());
  storage::WriteQueueOptions qo;
  qo.capacity = 1'000'000;
  qo.batch_size = 64;
  std::atomic<uint64_t> committed{0};
  qo.on_committed = [&](std::span<const storage::Row> rows) { committed += rows.size(); };
  auto queue = storage::WriteQueue::Create(**store, qo);
  ASSERT_TRUE(queue.ok());

  net::WebSocketClientOptions co;
  co.url = session.websocket_url;  // never started: frames are fed directly below
  CollectorOptions options;
  options.session_id = *id;
  options.market_tickers = session.market_tickers;
  options.snapshot_timeout = std::chrono::milliseconds(1);
  auto live = LiveCollector::Create(co, options, queue->get(), &core::RealClock::Instance());
  ASSERT_TRUE(live.ok()) << live.error().ToString();

  // Actor side: a bounded hand-off the hook pushes into (as the actor's trigger queue will).
  std::mutex actor_mutex;
  std::condition_variable actor_cv;
  std::deque<std::string> triggers;
  bool done = false;
  uint64_t consumed = 0;
  (*live)->collector().SetActorTriggerHook([&](const ActorTrigger& t) {
    std::lock_guard lock(actor_mutex);
    triggers.emplace_back(t.market_ticker);
    actor_cv.notify_one();
  });
  std::thread actor([&] {
    std::unique_lock lock(actor_mutex);
    while (true) {
      actor_cv.wait(lock, [&] { return done || !triggers.empty(); });
      while (!triggers.empty()) {
        triggers.pop_front();
        ++consumed;
      }
      if (done) return;
    }
  });

  std::atomic<bool> io_finished{false};
  constexpr int kFrames = 20'000;
  std::thread io([&] {
    (*live)->OnConnected();
    std::string frame;
    kalshi::EncodeSubscribed(1, "orderbook_delta", 1, frame);
    {
      const std::string padded = Padded(frame);
      (*live)->OnText(std::string_view(padded.data(), frame.size()),
                      core::RealClock::Instance().Now());
    }
    int64_t seq = 0;
    const core::PriceLevel level{*core::Price::Parse("0.40"), *core::Count::Parse("10")};
    for (const auto& ticker : session.market_tickers) {
      kalshi::OrderbookSnapshot s;
      s.market_ticker = ticker;
      s.yes_bids = std::span<const core::PriceLevel>(&level, 1);
      frame.clear();
      kalshi::EncodeOrderbookSnapshot(1, ++seq, s, frame);
      const std::string padded = Padded(frame);
      (*live)->OnText(std::string_view(padded.data(), frame.size()),
                      core::RealClock::Instance().Now());
    }
    for (int i = 0; i < kFrames; ++i) {
      kalshi::OrderbookDelta d;
      d.market_ticker = session.market_tickers[i % 4];
      d.side = core::OutcomeSide::kNo;
      d.price = core::Price::FromUnits(5000 + (i % 10) * 100);
      d.delta = core::Count::FromUnits(i % 3 == 2 ? -100 : 100);
      frame.clear();
      kalshi::EncodeOrderbookDelta(1, ++seq, d, frame);
      const std::string padded = Padded(frame);
      (*live)->OnText(std::string_view(padded.data(), frame.size()),
                      core::RealClock::Instance().Now());
    }
    io_finished = true;
  });
  // Owner thread: what RunCollection does every 50 ms, here as fast as it can.
  uint64_t polls = 0;
  while (!io_finished.load()) {
    (*live)->Tick();
    const CollectorStats s = (*live)->collector().Stats();
    const storage::WriteQueueStats q = (*queue)->Stats();
    EXPECT_LE(s.deltas, static_cast<uint64_t>(kFrames));
    EXPECT_LE(q.written, q.accepted);
    (void)(*live)->fatal_error();
    ++polls;
  }
  io.join();
  ASSERT_TRUE((*queue)->Shutdown().ok());
  {
    std::lock_guard lock(actor_mutex);
    done = true;
  }
  actor_cv.notify_one();
  actor.join();
  const CollectorStats s = (*live)->collector().Stats();
  EXPECT_GT(polls, 0u);
  EXPECT_EQ(s.snapshots, 4u);
  EXPECT_EQ(s.deltas + s.refused, static_cast<uint64_t>(kFrames));
  EXPECT_EQ(s.gaps, 0u);
  EXPECT_EQ(s.rows_dropped, 0u);
  EXPECT_EQ(committed.load(), s.rows_enqueued);
  EXPECT_EQ((*queue)->Stats().written, s.rows_enqueued);
  EXPECT_EQ(consumed, s.triggers);
  EXPECT_EQ(s.triggers, s.snapshots + s.deltas);
}

}  // namespace
}  // namespace kalshiflow::feed
