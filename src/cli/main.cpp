// The `skingan` executable: everything happens in cli::run_cli.
#include <string>
#include <vector>

#include "cli/commands.h"

int main(int argc, char** argv) {
  return skingan::cli::run_cli(std::vector<std::string>(argv, argv + argc));
}
