#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"kalshiflow: Kalshi order-book collection, RL training and paper trading"};
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
