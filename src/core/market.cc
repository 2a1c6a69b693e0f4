#include "core/market.h"

#include <fmt/format.h>

namespace kalshiflow::core {

std::string_view OutcomeSideName(OutcomeSide side) {
  return side == OutcomeSide::kYes ? "yes" : "no";
}
std::string_view BookSideName(BookSide side) { return side == BookSide::kBid ? "bid" : "ask"; }

std::optional<OutcomeSide> ParseOutcomeSide(std::string_view text) {
  if (text == "yes") return OutcomeSide::kYes;
  if (text == "no") return OutcomeSide::kNo;
  return std::nullopt;
}
std::optional<BookSide> ParseBookSide(std::string_view text) {
  if (text == "bid") return BookSide::kBid;
  if (text == "ask") return BookSide::kAsk;
  return std::nullopt;
}

Status ValidateTicker(std::string_view ticker) {
  if (ticker.empty()) return InvalidArgumentError("ticker is empty");
  if (ticker.size() > kMaxTickerLength) {
    return InvalidArgumentError(
        fmt::format("ticker is {} characters, more than {}", ticker.size(), kMaxTickerLength));
  }
  for (std::size_t i = 0; i < ticker.size(); ++i) {
    char c = ticker[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
    if (!ok) {
      return InvalidArgumentError(
          fmt::format("ticker '{}' has an invalid character at offset {}", ticker, i));
    }
  }
  return Status::Ok();
}

Result<MarketTicker> MarketTicker::Parse(std::string_view text) {
  KF_RETURN_IF_ERROR(ValidateTicker(text));
  return MarketTicker(std::string(text));
}

}  // namespace kalshiflow::core
