// Helpers for the CLI end-to-end tests: run the built binary (KF_CLI_PATH, a compile
// definition of each test target) with arguments and capture its output and exit code.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace kalshiflow::testing_cli {

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout + stderr
};

// Runs `command` with /bin/sh and captures its stdout (the command redirects stderr itself).
inline RunResult RunShell(const std::string& command) {
  RunResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

inline RunResult RunCli(const std::string& args) {
  return RunShell(std::string(KF_CLI_PATH) + " " + args + " 2>&1");
}

// Runs the CLI and returns only its stdout (stderr discarded).
inline RunResult RunCliStdout(const std::string& args) {
  return RunShell(std::string(KF_CLI_PATH) + " " + args + " 2>/dev/null");
}

// Only the JSON object of a command's output (its first '{' to its last '}').
inline nlohmann::json JsonOf(const std::string& output) {
  const auto begin = output.find('{');
  const auto end = output.rfind('}');
  if (begin == std::string::npos || end == std::string::npos) return nullptr;
  return nlohmann::json::parse(output.substr(begin, end - begin + 1), nullptr, false);
}

// A failed demo's named reasons (its JSON's "failures"), for an assertion message that leads
// with them (the whole output is long).
inline std::string DemoFailures(const std::string& output) {
  const nlohmann::json j = JsonOf(output);
  if (!j.is_object() || !j.contains("failures")) return "(no failures list in the output)\n";
  std::string out = "failures:\n";
  for (const auto& f : j["failures"]) out += "  " + f.get<std::string>() + "\n";
  return out;
}

// A fresh, empty directory for the running test: <tmp>/<prefix><test name>_<pid> (unique per
// test and process, so parallel CTest runs never share one). The caller removes it.
inline std::filesystem::path FreshTestDir(const std::string& prefix) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      (prefix + ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
       std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace kalshiflow::testing_cli
