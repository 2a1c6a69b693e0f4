// Exchange -> collector over a real loopback TLS WebSocket (DESIGN §10: >= 100,000 msgs/s),
// and the latency from a frame's receipt by the client to its row's commit in SQLite.
//
// The local exchange replays the bundled real KXHIGHNY days (converted once at start-up);
// the collector (feed::LiveCollector: TLS read, decode, sequence, book apply, enqueue) stores
// everything through the write queue into a fresh SQLite file, as `kalshiflow collect` does.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

#include "exchange/exchange_server.h"
#include "feed/live_collector.h"
#include "kalshi/auth/signer.h"
#include "recording/convert.h"
#include "storage/database_url.h"

namespace kalshiflow {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct Fixture {
  fs::path dir;
  std::string all_days;  // 3 days, ~99k frames
  std::string one_day;   // 1 day, ~36k frames
  int64_t all_frames = 0;
  int64_t day_frames = 0;
  std::vector<std::string> all_tickers;
  std::vector<std::string> day_tickers;
  kalshi::auth::Signer signer = kalshi::auth::Signer::GenerateEd25519().value();
  std::string public_pem = *signer.PublicKeyPem();

  Fixture() {
    dir = fs::temp_directory_path() / ("kf_collector_bench_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::vector<std::string> inputs;
    for (const auto& e : fs::directory_iterator("data/demo/market_logs")) {
      inputs.push_back(e.path().string());
    }
    std::sort(inputs.begin(), inputs.end());
    all_days = (dir / "all.kfrec").string();
    one_day = (dir / "day.kfrec").string();
    recording::ConvertOptions options;
    auto all = recording::ConvertTopOfBookCsvToFile(inputs, all_days, options);
    const std::vector<std::string> first_day = {inputs.front()};
    auto day = recording::ConvertTopOfBookCsvToFile(first_day, one_day, options);
    if (!all.ok() || !day.ok()) std::abort();
    all_frames = all->frames;
    day_frames = day->frames;
    for (const auto& m : all->per_market) all_tickers.push_back(m.ticker);
    for (const auto& m : day->per_market) day_tickers.push_back(m.ticker);
  }
  ~Fixture() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

Fixture& GetFixture() {
  static Fixture fixture;
  return fixture;
}

struct RunResult {
  double seconds = 0;  // collector start -> last market frame received
  int64_t frames = 0;
  std::vector<int64_t> commit_latency_ns;  // delta rows: committed - received
  uint64_t drops = 0;
};

RunResult CollectOnce(const std::string& recording, const std::vector<std::string>& tickers,
                      int64_t frames, double speed, int run) {
  Fixture& f = GetFixture();
  RunResult result;
  exchange::ExchangeOptions eo;
  eo.api_keys = {{"bench", f.public_pem}};
  eo.recordings = {recording};
  eo.speed = speed;
  auto server = exchange::ExchangeServer::Start(eo);
  if (!server.ok()) std::abort();
  const std::string db = (f.dir / ("run" + std::to_string(run) + ".db")).string();
  auto store = storage::OpenStore("sqlite://" + db);
  storage::NewSession session;
  session.market_tickers = tickers;
  session.websocket_url = (*server)->ws_url();
  session.environment = storage::Environment::kLocal;
  auto id = (*store)->CreateSession(session);
  std::mutex latency_mutex;
  const core::Clock& clock = core::RealClock::Instance();
  storage::WriteQueueOptions qo;
  qo.capacity = 2'000'000;
  qo.on_committed = [&](std::span<const storage::Row> rows) {
    const int64_t now = clock.Now().nanos();
    std::lock_guard lock(latency_mutex);
    for (const auto& row : rows) {
      if (const auto* d = std::get_if<storage::DeltaRow>(&row)) {
        result.commit_latency_ns.push_back(now - d->local_ts.nanos());
      }
    }
  };
  auto queue = storage::WriteQueue::Create(**store, qo);
  net::WebSocketClientOptions co;
  co.url = (*server)->ws_url();
  co.tls.ca_pem = (*server)->certificate_pem();
  const kalshi::auth::Signer* s = &f.signer;
  co.headers = [s]() -> core::Result<std::vector<std::pair<std::string, std::string>>> {
    KF_ASSIGN_OR_RETURN(
        auto a, kalshi::auth::MakeAuthHeaders("bench", *s, core::RealClock::Instance(), "GET",
                                              "/trade-api/ws/v2"));
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [n, v] : a.List()) out.emplace_back(n, v);
    return out;
  };
  feed::CollectorOptions fo;
  fo.session_id = *id;
  fo.market_tickers = tickers;
  auto live = feed::LiveCollector::Create(co, fo, queue->get(), &clock);
  const auto start = std::chrono::steady_clock::now();
  if (!(*live)->Start().ok()) std::abort();
  while (true) {
    const auto st = (*live)->collector().Stats();
    if (static_cast<int64_t>(st.snapshots + st.deltas) >= frames) break;
    std::this_thread::sleep_for(200us);
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.frames = frames;
  (*live)->Stop();
  (*server)->Stop();
  (void)(*queue)->Shutdown();
  result.drops = (*live)->collector().Stats().rows_dropped;
  return result;
}

// Throughput: the exchange sends as fast as the collector reads (--speed max).
void BM_ExchangeToCollectorTls(benchmark::State& state) {
  Fixture& f = GetFixture();
  int run = 0;
  uint64_t drops = 0;
  for (auto _ : state) {
    RunResult r = CollectOnce(f.all_days, f.all_tickers, f.all_frames, 0, run++);
    state.SetIterationTime(r.seconds);
    drops += r.drops;
  }
  state.SetItemsProcessed(state.iterations() * f.all_frames);
  state.counters["drops"] = static_cast<double>(drops);
  state.counters["frames_per_run"] = static_cast<double>(f.all_frames);
}
BENCHMARK(BM_ExchangeToCollectorTls)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

// Latency at a paced live-like rate: one real day at 30,000x (~12,000 msgs/s on average,
// bursty as the real day): receipt by the client -> row committed to SQLite (batches of 100
// rows or 1 s, as the original system).
void BM_ReceiveToCommitLatencyPaced(benchmark::State& state) {
  Fixture& f = GetFixture();
  int run = 100;
  std::vector<int64_t> all;
  for (auto _ : state) {
    RunResult r = CollectOnce(f.one_day, f.day_tickers, f.day_frames, 30'000, run++);
    state.SetIterationTime(r.seconds);
    all.insert(all.end(), r.commit_latency_ns.begin(), r.commit_latency_ns.end());
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0
                       : static_cast<double>(all[static_cast<size_t>(p * (all.size() - 1))]) / 1e3;
  };
  state.counters["latency_p50_us"] = pct(0.50);
  state.counters["latency_p99_us"] = pct(0.99);
  state.counters["latency_max_us"] = pct(1.0);
  state.SetItemsProcessed(state.iterations() * f.day_frames);
}
BENCHMARK(BM_ReceiveToCommitLatencyPaced)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

}  // namespace
}  // namespace kalshiflow

BENCHMARK_MAIN();
