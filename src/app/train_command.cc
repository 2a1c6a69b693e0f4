// `kalshiflow train ...`: runs the `kalshiflow-train` binary (beside this one) with the same
// arguments. Training is the only part of kalshiflow that links LibTorch (DESIGN §2, §6); keeping
// it in its own binary keeps LibTorch (~290 shared libraries, ~0.7 s of start-up) out of the
// collector, the actor and every other command.
#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "app/commands.h"

namespace kalshiflow::app {
namespace {

[[noreturn]] void ExecTrainer(const std::vector<std::string>& args) {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const std::filesystem::path trainer =
      ec ? std::filesystem::path("kalshiflow-train") : self.parent_path() / "kalshiflow-train";
  // OpenBLAS 0.3.21 does not recognise every recent x86 CPU and falls back to SSE3 kernels;
  // on a CPU with AVX2 the Haswell kernels make the PPO update 12-40% faster (src/rl/README.md).
  if (std::getenv("OPENBLAS_CORETYPE") == nullptr && __builtin_cpu_supports("avx2") &&
      __builtin_cpu_supports("fma")) {
    ::setenv("OPENBLAS_CORETYPE", "Haswell", 0);
  }
  std::vector<char*> argv;
  std::string arg0 = trainer.string();
  argv.push_back(arg0.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(trainer.c_str(), argv.data());
  throw CommandFailed(1, fmt::format("train: cannot run {}: {} (build it with the release "
                                     "preset: it is installed beside kalshiflow)",
                                     trainer.string(), std::strerror(errno)));
}

}  // namespace

void AddTrainCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "train",
      "Train a PPO or A2C agent on recorded sessions (runs kalshiflow-train; see "
      "`kalshiflow train --help`)");
  cmd->prefix_command();  // every argument goes to kalshiflow-train, --help included
  cmd->set_help_flag();
  cmd->callback([cmd] { ExecTrainer(cmd->remaining()); });
}

}  // namespace kalshiflow::app
