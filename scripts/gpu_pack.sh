#!/usr/bin/env bash
# Packs what scripts/gpu_study.sh needs on a GPU node that has CUDA, a compiler, CMake and
# Python's PyTorch wheel but no Debian packages and no network. Runs here, on a Debian 12 machine
# with scripts/setup.sh done; writes the git-ignored folder .gpu/ (about 40 MB):
#   .gpu/deps.tar.xz     a prefix with Debian's CLI11, nlohmann-json, spdlog, fmt and toml++
#                        headers (built header-only there: -DSKINGAN_HEADER_ONLY_DEPS=ON) and a
#                        minimal static OpenCV (core, imgproc, imgcodecs, photo; JPEG and PNG via
#                        Debian's static libjpeg-turbo, libpng and zlib)
#   .gpu/ham10000.tar    the raw data set folder, as it is (JPEGs do not compress further)
#   .gpu/peers/          (optional) the peer programs the benchmark runs beside skingan
#
#   scripts/gpu_pack.sh [DATA_DIR]   (default ../shared/data/ham10000)
#
# OpenCV is built once (about 3 minutes on 2 cores) from Debian's own `opencv` source package,
# the same 4.6.0 the CPU build uses: `apt-get source` needs a deb-src entry, which this script
# adds when it runs as root. Its build folder is kept in .gpu/opencv-build for reruns.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="$(cd "${1:-$here/../shared/data/ham10000}" && pwd)"
pack="$here/.gpu"
prefix="$pack/prefix"
lib=/usr/lib/x86_64-linux-gnu
mkdir -p "$pack"
grep -qx '/.gpu/' "$here/.git/info/exclude" 2>/dev/null || echo '/.gpu/' >>"$here/.git/info/exclude"

build_opencv() {
  local src="$pack/opencv-src"
  if [[ ! -d "$src" ]]; then
    if ! grep -rqs '^Types: deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
      [[ "$(id -u)" -eq 0 ]] || { echo "[gpu_pack] add a deb-src entry for bookworm (needs root), then rerun" >&2; exit 1; }
      printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        >/etc/apt/sources.list.d/debian-src.sources
      apt-get update -qq
    fi
    local dl="$pack/opencv-dl"
    mkdir -p "$dl"
    (cd "$dl" && apt-get source -q --download-only opencv=4.6.0+dfsg-12 >/dev/null)
    dpkg-source -x "$dl"/opencv_4.6.0+dfsg-12.dsc "$src" >/dev/null
    rm -rf "$dl"
  fi
  # Only what skingan links; no 3rdparty sources (Debian strips them), no parallel backend but
  # pthreads, no dispatch copies of the SIMD kernels (the SSE baseline stays).
  cmake -S "$src" -B "$pack/opencv-build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DBUILD_LIST=core,imgproc,imgcodecs,photo \
    -DBUILD_SHARED_LIBS=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DCPU_DISPATCH= \
    -DWITH_JPEG=ON -DBUILD_JPEG=OFF -DJPEG_LIBRARY=$lib/libjpeg.a -DJPEG_INCLUDE_DIR=/usr/include \
    -DWITH_PNG=ON -DBUILD_PNG=OFF -DPNG_LIBRARY=$lib/libpng16.a \
    -DPNG_PNG_INCLUDE_DIR=/usr/include/libpng16 \
    -DBUILD_ZLIB=OFF -DZLIB_LIBRARY=$lib/libz.a -DZLIB_INCLUDE_DIR=/usr/include \
    -DWITH_TIFF=OFF -DWITH_WEBP=OFF -DWITH_OPENJPEG=OFF -DWITH_JASPER=OFF -DWITH_OPENEXR=OFF \
    -DWITH_GDAL=OFF -DWITH_GDCM=OFF -DWITH_IPP=OFF -DWITH_ITT=OFF -DWITH_TBB=OFF \
    -DWITH_OPENMP=OFF -DWITH_PTHREADS_PF=ON -DWITH_OPENCL=OFF -DWITH_VA=OFF -DWITH_VA_INTEL=OFF \
    -DWITH_LAPACK=OFF -DWITH_EIGEN=OFF -DWITH_PROTOBUF=OFF -DWITH_QUIRC=OFF -DWITH_ADE=OFF \
    -DWITH_FFMPEG=OFF -DWITH_GSTREAMER=OFF -DWITH_V4L=OFF -DWITH_GTK=OFF -DWITH_QT=OFF \
    -DWITH_1394=OFF -DWITH_CUDA=OFF -DWITH_VTK=OFF -DWITH_CAROTENE=OFF -DWITH_OPENVX=OFF \
    -DBUILD_TESTS=OFF -DBUILD_PERF_TESTS=OFF -DBUILD_EXAMPLES=OFF -DBUILD_opencv_apps=OFF \
    -DBUILD_DOCS=OFF -DBUILD_JAVA=OFF -DBUILD_opencv_python3=OFF -DBUILD_opencv_python2=OFF \
    -DOPENCV_GENERATE_PKGCONFIG=OFF -DENABLE_CCACHE=ON >"$pack/opencv-config.log"
  cmake --build "$pack/opencv-build" -j"$(nproc)"
  cmake --install "$pack/opencv-build" >/dev/null
}

if [[ ! -f "$prefix/lib/libopencv_core.a" ]]; then
  echo "[gpu_pack] building a static OpenCV from Debian's source package"
  build_opencv
fi
# The static OpenCV's CMake files name Debian's static image libraries by absolute path; take
# them along and point the files at the prefix so they resolve on the GPU node.
mkdir -p "$prefix/lib/opencv4/3rdparty"
cp $lib/libjpeg.a $lib/libpng16.a $lib/libz.a "$prefix/lib/opencv4/3rdparty/"
grep -rl "$lib/lib" "$prefix/lib/cmake/opencv4" | while read -r f; do
  sed -i "s#$lib/\(libjpeg.a\|libpng16.a\|libz.a\)#\${_IMPORT_PREFIX}/lib/opencv4/3rdparty/\1#g" "$f"
done
for d in CLI nlohmann fmt spdlog toml++; do
  rm -rf "${prefix:?}/include/$d"
  cp -r "/usr/include/$d" "$prefix/include/"
done
tar -cJf "$pack/deps.tar.xz" -C "$prefix" include lib
tar -cf "$pack/ham10000.tar" -C "$(dirname "$data")" "$(basename "$data")"
du -sh "$pack/deps.tar.xz" "$pack/ham10000.tar"
