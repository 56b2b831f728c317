#!/usr/bin/env bash
# Sets everything up and runs the main job on the built-in default: `skingan demo` makes the
# procedural HAM10000-style demo data set and runs the whole study on it with the smoke preset
# (prepare, two GANs, synthetic sets, six classifier arms x two seeds, tests on held-out lesions),
# ending with the path of report.html. Outputs go to ./demo-out/ (SKINGAN_DEMO_DIR to change).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$here/scripts/setup.sh"
out="${SKINGAN_DEMO_DIR:-$here/demo-out}"
"$here/build/skingan" demo -o "$out"
