#include "core/signals.h"

#include <csignal>

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

}  // namespace skingan
