// Memory of the collector + actor for 1,000 markets (DESIGN §10: <= 300 MB RSS), measured on
// the real program: `kalshiflow actor --mode paper` (collector, write queue into SQLite, the
// actor on every accepted update, paper fills) runs as a child process against the local
// exchange (in this process, TLS on loopback) replaying a synthetic recording of 1,000 markets
// — 10 levels a side each, then deltas round-robin — found by discovery (GET /markets). The
// child's peak RSS comes from wait4's rusage (ru_maxrss), so the exchange's own memory is not
// counted. Counters: peak_rss_mb, markets, updates (every one must reach the actor),
// decisions.
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "exchange/exchange_server.h"
#include "kalshi/auth/signer.h"
#include "kalshi/frame_encoder.h"
#include "recording/format.h"

namespace kalshiflow {
namespace {

namespace fs = std::filesystem;

constexpr int kMarkets = 1000;
constexpr int kLevels = 10;
constexpr int kDeltasPerMarket = 100;

std::string Ticker(int i) { return fmt::format("KXSYN-26DEC01-T{:04d}", i); }

// 1,000 markets: a snapshot each (YES bids 0.30..0.39, NO bids 0.50..0.59), then deltas
// round-robin that move size at the top levels, 10 ms apart.
int64_t WriteRecording(const std::string& path) {
  recording::RecordingHeader header;
  header.source = "footprint bench (synthetic)";
  header.environment = recording::KalshiEnvironment::kLocal;
  header.creator = "footprint_bench";
  auto writer = recording::RecordingWriter::Create(path, header);
  if (!writer.ok()) std::abort();
  int64_t seq = 0;
  core::Timestamp ts = core::Timestamp::FromMillis(1'767'225'600'000);
  std::string frame;
  auto append = [&] {
    recording::Record r;
    r.local_ts = ts;
    r.sid = 1;
    r.seq = seq;
    r.frame = frame;
    if (!(*writer)->Append(r).ok()) std::abort();
  };
  for (int m = 0; m < kMarkets; ++m) {
    const std::string ticker = Ticker(m);
    std::vector<core::PriceLevel> yes, no;
    for (int l = 0; l < kLevels; ++l) {
      yes.push_back({core::Price::FromCents(30 + l), core::Count::FromContracts(100 + l)});
      no.push_back({core::Price::FromCents(50 + l), core::Count::FromContracts(100 + l)});
    }
    kalshi::OrderbookSnapshot s;
    s.market_ticker = ticker;
    s.yes_bids = yes;
    s.no_bids = no;
    frame.clear();
    kalshi::EncodeOrderbookSnapshot(1, ++seq, s, frame);
    append();
  }
  for (int k = 0; k < kDeltasPerMarket; ++k) {
    for (int m = 0; m < kMarkets; ++m) {
      ts = core::Timestamp::FromNanos(ts.nanos() + 10'000'000);
      const std::string ticker = Ticker(m);
      kalshi::OrderbookDelta d;
      d.market_ticker = ticker;
      d.side = k % 2 == 0 ? core::OutcomeSide::kYes : core::OutcomeSide::kNo;
      d.price = core::Price::FromCents(k % 2 == 0 ? 39 : 59);
      d.delta = core::Count::FromContracts(k % 4 < 2 ? 5 : -5);
      d.ts_ms = ts.millis();
      frame.clear();
      kalshi::EncodeOrderbookDelta(1, ++seq, d, frame);
      append();
    }
  }
  if (!(*writer)->Close().ok()) std::abort();
  return seq;
}

struct ChildResult {
  int exit_code = -1;
  int64_t max_rss_kb = 0;
  std::string output;
};

// Runs `argv` with stdout+stderr captured; peak RSS from wait4.
ChildResult Run(const std::vector<std::string>& args) {
  ChildResult result;
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return result;
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(pipe_fds[1], STDERR_FILENO);
    close(pipe_fds[0]);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  std::array<char, 4096> buffer;
  ssize_t n;
  while ((n = read(pipe_fds[0], buffer.data(), buffer.size())) > 0) {
    result.output.append(buffer.data(), static_cast<std::size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  struct rusage usage {};
  wait4(pid, &status, 0, &usage);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.max_rss_kb = usage.ru_maxrss;
  return result;
}

void BM_CollectorAndActorFootprint1000Markets(benchmark::State& state) {
  const fs::path dir =
      fs::temp_directory_path() / ("kf_footprint_bench_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string recording = (dir / "synthetic.kfrec").string();
  const int64_t frames = WriteRecording(recording);
  const std::string key = (dir / "key.pem").string();
  if (std::system(("openssl genpkey -algorithm ed25519 -out " + key).c_str()) != 0) std::abort();
  fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write);
  auto signer = kalshi::auth::Signer::FromFile(key);
  if (!signer.ok()) std::abort();
  ChildResult last;
  nlohmann::json summary;
  for (auto _ : state) {
    exchange::ExchangeOptions options;
    options.tls = true;
    options.api_keys = {{"footprint-key", *signer->PublicKeyPem()}};
    options.recordings = {recording};
    options.speed = 0;
    auto server = exchange::ExchangeServer::Start(options);
    if (!server.ok()) std::abort();
    const std::string cert = (dir / "cert.pem").string();
    std::ofstream(cert) << (*server)->certificate_pem();
    const std::string db = "sqlite://" + (dir / "footprint.db").string();
    fs::remove(dir / "footprint.db");
    last = Run({KF_CLI_PATH,
                "actor",
                "--mode",
                "paper",
                "--selector",
                "hardcoded",
                "--ws-url",
                (*server)->ws_url(),
                "--rest-url",
                (*server)->rest_url(),
                "--ca-file",
                cert,
                "--api-key-id",
                "footprint-key",
                "--private-key",
                key,
                "--market-mode",
                "discovery",
                "--market-limit",
                std::to_string(kMarkets),
                "--idle-exit",
                "2",
                "--duration",
                "600",
                "--json",
                "--database-url",
                db});
    (*server)->Stop();
    if (last.exit_code != 0) {
      state.SkipWithError(("kalshiflow actor failed: " + last.output.substr(0, 2000)).c_str());
      break;
    }
    const auto begin = last.output.rfind("\n{");
    summary = nlohmann::json::parse(last.output.substr(begin == std::string::npos ? 0 : begin),
                                    nullptr, false);
  }
  state.counters["peak_rss_mb"] = static_cast<double>(last.max_rss_kb) / 1024.0;
  state.counters["markets"] = kMarkets;
  state.counters["frames"] = static_cast<double>(frames);
  if (summary.is_object()) {
    state.counters["updates"] = summary["actor"]["updates"].get<double>();
    state.counters["decisions"] = summary["actor"]["decisions"].get<double>();
  }
  fs::remove_all(dir);
}
BENCHMARK(BM_CollectorAndActorFootprint1000Markets)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace kalshiflow
BENCHMARK_MAIN();
