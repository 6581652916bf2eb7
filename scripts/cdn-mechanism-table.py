#!/usr/bin/env python3
"""What each new-mode CDN mechanism contributes (docs/CDN.md, "What each mechanism
contributes"): switch one mechanism off at a time in the drill that measures it, run
both over seeds 1..5 and print a Markdown table. A change counts when the two means
differ by more than the larger of the two spreads (max - min over the seeds) and goes
the expected way.

    scripts/cdn-mechanism-table.py [--ctl build/dev/app/livedeckctl/livedeckctl]
                                   [--seeds 5] [--only NAME]
    scripts/cdn-mechanism-table.py --policies   # LRU / SIEVE / S3-FIFO on the engine's trace

Each run is `livedeckctl drill run` of a built-in drill (resources/drills) whose
`engines.cdn` section gets the row's keys and whose expectations are replaced by one
that reads the row's metric; the value is the report's observed aggregate.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (mechanism, figure, drill, keys added to engines.cdn to switch it off, metric, stat, from, higher is better)
ROWS = [
    ("slice prefetch window", "cdn.slice-prefetch", "cdn-prefetch-window-2", {"window": "1"},
     "cdn.request_mean_ms", "mean", "2s", False),
    ("health checks", "cdn.fault-recovery", "cdn-cache-node-down", {"sabotage": "[no-health-checks]"},
     "cdn.recovery_p99_s", "last", None, False),
    ("bounded load", "cdn.utilisation.peak-mean", "cdn-utilisation-new", {"bounded_load_factor": "100"},
     "cdn.peak_mean_load", "mean", "2s", False),
    # A slow disk control does not see (latency ignored): only bounded load, which counts a
    # node's in-flight weight, steers new slices past the slow node.
    ("bounded load", "sh-a request p99, slow disk unseen by control", "cdn-slow-disk",
     {"sabotage": "[ignore-latency]", "bounded_load_factor": "100", "@on": {"sabotage": "[ignore-latency]"},
      "@component": "sh-a/cdn/clients"}, "cdn.region.request_p99_ms", "mean", "4s", False),
    ("collapsed forwarding", "cdn.utilisation.origin-offload", "cdn-utilisation-new",
     {"sabotage": "[no-collapsed-forwarding]"}, "cdn.origin_offload", "mean", "2s", True),
    ("collapsed forwarding", "origin offload, hot release", "cdn-origin-stampede",
     {"sabotage": "[no-collapsed-forwarding]"}, "cdn.origin_offload", "mean", "2s", True),
    ("slot dispersal", "cdn.utilisation.peak-mean", "cdn-utilisation-new", {"sabotage": "[infinite-slot-threshold]"},
     "cdn.peak_mean_load", "mean", "2s", False),
    ("slot dispersal", "peak/mean, gala", "cdn-gala-flash-crowd", {"sabotage": "[infinite-slot-threshold]"},
     "cdn.peak_mean_load", "max", "6s", False),
    ("pre-heat", "peak/mean, gala", "cdn-gala-flash-crowd", {"sabotage": "[no-preheat]"},
     "cdn.peak_mean_load", "max", "2s", False),
    ("pre-heat", "request p99, gala", "cdn-gala-flash-crowd", {"sabotage": "[no-preheat]"},
     "cdn.request_p99_ms", "max", "2s", False),
    ("pre-heat", "peak/mean 2–6 s, gala ramping in 1 s", "cdn-gala-flash-crowd",
     {"sabotage": "[no-preheat]", "@params": "ramp: 1s", "@to": "6s"}, "cdn.peak_mean_load", "mean", "2s", False),
    ("modern eviction (SIEVE → LRU)", "cdn.utilisation.byte-hit", "cdn-utilisation-new", {"policy": "lru"},
     "cdn.byte_hit_ratio", "mean", "2s", True),
    ("modern eviction (SIEVE → LRU), 2 GiB caches", "byte hit ratio", "cdn-utilisation-new",
     {"policy": "lru", "cache_mib": "2048", "@on": {"cache_mib": "2048"}}, "cdn.byte_hit_ratio", "mean", "2s", True),
]


def drill_text(drill, keys, metric, stat, frm):
    # "@component", "@to": the expectation's component and end; "@params": the load
    # profile's parameters (both runs of a row get them).
    keys = dict(keys)
    component, to, params = keys.pop("@component", None), keys.pop("@to", None), keys.pop("@params", None)
    text = open(os.path.join(ROOT, "resources", "drills", drill + ".yaml")).read()
    text = re.sub(r"^sabotage_of:.*\n", "", text, flags=re.M)
    text = text[: text.index("\nexpectations:")] + "\n"
    lines = "".join(f"    {k}: {v}\n" for k, v in keys.items())
    for k in keys:
        text = re.sub(rf"^    {k}:.*\n", "", text, flags=re.M)
    if params:
        lines += f"    profile_params: {{{params}}}\n"
    text = text.replace("  cdn:\n", "  cdn:\n" + lines, 1)
    exp = f"  - {{name: probe, metric: {metric}, stat: {stat}, expect: \">= -1e18\""
    if component:
        exp += f", component: {component}"
    if to:
        exp += f", to: {to}"
    exp += f", from: {frm}}}\n" if frm else "}\n"
    return text + "expectations:\n" + exp


def run(ctl, text, seed):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "drill.yaml")
        report = os.path.join(d, "report.json")
        open(path, "w").write(text)
        subprocess.run([ctl, "drill", "run", "-q", path, "-s", str(seed), "--report", report],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        r = json.load(open(report))
        return r["expectations"][0]["observed"]


def fmt(v):
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}".replace(",", " ")


def series(ctl, drill, keys, metric, stat, frm, seeds):
    return [run(ctl, drill_text(drill, keys, metric, stat, frm), s) for s in range(1, seeds + 1)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ctl", default=os.path.join(ROOT, "build", "dev", "app", "livedeckctl", "livedeckctl"))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--only", default=None)
    ap.add_argument("--policies", action="store_true")
    a = ap.parse_args()
    if not os.access(a.ctl, os.X_OK):
        sys.exit(f"no {a.ctl}: build livedeckctl first or pass --ctl")

    if a.policies:
        print("| cache per node | LRU miss ratio | SIEVE miss ratio | S3-FIFO miss ratio |")
        print("| --- | --- | --- | --- |")
        for mib in ("16384", "2048"):
            cells = []
            for p in ("lru", "sieve", "s3-fifo"):
                v = series(a.ctl, "cdn-utilisation-new", {"policy": p, "cache_mib": mib}, "cdn.hit_ratio", "mean", "2s",
                           1)[0]
                cells.append(f"{1 - v:.4f}")
            print(f"| {int(mib) // 1024} GiB | " + " | ".join(cells) + " |")
        return

    print(f"| mechanism off | figure | drill | metric | on (seeds 1–{a.seeds}) | off | change | counts |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, figure, drill, keys, metric, stat, frm, higher in ROWS:
        if a.only and a.only not in name:
            continue
        keys = dict(keys)
        on_keys = keys.pop("@on", {})
        for shared in ("@component", "@to", "@params"):
            if shared in keys:
                on_keys[shared] = keys[shared]
        on = series(a.ctl, drill, on_keys, metric, stat, frm, a.seeds)
        off = series(a.ctl, drill, keys, metric, stat, frm, a.seeds)
        mon, moff = statistics.mean(on), statistics.mean(off)
        spread = max(max(on) - min(on), max(off) - min(off))
        worse = moff < mon if higher else moff > mon
        counts = abs(moff - mon) > spread and worse
        change = (moff - mon) / mon * 100 if mon else float("inf")
        print(f"| {name} | {figure} | `{drill}` | {metric} ({stat}) | {fmt(mon)} ({fmt(min(on))}–{fmt(max(on))}) "
              f"| {fmt(moff)} ({fmt(min(off))}–{fmt(max(off))}) | {change:+.1f} % | {'yes' if counts else 'no'} |",
              flush=True)


if __name__ == "__main__":
    main()
