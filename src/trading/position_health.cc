#include "trading/position_health.h"

#include <fmt/format.h>

#include <cmath>

namespace kalshiflow::trading {

core::Status Validate(const PositionHealthConfig& config) {
  auto bad_ratio = [](double v) { return !std::isfinite(v) || v < 0; };
  if (bad_ratio(config.take_profit)) {
    return core::InvalidArgumentError(
        fmt::format("position health: take_profit must be >= 0, got {}", config.take_profit));
  }
  if (bad_ratio(config.stop_loss) || config.stop_loss > 1) {
    return core::InvalidArgumentError(
        fmt::format("position health: stop_loss must be in [0, 1] (a fraction of cost), got {}",
                    config.stop_loss));
  }
  if (config.min_move_per_contract.IsNegative()) {
    return core::InvalidArgumentError("position health: min_move_per_contract must be >= 0");
  }
  if (config.max_hold_ns < 0) {
    return core::InvalidArgumentError("position health: max_hold must be >= 0 (0 = off)");
  }
  if (config.reentry_cooldown_ns < 0) {
    return core::InvalidArgumentError("position health: reentry_cooldown must be >= 0 (0 = off)");
  }
  if (config.closing_soon_ns < 0) {
    return core::InvalidArgumentError("position health: closing_soon must be >= 0 (0 = off)");
  }
  return core::Status::Ok();
}

std::string_view ExitReasonName(ExitReason reason) {
  switch (reason) {
    case ExitReason::kNone:
      return "none";
    case ExitReason::kTakeProfit:
      return "take_profit";
    case ExitReason::kStopLoss:
      return "stop_loss";
    case ExitReason::kMaxHold:
      return "max_hold";
    case ExitReason::kClosingSoon:
      return "closing_soon";
    case ExitReason::kCashRecovery:
      return "cash_recovery";
  }
  return "unknown";
}

PositionMark MarkPosition(core::Count position, core::Money cost_basis,
                          const book::OrderBook& book) {
  PositionMark mark;
  mark.cost_basis = cost_basis;
  if (position.IsZero()) return mark;
  const core::OutcomeSide held =
      position.IsPositive() ? core::OutcomeSide::kYes : core::OutcomeSide::kNo;
  const core::Count held_contracts = position.IsNegative() ? -position : position;
  const auto bid = book.BestBid(held);
  if (!bid) return mark;  // nothing to exit into: no return to judge
  mark.exit_value = core::Notional(bid->price, held_contracts);
  if (cost_basis.IsPositive()) {
    mark.return_ratio =
        static_cast<double>(mark.exit_value.units()) / static_cast<double>(cost_basis.units()) -
        1.0;
  }
  return mark;
}

void PositionHealth::SetCloseTime(std::string_view ticker, core::Timestamp close_time) {
  auto it = markets_.find(ticker);
  if (it == markets_.end()) it = markets_.emplace(std::string(ticker), MarketState{}).first;
  it->second.close_time = close_time;
}

void PositionHealth::Observe(std::string_view ticker, core::Count position, core::Timestamp now) {
  const int sign = position.IsPositive() ? 1 : position.IsNegative() ? -1 : 0;
  auto it = markets_.find(ticker);  // no allocation; an insert only when a position opens
  if (it == markets_.end()) {
    if (sign == 0) return;
    it = markets_.emplace(std::string(ticker), MarketState{}).first;
  }
  MarketState& m = it->second;
  if (sign == 0) {
    m.opened_at.reset();
  } else if (sign != m.sign || !m.opened_at) {
    m.opened_at = now;  // opened from flat, or flipped across zero: a new position
  }
  m.sign = sign;
}

const PositionHealth::MarketState* PositionHealth::Find(std::string_view ticker) const {
  auto it = markets_.find(ticker);
  return it == markets_.end() ? nullptr : &it->second;
}

ExitReason PositionHealth::Check(std::string_view ticker, core::Count position,
                                 core::Money cost_basis, const book::OrderBook& book,
                                 core::Timestamp now) const {
  if (!config_.enabled || position.IsZero()) return ExitReason::kNone;
  const MarketState* m = Find(ticker);
  if (m != nullptr && m->close_time && config_.closing_soon_ns > 0 &&
      m->close_time->nanos() - now.nanos() <= config_.closing_soon_ns) {
    return ExitReason::kClosingSoon;
  }
  const PositionMark mark = MarkPosition(position, cost_basis, book);
  if (mark.return_ratio) {
    // Compared in money units against the thresholds rounded to the micro-dollar, so a
    // threshold written in decimals (-20%) fires exactly at it (no binary-fraction drift).
    const double cost = static_cast<double>(cost_basis.units());
    const int64_t exit = mark.exit_value.units();
    const core::Count held = position.IsNegative() ? -position : position;
    const int64_t min_move =
        config_.min_move_per_contract.units() * held.units() / core::Count::kUnitsPerContract;
    const int64_t pnl = exit - cost_basis.units();
    if (config_.stop_loss > 0 && exit <= std::llround(cost * (1.0 - config_.stop_loss)) &&
        -pnl >= min_move) {
      return ExitReason::kStopLoss;
    }
    if (config_.take_profit > 0 && exit >= std::llround(cost * (1.0 + config_.take_profit)) &&
        pnl >= min_move) {
      return ExitReason::kTakeProfit;
    }
  }
  if (m != nullptr && m->opened_at && config_.max_hold_ns > 0 &&
      now.nanos() - m->opened_at->nanos() >= config_.max_hold_ns) {
    return ExitReason::kMaxHold;
  }
  return ExitReason::kNone;
}

std::optional<core::Timestamp> PositionHealth::opened_at(std::string_view ticker) const {
  const MarketState* m = Find(ticker);
  return m == nullptr ? std::nullopt : m->opened_at;
}

}  // namespace kalshiflow::trading
