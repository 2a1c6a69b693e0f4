// kalshiflow: the command-line entry point. Composition root: the only file that sees every
// module through the per-command files (commands.h).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <exception>

#include "app/commands.h"

int main(int argc, char** argv) {
  // Logs go to stderr: stdout carries command output (and --json objects) only.
  spdlog::set_default_logger(spdlog::stderr_color_mt("kalshiflow"));
  CLI::App app{"kalshiflow: Kalshi order-book collection, RL training and paper trading"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "kalshiflow 0.1.0");
  kalshiflow::app::AddDemoCommand(app);
  kalshiflow::app::AddConvertCommand(app);
  kalshiflow::app::AddRecordingCommand(app);
  kalshiflow::app::AddDbCommand(app);
  kalshiflow::app::AddSessionsCommand(app);
  kalshiflow::app::AddExchangeCommand(app);
  kalshiflow::app::AddCollectCommand(app);
  kalshiflow::app::AddActorCommand(app);
  kalshiflow::app::AddModelsCommand(app);
  kalshiflow::app::AddTrainCommand(app);
  kalshiflow::app::AddEvaluateCommand(app);
  kalshiflow::app::AddFeaturesCommand(app);
  kalshiflow::app::AddServeCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const kalshiflow::app::CommandFailed& e) {
    std::fprintf(stderr, "kalshiflow: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    // A library boundary let an exception through: report it instead of terminating.
    std::fprintf(stderr, "kalshiflow: unexpected error: %s\n", e.what());
    return 1;
  }
  return 0;
}
