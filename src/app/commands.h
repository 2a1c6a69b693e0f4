// Sub-command registration for the kalshiflow CLI. Each Add*Command adds one sub-command (with
// its own --help) to `app`; the command's work runs in its callback and reports failure by
// throwing CommandFailed, which main() turns into the process exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <stdexcept>
#include <string>

namespace kalshiflow::app {

/// Thrown by a command callback to end the process with `exit_code` after printing `what()`
/// to stderr. (Exceptions are allowed here: app/ is the CLI boundary.)
class CommandFailed : public std::runtime_error {
 public:
  CommandFailed(int exit_code, const std::string& message)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

void AddConvertCommand(CLI::App& app);    // convert_command.cc
void AddRecordingCommand(CLI::App& app);  // recording_command.cc ("recording stats ...")
void AddDbCommand(CLI::App& app);         // db_command.cc ("db migrate ...")
void AddDemoCommand(CLI::App& app);       // demo_command.cc
void AddSessionsCommand(CLI::App& app);   // sessions_command.cc ("sessions list|show|verify")
void AddExchangeCommand(CLI::App& app);   // exchange_command.cc
void AddCollectCommand(CLI::App& app);    // collect_command.cc
void AddActorCommand(CLI::App& app);      // collect_command.cc
void AddModelsCommand(CLI::App& app);     // models_command.cc ("models list|show|...")
void AddTrainCommand(CLI::App& app);      // train_command.cc (runs kalshiflow-train)
void AddEvaluateCommand(CLI::App& app);   // evaluate_command.cc
void AddFeaturesCommand(CLI::App& app);   // features_command.cc ("features dump")
void AddServeCommand(CLI::App& app);      // serve_command.cc (the API without an actor)

}  // namespace kalshiflow::app
