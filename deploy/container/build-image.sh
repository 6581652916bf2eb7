#!/usr/bin/env bash
# The livedeckd container image, built from the livedeckd Debian package with Debian's
# own tools (deploy/README.md): an mmdebstrap root of Debian 12 with the package and its
# dependencies installed by apt, a non-root user (uid 10001), then a buildah image of
# that root. No Dockerfile, no container engine daemon.
#   deploy/container/build-image.sh [--smoke-test] DEBS_DIR OUT_DIR
# DEBS_DIR holds livedeckd_*.deb and livedeckctl_*.deb (cpack, packaging/README.md). Writes
# OUT_DIR/livedeckd-VERSION.oci.tar (an OCI archive: `podman load`, `skopeo copy`,
# `kind load image-archive`, `ctr images import`). Buildah's storage is kept in OUT_DIR.
# --smoke-test: runs the image's node (its entrypoint, its user) and waits for the
# plaintext health address to answer grpc.health.v1 SERVING
# (tests/packaging/node_probe.py), then stops it.
set -euo pipefail
smoke=0
if [ "${1:-}" = "--smoke-test" ]; then
  smoke=1
  shift
fi
debs="$(cd "$1" && pwd)"
mkdir -p "$2"
out="$(cd "$2" && pwd)"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$(cd "$here/../.." && pwd)"
deb=$(ls "$debs"/livedeckd_*.deb | head -n1)
version=$(dpkg-deb -f "$deb" Version)
# livedeckctl rides along when its package is there: the sweep Job
# (deploy/kubernetes/sweep-job.yaml) runs its shards and merge with it.
# One --include per package file: mmdebstrap 1.3.5 takes a path to a .deb only as a whole
# option value (it does not split a list of paths at commas).
include=(--include="$deb")
if ctl=$(ls "$debs"/livedeckctl_*.deb 2>/dev/null | head -n1) && [ -n "$ctl" ]; then
  include+=(--include="$ctl")
fi
image="localhost/livedeckd:$version"
uid=10001
buildah=(buildah --storage-driver vfs --root "$out/storage" --runroot "$out/run")

# 1. The root file system: Debian 12, livedeckd's package and what it depends on,
# without documentation; a system user for the node and its state directory.
rootfs="$out/rootfs.tar"
rm -f "$rootfs"
mmdebstrap --variant=essential --quiet \
  --hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount \
  "${include[@]}" \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --customize-hook="echo 'livedeckd:x:$uid:$uid:livedeck node:/var/lib/livedeckd:/usr/sbin/nologin' >>\"\$1/etc/passwd\" && echo 'livedeckd:x:$uid:' >>\"\$1/etc/group\"" \
  --customize-hook="mkdir -p \"\$1/var/lib/livedeckd\" && chown $uid:$uid \"\$1/var/lib/livedeckd\" && chmod 0700 \"\$1/var/lib/livedeckd\"" \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
  bookworm "$rootfs"

# 2. The image: that root, run as the node's user. The node listens on all addresses in
# the container; off loopback it wants tokens and TLS (deploy/kubernetes/livedeckd.yaml
# passes them from Secrets), so the default command is the loopback-only node.
"${buildah[@]}" rmi -f "$image" >/dev/null 2>&1 || true
ctr=$("${buildah[@]}" from scratch)
trap '"${buildah[@]}" rm "$ctr" >/dev/null 2>&1 || true' EXIT
"${buildah[@]}" add "$ctr" "$rootfs" / >/dev/null
"${buildah[@]}" config \
  --user "$uid:$uid" \
  --workingdir /var/lib/livedeckd \
  --entrypoint '["/usr/bin/livedeckd"]' \
  --cmd '["--listen=127.0.0.1:7400", "--health-listen=0.0.0.0:7401", "--metrics=0.0.0.0:9464"]' \
  --port 7400/tcp --port 7401/tcp --port 9464/tcp \
  --volume /var/lib/livedeckd \
  --label org.opencontainers.image.title=livedeckd \
  --label org.opencontainers.image.version="$version" \
  --label org.opencontainers.image.licenses=GPL-3.0-or-later \
  --label org.opencontainers.image.description="livedeck node: a deterministic live-platform world serving the livedeck.v1 gRPC API" \
  "$ctr"
"${buildah[@]}" commit --quiet --rm "$ctr" "$image" >/dev/null
trap - EXIT
rm -f "$out/livedeckd-$version.oci.tar"
"${buildah[@]}" push --quiet "$image" "oci-archive:$out/livedeckd-$version.oci.tar:$image"
rm -f "$rootfs"
echo "image $image: $(du -h "$out/livedeckd-$version.oci.tar" | cut -f1) OCI archive at $out/livedeckd-$version.oci.tar"

[ "$smoke" = 1 ] || exit 0

# 3. Smoke test: the image's entrypoint and user, its default command with free ports.
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
api=$(free_port)
health=$(free_port)
metrics=$(free_port)
ctr=$("${buildah[@]}" from "$image")
cleanup() {
  if [ -n "${run_pid:-}" ]; then
    kill "$run_pid" 2>/dev/null || true
    wait "$run_pid" 2>/dev/null || true
  fi
  "${buildah[@]}" rm "$ctr" >/dev/null 2>&1 || true
}
trap cleanup EXIT
user=$("${buildah[@]}" run --isolation chroot "$ctr" -- /usr/bin/id -u)
echo "the image runs as uid $user"
[ "$user" = "$uid" ]
"${buildah[@]}" run --isolation chroot "$ctr" -- /usr/bin/livedeckd --listen="127.0.0.1:$api" \
  --health-listen="127.0.0.1:$health" --metrics="127.0.0.1:$metrics" --drill=synthetic-chaos \
  >"$out/smoke.log" 2>&1 &
run_pid=$!
if ! /usr/bin/python3 "$src/tests/packaging/node_probe.py" health-at "127.0.0.1:$health" 60; then
  cat "$out/smoke.log" >&2
  exit 1
fi
echo "the image's node answers grpc.health.v1 SERVING on 127.0.0.1:$health"
node_pid=$(pgrep -n -f "livedeckd --listen=127.0.0.1:$api" || true)
if [ -n "$node_pid" ]; then
  echo "node process $node_pid runs as uid $(awk '/^Uid:/ {print $2}' "/proc/$node_pid/status")"
  [ "$(awk '/^Uid:/ {print $2}' "/proc/$node_pid/status")" = "$uid" ]
  kill -TERM "$node_pid"
fi
wait "$run_pid"
run_pid=
grep -q 'livedeckd: stopped' "$out/smoke.log"
echo "smoke test passed: the node stopped cleanly on SIGTERM"
