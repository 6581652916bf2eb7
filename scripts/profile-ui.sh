#!/usr/bin/env bash
# Profiles one UI tick of bench_ui (BM_UiTick: apply one snapshot, repaint the whole
# 1920×1080 window), for the "ui" section of docs/BENCHMARKS.md. Build first:
# scripts/setup.sh dev.
#
#   scripts/profile-ui.sh instructions
#       valgrind's callgrind over BM_UiTick without its fixture (the scripted
#       scenario's 10 minutes of history): instructions per tick and the largest
#       inclusive costs. Instruction counts do not depend on the machine's load.
#   scripts/profile-ui.sh pool
#       perf with DWARF call graphs: the share of the GUI thread's samples in a tick
#       spent handing fills to Qt's GUI thread pool (QThreadPool::start, waiting on its
#       semaphore), and which paint code asked for them.
#
# Needs valgrind (instructions) or perf from linux-perf (pool): apt-get install valgrind
# linux-perf. BENCH_UI overrides the benchmark's path.
set -euo pipefail
cd "$(dirname "$0")/.."
bench=${BENCH_UI:-build/dev/tests/bench/ui/bench_ui}
[ -x "$bench" ] || { echo "no $bench: build it first (scripts/setup.sh dev)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export QT_QPA_PLATFORM=offscreen

case "${1:-}" in
instructions)
    command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }
    valgrind --tool=callgrind --toggle-collect='*BM_UiTick*' --toggle-collect='*Fixture::get*' \
        --callgrind-out-file="$out/cg.out" "$bench" --benchmark_filter=BM_UiTick >/dev/null 2>&1
    callgrind_annotate --inclusive=yes "$out/cg.out" >"$out/cg.txt" 2>/dev/null
    python3 - "$out/cg.out" "$out/cg.txt" <<'EOF'
import re, sys
raw, annotated = sys.argv[1], sys.argv[2]
# Ticks = calls of QWidget::grab collected (callgrind names a function once, then by id).
ids, calls, pending = set(), 0, False
for line in open(raw, errors='replace'):
    m = re.match(r'^c?fn=\((\d+)\)(?: (.*))?', line)
    if m:
        if m.group(2) and 'QWidget::grab(' in m.group(2):
            ids.add(m.group(1))
        pending = line.startswith('cfn=') and m.group(1) in ids
        continue
    if pending and line.startswith('calls='):
        calls += int(line.split('=')[1].split()[0])
        pending = False
text = open(annotated).read()
total = int(re.search(r'([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS', text).group(1).replace(',', ''))
print(f'ticks: {calls}  instructions: {total:,}  per tick: {total / max(calls, 1) / 1e6:.1f} M')
print('largest inclusive costs (share of all ticks):')
shown, seen = 0, set()
for line in text.splitlines():
    m = re.match(r'\s*([\d,]+) \(\s*([\d.]+)%\)\s+([^\s:]+):(.*?)(?: \[.*\])?$', line)
    if not m or 'PROGRAM TOTALS' in line:
        continue
    name = m.group(4)
    if name in seen:
        continue
    seen.add(name)
    if re.search(r'paintEvent|::paint\(|livedeck::ui::|handleRangeChanged|shapeText|drawText|updateGeometry|Delegate', name):
        print(f'  {float(m.group(2)):5.1f} %  {name[:110]}')
        shown += 1
        if shown == 25:
            break
EOF
    ;;
pool)
    command -v perf >/dev/null || { echo "perf is not installed (apt-get install linux-perf)" >&2; exit 2; }
    perf record --call-graph dwarf,16384 -F 1000 -o "$out/perf.data" "$bench" --benchmark_filter=BM_UiTick \
        >/dev/null 2>&1
    perf script -i "$out/perf.data" 2>/dev/null >"$out/stacks.txt"
    python3 - "$out/stacks.txt" <<'EOF'
import collections, re, sys
stacks, cur = [], []
for line in open(sys.argv[1], errors='replace'):
    if not line.strip():
        if cur:
            stacks.append(cur)
        cur = []
        continue
    if line.startswith('\t'):
        parts = line.strip().split(None, 1)
        frame = parts[1] if len(parts) > 1 else parts[0]
        cur.append(re.sub(r'\+0x[0-9a-f]+', '', frame))
if cur:
    stacks.append(cur)
ticks = [s for s in stacks if any('BM_UiTick' in f for f in s) and not any('Fixture::get' in f for f in s)]
pool = [s for s in ticks if any(re.search(r'QThreadPool::start|QSemaphore::acquire|QThreadPoolPrivate', f) for f in s)]
print(f'GUI-thread samples in ticks: {len(ticks)}  in thread-pool hand-offs: {len(pool)} '
      f'({100.0 * len(pool) / max(len(ticks), 1):.1f} %)')
by = collections.Counter()
for s in pool:
    by[next((f for f in s if re.search(r'paintEvent|::paint|paintBackground|drawForeground', f)), '?')[:90]] += 1
for who, n in by.most_common(8):
    print(f'  {n:5d}  {who}')
EOF
    ;;
*)
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
