#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "core/rng.h"
#include "net/url.h"
#include "net/websocket_client.h"

namespace kalshiflow::net {
namespace {

using std::chrono::milliseconds;

TEST(BackoffDelayTest, GrowsGeometricallyFromInitialWithoutJitter) {
  BackoffOptions options;
  options.initial = milliseconds(100);
  options.max = milliseconds(100'000);
  options.multiplier = 3.0;
  options.jitter = 0.0;
  int64_t expected = 100;
  for (int attempt = 1; attempt <= 6; ++attempt) {
    EXPECT_EQ(BackoffDelay(options, attempt, 0.7), milliseconds(expected)) << attempt;
    expected *= 3;
  }
  EXPECT_EQ(BackoffDelay(options, 0, 0.7), milliseconds(100));  // < 1 counts as 1
}

TEST(BackoffDelayTest, IsCappedAtMaxBeforeJitter) {
  BackoffOptions options;
  options.initial = milliseconds(250);
  options.max = milliseconds(1'000);
  options.multiplier = 2.0;
  options.jitter = 0.0;
  EXPECT_EQ(BackoffDelay(options, 3, 0.5), milliseconds(1'000));
  EXPECT_EQ(BackoffDelay(options, 60, 0.5), milliseconds(1'000));  // no overflow
  EXPECT_EQ(BackoffDelay(options, 1'000'000, 0.5), milliseconds(1'000));
}

TEST(BackoffDelayTest, JitterStaysWithinItsBounds) {
  BackoffOptions options;
  options.initial = milliseconds(1'000);
  options.max = milliseconds(8'000);
  options.jitter = 0.25;
  core::Rng rng(42);
  for (int i = 0; i < 1'000; ++i) {
    const int attempt = 1 + i % 6;
    const double base = std::min(1'000.0 * (1 << (attempt - 1)), 8'000.0);
    const auto delay = BackoffDelay(options, attempt, rng.Uniform01()).count();
    EXPECT_GE(delay, static_cast<int64_t>(base * 0.75) - 1);
    EXPECT_LE(delay, static_cast<int64_t>(base * 1.25) + 1);
  }
  // The extremes of u map to the extremes of the factor.
  EXPECT_EQ(BackoffDelay(options, 1, 0.0), milliseconds(750));
  EXPECT_EQ(BackoffDelay(options, 1, 0.5), milliseconds(1'000));
}

TEST(BackoffDelayTest, SeededSequencesAreDeterministic) {
  BackoffOptions options;
  options.jitter = 0.5;
  const auto sequence = [&](uint64_t seed) {
    core::Rng rng(seed);
    std::vector<int64_t> out;
    for (int attempt = 1; attempt <= 8; ++attempt) {
      out.push_back(BackoffDelay(options, attempt, rng.Uniform01()).count());
    }
    return out;
  };
  EXPECT_EQ(sequence(7), sequence(7));
  EXPECT_NE(sequence(7), sequence(8));
}

TEST(UrlTest, ParsesSchemesHostsPortsAndPaths) {
  auto url = ParseUrl("wss://api.elections.kalshi.com/trade-api/ws/v2", "wss", "ws").value();
  EXPECT_TRUE(url.tls);
  EXPECT_EQ(url.host, "api.elections.kalshi.com");
  EXPECT_EQ(url.port, 443);
  EXPECT_EQ(url.path, "/trade-api/ws/v2");
  EXPECT_EQ(url.HostHeader(), "api.elections.kalshi.com");

  url = ParseUrl("http://127.0.0.1:8443", "https", "http").value();
  EXPECT_FALSE(url.tls);
  EXPECT_EQ(url.port, 8443);
  EXPECT_EQ(url.path, "/");
  EXPECT_EQ(url.HostHeader(), "127.0.0.1:8443");

  url = ParseUrl("ws://[::1]:9000/x?y=1", "wss", "ws").value();
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.HostHeader(), "[::1]:9000");
  EXPECT_EQ(url.path, "/x?y=1");

  for (const char* bad : {"http://host/", "wss://", "wss://:443/", "wss://host:0/",
                          "wss://host:65536/", "wss://host:12ab/", "wss://u@host/",
                          "wss://host/a b", "wss://host/#frag", "host/path", "wss://[::1/"}) {
    const auto result = ParseUrl(bad, "wss", "ws");
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.error().code(), core::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace kalshiflow::net
