// A tiny line-based scenario language for BookSet / OrderBook tests. The grammar is
// documented in src/book/tests/scenarios/README.md; each `.scenario` file there is one test.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kalshiflow::book::testing {

/// Runs a scenario against a fresh BookSet. Returns one message per failed expectation or
/// malformed line ("line 12: expected ... got ..."); empty when the scenario passes.
/// Every message line (snapshot, delta, seq) must be applied unless a following
/// `expect-error` / `expect-verdict` / `expect-not-applied` line says otherwise.
std::vector<std::string> RunScenario(std::string_view text);

}  // namespace kalshiflow::book::testing
