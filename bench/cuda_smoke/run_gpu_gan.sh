#!/usr/bin/env bash
# On a GPU node with PyTorch's wheel: builds cuda_gan_train against the wheel's LibTorch, then
# trains one GAN on exported training images (see
# export_training_split.py) and leaves the run folder in OUT for `skingan generate`/`score`.
#   run_gpu_gan.sh NLOHMANN_INCLUDE_PARENT DATA_DIR OUT_DIR [cuda_gan_train options...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
extra="$1" data="$2" out="$3"
shift 3
prefix="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')"
build="${TMPDIR:-/tmp}/skingan_cuda_smoke"
cmake -S "$here/bench/cuda_smoke" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" -DSKINGAN_EXTRA_INCLUDE="$extra" >/dev/null
cmake --build "$build" -j"$(nproc)" --target cuda_gan_train
gunzip -c "$data/train.u8.gz" >"${TMPDIR:-/tmp}/train.u8"
# shellcheck disable=SC2046  # args.txt holds several words on purpose
"$build/cuda_gan_train" --images "${TMPDIR:-/tmp}/train.u8" --labels "$data/train.labels" \
  $(cat "$data/args.txt") -o "$out" "$@"
# Hand back what fits the device tool's limits (files of 16 MiB at most): the run's config,
# metrics and its last sampling checkpoint in 16 MiB pieces (cat them back together).
if [[ -n "${OUT:-}" && "$out" != "$OUT"* ]]; then
  cp "$out/config.json" "$out/metrics.jsonl" "$OUT/"
  last="$(ls "$out/checkpoints" | tail -1)"
  split -b 16M -d "$out/checkpoints/$last" "$OUT/$last.part"
fi
