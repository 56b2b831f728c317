// Graceful stop on SIGINT/SIGTERM: the first signal sets a flag that long loops poll so they can
// write a checkpoint and return; a second SIGINT ends the process at once.
#pragma once

namespace skingan {

// Installs the handlers (idempotent).
void install_stop_handlers();
bool stop_requested();
// For tests and for starting a new run in the same process.
void request_stop();
void clear_stop_request();

}  // namespace skingan
