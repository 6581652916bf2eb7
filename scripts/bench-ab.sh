#!/usr/bin/env bash
# Paired A/B of one benchmark between two builds (docs/BENCHMARKS.md): N rounds, each
# running A then B pinned to one core, then the median, fastest and slowest
# COUNTER of each and the median of B ÷ A by round. Alternating in rounds keeps
# the machine's drift (which here is larger than most changes) out of the ratio.
#
#   scripts/bench-ab.sh [-n ROUNDS] [-c CORE] [-k COUNTER] [-e NAME=VALUE] FILTER A_BINARY B_BINARY
#
# -e sets an environment variable for B only (B may be the same binary as A), e.g.
# -e GLIBC_TUNABLES=glibc.malloc.mxfast=0.
#
# COUNTER (default sim_x_realtime) is read as Google Benchmark prints it, its k/M/G
# suffix applied (items_per_second=19.9M/s is 1.99e7).
#
#   scripts/bench-ab.sh -n 8 BM_MessagingGala /tmp/before/bench_messaging \
#       build/dev/tests/bench/messaging/bench_messaging
set -euo pipefail

rounds=8
core=0
counter=sim_x_realtime
benv=()
usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
while getopts "n:c:k:e:h" opt; do
  case $opt in
    n) rounds=$OPTARG ;;
    c) core=$OPTARG ;;
    k) counter=$OPTARG ;;
    e) benv+=("$OPTARG") ;;
    h) usage 0 ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -eq 3 ] || usage
filter=$1 a=$2 b=$3
for bin in "$a" "$b"; do
  [ -x "$bin" ] || { echo "bench-ab: $bin: not an executable" >&2; exit 2; }
done

one() { # binary, then NAME=VALUE settings for it
  local bin=$1 out value
  shift
  out=$(env "$@" taskset -c "$core" "$bin" --benchmark_filter="$filter" 2>&1) || { echo "bench-ab: $bin failed:" >&2; echo "$out" >&2; exit 1; }
  value=$(grep -oE "${counter}=[0-9.e+-]+[kMGT]?" <<<"$out" | head -1 | cut -d= -f2 \
    | awk '{ n = $0 + 0; s = substr($0, length($0)); f = (s == "k") ? 1e3 : (s == "M") ? 1e6 : (s == "G") ? 1e9 : (s == "T") ? 1e12 : 1; print n * f }')
  [ -n "$value" ] || { echo "bench-ab: no ${counter} in the output of $bin ($filter)" >&2; exit 1; }
  echo "$value"
}

echo "# $filter, $rounds rounds on core $core${benv:+, B with ${benv[*]}}, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# round A B B/A"
results=()
for i in $(seq "$rounds"); do
  va=$(one "$a")
  vb=$(one "$b" "${benv[@]}")
  echo "$i $va $vb" | awk '{printf "%d %.4g %.4g %.3f\n", $1, $2, $3, $3 / $2}'
  results+=("$va $vb")
done
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
# Values on stdin -> "median lowest highest".
stats() {
  sort -g | awk '{ v[NR] = $1 }
    END { printf "%.4g %.4g %.4g\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2, v[1], v[NR] }'
}
rows() { printf '%s\n' "${results[@]}"; }
read -r m lo hi < <(rows | awk '{ print $1 }' | stats)
echo "A: median $m, fastest $hi, slowest $lo"
read -r m lo hi < <(rows | awk '{ print $2 }' | stats)
echo "B: median $m, fastest $hi, slowest $lo"
read -r m lo hi < <(rows | awk '{ print $2 / $1 }' | stats)
echo "B/A by round: median $m ($lo to $hi)"
