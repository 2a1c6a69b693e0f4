// `kalshiflow exchange`: run the local Kalshi-compatible exchange (src/exchange/README.md) on
// recordings until SIGINT/SIGTERM (or the end of the replay with --exit-when-done).
#include <fmt/format.h>
#include <signal.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "app/commands.h"
#include "exchange/exchange_server.h"

namespace kalshiflow::app {
namespace {

struct ExchangeArgs {
  std::string host = "127.0.0.1";
  uint16_t port = 8443;
  std::vector<std::string> recordings;
  std::string speed = "1";
  bool plain = false;
  std::string cert_file;
  std::string key_file;
  std::string write_cert;
  std::vector<std::string> api_keys;  // ID=PEMFILE
  std::vector<std::string>
      faults;  // drop=N | skip=N | duplicate=N | malformed=N | private-delay=MS
  std::string start = "on-subscribe";
  int64_t ping_interval_ms = 10'000;
  std::string rate_tier;  // "" = no rate limits
  bool exit_when_done = false;
  bool json = false;
};

std::string ReadTextFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CommandFailed(2, fmt::format("exchange: cannot read {} file {}", what, path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int64_t ParsePositive(const std::string& text, const std::string& what) {
  int64_t value = 0;
  try {
    std::size_t used = 0;
    value = std::stoll(text, &used);
    if (used != text.size()) value = -1;
  } catch (const std::exception&) {
    value = -1;
  }
  if (value <= 0)
    throw CommandFailed(2, fmt::format("exchange: {} must be a positive integer", what));
  return value;
}

exchange::ExchangeOptions BuildOptions(const ExchangeArgs& args) {
  exchange::ExchangeOptions options;
  options.host = args.host;
  options.port = args.port;
  options.recordings = args.recordings;
  options.tls = !args.plain;
  if (args.speed == "max") {
    options.speed = 0;
  } else {
    try {
      std::size_t used = 0;
      options.speed = std::stod(args.speed, &used);
      if (used != args.speed.size()) options.speed = -1;
    } catch (const std::exception&) {
      options.speed = -1;
    }
    if (!(options.speed > 0) || !std::isfinite(options.speed)) {
      throw CommandFailed(2, "exchange: --speed must be a positive number or \"max\"");
    }
  }
  if (args.cert_file.empty() != args.key_file.empty()) {
    throw CommandFailed(2, "exchange: give both --cert and --key, or neither");
  }
  if (!args.cert_file.empty()) {
    options.certificate_pem = ReadTextFile(args.cert_file, "certificate");
    options.private_key_pem = ReadTextFile(args.key_file, "key");
  }
  for (const std::string& spec : args.api_keys) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      throw CommandFailed(
          2, fmt::format("exchange: --api-key wants ID=PEMFILE[:BALANCE_DOLLARS], got '{}'", spec));
    }
    std::string file = spec.substr(eq + 1);
    exchange::ApiKey key{spec.substr(0, eq), "", exchange::ApiKey{}.starting_balance_cents};
    if (auto colon = file.rfind(':'); colon != std::string::npos) {
      auto dollars = core::Money::Parse(file.substr(colon + 1));
      if (!dollars.ok() || dollars->IsNegative() ||
          dollars->units() % core::Money::FromCents(1).units() != 0) {
        throw CommandFailed(2, fmt::format("exchange: --api-key {}: the balance must be whole "
                                           "cents >= 0, got '{}'",
                                           key.key_id, file.substr(colon + 1)));
      }
      key.starting_balance_cents = dollars->units() / core::Money::FromCents(1).units();
      file.resize(colon);
    }
    key.public_key_pem = ReadTextFile(file, "public key");
    options.api_keys.push_back(std::move(key));
  }
  for (const std::string& spec : args.faults) {
    auto eq = spec.find('=');
    const std::string kind = spec.substr(0, eq);
    if (eq == std::string::npos) {
      throw CommandFailed(2, fmt::format("exchange: --fault wants KIND=N, got '{}'", spec));
    }
    const int64_t n = ParsePositive(spec.substr(eq + 1), "--fault " + kind);
    if (kind == "drop") {
      options.faults.drop_connection_every = n;
    } else if (kind == "skip") {
      options.faults.skip_seq_every = n;
    } else if (kind == "duplicate") {
      options.faults.duplicate_every = n;
    } else if (kind == "malformed") {
      options.faults.malformed_every = n;
    } else if (kind == "private-delay") {
      options.faults.private_delay = std::chrono::milliseconds(n);
    } else {
      throw CommandFailed(2, fmt::format("exchange: unknown fault '{}' (drop, skip, duplicate, "
                                         "malformed, private-delay)",
                                         kind));
    }
  }
  if (args.start == "immediately") {
    options.start = exchange::ReplayStart::kImmediately;
  } else if (args.start == "on-subscribe") {
    options.start = exchange::ReplayStart::kOnFirstSubscription;
  } else {
    throw CommandFailed(2, "exchange: --start must be 'immediately' or 'on-subscribe'");
  }
  if (args.ping_interval_ms <= 0)
    throw CommandFailed(2, "exchange: --ping-interval-ms must be > 0");
  options.ping_interval = std::chrono::milliseconds(args.ping_interval_ms);
  options.rate_tier = args.rate_tier;
  return options;
}

nlohmann::json StatsJson(const exchange::ExchangeStats& s) {
  return {{"connections_accepted", s.connections_accepted},
          {"http_requests", s.http_requests},
          {"auth_failures", s.auth_failures},
          {"commands_received", s.commands_received},
          {"command_errors", s.command_errors},
          {"market_frames_sent", s.market_frames_sent},
          {"snapshots_sent", s.snapshots_sent},
          {"pings_sent", s.pings_sent},
          {"faults_dropped_connections", s.faults_dropped_connections},
          {"faults_skipped_seqs", s.faults_skipped_seqs},
          {"faults_duplicates", s.faults_duplicates},
          {"faults_malformed", s.faults_malformed},
          {"faults_delayed_private", s.faults_delayed_private},
          {"slow_subscriber_disconnects", s.slow_subscriber_disconnects},
          {"replay_records_total", s.replay_records_total},
          {"replay_records_done", s.replay_records_done},
          {"replay_finished", s.replay_finished}};
}

void RunExchange(const ExchangeArgs& args) {
  exchange::ExchangeOptions options = BuildOptions(args);
  // SIGINT/SIGTERM are blocked in every thread (the server's threads inherit the mask) and
  // collected here with sigtimedwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = exchange::ExchangeServer::Start(std::move(options));
  if (!server.ok()) throw CommandFailed(1, fmt::format("exchange: {}", server.error().ToString()));
  exchange::ExchangeServer& s = **server;
  if (!args.write_cert.empty() && !s.certificate_pem().empty()) {
    std::ofstream out(args.write_cert, std::ios::binary | std::ios::trunc);
    out << s.certificate_pem();
    if (!out) throw CommandFailed(1, fmt::format("exchange: cannot write {}", args.write_cert));
  }
  const auto initial = s.Stats();
  if (!args.json) {
    std::printf("kalshiflow exchange listening\n  WebSocket: %s\n  REST:      %s\n",
                s.ws_url().c_str(), s.rest_url().c_str());
    if (!args.write_cert.empty() && !s.certificate_pem().empty()) {
      std::printf("  certificate written to %s\n", args.write_cert.c_str());
    }
    std::printf("  %zu recording(s), %llu market-data records; replay starts %s; Ctrl-C stops\n",
                args.recordings.size(),
                static_cast<unsigned long long>(initial.replay_records_total),
                args.start == "immediately" ? "now" : "on the first orderbook subscription");
  } else {
    nlohmann::json j = {{"event", "listening"},
                        {"port", s.port()},
                        {"ws_url", s.ws_url()},
                        {"rest_url", s.rest_url()}};
    std::printf("%s\n", j.dump().c_str());
  }
  std::fflush(stdout);

  int received = 0;
  while (true) {
    timespec wait{0, 200'000'000};
    siginfo_t info;
    int sig = sigtimedwait(&signals, &info, &wait);
    if (sig == SIGINT || sig == SIGTERM) {
      received = sig;
      break;
    }
    if (args.exit_when_done && s.WaitReplayFinished(std::chrono::milliseconds(0))) break;
  }
  s.Stop();
  const auto stats = s.Stats();
  if (args.json) {
    nlohmann::json j = StatsJson(stats);
    j["event"] = "stopped";
    j["reason"] = received != 0 ? "signal" : "replay_finished";
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("exchange stopped (%s)\n", received != 0 ? "signal" : "replay finished");
    const nlohmann::json j = StatsJson(stats);
    for (const auto& [k, v] : j.items()) {
      std::printf("  %-28s %s\n", k.c_str(), v.dump().c_str());
    }
  }
}

}  // namespace

void AddExchangeCommand(CLI::App& app) {
  auto args = std::make_shared<ExchangeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "exchange",
      "Run the local Kalshi-compatible exchange (WebSocket + REST on one port) replaying "
      "recordings");
  cmd->add_option("--host", args->host, "Bind address")->capture_default_str();
  cmd->add_option("--port", args->port, "Port (0 = any free port; the URLs are printed)")
      ->capture_default_str();
  cmd->add_option("--recording", args->recordings, "Recording file (repeatable)")->required();
  cmd->add_option("--speed", args->speed, "Replay speed: 1 = real time, N = N x, or \"max\"")
      ->capture_default_str();
  cmd->add_flag("--plain", args->plain, "No TLS: ws:// and http:// (loopback only)");
  cmd->add_option("--cert", args->cert_file, "TLS certificate PEM (else a self-signed one)");
  cmd->add_option("--key", args->key_file, "TLS private key PEM (with --cert)");
  cmd->add_option("--write-cert", args->write_cert,
                  "Write the certificate in use to FILE (for clients to trust)");
  cmd->add_option("--api-key", args->api_keys,
                  "Accepted API key as ID=PUBLIC_KEY_PEM_FILE[:BALANCE_DOLLARS] (repeatable; "
                  "each key is an account starting with BALANCE, default 1000; none = every "
                  "authenticated request gets 401)");
  cmd->add_option("--fault", args->faults,
                  "Inject a fault per connection: drop=N, skip=N, duplicate=N, malformed=N "
                  "(every Nth orderbook frame), private-delay=MS (hold every private-channel "
                  "frame MS milliseconds); repeatable");
  cmd->add_option("--start", args->start, "When the replay starts: immediately | on-subscribe")
      ->capture_default_str();
  cmd->add_option("--ping-interval-ms", args->ping_interval_ms, "Heartbeat ping interval")
      ->capture_default_str();
  cmd->add_option("--rate-tier", args->rate_tier,
                  "Enforce Kalshi's rate limits per API key at this tier (basic, advanced, "
                  "expert, premier, paragon, prime, prestige): 429 when a bucket is empty "
                  "(default: none)");
  cmd->add_flag("--exit-when-done", args->exit_when_done,
                "Exit once the replay finished and every frame was written");
  cmd->add_flag("--json", args->json, "Print JSON lines (listening, final stats)");
  cmd->callback([args] { RunExchange(*args); });
}

}  // namespace kalshiflow::app
