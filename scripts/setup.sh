#!/usr/bin/env bash
# Installs the Debian 12 packages skingan builds and tests with, then configures and builds it.
# Idempotent: packages already present are not reinstalled and the build is incremental.
#   scripts/setup.sh            install packages + build (Release) into build/
#   scripts/setup.sh --no-build install packages only
#   scripts/setup.sh --tests    also the packages only tests use (python3-torch: the exported
#                               generator is loaded by stock PyTorch in a test;
#                               snakemake: an emitted study workflow is run in a test;
#                               chromium-headless-shell: the study report is rendered in a test)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build=1
tests=0
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    --tests) tests=1 ;;
    *) echo "[setup] unknown option $arg (use --no-build, --tests)" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake ninja-build ccache pkg-config clang-format
  libtorch-dev libopencv-dev libopenblas0-openmp
  libcli11-dev nlohmann-json3-dev libspdlog-dev libgtest-dev libgloo-dev libtomlplusplus-dev
  python3
)
if ((tests)); then packages+=(python3-torch chromium-headless-shell snakemake); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "[setup] installing: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "[setup] all Debian packages present"
fi

if ((build == 0)); then exit 0; fi

build_type="${SKINGAN_BUILD_TYPE:-Release}"
cmake -S "$here" -B "$here/build" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" >/dev/null
cmake --build "$here/build" -j"$(nproc)"
echo "[setup] built $here/build/skingan"
