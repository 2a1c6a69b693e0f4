#include "policy/action_space.h"

#include <fmt/format.h>

#include <charconv>

namespace kalshiflow::policy {
namespace {

constexpr std::string_view kDiscretePrefix = "discrete-";
constexpr int kMaxActions = 1 << 16;

struct Intent {
  ActionKind kind;
  core::OutcomeSide side;
  std::string_view name;
};
// The original's base actions 1..4, in order.
constexpr Intent kIntents[4] = {
    {ActionKind::kBuy, core::OutcomeSide::kYes, "BUY_YES"},
    {ActionKind::kSell, core::OutcomeSide::kYes, "SELL_YES"},
    {ActionKind::kBuy, core::OutcomeSide::kNo, "BUY_NO"},
    {ActionKind::kSell, core::OutcomeSide::kNo, "SELL_NO"},
};

}  // namespace

std::string_view ActionKindName(ActionKind kind) {
  switch (kind) {
    case ActionKind::kHold:
      return "hold";
    case ActionKind::kBuy:
      return "buy";
    case ActionKind::kSell:
      return "sell";
  }
  return "unknown";
}

std::optional<int> ParseDiscreteActionSpace(std::string_view id) {
  if (!id.starts_with(kDiscretePrefix)) return std::nullopt;
  std::string_view digits = id.substr(kDiscretePrefix.size());
  if (digits.empty() || digits.front() == '0') return std::nullopt;
  int n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size() || n < 1 || n > kMaxActions) {
    return std::nullopt;
  }
  return n;
}

std::string DiscreteActionSpaceId(int n) { return fmt::format("discrete-{}", n); }

PolicyResult<ActionDecoder> ActionDecoder::ForSpace(std::string_view id) {
  using core::Count;
  if (id == "discrete-5") return ActionDecoder(std::string(id), {Count::FromContracts(10)});
  if (id == "discrete-21") {
    return ActionDecoder(std::string(id), {Count::FromContracts(5), Count::FromContracts(10),
                                           Count::FromContracts(20), Count::FromContracts(50),
                                           Count::FromContracts(100)});
  }
  return PolicyErr(PolicyErrorKind::kUnknownActionSpace,
                   fmt::format("action space '{}' has no known decoding (known: discrete-5, "
                               "discrete-21)",
                               id));
}

TradeAction ActionDecoder::Decode(int index) const {
  KF_CHECK(index >= 0 && index < size(), "action {} outside {} (size {})", index, id_, size());
  if (index == 0) return TradeAction{};
  const int k = static_cast<int>(sizes_.size());
  const Intent& intent = kIntents[(index - 1) / k];
  return TradeAction{intent.kind, intent.side, sizes_[static_cast<size_t>((index - 1) % k)]};
}

std::optional<int> ActionDecoder::Encode(const TradeAction& action) const {
  if (action.kind == ActionKind::kHold) return 0;
  const int k = static_cast<int>(sizes_.size());
  for (int intent = 0; intent < 4; ++intent) {
    if (kIntents[intent].kind != action.kind || kIntents[intent].side != action.side) continue;
    for (int s = 0; s < k; ++s) {
      if (sizes_[static_cast<size_t>(s)] == action.size) return 1 + intent * k + s;
    }
  }
  return std::nullopt;
}

std::string ActionDecoder::Describe(int index) const {
  if (index == 0) return "HOLD";
  const TradeAction a = Decode(index);
  const int k = static_cast<int>(sizes_.size());
  return fmt::format("{} x{}", kIntents[(index - 1) / k].name,
                     a.size.units() / core::Count::kUnitsPerContract);
}

}  // namespace kalshiflow::policy
