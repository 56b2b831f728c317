#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ (Debian's clang; the whole library instrumented with
# -fsanitize=fuzzer-no-link,address,undefined into build-fuzz/) and runs each for SECONDS
# (default 60), then prints a table of executions and crashes per target.
#   scripts/fuzz.sh [SECONDS] [DATA_DIR] [TARGET...]
# Targets (default all): csv image_header image_cache run_json study_toml gan_checkpoint
# classifier_folder prepare_decode. Seeds: fuzz/corpus/<target>/ (hand-written files and tiny self-drawn images),
# docs/*.toml for the study reader, a few JPEGs of DATA_DIR (default
# ../shared/data/ham10000/images) copied into build-fuzz/ only, and, when build/skingan exists,
# a real GAN checkpoint (2 steps) and classifier folder (1 epoch) trained on demo data. Corpora grow in build-fuzz/corpus/, so a
# second run continues where the first stopped. A crash leaves its input as
# build-fuzz/crash-*: add it to tests/hostile_files_test.cpp (or the parser's own test) before
# fixing the parser.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"
data="${2:-$here/../shared/data/ham10000/images}"
shift $(($# > 2 ? 2 : $#))
targets=("$@")
((${#targets[@]})) ||
  targets=(csv image_header image_cache run_json study_toml gan_checkpoint classifier_folder
    prepare_decode)
build="$here/build-fuzz"
flags="-O1 -g1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined"
flags+=" -fno-sanitize-recover=undefined"
generator=()
command -v ninja > /dev/null && generator=(-G Ninja)
cmake -S "$here" -B "$build" "${generator[@]}" -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS="$flags" -DSKINGAN_BUILD_TESTS=OFF \
  -DSKINGAN_BUILD_BENCH=OFF -DSKINGAN_BUILD_FUZZ=ON > /dev/null
cmake --build "$build" --target fuzz_all -j"$(nproc)"

corpus="$build/corpus"
for target in "${targets[@]}"; do
  mkdir -p "$corpus/$target"
  if [[ -d "$here/fuzz/corpus/$target" ]]; then cp "$here/fuzz/corpus/$target/"* "$corpus/$target/"; fi
done
if [[ -d "$data" ]]; then
  mapfile -t seeds < <(find "$data" -maxdepth 1 -name '*.jpg' | sort | head -5)
  if ((${#seeds[@]})); then cp "${seeds[@]}" "$corpus/image_header/" 2> /dev/null || true; fi
fi
# Minimal headers of the other formats: a PNG IHDR, a BMP info header, a little-endian TIFF IFD.
if [[ -d "$corpus/image_header" ]]; then
  printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x02\0\0\0' > "$corpus/image_header/h.png"
  printf 'BM\0\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0\x10\0\0\0\xf0\xff\xff\xff\x01\0\x18\0' \
    > "$corpus/image_header/h.bmp"
  printf 'II*\0\x08\0\0\0\x02\0\0\x01\x03\0\x01\0\0\0\x10\0\0\0\x01\x01\x04\0\x01\0\0\0\x20\0\0\0' \
    > "$corpus/image_header/h.tif"
  cp "$here/fuzz/corpus/prepare_decode/"* "$corpus/image_header/"
fi
# Image caches: mode 0 a whole 1-image 2x2 cache file, mode 1 its header and a claimed size.
header='SKGCACHE\x01\0\0\0\x03\0\0\0\x01\0\0\0\0\0\0\0\x02\0\0\0\x02\0\0\0'
if [[ -d "$corpus/image_cache" ]]; then
  { printf '\0'"$header"; head -c 32 /dev/zero; head -c 12 /dev/urandom; } > "$corpus/image_cache/whole"
  { printf '\x01'"$header"; head -c 32 /dev/zero; printf '\x4c\0\0\0\0\0\0\0'; } \
    > "$corpus/image_cache/header"
fi
[[ -d "$corpus/study_toml" ]] && cp "$here/docs/"*.toml "$corpus/study_toml/"
skingan="$here/build/skingan"
if [[ -x "$skingan" && ((-d "$corpus/gan_checkpoint" && ! -f "$corpus/gan_checkpoint/real.pt") ||
  (-d "$corpus/classifier_folder" && ! -f "$corpus/classifier_folder/real")) ]]; then
  work="$(mktemp -d)"
  "$skingan" -q make-demo-data -o "$work/raw" --lesions 24 > /dev/null
  "$skingan" -q prepare "$work/raw" -o "$work/set" --size 32 > /dev/null
  if [[ -d "$corpus/gan_checkpoint" ]]; then
    "$skingan" -q train-gan "$work/set" -o "$work/run" --arch cgan --steps 2 \
      --g-channels 8 --d-channels 8 --batch-size 4 > /dev/null
    { printf '\0'; cat "$(find "$work/run" -name 'step_*.pt' | sort | tail -1)"; } \
      > "$corpus/gan_checkpoint/real.pt"
  fi
  if [[ -d "$corpus/classifier_folder" ]]; then
    "$skingan" -q train-classifier --train "$work/set" -o "$work/model" --model small_cnn \
      --width 4 --epochs 1 --batch-size 8 > /dev/null
    # [u32 length of config.json, little-endian][config.json][best.pt]
    length="$(stat -c %s "$work/model/config.json")"
    { printf "\\x$(printf %02x $((length & 255)))\\x$(printf %02x $((length >> 8 & 255)))\\0\\0"
      cat "$work/model/config.json" "$work/model/best.pt"; } > "$corpus/classifier_folder/real"
  fi
  rm -rf "$work"
fi

declare -A max_len=([study_toml]=8192 [gan_checkpoint]=1300000 [classifier_folder]=400000
  [prepare_decode]=16384)
# Uninstrumented LibTorch/OpenCV fill std containers our code reads (container-overflow false
# positives) and keep process-lifetime allocations (not leaks of ours).
export ASAN_OPTIONS="detect_container_overflow=0:detect_leaks=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
printf '| target | seconds | executions | executions/s | corpus files | crashes |\n'
printf '| --- | ---: | ---: | ---: | ---: | ---: |\n'
for target in "${targets[@]}"; do
  rc=0
  (cd "$build" && "./fuzz/fuzz_$target" -max_total_time="$seconds" -max_len="${max_len[$target]:-4096}" \
    -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 "corpus/$target" \
    > "fuzz_$target.log" 2>&1) || rc=$?
  runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$build/fuzz_$target.log" |
    grep -o '[0-9]*$' || echo 0)"
  rate="$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$build/fuzz_$target.log" |
    grep -o '[0-9]*$' || echo 0)"
  files="$(find "$corpus/$target" -type f | wc -l)"
  crashes=$((rc == 0 ? 0 : 1))
  printf '| %s | %s | %s | %s | %s | %s |\n' "$target" "$seconds" "$runs" "$rate" "$files" "$crashes"
  if ((rc != 0)); then grep -m5 -E 'ERROR|SUMMARY|==[0-9]+==|terminate|what\(\)' \
    "$build/fuzz_$target.log" | sed 's/^/    /'; fi
done
