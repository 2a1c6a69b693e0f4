#include "storage/rows.h"

namespace kalshiflow::storage {

std::string_view EnvironmentName(Environment environment) {
  switch (environment) {
    case Environment::kDemo:
      return "demo";
    case Environment::kProduction:
      return "production";
    case Environment::kLocal:
      return "local";
    case Environment::kReplay:
      return "replay";
  }
  return "unknown";
}

std::optional<Environment> ParseEnvironment(std::string_view text) {
  for (Environment e :
       {Environment::kDemo, Environment::kProduction, Environment::kLocal, Environment::kReplay}) {
    if (text == EnvironmentName(e)) return e;
  }
  return std::nullopt;
}

std::string_view SessionStatusName(SessionStatus status) {
  switch (status) {
    case SessionStatus::kActive:
      return "active";
    case SessionStatus::kClosed:
      return "closed";
    case SessionStatus::kError:
      return "error";
  }
  return "unknown";
}

std::optional<SessionStatus> ParseSessionStatus(std::string_view text) {
  for (SessionStatus s : {SessionStatus::kActive, SessionStatus::kClosed, SessionStatus::kError}) {
    if (text == SessionStatusName(s)) return s;
  }
  return std::nullopt;
}

std::string_view RowKindName(const Row& row) {
  struct Visitor {
    std::string_view operator()(const SnapshotRow&) const { return "snapshot"; }
    std::string_view operator()(const DeltaRow&) const { return "delta"; }
    std::string_view operator()(const RawFrameRow&) const { return "raw_frame"; }
    std::string_view operator()(const ActorEventRow&) const { return "actor_event"; }
  };
  return std::visit(Visitor{}, row);
}

core::Timestamp UpdateLocalTs(const ReplayUpdate& update) {
  return std::visit([](const auto& row) { return row.local_ts; }, update);
}

}  // namespace kalshiflow::storage
