#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with Debian's clang (address + undefined-behaviour
# sanitizers) and runs each for SECONDS (default 60), then prints runs and crashes per target.
#   scripts/fuzz.sh [SECONDS] [DATA_DIR]
# Seeds: fuzz/corpus/<target>/ (hand-written CSVs) and, for the image-header target, a few
# JPEGs of DATA_DIR (default ../shared/data/ham10000/images) copied into the build folder only.
# A crash leaves its input as build-fuzz/crash-*; add it to a test before fixing the parser.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"
data="${2:-$here/../shared/data/ham10000/images}"
build="$here/build-fuzz"
cmake -S "$here/fuzz" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$build"
mkdir -p "$build/corpus/csv" "$build/corpus/image_header"
cp "$here/fuzz/corpus/csv/"* "$build/corpus/csv/"
if [[ -d "$data" ]]; then
  mapfile -t seeds < <(find "$data" -maxdepth 1 -name '*.jpg' | sort | head -5)
  if ((${#seeds[@]})); then cp "${seeds[@]}" "$build/corpus/image_header/"; fi
fi
# Minimal headers of the other formats: a PNG IHDR, a BMP info header, a little-endian TIFF IFD.
printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x02\0\0\0' >"$build/corpus/image_header/h.png"
printf 'BM\0\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0\x10\0\0\0\xf0\xff\xff\xff\x01\0\x18\0' \
  >"$build/corpus/image_header/h.bmp"
printf 'II*\0\x08\0\0\0\x02\0\0\x01\x03\0\x01\0\0\0\x10\0\0\0\x01\x01\x04\0\x01\0\0\0\x20\0\0\0' \
  >"$build/corpus/image_header/h.tif"
printf '| target | seconds | runs | crashes |\n| --- | ---: | ---: | ---: |\n'
for target in csv image_header; do
  rc=0
  (cd "$build" && "./fuzz_$target" -max_total_time="$seconds" -max_len=4096 \
    "corpus/$target" >"fuzz_$target.log" 2>&1) || rc=$?
  runs="$(grep -o 'Done [0-9]* runs' "$build/fuzz_$target.log" | grep -o '[0-9]*' || echo 0)"
  crashes=$((rc == 0 ? 0 : 1))
  printf '| %s | %s | %s | %s |\n' "$target" "$seconds" "$runs" "$crashes"
done
