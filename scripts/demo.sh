#!/usr/bin/env bash
# Sets everything up and runs the main job on the built-in demo data: makes the procedural
# HAM10000-style data set, prepares it (hair removal, colour constancy, lesion-aware split) and
# prints its summary with a contact sheet per class. Outputs go to ./demo-out/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$here/scripts/setup.sh"
skingan="$here/build/skingan"
out="${SKINGAN_DEMO_DIR:-$here/demo-out}"
"$skingan" make-demo-data -o "$out/raw"
"$skingan" prepare "$out/raw" -o "$out/prepared" --size 64
"$skingan" info "$out/prepared" --sheets "$out/sheets"
