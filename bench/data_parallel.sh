#!/bin/sh
# Data-parallel training on this machine: 2 processes x 1 thread (torchrun) against 1 process x
# 2 threads, same global batch (64).
#   - train-classifier step (ResNet-18-style, width 32, 64 px): bench_data_parallel's tables
#     (forward+backward, gradient all-reduce, images/s, local and synchronised BatchNorm);
#   - train-gan step (ResNet GAN and cGAN, width 32, 64 px): bench_gan_data_parallel's rows
#     (whole step, gradient bytes and all-reduce time per step, images/s).
#   bench/data_parallel.sh [BUILD_DIR] [STEPS]
set -eu
build=${1:-build}
steps=${2:-20}
port=${MASTER_PORT:-29561}
# --redirects/--tee 2: Debian's torchrun 1.13 under Python 3.11 fails on its default of 0.
two_ranks() {
  torchrun --nproc_per_node 2 --master_port "$port" --redirects 2 --tee 2 --no_python "$@" 2>&1 |
    grep -v -E '^(WARNING:torch|\*+$|Setting OMP_NUM_THREADS)' | sed 's/^\[[^]]*\]:*//'
}
bench=$build/bench/bench_data_parallel
echo "## train-classifier: 1 process x 2 threads, batch 64"
"$bench" --threads 2 --batch 64 --steps "$steps"
echo
echo "## train-classifier: 2 processes x 1 thread (torchrun), batch 32 each"
two_ranks "$bench" --threads 1 --batch 32 --steps "$steps"
echo
gan=$build/bench/bench_gan_data_parallel
gan_steps=$(( (steps + 1) / 2 ))
echo "## train-gan: $gan_steps timed steps"
echo "| GAN | ranks x threads | batch per rank (global) | step ms | gradients MiB per step | gradient all-reduce ms | global images/s |"
echo "| --- | --- | --- | ---: | ---: | ---: | ---: |"
for arch in resnet cgan; do
  "$gan" --arch "$arch" --threads 2 --batch 64 --steps "$gan_steps"
  two_ranks "$gan" --arch "$arch" --threads 1 --batch 32 --steps "$gan_steps"
done
