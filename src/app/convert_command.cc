#include "app/commands.h"

namespace kalshiflow::app {
void AddConvertCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("convert", "(not implemented yet)");
  cmd->callback([] { throw CommandFailed(2, "convert: not implemented yet"); });
}
}  // namespace kalshiflow::app
