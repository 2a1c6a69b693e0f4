#include "app/commands.h"

namespace kalshiflow::app {
void AddDemoCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "Run the end-to-end demo on the bundled real data");
  cmd->callback([] { throw CommandFailed(2, "demo: not implemented yet"); });
}
}  // namespace kalshiflow::app
