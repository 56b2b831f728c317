#!/usr/bin/env bash
# GPU check (run on a machine with CUDA and PyTorch's wheel, no Debian packages needed): builds
# bench/cuda_smoke against the wheel's LibTorch and runs it. nlohmann/json's header-only include
# folder must be reachable: pass its parent as $1 (default /usr/include).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
extra="${1:-/usr/include}"
prefix="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')"
build="${TMPDIR:-/tmp}/skingan_cuda_smoke"
cmake -S "$here/bench/cuda_smoke" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" -DSKINGAN_EXTRA_INCLUDE="$extra" >/dev/null
cmake --build "$build" -j"$(nproc)"
"$build/cuda_smoke"
