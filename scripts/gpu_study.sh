#!/usr/bin/env bash
# The whole skingan on a CUDA GPU node that has CUDA, a compiler, CMake, ninja and Python's
# PyTorch wheel, but no Debian packages and no network. Run scripts/gpu_pack.sh on a Debian
# machine first and bring the repository with its .gpu/ folder along.
#
#   scripts/gpu_study.sh build    build skingan against the wheel's LibTorch into build-cuda/
#   scripts/gpu_study.sh check    the whole CLI on CUDA on the demo data (every GAN architecture,
#                                 generate on CUDA and on the CPU from one checkpoint, score,
#                                 train-classifier, evaluate, the smoke study), then HAM10000
#                                 prepared at 64 px and the throughput of skingan beside its
#                                 Python peers (.gpu/peers/dcgan_main.py, bench/reference_resnet18.py)
#   scripts/gpu_study.sh speed    the GAN step's throughput with the device read on every step
#                                 (--log-every 1, as every step was before it was measured only
#                                 when logged) against --log-every 100, same run otherwise
#   scripts/gpu_study.sh study    the real study (docs/study.gpu.toml) on HAM10000's development
#                                 images; GAN steps from SKINGAN_GPU_GAN_STEPS (default 6000); with
#                                 SKINGAN_GPU_STUDY_SECONDS the study is interrupted (SIGINT) after
#                                 that long and what finished is still reported
# Several modes run in order: `scripts/gpu_study.sh speed study`.
# Each step prints its wall time. Results go to $OUT (the device tool's folder; default
# build-cuda/out): log.txt, the study's results.md/results.json/report.html, grids, the
# generator checkpoint (so a CPU machine can `skingan generate` from it).
set -euo pipefail
export PATH="${SKINGAN_GPU_PYTHON_DIR:+$SKINGAN_GPU_PYTHON_DIR:}$PATH"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
(($# > 0)) || { echo "usage: gpu_study.sh build|check|speed|study..." >&2; exit 2; }
# SKINGAN_GPU_BUILD: an existing build to use instead (a dry run of the script on the CPU, with
# SKINGAN_GPU_DEVICE=cpu SKINGAN_GPU_BENCH_STEPS=4 SKINGAN_GPU_SMOKE=0).
build="${SKINGAN_GPU_BUILD:-$here/build-cuda}"
device="${SKINGAN_GPU_DEVICE:-cuda}"
bench_steps="${SKINGAN_GPU_BENCH_STEPS:-400}"
work="$build/work"
out="${OUT:-$build/out}"
mkdir -p "$work" "$out"
log="$out/log.txt"
ms() { echo $(($(date +%s%N) / 1000000)); }
start=$(ms)
seconds_since() { local t=$(($(ms) - $1)); printf '%d.%03d' $((t / 1000)) $((t % 1000)); }
say() { echo "[gpu $(seconds_since "$start") s] $*" | tee -a "$log"; }
timed() {  # timed NAME COMMAND...: runs it, logs its wall time, keeps its output in work/NAME.log
  local name="$1" t0 rc=0
  shift
  t0=$(ms)
  "$@" >"$work/$name.log" 2>&1 || rc=$?
  say "$name: $(seconds_since "$t0") s (exit $rc)"
  if ((rc != 0)); then tail -20 "$work/$name.log" | tee -a "$log"; return $rc; fi
}

do_build() {
  if [[ -x "$build/skingan" ]]; then return 0; fi
  mkdir -p "$work/deps"
  tar -xJf "$here/.gpu/deps.tar.xz" -C "$work/deps"
  local torch_prefix
  torch_prefix="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee -a "$log"
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' | tee -a "$log"
  timed configure cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$torch_prefix;$work/deps" -DOpenCV_DIR="$work/deps/lib/cmake/opencv4" \
    -DSKINGAN_HEADER_ONLY_DEPS=ON -DSKINGAN_BUILD_TESTS=OFF -DSKINGAN_BUILD_BENCH=OFF \
    -DSKINGAN_USE_CCACHE=OFF
  # Whether data-parallel runs would use NCCL (cmake/nccl.cmake's probe) or Gloo.
  grep -E '^SKINGAN_NCCL_(INCLUDE|PROBE)' "$build/CMakeCache.txt" | tee -a "$log" || say "NCCL: not probed"
  timed build cmake --build "$build" -j"$(nproc)" --target skingan
}

unpack_ham() { [[ -d "$work/ham10000" ]] || tar -xf "$here/.gpu/ham10000.tar" -C "$work"; }

prepare_ham() {
  if [[ -f "$work/ham64/meta.json" ]]; then return 0; fi
  unpack_ham
  timed prepare_ham64 "$build/skingan" -q prepare "$work/ham10000" -o "$work/ham64" --size 64
}

do_check() {
  local S=("$build/skingan" -q --device "$device") d="$work/check"
  rm -rf "$d" && mkdir -p "$d"
  # A GPU index the machine lacks (or no CUDA at all) is refused before any work, by name.
  timed refuse_bad_device bash -c "'$build/skingan' --device cuda:7 info '$d' 2>&1 \
    | tee /dev/stderr | grep -q -e 'an index below' -e 'no CUDA device'"
  timed demo_data "${S[@]}" make-demo-data -o "$d/raw"
  timed demo_prepare "${S[@]}" prepare "$d/raw" -o "$d/set" --size 32
  local arch
  for arch in dcgan acgan cgan progan resnet fastgan; do
    timed "gan_$arch" "${S[@]}" train-gan "$d/set" -o "$d/gan_$arch" --arch "$arch" --steps 30 \
      --g-channels 16 --d-channels 16 --sample-every 30 --checkpoint-every 30
  done
  timed generate_cuda "${S[@]}" generate --run "$d/gan_resnet" -o "$d/syn_cuda" --per-class 16 --seed 7
  timed generate_cpu "$build/skingan" -q --device cpu generate --run "$d/gan_resnet" -o "$d/syn_cpu" \
    --per-class 16 --seed 7
  # The same checkpoint and seed draw the same images on both devices, up to float rounding.
  python3 - "$d/syn_cuda/images" "$d/syn_cpu/images" <<'PY' 2>&1 | tee -a "$log"
import pathlib, sys
import numpy as np
from PIL import Image
a, b = map(pathlib.Path, sys.argv[1:])
names = sorted(p.name for p in a.glob("*.png"))
assert names and names == sorted(p.name for p in b.glob("*.png")), "different file lists"
diff = np.stack([np.abs(np.asarray(Image.open(a / n), np.int16) - np.asarray(Image.open(b / n), np.int16))
                 for n in names])
print(f"cuda vs cpu: {len(names)} images, mean |diff| {diff.mean():.4f}, max {diff.max()} (of 255), "
      f"{(diff > 2).mean() * 100:.3f}% of values differ by more than 2")
PY
  timed classifier "${S[@]}" train-classifier --train "$d/set" -o "$d/cls" --epochs 2 --width 16
  timed evaluate "${S[@]}" evaluate "$d/cls" --data "$d/set" -o "$d/eval"
  timed score "${S[@]}" score "$d/syn_cuda" --real "$d/set" --features "$d/cls" -o "$d/score" \
    --no-cas --skip-small-classes
  if [[ "${SKINGAN_GPU_SMOKE:-1}" == 1 ]]; then
    timed smoke_study "${S[@]}" demo -o "$d/demo"
    cp "$d/demo/study/results.md" "$out/smoke_results.md"
  fi
  prepare_ham
  bench
}

bench() {
  local S=("$build/skingan" --device "$device") d="$work/bench"
  rm -rf "$d" && mkdir -p "$d"
  # skingan's step of the plain pytorch/examples DCGAN (transposed convolutions, BCE, no
  # DiffAugment, no EMA, ngf = ndf = 64, batch 64): one epoch of the peer is 133 steps.
  timed skingan_dcgan_plain "${S[@]}" -q train-gan "$work/ham64" -o "$d/dcgan" --arch dcgan \
    --upsample transposed --loss bce --diffaugment none --ema 0 --no-spectral-norm \
    --g-channels 64 --d-channels 64 --steps "$bench_steps" --log-every 50 --sample-every "$bench_steps" \
    --checkpoint-every "$bench_steps"
  grep -h 'images/s' "$work/skingan_dcgan_plain.log" | tee -a "$log"
  for arch in cgan resnet; do
    timed "skingan_${arch}_w32" "${S[@]}" -q train-gan "$work/ham64" -o "$d/$arch" --arch "$arch" \
      --g-channels 32 --d-channels 32 --steps "$bench_steps" --log-every 50 \
      --sample-every "$bench_steps" --checkpoint-every "$bench_steps"
    grep -h 'images/s' "$work/skingan_${arch}_w32.log" | tee -a "$log"
  done
  timed skingan_classifier "${S[@]}" -q train-classifier --train "$work/ham64" -o "$d/cls" --epochs 2 \
    --width 64
  grep -h 'images/s' "$work/skingan_classifier.log" | tee -a "$log"
  if [[ -f "$here/.gpu/peers/dcgan_main.py" ]]; then
    # The peer reads class folders: every development image in one folder, as its users do.
    mkdir -p "$d/peer_data/all"
    ln -sf "$work/ham10000/images/"*.jpg "$d/peer_data/all/"
    timed peer_dcgan bash -c "cd '$d' && PYTHONUNBUFFERED=1 python3 '$here/.gpu/peers/dcgan_main.py' \
      --dataset folder --dataroot peer_data --imageSize 64 --ngf 64 --ndf 64 --niter 1 \
      --workers 8 --accel --outf peer_out --manualSeed 1 \
      | while IFS= read -r line; do echo \"\$(date +%s.%N) \$line\"; done"
    # Steady-state rate: the time from its first to its last logged iteration (startup and
    # the data loader's first batch left out, in the peer's favour).
    python3 - "$work/peer_dcgan.log" <<'PY' 2>&1 | tee -a "$log" || true
import re, sys
rows = [(float(t), int(m.group(1))) for t, rest in (l.split(" ", 1) for l in open(sys.argv[1]) if " [" in l)
        for m in [re.search(r"\]\[(\d+)/\d+\]", rest)] if m]
(t0, i0), (t1, i1) = rows[0], rows[-1]
print(f"peer dcgan (pytorch/examples main.py): {i1 - i0} iterations in {t1 - t0:.2f} s, "
      f"{(i1 - i0) * 64 / (t1 - t0):.0f} images/s steady state")
PY
  fi
  timed peer_resnet18 python3 "$here/bench/reference_resnet18.py" --device "$device" --steps 50
  tee -a "$log" <"$work/peer_resnet18.log"
}

# Images/s of the GAN steps when every step reads its metrics from the GPU (--log-every 1) and when
# only every 100th does: the difference is what the host waiting for the device costs.
do_speed() {
  prepare_ham
  local S=("$build/skingan" --device "$device") d="$work/speed" arch every
  rm -rf "$d" && mkdir -p "$d"
  for arch in resnet cgan; do
    for every in 1 100; do
      timed "speed_${arch}_log${every}" "${S[@]}" -q train-gan "$work/ham64" -o "$d/${arch}_$every" \
        --arch "$arch" --g-channels 32 --d-channels 32 --steps "$bench_steps" --log-every "$every" \
        --sample-every "$bench_steps" --checkpoint-every "$bench_steps"
      python3 - "$d/${arch}_$every" "$arch" "$every" <<'PY' 2>&1 | tee -a "$log"
import json, pathlib, sys
run, arch, every = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
rows = [json.loads(l) for f in run.rglob("metrics.jsonl") for l in open(f)]
rates = [r["images_per_second"] for r in rows if "images_per_second" in r][1:]  # first: warm-up
print(f"{arch} w32 --log-every {every}: {sum(rates) / max(len(rates), 1):.0f} images/s "
      f"(mean of {len(rates)} logged intervals after the first)")
PY
    done
  done
}

do_study() {
  unpack_ham
  local steps="${SKINGAN_GPU_GAN_STEPS:-6000}" cfg="$work/study.gpu.toml"
  local cap=(); [[ -n "${SKINGAN_GPU_STUDY_SECONDS:-}" ]] && cap=(timeout -s INT -k 60 "$SKINGAN_GPU_STUDY_SECONDS")
  sed "s/@GAN_STEPS@/$steps/" "$here/docs/study.gpu.toml" >"$cfg"
  timed study "${cap[@]}" "$build/skingan" -q --device "$device" experiment --config "$cfg" \
    --data "$work/ham10000" -o "$work/study" || say "the study did not finish: what finished is below"
  local s="$work/study"
  # Wall time of every stage, from the study's own stage records.
  # shellcheck disable=SC2046  # one argument per stage record
  python3 - $(find "$s" -name stage.json) <<'PY' | sort -k4 | tee -a "$log"
import json, sys
for f in sys.argv[1:]:
    r = json.load(open(f))
    print("%8.1f s  %-9s %s" % (r.get("seconds", 0), r["status"], r["name"]))
PY
  cp "$s/results.md" "$s/results.json" "$s/report.html" "$out/" 2>/dev/null || true
  cp "$s/gan/resnet/train/run/samples/final.png" "$out/gan_resnet_final.png" 2>/dev/null || true
  # The generator run without its sample grids and with its last checkpoint only, in pieces the
  # device tool hands back (16 MiB each): `cat gan_run.tgz.part* | tar -xz` on the CPU machine.
  local run="$s/gan/resnet/train/run" keep
  [[ -d "$run/checkpoints" ]] || { say "no generator checkpoint to take back"; return 0; }
  keep="$(find "$run/checkpoints" -name '*.pt' -printf '%f\n' | sort | tail -1)"
  tar -cf "$work/gan_run.tar" -C "$run" --exclude=./samples --exclude=./checkpoints .
  tar -rf "$work/gan_run.tar" -C "$run" "checkpoints/$keep"
  gzip -c "$work/gan_run.tar" >"$work/gan_run.tgz"
  split -b 15M -d "$work/gan_run.tgz" "$out/gan_run.tgz.part"
}

do_build
for mode in "$@"; do
  case "$mode" in
    build) ;;
    check) do_check ;;
    speed) do_speed ;;
    study) do_study ;;
    *) echo "unknown mode $mode (build, check, speed, study)" >&2; exit 2 ;;
  esac
done
say "done"
