#!/usr/bin/env bash
# CPU seconds (user + system) each thread of a running process has used, by thread
# name (the world's threads are named: ld-world, ld-helper, ld-lease). With -i SECONDS,
# samples every SECONDS until the process ends, one line per sample.
#
#   scripts/thread-cpu.sh [-i SECONDS] PID
#
#   QT_QPA_PLATFORM=offscreen build/dev/tests/bench/ui/bench_ui \
#       --benchmark_filter=BM_ConsoleAtRealTime & scripts/thread-cpu.sh -i 5 $!
set -euo pipefail

interval=
usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
while getopts "i:h" opt; do
  case $opt in
    i) interval=$OPTARG ;;
    h) usage 0 ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
pid=$1
[ -d "/proc/$pid" ] || { echo "thread-cpu.sh: no process $pid" >&2; exit 1; }
ticks=$(getconf CLK_TCK)

sample() {
  local line="" t name stat
  for t in /proc/"$pid"/task/*; do
    name=$(cat "$t/comm" 2>/dev/null) || continue
    stat=$(cat "$t/stat" 2>/dev/null) || continue
    # Fields after the parenthesised name: utime and stime are the 12th and 13th.
    stat=${stat##*) }
    line+=$(awk -v n="$name" -v T="$ticks" '{ printf "%s %.1f  ", n, ($12 + $13) / T }' <<< "$stat")
  done
  echo "$(date +%H:%M:%S)  $line"
}

if [ -z "$interval" ]; then
  sample
  exit 0
fi
while [ -d "/proc/$pid" ]; do
  sample
  sleep "$interval"
done
