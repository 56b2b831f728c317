// The `skingan` executable: everything happens in cli::run_cli.
#include <csignal>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/signals.h"

int main(int argc, char** argv) {
  // Past a file-size limit (ulimit -f) a write fails with EFBIG and is reported with its path,
  // like a full disk, instead of the default SIGXFSZ killing the process without a word.
  std::signal(SIGXFSZ, SIG_IGN);
  skingan::die_with_stage_parent();
  return skingan::cli::run_cli(std::vector<std::string>(argv, argv + argc));
}
