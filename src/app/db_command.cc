#include "app/commands.h"

namespace kalshiflow::app {
void AddDbCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("db", "(not implemented yet)");
  cmd->callback([] { throw CommandFailed(2, "db: not implemented yet"); });
}
}  // namespace kalshiflow::app
