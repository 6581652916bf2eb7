#!/usr/bin/env bash
# Offline checks of livedeck's packaging artifacts, each by the tool that owns the
# format (tests/packaging/CMakeLists.txt registers one CTest test per mode).
#   checks.sh desktop FILE.desktop         desktop-file-validate prints nothing
#   checks.sh metainfo FILE.xml            appstreamcli validate --no-net --strict
#   checks.sh systemd BUILD_DIR UNIT       the unit installed with livedeckd into a
#                                          staging root: systemd-analyze verify with
#                                          an empty stderr; security exposure <= 2.0
#   checks.sh k8s VALIDATOR FILE...        the Kubernetes schema check accepts FILEs
#   checks.sh k8s-misspelled VALIDATOR FILE  a copy of FILE with one field misspelled
#                                          is refused, naming that field
#   checks.sh text-only PROGRAM...         --help and --version answer without a display
#   checks.sh no-qt PROGRAM                PROGRAM's dynamic dependencies hold no Qt
#   checks.sh prometheus PROMTOOL DIR TEST promtool check config/rules, test rules
set -euo pipefail
mode="$1"
shift
case "$mode" in
desktop)
  out=$(desktop-file-validate "$1" 2>&1) || true
  if [ -n "$out" ]; then
    echo "$out" >&2
    exit 1
  fi
  echo "desktop-file-validate $1: silent"
  ;;
metainfo)
  appstreamcli validate --no-net --strict "$1"
  ;;
systemd)
  build="$1" unit="$2"
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  DESTDIR="$root" cmake --install "$build" --component livedeckd --prefix /usr >/dev/null
  # The units the node's unit refers to (sysinit.target, network.target …): the host's.
  mkdir -p "$root/usr/lib/systemd"
  cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"
  installed="$root/lib/systemd/system/$(basename "$unit")"
  cmp "$unit" "$installed"
  # verify exits 0 even on unknown keys: an empty stderr is the check. The unit's
  # binary and man page are looked up in the staging root.
  err=$(MANPATH="$root/usr/share/man" systemd-analyze verify --root="$root" "$installed" 2>&1 >/dev/null) || true
  if [ -n "$err" ]; then
    echo "systemd-analyze verify:" >&2
    echo "$err" >&2
    exit 1
  fi
  echo "systemd-analyze verify: no complaint"
  report=$(systemd-analyze security --offline=true --root="$root" "$installed" 2>&1) || true
  level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$report")
  if [ -z "$level" ]; then
    echo "$report" >&2
    exit 1
  fi
  echo "systemd-analyze security: exposure $level"
  awk -v l="$level" 'BEGIN { exit !(l <= 2.0) }' || { echo "$report" | grep -v '^✓' >&2; echo "exposure $level > 2.0" >&2; exit 1; }
  ;;
k8s)
  validator="$1"
  shift
  node "$validator" "$@"
  ;;
k8s-misspelled)
  validator="$1" file="$2"
  bad=$(mktemp --suffix=.yaml)
  trap 'rm -f "$bad"' EXIT
  # A plausible typo in a nested field (the container's security context).
  sed 's/readOnlyRootFilesystem:/readOnlyRootFileSystem:/' "$file" >"$bad"
  grep -q 'readOnlyRootFileSystem:' "$bad"
  if out=$(node "$validator" "$bad" 2>&1); then
    echo "$out"
    echo "a misspelled field was accepted" >&2
    exit 1
  fi
  echo "$out"
  grep -q 'unknown field "readOnlyRootFileSystem"' <<<"$out"
  echo "refused, naming the misspelled field"
  ;;
text-only)
  for program in "$@"; do
    name=$(basename "$program")
    # No display, no platform plugin choice: what a server or an ssh session has.
    help=$(env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM "$program" --help 2>&1)
    grep -q -i 'usage' <<<"$help" || { echo "$name --help: $help" >&2; exit 1; }
    version=$(env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM "$program" --version 2>&1)
    grep -q '[0-9]\+\.[0-9]\+\.[0-9]\+' <<<"$version" || { echo "$name --version: $version" >&2; exit 1; }
    echo "$name: --help ($(wc -l <<<"$help") lines) and --version ($version) without a display"
  done
  ;;
no-qt)
  needed=$(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
  echo "$(basename "$1") needs: $(tr '\n' ' ' <<<"$needed")"
  all=$(ldd "$1")
  if grep -i 'libQt' <<<"$all"; then
    echo "$(basename "$1") links Qt" >&2
    exit 1
  fi
  ;;
prometheus)
  promtool="$1" dir="$2" tests="$3"
  "$promtool" check config "$dir/prometheus.yml"
  "$promtool" check rules "$dir"/*.rules.yml
  "$promtool" test rules "$tests"
  ;;
*)
  echo "usage: $0 MODE ..." >&2
  exit 2
  ;;
esac
