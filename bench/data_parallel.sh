#!/bin/sh
# Data-parallel classifier training on this machine: 2 processes x 1 thread (torchrun) against
# 1 process x 2 threads, same global batch (64), same model (ResNet-18-style, width 32, 64 px).
# Prints bench_data_parallel's tables (per-step forward+backward, gradient all-reduce, images/s).
#   bench/data_parallel.sh [BUILD_DIR] [STEPS]
set -eu
build=${1:-build}
steps=${2:-20}
bench=$build/bench/bench_data_parallel
echo "## 1 process x 2 threads, batch 64"
"$bench" --threads 2 --batch 64 --steps "$steps"
echo
echo "## 2 processes x 1 thread (torchrun), batch 32 each"
# --redirects/--tee 2: Debian's torchrun 1.13 under Python 3.11 fails on its default of 0.
torchrun --nproc_per_node 2 --master_port "${MASTER_PORT:-29561}" --redirects 2 --tee 2 \
  --no_python "$bench" --threads 1 --batch 32 --steps "$steps" 2>&1 |
  grep -v -E '^(WARNING:torch|\*+$|Setting OMP_NUM_THREADS)'
