// Decoding of discrete action indices into trading intents (DESIGN.md §5).
//
// Both supported spaces use the original kalshiflow_rl layout (limit_order_action_space.py,
// `decode_action`): index 0 is HOLD; indices 1..4k are four intents × k sizes, intent-major:
//
//   intent = (index - 1) / k   → 0 BUY_YES, 1 SELL_YES, 2 BUY_NO, 3 SELL_NO
//   size   = sizes[(index - 1) % k]
//
//   "discrete-5":  k = 1, sizes {10}: our default (DESIGN §5: limit orders of 10 contracts).
//   "discrete-21": k = 5, sizes {5, 10, 20, 50, 100}: the original's PositionConfig phase 3,
//                  the space of ../shared/data/kalshiflow/models/session32_final.zip
//                  (1-5 BUY_YES, 6-10 SELL_YES, 11-15 BUY_NO, 16-20 SELL_NO, each 5..100).
// The intent-major layout of discrete-21 is confirmed by the original's own training logs
// (training_results/position_sizing_verification_*.json: its per-size counts equal the
// intent-major sums of its 21-action histogram, not the size-major ones). The original
// actor's dashboard broadcast decoded size-major ((index-1)/4 = size) — a display bug there;
// see README.md.
//
// The limit price is not part of the action: the order manager prices it (aggressive/passive/
// mid) and snaps it to the market's grid.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/fixed_point.h"
#include "core/market.h"
#include "policy/error.h"

namespace kalshiflow::policy {

enum class ActionKind : uint8_t { kHold, kBuy, kSell };
std::string_view ActionKindName(ActionKind kind);  // "hold" / "buy" / "sell"

/// One decoded action. For kHold, side is kYes and size is zero.
struct TradeAction {
  ActionKind kind = ActionKind::kHold;
  core::OutcomeSide side = core::OutcomeSide::kYes;
  core::Count size;  // contracts to buy or sell (1/100 contract units)
  friend bool operator==(const TradeAction&, const TradeAction&) = default;
};

/// "discrete-<n>" with 1 <= n <= 65536 → n; anything else → nullopt.
std::optional<int> ParseDiscreteActionSpace(std::string_view id);
/// n → "discrete-<n>".
std::string DiscreteActionSpaceId(int n);

/// The decoding of one supported action space. Immutable; thread-safe.
class ActionDecoder {
 public:
  /// "discrete-5" or "discrete-21"; any other id → kUnknownActionSpace (the model may still be
  /// loaded and run, but nothing knows what its actions mean).
  static PolicyResult<ActionDecoder> ForSpace(std::string_view id);

  const std::string& id() const { return id_; }
  /// Number of actions (5 or 21).
  int size() const { return 1 + 4 * static_cast<int>(sizes_.size()); }
  /// The order sizes of the space, smallest first.
  std::span<const core::Count> sizes() const { return sizes_; }

  /// index in [0, size()) → the action (KF_CHECK on a bad index: the policy's action count is
  /// checked against the space when the model is loaded).
  TradeAction Decode(int index) const;
  /// The index of an action, or nullopt when the space has no such size (any HOLD → 0).
  std::optional<int> Encode(const TradeAction& action) const;
  /// "HOLD", "BUY_YES x10", "SELL_NO x100".
  std::string Describe(int index) const;

 private:
  ActionDecoder(std::string id, std::vector<core::Count> sizes)
      : id_(std::move(id)), sizes_(std::move(sizes)) {}
  std::string id_;
  std::vector<core::Count> sizes_;
};

}  // namespace kalshiflow::policy
