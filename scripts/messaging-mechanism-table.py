#!/usr/bin/env python3
"""Mechanism-off tables for the messaging figures (docs/MESSAGING.md).

For each figure drill, runs the drill as built and with one mechanism changed (a line
added to its engines.messaging section), at seeds 1-5, and prints the figure's value
per seed with the spread of the unchanged drill, so a change that moves the figure
beyond the seed spread shows. Build livedeckctl first; LIVEDECKCTL overrides its path.

    scripts/messaging-mechanism-table.py [bulk|binlog|all]
"""
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CTL = os.environ.get('LIVEDECKCTL', os.path.join(ROOT, 'build/dev/app/livedeckctl/livedeckctl'))
SEEDS = [1, 2, 3, 4, 5]

# figure -> (drill, anchor line in its engines.messaging section, [(label, added line)],
#            [(expectation name prefix, what it reports)])
TABLES = {
    'bulk': ('messaging-bulk-upgraded', '    campaign_start: 1s', [
        ('as built (daily channel 32 partitions, 16 consumers, 8 workers)', None),
        ('daily workers 8 -> 4', '    channels: {daily: {workers: 4}}'),
        ('daily consumers 16 -> 8', '    channels: {daily: {consumers: 8}}'),
        ('daily partitions 32 -> 8', '    channels: {daily: {partitions: 8}}'),
        ('the legacy shared channel\'s size (16, 16, 1)',
         '    channels: {daily: {partitions: 16, consumers: 16, workers: 1}}'),
    ], [('campaign users per second', 'users/s')]),
    'binlog': ('messaging-binlog-sync', '    queries_per_sec: 20000', [
        ('as built (16 partitions, 8 consumers, 4 workers)', None),
        ('one sync consumer', '    channels: {sync: {consumers: 1}}'),
        ('one partition', '    channels: {sync: {partitions: 1}}'),
    ], [('real binlog records applied per second', 'records/s'), ('sync lag p99 under 1 s', 'lag p99 ms')]),
}


_cache = {}


def run(drill, anchor, line, seed):
    if (drill, line, seed) in _cache:
        return _cache[(drill, line, seed)]
    text = open(os.path.join(ROOT, 'resources/drills', drill + '.yaml')).read()
    text = re.sub(r'^seed: \d+$', f'seed: {seed}', text, flags=re.M)
    if line:
        assert anchor in text, (drill, anchor)
        text = text.replace(anchor, anchor + '\n' + line, 1)
    with tempfile.NamedTemporaryFile('w', suffix='.yaml', delete=False) as f:
        f.write(text)
        path = f.name
    try:
        out = subprocess.run([CTL, '--no-plugins', 'drill', 'run', path, '-q'], capture_output=True, text=True).stdout
    finally:
        os.unlink(path)
    values = {}
    name = None
    for l in out.splitlines():
        m = re.match(r'\s+(PASS|FAIL)\s+(.*?)\s+\[weight', l)
        if m:
            name = m.group(2)
        m = re.match(r'\s+observed \w+ ([-\d.e+]+)', l)
        if m and name:
            values[name] = float(m.group(1))
            name = None
    _cache[(drill, line, seed)] = values
    return values


def fmt(x):
    return f'{x:.0f}' if abs(x) >= 100 else f'{x:.3g}'


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else 'all'
    for key, (drill, anchor, variants, reported) in TABLES.items():
        if which not in ('all', key):
            continue
        print(f'## {drill} (seeds {SEEDS[0]}-{SEEDS[-1]})')
        for prefix, unit in reported:
            print(f'\n{unit} ({prefix}):\n')
            print('| variant | ' + ' | '.join(f'seed {s}' for s in SEEDS) + ' | min-max |')
            print('| --- |' + ' --- |' * (len(SEEDS) + 1))
            for label, line in variants:
                vals = []
                for s in SEEDS:
                    v = run(drill, anchor, line, s)
                    vals.append(next((x for n, x in v.items() if n.startswith(prefix)), float('nan')))
                cells = ' | '.join(fmt(x) for x in vals)
                print(f'| {label} | {cells} | {fmt(min(vals))}-{fmt(max(vals))} |', flush=True)
        print()


if __name__ == '__main__':
    main()
