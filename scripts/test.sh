#!/usr/bin/env bash
# Sets everything up (Debian packages + build) and runs the whole GoogleTest suite under CTest.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$here/scripts/setup.sh" --tests
cd "$here/build"
ctest --output-on-failure -j"$(nproc)"
