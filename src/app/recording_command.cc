#include "app/commands.h"

namespace kalshiflow::app {
void AddRecordingCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("recording", "(not implemented yet)");
  cmd->callback([] { throw CommandFailed(2, "recording: not implemented yet"); });
}
}  // namespace kalshiflow::app
