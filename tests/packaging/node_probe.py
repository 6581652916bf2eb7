#!/usr/bin/python3
"""Live checks of a livedeckd node from outside (tests/packaging/CMakeLists.txt).

  node_probe.py health LIVEDECKD
      Starts a node with --health-listen; the health address answers grpc.health.v1
      Check SERVING in plaintext and refuses livedeck.v1 (UNIMPLEMENTED); the API
      address answers SERVING too; SIGTERM stops the node with exit 0.
  node_probe.py health-at HOST:PORT [TIMEOUT_S]
      Waits until HOST:PORT answers grpc.health.v1 Check with SERVING (exit 0), or
      fails after TIMEOUT_S (default 30).
  node_probe.py metrics LIVEDECKD PROMTOOL DRILLS_DIR [DRILL...]
      Every engine of the built-in drills (DRILLS_DIR/*.yaml, their `engines:` keys)
      is covered: by the DRILLs named, else by its shortest drill. For each drill: a
      node at --speed max with --metrics, scraped until its run ends (simulated time
      stops moving) so every family of the drill's engines is exported, then
      `promtool check metrics` on the page must pass, with latency histograms present
      and no livedeck_ family carrying a "quantile" label.

The gRPC client is python3-grpcio with raw bytes: HealthCheckRequest{service=""} is the
empty message; HealthCheckResponse is field 1 (varint status, SERVING = 1).
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import grpc

SERVING = 1


def health_status(address, timeout=3.0):
    """The status a grpc.health.v1 Check answers at address (int), or a grpc.RpcError."""
    with grpc.insecure_channel(address) as channel:
        check = channel.unary_unary('/grpc.health.v1.Health/Check')
        reply = check(b'', timeout=timeout)
    # HealthCheckResponse: tag 0x08 (field 1, varint), then the status.
    if not reply:
        return 0
    if reply[0] != 0x08 or len(reply) < 2:
        raise ValueError(f'unexpected HealthCheckResponse bytes {reply!r}')
    return reply[1]


def wait_health(address, timeout_s):
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        try:
            status = health_status(address)
            if status == SERVING:
                return True
            last = f'status {status}'
        except grpc.RpcError as e:
            last = f'{e.code().name}: {e.details()}'
        time.sleep(0.3)
    print(f'{address}: no SERVING answer within {timeout_s} s (last: {last})', file=sys.stderr)
    return False


class Node:
    """A livedeckd child process; its stdout lines are read for the addresses it prints."""

    def __init__(self, livedeckd, args):
        self.dir = tempfile.TemporaryDirectory(prefix='livedeck-node-')
        self.port_file = os.path.join(self.dir.name, 'port')
        self.log = open(os.path.join(self.dir.name, 'stdout'), 'w+')
        self.proc = subprocess.Popen([livedeckd, '--listen', '127.0.0.1:0', '--port-file', self.port_file] + args,
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def wait_line(self, pattern, timeout_s=60):
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.log.seek(0)
            for line in self.log.read().splitlines():
                m = regex.search(line)
                if m:
                    return m
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.log.seek(0)
        raise RuntimeError(f'livedeckd printed no line matching {pattern!r}; output:\n{self.log.read()}')

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return -9


def check_health(livedeckd):
    node = Node(livedeckd, ['--health-listen', '127.0.0.1:0', '--drill', 'synthetic-chaos'])
    ok = True
    try:
        api = node.wait_line(r'serving livedeck\.v1 on (\S+):(\d+)')
        health = node.wait_line(r'health checks \(grpc\.health\.v1, plaintext\) on (\S+):(\d+)')
        api_addr = f'{api.group(1)}:{api.group(2)}'
        health_addr = f'{health.group(1)}:{health.group(2)}'
        print(f'API {api_addr}, health {health_addr}')
        for address in (health_addr, api_addr):
            status = health_status(address)
            print(f'{address}: grpc.health.v1 Check -> {status}')
            ok &= status == SERVING
        # The health address serves nothing else.
        with grpc.insecure_channel(health_addr) as channel:
            try:
                channel.unary_unary('/livedeck.v1.ClusterService/GetStatus')(b'', timeout=3)
                print(f'{health_addr}: livedeck.v1 GetStatus answered; the health address must refuse it',
                      file=sys.stderr)
                ok = False
            except grpc.RpcError as e:
                print(f'{health_addr}: livedeck.v1 GetStatus -> {e.code().name}')
                ok &= e.code() == grpc.StatusCode.UNIMPLEMENTED
            try:
                channel.unary_unary('/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo')(b'', timeout=3)
                ok = False
                print(f'{health_addr}: server reflection answered', file=sys.stderr)
            except grpc.RpcError as e:
                print(f'{health_addr}: server reflection -> {e.code().name}')
                ok &= e.code() == grpc.StatusCode.UNIMPLEMENTED
    finally:
        code = node.stop()
    print(f'livedeckd exit code after SIGTERM: {code}')
    return ok and code == 0


def scrape(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode()


def sim_time(page):
    m = re.search(r'^livedeck_sim_time_seconds (\S+)$', page, re.M)
    return float(m.group(1)) if m else -1.0


def seconds_of(text):
    m = re.fullmatch(r'(\d+(?:\.\d+)?)(ms|s|m|h)', text.strip())
    if not m:
        return float('inf')
    return float(m.group(1)) * {'ms': 0.001, 's': 1, 'm': 60, 'h': 3600}[m.group(2)]


def drill_engines(path):
    """(engines, duration in s) of a drill file: the keys of its top-level `engines:` map."""
    engines, duration, inside = [], float('inf'), False
    with open(path) as f:
        for line in f:
            if re.match(r'^duration:', line):
                duration = seconds_of(line.split(':', 1)[1].split('#')[0])
            if re.match(r'^engines:', line):
                inside = True
                continue
            if inside and re.match(r'^\S', line):
                inside = False
            m = re.match(r'^  ([A-Za-z0-9_-]+):', line) if inside else None
            if m:
                engines.append(m.group(1))
    return engines, duration


def covering_drills(drills_dir, named):
    """The named drills plus, for each engine none of them runs, its shortest drill."""
    table = {}
    for name in sorted(os.listdir(drills_dir)):
        if name.endswith('.yaml'):
            table[name[:-5]] = drill_engines(os.path.join(drills_dir, name))
    chosen = list(named)
    covered = {e for d in chosen for e in table.get(d, ([], 0))[0]}
    for engine in sorted({e for engines, _ in table.values() for e in engines} - covered):
        best = min((d for d, (engines, _) in table.items() if engine in engines),
                   key=lambda d: (table[d][1], len(table[d][0]), d))
        chosen.append(best)
        covered |= set(table[best][0])
    for d in chosen:
        print(f'drill {d}: engines {", ".join(table.get(d, ([], 0))[0]) or "?"}')
    return chosen


def check_metrics(livedeckd, promtool, drills):
    ok = True
    all_histograms = []
    for drill in drills:
        node = Node(livedeckd, ['--drill', drill, '--speed', 'max', '--metrics', '127.0.0.1:0'])
        try:
            m = node.wait_line(r'metrics on (http://\S+/metrics)')
            url = m.group(1)
            # At --speed max simulated time only stands still once the run has ended.
            page, last, still = '', -1.0, 0
            deadline = time.monotonic() + 240
            while still < 2:
                if time.monotonic() > deadline:
                    raise RuntimeError(f'{drill}: the run did not end within 240 s (sim time {last} s)')
                time.sleep(1.0)
                page = scrape(url)
                now = sim_time(page)
                still = still + 1 if now == last and now > 0 else 0
                last = now
            families = dict(re.findall(r'^# TYPE (\S+) (\S+)$', page, re.M))
            histograms = [f for f, t in families.items() if t == 'histogram']
            print(f'{drill}: run ended at {last} s simulated; {len(families)} families, '
                  f'{len(histograms)} histograms ({", ".join(sorted(histograms)[:4])}...)')
            result = subprocess.run([promtool, 'check', 'metrics'], input=page, text=True, capture_output=True)
            print(f'{drill}: promtool check metrics -> exit {result.returncode}')
            if result.returncode != 0 or result.stdout.strip() or result.stderr.strip():
                print(result.stdout + result.stderr, file=sys.stderr)
                ok = False
            quantiled = {m for m in re.findall(r'^(livedeck_\S*?)\{[^}]*quantile="', page, re.M)}
            if quantiled:
                print(f'{drill}: "quantile" labels on {sorted(quantiled)}', file=sys.stderr)
                ok = False
            for name, kind in families.items():
                if kind == 'counter' and not name.endswith('_total'):
                    print(f'{drill}: counter {name} lacks _total', file=sys.stderr)
                    ok = False
                if kind == 'histogram' and '_latency' in name and not name.endswith('_seconds'):
                    print(f'{drill}: latency histogram {name} not in seconds', file=sys.stderr)
                    ok = False
            all_histograms.extend(histograms)
            with open(os.path.join(tempfile.gettempdir(), f'livedeck-metrics-{drill}.txt'), 'w') as f:
                f.write(page)
        finally:
            code = node.stop()
            if code != 0:
                print(f'{drill}: livedeckd exit code {code} after SIGTERM', file=sys.stderr)
                ok = False
    if not all_histograms:
        print('no latency histogram in any drill', file=sys.stderr)
        ok = False
    return ok


def main(argv):
    if len(argv) >= 3 and argv[1] == 'health':
        return 0 if check_health(argv[2]) else 1
    if len(argv) >= 3 and argv[1] == 'health-at':
        return 0 if wait_health(argv[2], float(argv[3]) if len(argv) > 3 else 30.0) else 1
    if len(argv) >= 5 and argv[1] == 'metrics':
        return 0 if check_metrics(argv[2], argv[3], covering_drills(argv[4], argv[5:])) else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
