#!/usr/bin/env bash
# Installs the Debian 12 packages livedeck needs (only those missing), then configures
# and builds with the given CMake preset. Idempotent: when everything is present it
# only runs the incremental build.
#   scripts/setup.sh [preset]      preset: dev (default) or release
set -euo pipefail
preset="${1:-dev}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

packages=(
  # toolchain
  g++ cmake ninja-build git ccache pkg-config
  # Qt 6: Widgets, Charts, Test, offscreen platform plugin
  qt6-base-dev qt6-base-dev-tools qt6-charts-dev libqt6opengl6-dev libxkbcommon-dev qt6-qpa-plugins libgl-dev
  # gRPC, protobuf, abseil
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  # storage, drill files, hashing, metrics, benchmarks
  libsqlite3-dev libyaml-cpp-dev libxxhash-dev prometheus-cpp-dev libbenchmark-dev
  # the programs' allocator: tcmalloc and its MallocExtension header (docs/BENCHMARKS.md)
  libgoogle-perftools-dev
  # fonts so offscreen screenshots render text
  fonts-dejavu-core
  # packaging and its checks (tests/packaging): .debs and their lint, man pages, icons,
  # desktop/AppStream/systemd validators, promtool, a gRPC health client, readelf;
  # the container image (label packaging-slow): mmdebstrap root, buildah image
  dpkg-dev fakeroot file binutils lintian help2man librsvg2-bin desktop-file-utils appstream
  systemd prometheus python3-grpcio mmdebstrap buildah
)
# Node.js and npm for the Kubernetes schema check: the machine's own when present.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi

cd "$here"
# The Kubernetes schema check's npm packages (tests/packaging/k8s), pinned by its
# package-lock.json, installed once into that folder; the tests then run offline.
k8s=tests/packaging/k8s
if ! cmp -s "$k8s/package-lock.json" "$k8s/node_modules/.package-lock.json.installed" 2>/dev/null; then
  echo "setup: installing the npm packages of $k8s" >&2
  npm ci --prefix "$k8s" --no-audit --no-fund
  cp "$k8s/package-lock.json" "$k8s/node_modules/.package-lock.json.installed"
fi
# ccache: key objects by paths relative to the checkout, so a fresh clone elsewhere
# (CI) reuses what an earlier build compiled.
export CCACHE_BASEDIR="$here"
export CCACHE_NOHASHDIR=true
if [ ! -f "build/$preset/CMakeCache.txt" ]; then
  cmake --preset "$preset"
fi
cmake --build --preset "$preset" -j "$(nproc)"
