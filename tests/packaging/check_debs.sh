#!/usr/bin/env bash
# The Debian packages (packaging/README.md), checked by Debian's own tools.
#   check_debs.sh build BUILD_DIR OUT     cpack → OUT/*.deb (the fixture of the others)
#   check_debs.sh lintian OUT             lintian --fail-on error,warning
#   check_debs.sh apt OUT                 apt-get install -s resolves every dependency
#   check_debs.sh contents OUT SRC_DIR    dpkg-deb -c lists exactly what each package
#                                         should hold (SRC_DIR/tests/packaging/deb_contents.txt),
#                                         binaries stripped, Depends as expected
set -euo pipefail
mode="$1"
case "$mode" in
build)
  build="$2" out="$3"
  rm -rf "$out" && mkdir -p "$out"
  # A umask of 002 would make group-writable directories: Debian wants 0755.
  umask 022
  cpack --config "$build/CPackConfig.cmake" -G DEB -B "$out" >"$out/cpack.log" 2>&1 || { cat "$out/cpack.log"; exit 1; }
  ls -l "$out"/*.deb
  ;;
lintian)
  out="$2"
  # Runs as root in CI: lintian refuses that without --allow-root.
  lintian --allow-root --fail-on error,warning --display-info "$out"/*.deb
  echo "lintian: no error or warning"
  ;;
apt)
  out="$2"
  cd "$out"
  apt-get install -s ./*.deb >apt.log 2>&1 || { cat apt.log; exit 1; }
  grep -E '^(Inst|Conf) livedeck' apt.log
  ;;
contents)
  out="$2" src="$3"
  expected="$src/tests/packaging/deb_contents.txt"
  status=0
  for deb in "$out"/*.deb; do
    pkg=$(dpkg-deb -f "$deb" Package)
    # Files and links only (directories follow from them), as "./path".
    dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' | sort >"$out/$pkg.files"
    awk -v p="$pkg" '$1 == p {print $2}' "$expected" | sort >"$out/$pkg.expected"
    if ! diff -u "$out/$pkg.expected" "$out/$pkg.files"; then
      echo "$pkg: contents differ from $expected (- expected, + packaged)" >&2
      status=1
    fi
    # Every ELF file stripped.
    rm -rf "$out/x-$pkg" && mkdir "$out/x-$pkg" && dpkg-deb -x "$deb" "$out/x-$pkg"
    while IFS= read -r f; do
      if file -b "$f" | grep -q '^ELF' && ! file -b "$f" | grep -q ', stripped'; then
        echo "$pkg: $f is not stripped" >&2
        status=1
      fi
    done < <(find "$out/x-$pkg" -type f)
    depends=$(dpkg-deb -f "$deb" Depends)
    echo "$pkg: $(wc -l <"$out/$pkg.files") files; Depends: $depends"
    for want in $(awk -v p="$pkg" '$1 == p"/depends" {print $2}' "$expected"); do
      if ! grep -qE "(^|, )$want( |,|$)" <<<"$depends"; then
        echo "$pkg: Depends lacks $want" >&2
        status=1
      fi
    done
  done
  exit $status
  ;;
*)
  echo "usage: $0 build|lintian|apt|contents ..." >&2
  exit 2
  ;;
esac
