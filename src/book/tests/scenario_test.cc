// Runs every src/book/tests/scenarios/*.scenario file as one test (grammar: scenarios/README.md),
// plus checks that the runner itself detects wrong expectations.
#include "book/tests/scenario.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace kalshiflow::book::testing {
namespace {

namespace fs = std::filesystem;

fs::path ScenarioDir() {
  const char* root = std::getenv("KF_SOURCE_DIR");
  return fs::path(root != nullptr ? root : ".") / "src" / "book" / "tests" / "scenarios";
}

std::vector<std::string> ScenarioFiles() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(ScenarioDir(), ec)) {
    if (entry.path().extension() == ".scenario") out.push_back(entry.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ScenarioTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ScenarioTest, Passes) {
  const fs::path path = ScenarioDir() / GetParam();
  const std::string text = ReadFile(path);
  ASSERT_FALSE(text.empty()) << "cannot read " << path;
  for (const std::string& failure : RunScenario(text))
    ADD_FAILURE() << path.string() << ": " << failure;
}

INSTANTIATE_TEST_SUITE_P(Files, ScenarioTest, ::testing::ValuesIn(ScenarioFiles()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           std::string name =
                               param_info.param.substr(0, param_info.param.rfind('.'));
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(ScenarioFilesTest, DirectoryHasScenarios) { EXPECT_GE(ScenarioFiles().size(), 10u); }

// The runner must be able to fail: each of these scenarios contains a wrong expectation.
TEST(ScenarioRunnerTest, ReportsWrongExpectations) {
  const char* kWrong[] = {
      "snapshot M sid=1 seq=1 yes 0.45x100 | no 0.53x70\nexpect M best_yes_bid 0.44\n",
      "snapshot M sid=1 seq=1 yes 0.45x100 | no 0.53x70\nexpect M best_yes_bid 0.45 size 99\n",
      "snapshot M sid=1 seq=1 yes 0.45x100 | no 0.53x70\nexpect M best_yes_ask 0.48\n",
      "snapshot M sid=1 seq=1 yes 0.45x100 | no 0.53x70\nexpect M stale\n",
      "snapshot M sid=1 seq=1 yes 0.45x100 | no 0.53x70\nexpect M crossed\n",
      "snapshot M sid=1 seq=1 yes 0.45x100 | no 0.53x70\nexpect M yes_bids 0.45x100 0.44x1\n",
      "delta M sid=1 seq=1 yes 0.45 10\n",  // not applied and not expected to fail
      "snapshot M sid=1 seq=1 yes 0.45x100\nexpect-error no_snapshot\n",
      "snapshot M sid=1 seq=1 yes 0.45x100\nsnapshot M sid=1 seq=3 yes 0.45x100\n"
      "expect-verdict apply\n",
      "snapshot M sid=1 seq=1 yes 0.45x100\nexpect sid=1 needs_snapshot M\n",
      "snapshot M sid=1 seq=1 yes 0.45x100\nexpect counters gaps=1\n",
      "bogus line\n",
      "snapshot M sid=1 seq=1 yes 0.45x\n",
  };
  for (const char* text : kWrong) {
    EXPECT_FALSE(RunScenario(text).empty()) << "runner accepted:\n" << text;
  }
  EXPECT_TRUE(RunScenario("snapshot M sid=1 seq=1 yes 0.45x100 | no 0.53x70\n"
                          "expect M best_yes_bid 0.45 size 100\n")
                  .empty());
}

}  // namespace
}  // namespace kalshiflow::book::testing
