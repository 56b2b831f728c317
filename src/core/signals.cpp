#include "core/signals.h"

#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <csignal>
#include <cstdlib>
#include <string>

namespace skingan {
namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int signal) {
  if (g_stop && signal == SIGINT) {
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
  }
  g_stop = 1;
}

}  // namespace

void install_stop_handlers() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

bool stop_requested() { return g_stop != 0; }
void request_stop() { g_stop = 1; }
void clear_stop_request() { g_stop = 0; }

void die_with_stage_parent() {
  const char* parent = std::getenv(kStageParentVariable);
  if (parent == nullptr || *parent == '\0') return;
#ifdef __linux__
  // SIGKILL rather than SIGTERM: a study killed without a word is a crash, and the stage's own
  // crash safety (atomic checkpoints, staged outputs) covers it; a child still saving after a
  // SIGTERM could race with the rerun. The signal follows the thread that spawned the child:
  // the study spawns from its main thread, which lives as long as the process.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
  // The parent may have died before prctl: then we are already someone else's child.
  if (std::to_string(::getppid()) != parent) std::_Exit(137);
}

}  // namespace skingan
