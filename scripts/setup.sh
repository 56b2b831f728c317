#!/usr/bin/env bash
# Installs the Debian 12 packages skingan builds and tests with, then configures and builds it.
# Idempotent: packages already present are not reinstalled and the build is incremental.
#   scripts/setup.sh            install packages + build (Release) into build/
#   scripts/setup.sh --no-build install packages only
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

packages=(
  build-essential cmake ninja-build ccache pkg-config clang-format
  libtorch-dev libopencv-dev libopenblas0-openmp
  libcli11-dev nlohmann-json3-dev libspdlog-dev libgtest-dev libgloo-dev
  python3
)

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

if [ "${1:-}" = "--no-build" ]; then exit 0; fi

build_type="${SKINGAN_BUILD_TYPE:-Release}"
cmake -S "$here" -B "$here/build" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" >/dev/null
cmake --build "$here/build" -j"$(nproc)"
echo "[setup] built $here/build/skingan"
