#!/usr/bin/env bash
# Renders the comparison window's screenshots in docs/screenshots/ from real runs:
# the messaging engine's conversation-query drills (legacy vs upgraded) and the CDN's
# utilisation drills (legacy vs new), each recorded at its own seed, then compared
# (File → Compare…, two recordings) with the cursor half-way; and two built-in gift
# drills re-run in the gift engine's other mode at their seed (File → Compare…, re-run
# in another mode: local-first vs cross-region) — the gala's shard heatmaps A | B at
# 8 s and the region-down drill's region maps A | B at 8 s. Needs a dev build
# (BUILD=build/<dir> for another).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build/dev}
ctl=$build/app/livedeckctl/livedeckctl
shots=$build/tests/ui/ui_screenshots
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for d in messaging-query-legacy messaging-query-upgraded cdn-utilisation-legacy cdn-utilisation-new; do
  # A twin's verdict is a failure (exit 1); only a run that could not start stops here.
  "$ctl" drill run "$d" --record "$tmp/$d.sqlite" -q >/dev/null || [ $? -eq 1 ]
done
"$shots" docs/screenshots --compare "$tmp/messaging-query-legacy.sqlite" "$tmp/messaging-query-upgraded.sqlite" --name compare_messaging
"$shots" docs/screenshots --compare "$tmp/cdn-utilisation-legacy.sqlite" "$tmp/cdn-utilisation-new.sqlite" --name compare_cdn
"$shots" docs/screenshots --rerun gala --tab 1 --at 8 --name compare_gifts_modes_shards
"$shots" docs/screenshots --rerun gifts-region-down --tab 2 --at 8 --name compare_gifts_modes_regions
