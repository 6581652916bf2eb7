#!/usr/bin/env python3
"""Where a program's peak heap lives, by the livedeck function that allocated it.

Reads heaptrack's collapsed stacks weighted by peak memory and sums each stack under
its innermost livedeck:: frame (the scheduler and the inline callbacks skipped, so the
frame is the code that asked for the memory), then prints the largest sums in MB.

  heaptrack -o ht build/glibc/tests/bench/gala/bench_gala --benchmark_filter='BM_GalaNight/'
  heaptrack_print -f ht.zst --print-flamegraph ht.flame --flamegraph-cost-type peak \\
      --print-peaks 0 --print-allocators 0 --print-temporary 0 --print-leaks 0
  scripts/heap-by-frame.py ht.flame [ROWS]

heaptrack follows glibc's malloc: use a build configured with -DLIVEDECK_TCMALLOC=OFF
(docs/BENCHMARKS.md, "tcmalloc for the programs").
"""
import collections
import sys

SKIPPED = ("InlineFunction", "Scheduler::")


def main() -> int:
    if len(sys.argv) not in (2, 3):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    rows = int(sys.argv[2]) if len(sys.argv) == 3 else 30
    sums = collections.Counter()
    with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
        for line in f:
            stack, _, cost = line.rstrip("\n").rpartition(" ")
            if not cost.isdigit():
                continue
            frames = [fr for fr in stack.split(";") if "livedeck::" in fr and not any(s in fr for s in SKIPPED)]
            name = frames[-1] if frames else "(outside livedeck)"
            function = name.split("(")[0]
            # A library template called with livedeck types (a shared_ptr's control block,
            # a deque's node) keeps its arguments: they say whose it is.
            sums[function if function.startswith("livedeck::") else name[:140]] += int(cost)
    total = sum(sums.values())
    print(f"{total / 1e6:10.1f} MB at the peak")
    for name, cost in sums.most_common(rows):
        print(f"{cost / 1e6:10.1f} {100.0 * cost / total:5.1f} %  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
