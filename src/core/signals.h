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

// The environment variable through which `skingan experiment` tells the stage processes it
// starts its own pid.
inline constexpr const char* kStageParentVariable = "SKINGAN_STAGE_PARENT";

// In a stage process (kStageParentVariable set): the kernel sends it SIGKILL when the study
// process dies, even by SIGKILL, so no orphan keeps writing into the study folder while a rerun
// starts. Exits at once (status 137) when that parent is already gone. No-op otherwise.
void die_with_stage_parent();

}  // namespace skingan
