#include "feed/live_collector.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace kalshiflow::feed {

core::Result<std::unique_ptr<LiveCollector>> LiveCollector::Create(
    net::WebSocketClientOptions client_options, CollectorOptions collector_options,
    storage::WriteQueue* queue, const core::Clock* clock) {
  std::unique_ptr<LiveCollector> live(new LiveCollector());
  KF_ASSIGN_OR_RETURN(live->collector_,
                      Collector::Create(std::move(collector_options), queue, live.get(), clock));
  live->clock_ = clock;
  client_options.clock = clock;
  KF_ASSIGN_OR_RETURN(live->client_,
                      net::WebSocketClient::Create(std::move(client_options), live.get()));
  return live;
}

LiveCollector::~LiveCollector() { Stop(); }

core::Status LiveCollector::Start() { return client_->Start(); }

void LiveCollector::Stop() {
  if (client_) client_->Stop();
}

std::optional<std::string> LiveCollector::fatal_error() const {
  std::lock_guard lock(mutex_);
  return fatal_error_;
}

void LiveCollector::Tick() {
  std::lock_guard lock(collector_mutex_);
  collector_->Tick(clock_->Now());
}

void LiveCollector::OnConnected() {
  std::lock_guard lock(collector_mutex_);
  collector_->OnConnected();
}

void LiveCollector::OnText(std::string_view frame, core::Timestamp received) {
  std::lock_guard lock(collector_mutex_);
  collector_->OnFrame(frame, received);
}

net::ReconnectDecision LiveCollector::OnDisconnected(const net::DisconnectInfo& info) {
  {
    std::lock_guard lock(collector_mutex_);
    collector_->OnDisconnected();
  }
  if (info.kind == net::DisconnectKind::kStopped) {
    if (!info.message.empty() && info.message.find("Stop()") == std::string::npos) {
      std::lock_guard lock(mutex_);
      if (!fatal_error_) fatal_error_ = info.message;
    }
    return net::ReconnectDecision::kStop;
  }
  disconnects_.fetch_add(1, std::memory_order_relaxed);
  if (info.kind == net::DisconnectKind::kUpgradeRejected &&
      (info.http_status == 401 || info.http_status == 403)) {
    std::lock_guard lock(mutex_);
    fatal_error_ = fmt::format(
        "the exchange refused our credentials: HTTP {} on the WebSocket upgrade{}{} (check "
        "KALSHI_API_KEY_ID, the private key and the clock)",
        info.http_status, info.http_body.empty() ? "" : ": ", info.http_body);
    return net::ReconnectDecision::kStop;
  }
  spdlog::warn("collector: connection lost ({}: {}), reconnecting",
               net::DisconnectKindName(info.kind), info.message);
  return net::ReconnectDecision::kRetry;
}

bool LiveCollector::SendCommand(std::string text) { return client_->Send(std::move(text)); }

}  // namespace kalshiflow::feed
