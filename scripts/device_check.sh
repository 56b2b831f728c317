#!/usr/bin/env bash
# GPU check, on a machine with CUDA, a compiler, CMake and PyTorch's wheel (no Debian packages
# needed; run scripts/gpu_pack.sh on a Debian machine first and bring .gpu/ along):
#  1. scripts/gpu_study.sh check: the whole skingan built against the wheel's LibTorch and every
#     command run with --device cuda on the demo data, one checkpoint generated on CUDA and on the
#     CPU, the smoke study, and the throughput of skingan beside its Python peers;
#  2. bench/cuda_smoke: the tensor code's CUDA results compared with the CPU's, op by op.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$here/scripts/gpu_study.sh" check
prefix="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')"
build="${TMPDIR:-/tmp}/skingan_cuda_smoke"
cmake -S "$here/bench/cuda_smoke" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" -DSKINGAN_EXTRA_INCLUDE="$here/build-cuda/work/deps/include" >/dev/null
cmake --build "$build" -j"$(nproc)"
"$build/cuda_smoke"
