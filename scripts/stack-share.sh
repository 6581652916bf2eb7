#!/usr/bin/env bash
# How many profile samples have each pattern somewhere in their stack: reads `perf
# script` output (one sample per blank-line-separated block) on stdin and prints, for
# each PATTERN (an awk regular expression), the samples whose block matches it, out of
# all samples read, with the share.
#
#   scripts/stack-share.sh PATTERN...
#
#   perf record -p PID --call-graph dwarf,16384 -F 250 -- sleep 6
#   perf script --comm ld-world -F ip,sym | scripts/stack-share.sh 'Write::run' 'Apply::run'
set -euo pipefail

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
[ "${1:-}" = "-h" ] && usage 0
[ $# -ge 1 ] || usage

awk -v patterns="$(printf '%s\n' "$@")" '
BEGIN {
    RS = ""
    n = split(patterns, pat, "\n")
}
{
    ++total
    for (i = 1; i <= n; ++i) if ($0 ~ pat[i]) ++hits[i]
}
END {
    for (i = 1; i <= n; ++i)
        printf "%8d of %d  %5.1f %%  %s\n", hits[i], total, total ? 100.0 * hits[i] / total : 0, pat[i]
}'
