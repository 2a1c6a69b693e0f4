// One Kalshi-like account across many per-market simulators (DESIGN.md §8: one balance; the
// collateral rule of sim/market_sim.h, "Collateral", applied account-wide).
//
// MarketSim keeps its own cash per market. An account that trades many markets is one balance:
//   account cash      = initial_cash + Σ_markets sim cash          (every sim starts with $0)
//   reserved          = Σ_markets sim.reserved_cash()   (resting orders' holds, MarketSim's rule)
//   available cash    = account cash - reserved
//   portfolio value   = initial_cash + Σ_markets sim.MarkedValue()
// A market's own sim cash is that market's net cash flow and goes negative as it buys.
//
// Collateral is enforced at the account level by MarketSim's own rule, at the moment MarketSim
// checks it: before every call into market m's simulator that can activate ops (OnBookUpdate,
// Submit), the owner calls ShareWith, which sets
//   sim_m.SetOutsideFunds(initial_cash + Σ_{k != m} (cash_k - reserved_k)),
// so MarketSim accepts a place/amend when Σ_all reserved (with it) <= account cash — Kalshi's
// rule for one balance. After the call the owner calls Fold, which brings the totals up to
// date with that simulator (O(1): only the market that changed is re-read). Nothing outside
// market m changes during a call into m (one thread drives everything), so the value set is
// exact for the whole call.
//
// Users: trading::PaperOrderManager (the paper account) and the local exchange's accounts
// (exchange/trading_engine.h), so both fill and account the same way.
//
// Units: core::Money (1e-6 $). Threading: thread-compatible (one owner thread).
#pragma once

#include "core/fixed_point.h"
#include "sim/market_sim.h"

namespace kalshiflow::sim {

/// One market's share of the account totals as last folded (kept by the owner next to the
/// market's MarketSim; starts at zero, as a new MarketSim with initial_cash 0 does).
struct AccountShare {
  core::Money cash, reserved, marked;
};

/// The account-wide money of several MarketSims (see the file comment).
class AccountTotals {
 public:
  /// `initial_cash`: the account's starting balance (the simulators' own initial_cash must be
  /// 0).
  explicit AccountTotals(core::Money initial_cash) : initial_cash_(initial_cash) {}

  /// Sets `sim`'s outside funds to the rest of the account: initial_cash + the other markets'
  /// cash minus what their resting orders hold. Call before any call into `sim` that can act
  /// ops; `share` is that market's share.
  void ShareWith(MarketSim& sim, const AccountShare& share) const {
    sim.SetOutsideFunds(initial_cash_ + (cash_ - share.cash) - (reserved_ - share.reserved));
  }

  /// Brings the totals up to date with `sim` (after every call into it) and updates `share`.
  void Fold(const MarketSim& sim, AccountShare& share) {
    const core::Money cash = sim.portfolio().cash();
    const core::Money reserved = sim.reserved_cash();
    const core::Money marked = sim.MarkedValue();
    cash_ += cash - share.cash;
    reserved_ += reserved - share.reserved;
    marked_ += marked - share.marked;
    share = {cash, reserved, marked};
  }

  core::Money initial_cash() const { return initial_cash_; }
  /// Account cash (fees deducted).
  core::Money cash() const { return initial_cash_ + cash_; }
  /// What resting orders hold.
  core::Money reserved_cash() const { return reserved_; }
  /// cash() - reserved_cash().
  core::Money available_cash() const { return cash() - reserved_; }
  /// initial_cash + Σ MarkedValue(): positions at executable prices.
  core::Money portfolio_value() const { return initial_cash_ + marked_; }

 private:
  core::Money initial_cash_;
  core::Money cash_, reserved_, marked_;  // Σ over markets (sim cash starts at 0)
};

}  // namespace kalshiflow::sim
