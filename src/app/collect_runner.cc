#include "app/collect_runner.h"

#include <fmt/format.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/commands.h"
#include "feed/live_collector.h"

namespace kalshiflow::app {

std::atomic<bool>& StopRequested() {
  static std::atomic<bool> flag{false};
  return flag;
}

namespace {
extern "C" void OnStopSignal(int) { StopRequested().store(true); }
}  // namespace

void InstallStopSignalHandlers() {
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
}

CollectRunSummary RunCollection(const CollectRunConfig& config, storage::Store& store) {
  const core::Clock& clock = core::RealClock::Instance();
  CollectRunSummary summary;
  auto recovered = store.RecoverSessions(clock.Now());
  if (recovered.ok() && *recovered > 0) {
    std::fprintf(stderr,
                 "collect: %lld session(s) left active by a process that died were marked "
                 "error\n",
                 static_cast<long long>(*recovered));
  }
  storage::NewSession session;
  session.market_tickers = config.market_tickers;
  session.websocket_url = config.ws_url;
  session.environment = config.environment;
  session.started_at = clock.Now();
  auto session_id = store.CreateSession(session);
  if (!session_id.ok()) {
    throw CommandFailed(1, "collect: cannot create the session: " + session_id.error().ToString());
  }
  summary.session_id = *session_id;
  if (config.on_session) config.on_session(*session_id);
  storage::WriteQueueOptions queue_options;
  queue_options.capacity = config.queue_capacity;
  auto queue = storage::WriteQueue::Create(store, queue_options);
  if (!queue.ok()) throw CommandFailed(1, "collect: " + queue.error().ToString());

  net::WebSocketClientOptions client_options;
  client_options.url = config.ws_url;
  client_options.tls = config.tls;
  client_options.backoff = config.backoff;
  const std::string key_id = config.api_key_id;
  const kalshi::auth::Signer* signer = config.signer;
  client_options.headers =
      [key_id, signer]() -> core::Result<std::vector<std::pair<std::string, std::string>>> {
    std::vector<std::pair<std::string, std::string>> headers;
    if (signer == nullptr) return headers;
    KF_ASSIGN_OR_RETURN(auto auth,
                        kalshi::auth::MakeAuthHeaders(key_id, *signer, core::RealClock::Instance(),
                                                      "GET", "/trade-api/ws/v2"));
    for (const auto& [name, value] : auth.List()) headers.emplace_back(name, value);
    return headers;
  };
  feed::CollectorOptions collector_options;
  collector_options.session_id = *session_id;
  collector_options.market_tickers = config.market_tickers;
  collector_options.subscribe_trade = config.subscribe_trade;
  collector_options.subscribe_ticker = config.subscribe_ticker;
  auto live = feed::LiveCollector::Create(std::move(client_options), collector_options,
                                          queue->get(), &clock);
  if (!live.ok()) {
    storage::SessionEnd end{storage::SessionStatus::kError, live.error().ToString(), clock.Now()};
    (void)store.CloseSession(*session_id, end);
    throw CommandFailed(1, "collect: " + live.error().ToString());
  }
  if (config.actor_hook) (*live)->collector().SetActorTriggerHook(config.actor_hook);
  if (config.trade_hook) (*live)->collector().SetTradeHook(config.trade_hook);
  const auto start = std::chrono::steady_clock::now();
  if (auto started = (*live)->Start(); !started.ok()) {
    throw CommandFailed(1, "collect: " + started.ToString());
  }
  const bool tty = config.live_stats && isatty(STDERR_FILENO);
  auto last_print = start;
  uint64_t last_frames = 0;
  while (true) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto now = std::chrono::steady_clock::now();
    (*live)->Tick();
    const feed::CollectorStats stats = (*live)->collector().Stats();
    if (StopRequested().load()) {
      summary.stop_reason = "signal";
      break;
    }
    if ((*live)->finished()) {
      summary.stop_reason = "fatal";
      break;
    }
    if (config.duration && now - start >= *config.duration) {
      summary.stop_reason = "duration";
      break;
    }
    if (config.done && config.done(stats)) {
      summary.stop_reason = "done";
      break;
    }
    if (tty && now - last_print >= std::chrono::seconds(1)) {
      const double dt = std::chrono::duration<double>(now - last_print).count();
      const auto q = (*queue)->Stats();
      std::fprintf(stderr,
                   "\r\033[K%8.0f msgs/s  markets %llu/%zu live  gaps %llu  resyncs %llu  "
                   "drops %llu  queue %llu  reconnects %llu",
                   static_cast<double>(stats.frames - last_frames) / dt,
                   static_cast<unsigned long long>(stats.markets_live),
                   config.market_tickers.size(), static_cast<unsigned long long>(stats.gaps),
                   static_cast<unsigned long long>(stats.resync_requests + stats.resubscribes),
                   static_cast<unsigned long long>(stats.rows_dropped),
                   static_cast<unsigned long long>(q.depth),
                   static_cast<unsigned long long>((*live)->disconnects()));
      last_frames = stats.frames;
      last_print = now;
    }
  }
  if (tty) std::fprintf(stderr, "\n");
  (*live)->Stop();
  const auto fatal = (*live)->fatal_error();
  auto shutdown = (*queue)->Shutdown();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  summary.collector = (*live)->collector().Stats();
  summary.client = (*live)->ClientStats();
  summary.queue = (*queue)->Stats();
  summary.disconnects = (*live)->disconnects();
  summary.messages_per_second =
      summary.seconds > 0 ? static_cast<double>(summary.collector.frames) / summary.seconds : 0;
  storage::SessionEnd end;
  end.ended_at = clock.Now();
  if (fatal) {
    end.status = storage::SessionStatus::kError;
    end.error = *fatal;
  } else if (!shutdown.ok()) {
    end.status = storage::SessionStatus::kError;
    end.error = "write queue: " + shutdown.ToString();
  }
  summary.status = end.status;
  summary.error = end.error;
  if (auto closed = store.CloseSession(*session_id, end); !closed.ok()) {
    throw CommandFailed(1, "collect: closing the session: " + closed.ToString());
  }
  return summary;
}

std::string CollectSummaryJson(const CollectRunSummary& s, int indent) {
  const auto& c = s.collector;
  nlohmann::json j = {
      {"session_id", s.session_id},
      {"status", std::string(storage::SessionStatusName(s.status))},
      {"error", s.error.empty() ? nlohmann::json() : nlohmann::json(s.error)},
      {"stop_reason", s.stop_reason},
      {"seconds", s.seconds},
      {"messages_per_second", s.messages_per_second},
      {"frames", c.frames},
      {"bytes", c.bytes},
      {"snapshots", c.snapshots},
      {"deltas", c.deltas},
      {"trades", c.trades},
      {"tickers", c.tickers},
      {"decode_errors", c.decode_errors},
      {"duplicates", c.duplicates},
      {"gaps", c.gaps},
      {"refused", c.refused},
      {"stale_sid_frames", c.stale_sid_frames},
      {"resync_requests", c.resync_requests},
      {"resubscribes", c.resubscribes},
      {"command_errors", c.command_errors},
      {"connects", c.connects},
      {"disconnects", s.disconnects},
      {"markets_live", c.markets_live},
      {"rows_enqueued", c.rows_enqueued},
      {"rows_written", s.queue.written},
      {"drops", c.rows_dropped},
      {"rows_rejected", s.queue.rejected},
  };
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace kalshiflow::app
