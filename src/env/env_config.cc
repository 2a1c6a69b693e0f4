#include "env/env_config.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "book/price_grid.h"
#include "features/kalshiflow_v1.h"

namespace kalshiflow::env {
namespace {

core::Status Bad(std::string message) {
  return core::InvalidArgumentError("env config: " + std::move(message));
}

// The fee multiplier (1/10,000) as the decimal string FeeSchedule::Parse reads back.
std::string MultiplierText(int64_t multiplier) {
  char buf[core::kMaxDecimalChars];
  return std::string(buf, core::FormatDecimal(multiplier, 4, buf));
}

}  // namespace

std::string_view EpisodeOrderName(EpisodeOrder order) {
  switch (order) {
    case EpisodeOrder::kRandom:
      return "random";
    case EpisodeOrder::kRoundRobin:
      return "round_robin";
  }
  return "?";
}

std::optional<EpisodeOrder> ParseEpisodeOrder(std::string_view text) {
  if (text == "random") return EpisodeOrder::kRandom;
  if (text == "round_robin") return EpisodeOrder::kRoundRobin;
  return std::nullopt;
}

std::string_view BalancePrecisionName(kalshi::BalancePrecision precision) {
  return precision == kalshi::BalancePrecision::kCent ? "cent" : "centi_cent";
}

std::optional<kalshi::BalancePrecision> ParseBalancePrecision(std::string_view text) {
  if (text == "cent") return kalshi::BalancePrecision::kCent;
  if (text == "centi_cent") return kalshi::BalancePrecision::kCentiCent;
  return std::nullopt;
}

std::optional<sim::MarkFallback> ParseMarkFallback(std::string_view text) {
  for (sim::MarkFallback f : {sim::MarkFallback::kLastBid, sim::MarkFallback::kZero}) {
    if (text == sim::MarkFallbackName(f)) return f;
  }
  return std::nullopt;
}

sim::SimConfig EnvConfig::ToSimConfig() const {
  sim::SimConfig config;
  config.latency_ns = latency_ns;
  config.queue_model = queue_model;
  config.fees = fees;
  config.balance_precision = balance_precision;
  config.mark_fallback = mark_fallback;
  config.collateral = collateral;
  config.initial_cash = initial_cash;
  return config;
}

core::Status Validate(const EnvConfig& config) {
  if (config.observation_spec != features::kKalshiflowV1Id) {
    return Bad(
        fmt::format("observation_spec '{}' is not supported by the replay environment "
                    "(supported: {})",
                    config.observation_spec, features::kKalshiflowV1Id));
  }
  if (config.utc_offset_minutes < -1440 || config.utc_offset_minutes > 1440) {
    return Bad(
        fmt::format("utc_offset_minutes {} outside [-1440, 1440]", config.utc_offset_minutes));
  }
  if (auto grid = book::PriceGrid::FromStructureName(config.price_grid); !grid.ok()) {
    return Bad(fmt::format("price_grid: {}", grid.error().message()));
  }
  if (config.latency_ns < 0) return Bad(fmt::format("latency_ns {} < 0", config.latency_ns));
  if (!config.initial_cash.IsPositive()) {
    return Bad(fmt::format("initial_cash {} must be > 0", config.initial_cash.ToString()));
  }
  if (config.max_episode_steps < 0) {
    return Bad(fmt::format("max_episode_steps {} < 0", config.max_episode_steps));
  }
  if (config.fees.multiplier < 0) {
    return Bad(fmt::format("fee_multiplier {} < 0", MultiplierText(config.fees.multiplier)));
  }
  return core::Status::Ok();
}

nlohmann::json ToJson(const EnvConfig& config) {
  nlohmann::json j;
  j["observation_spec"] = config.observation_spec;
  j["utc_offset_minutes"] = config.utc_offset_minutes;
  j["num_actions"] = sim::kNumActions;
  j["action_contracts"] = sim::kActionContracts.units() / core::Count::kUnitsPerContract;
  j["price_strategy"] = std::string(sim::PriceStrategyName(config.price_strategy));
  j["price_grid"] = config.price_grid;
  j["latency_ns"] = config.latency_ns;
  j["queue_model"] = config.queue_model.ToString();
  j["fee_type"] = std::string(kalshi::FeeTypeName(config.fees.type));
  j["fee_multiplier"] = MultiplierText(config.fees.multiplier);
  j["balance_precision"] = std::string(BalancePrecisionName(config.balance_precision));
  j["mark_fallback"] = std::string(sim::MarkFallbackName(config.mark_fallback));
  j["collateral"] = std::string(sim::CollateralModeName(config.collateral));
  j["initial_cash"] = config.initial_cash.ToString();
  j["max_episode_steps"] = config.max_episode_steps;
  j["episode_order"] = std::string(EpisodeOrderName(config.episode_order));
  j["settle_known_results"] = config.settle_known_results;
  return j;
}

core::Result<EnvConfig> EnvConfigFromJson(const nlohmann::json& json) {
  if (!json.is_object()) return Bad("expected a JSON object");
  EnvConfig config;
  std::string fee_type(kalshi::FeeTypeName(config.fees.type));
  std::string fee_multiplier = MultiplierText(config.fees.multiplier);
  for (const auto& [key, value] : json.items()) {
    auto need_string = [&]() -> core::Result<std::string> {
      if (!value.is_string()) return Bad(fmt::format("{} must be a string", key));
      return value.get<std::string>();
    };
    auto need_int = [&]() -> core::Result<int64_t> {
      if (!value.is_number_integer()) return Bad(fmt::format("{} must be an integer", key));
      return value.get<int64_t>();
    };
    if (key == "observation_spec") {
      KF_ASSIGN_OR_RETURN(config.observation_spec, need_string());
    } else if (key == "utc_offset_minutes") {
      KF_ASSIGN_OR_RETURN(int64_t v, need_int());
      if (v < -1440 || v > 1440) return Bad(fmt::format("utc_offset_minutes {} out of range", v));
      config.utc_offset_minutes = static_cast<int>(v);
    } else if (key == "num_actions") {
      KF_ASSIGN_OR_RETURN(int64_t v, need_int());
      if (v != sim::kNumActions) {
        return Bad(fmt::format("num_actions {} unsupported (the action spec is Discrete({}))", v,
                               sim::kNumActions));
      }
    } else if (key == "action_contracts") {
      KF_ASSIGN_OR_RETURN(int64_t v, need_int());
      const int64_t contracts = sim::kActionContracts.units() / core::Count::kUnitsPerContract;
      if (v != contracts) {
        return Bad(fmt::format("action_contracts {} unsupported (the action spec is {} contracts)",
                               v, contracts));
      }
    } else if (key == "price_strategy") {
      KF_ASSIGN_OR_RETURN(std::string s, need_string());
      auto strategy = sim::ParsePriceStrategy(s);
      if (!strategy) {
        return Bad(fmt::format("price_strategy '{}' (aggressive, passive or mid)", s));
      }
      config.price_strategy = *strategy;
    } else if (key == "price_grid") {
      KF_ASSIGN_OR_RETURN(config.price_grid, need_string());
    } else if (key == "latency_ns") {
      KF_ASSIGN_OR_RETURN(config.latency_ns, need_int());
    } else if (key == "queue_model") {
      KF_ASSIGN_OR_RETURN(std::string s, need_string());
      auto model = sim::QueueModel::Parse(s);
      if (!model.ok()) return Bad(fmt::format("queue_model: {}", model.error().message()));
      config.queue_model = *model;
    } else if (key == "fee_type") {
      KF_ASSIGN_OR_RETURN(fee_type, need_string());
    } else if (key == "fee_multiplier") {
      KF_ASSIGN_OR_RETURN(fee_multiplier, need_string());
    } else if (key == "balance_precision") {
      KF_ASSIGN_OR_RETURN(std::string s, need_string());
      auto precision = ParseBalancePrecision(s);
      if (!precision) return Bad(fmt::format("balance_precision '{}' (cent or centi_cent)", s));
      config.balance_precision = *precision;
    } else if (key == "mark_fallback") {
      KF_ASSIGN_OR_RETURN(std::string s, need_string());
      auto fallback = ParseMarkFallback(s);
      if (!fallback) return Bad(fmt::format("mark_fallback '{}' (last_bid or zero)", s));
      config.mark_fallback = *fallback;
    } else if (key == "collateral") {
      KF_ASSIGN_OR_RETURN(std::string s, need_string());
      auto mode = sim::ParseCollateralMode(s);
      if (!mode) return Bad(fmt::format("collateral '{}' (enforce or off)", s));
      config.collateral = *mode;
    } else if (key == "initial_cash") {
      KF_ASSIGN_OR_RETURN(std::string s, need_string());
      auto cash = core::Money::Parse(s);
      if (!cash.ok()) {
        return Bad(fmt::format("initial_cash '{}': {}", s, core::DecimalErrorName(cash.error())));
      }
      config.initial_cash = *cash;
    } else if (key == "max_episode_steps") {
      KF_ASSIGN_OR_RETURN(config.max_episode_steps, need_int());
    } else if (key == "episode_order") {
      KF_ASSIGN_OR_RETURN(std::string s, need_string());
      auto order = ParseEpisodeOrder(s);
      if (!order) return Bad(fmt::format("episode_order '{}' (random or round_robin)", s));
      config.episode_order = *order;
    } else if (key == "settle_known_results") {
      if (!value.is_boolean()) return Bad("settle_known_results must be a boolean");
      config.settle_known_results = value.get<bool>();
    } else {
      return Bad(fmt::format("unknown key '{}'", key));
    }
  }
  auto fees = kalshi::FeeSchedule::Parse(fee_type, fee_multiplier);
  if (!fees.ok()) return Bad(fmt::format("fees: {}", fees.error().message()));
  config.fees = *fees;
  KF_RETURN_IF_ERROR(Validate(config));
  return config;
}

}  // namespace kalshiflow::env
