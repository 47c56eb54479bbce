#!/usr/bin/env bash
# Compares `hangar drift` with IntuneCD's backup of the same objects, against one simulator.
#
# usage: scripts/compare-intunecd.sh [DEVICES] [LATENCY_MS] [RUNS]
#        (defaults: 100000 devices, 0 ms, 5 runs; numbers in docs/performance.md)
#
# 1. Builds hangar (release) and the tenant of the plan_e2e benchmark (2,000 group-tag groups,
#    300 Autopilot profiles with 6 group assignments each, 200 ESPs with 10 each, DEVICES
#    registered devices), converged: hangar's configuration is applied, so drift finds nothing.
# 2. Installs IntuneCD from PyPI (version $INTUNECD_VERSION, default 2.6.0) into a virtual
#    environment under the work folder. IntuneCD's code is never copied into this repository.
# 3. Serves the tenant with `hangar sim` (LATENCY_MS on every response) and runs, alternating,
#    `hangar drift` and IntuneCD's backup (through scripts/intunecd-against-sim.py, which points
#    IntuneCD's requests at the simulator), RUNS times each, under /usr/bin/time -v.
#
# What each reads (so the comparison is of the same objects):
# - hangar drift: the 2,000 groups by name ($batch), the profiles and their assignments, the
#   enrollment configurations (ESPs) and their assignments, every registered device; it diffs
#   them against the configuration and writes nothing.
# - IntuneCD backup with every module excluded except WindowsEnrollmentProfile and
#   EnrollmentStatusPage, plus `--autopilot` (registered devices): the profiles and ESPs with
#   their assignments (group names resolved by IntuneCD), every registered device, each written
#   to a JSON file, then its assignment report. Scope tags are excluded (hangar does not read
#   them).
# The simulator's request log gives each tool's request count (outer requests, and $batch items).
set -euo pipefail

DEVICES=${1:-100000}
LATENCY=${2:-0}
RUNS=${3:-5}
INTUNECD_VERSION=${INTUNECD_VERSION:-2.6.0}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${HANGAR_COMPARE_DIR:-$ROOT/target/compare-intunecd}
TENANT_DIR=$WORK/tenant-$DEVICES
VENV=$WORK/venv
TENANT_ID=3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44
mkdir -p "$WORK"

cd "$ROOT"
# HANGAR_BIN: a hangar binary already built (for instance by the plan_e2e benchmark).
if [ -z "${HANGAR_BIN:-}" ]; then
    cargo build --release --locked --bin hangar
fi
HANGAR=${HANGAR_BIN:-$ROOT/target/release/hangar}
if [ ! -f "$TENANT_DIR/converged.json" ]; then
    HANGAR_BENCH_SEED=$TENANT_DIR HANGAR_BENCH_DEVICES=$DEVICES cargo bench --locked -p hangar-autopilot --bench plan_e2e
fi

if [ ! -x "$VENV/bin/IntuneCD-startbackup" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "IntuneCD==$INTUNECD_VERSION"
fi

EXCLUDE=$("$VENV/bin/python" - <<'PY'
from IntuneCD.run_backup import get_parser
# "assignments" stays in: excluding it would stop IntuneCD reading the objects' assignments.
keep = {"WindowsEnrollmentProfile", "EnrollmentStatusPage", "assignments"}
for action in get_parser()._actions:
    if action.dest == "exclude":
        print(" ".join(choice for choice in action.choices if choice not in keep))
PY
)

# A copy of the tenant, so that the simulator saving on exit never changes the seeded one.
cp "$TENANT_DIR/converged.json" "$WORK/serve.json"
printf 'latency:\n  fixed_ms: %s\nlog_capacity: 1000000\n' "$LATENCY" > "$WORK/sim.yaml"
"$HANGAR" sim --state "$WORK/serve.json" --config "$WORK/sim.yaml" > "$WORK/sim.out" 2>&1 &
SIM_PID=$!
trap 'kill $SIM_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
    grep -q "^listening on " "$WORK/sim.out" 2>/dev/null && break
    sleep 0.1
done
URL=$(sed -n 's/^listening on //p' "$WORK/sim.out" | head -n 1)
[ -n "$URL" ] || { echo "the simulator did not start:" >&2; cat "$WORK/sim.out" >&2; exit 1; }

# Prints "requests=N batch_items=M" from the simulator's log, then empties it.
requests() {
    "$VENV/bin/python" - "$URL" <<'PY'
import json, sys, urllib.request
log = json.load(urllib.request.urlopen(sys.argv[1] + "/_sim/log"))["value"]
outer = sum(1 for r in log if r.get("batchItem") is None)
print(f"requests={outer} batch_items={len(log) - outer}")
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/_sim/log", method="DELETE"))
PY
}

# Runs a command under /usr/bin/time -v; prints "wall=S rss_mb=M load=L".
timed() {
    local load
    load=$(cut -d' ' -f1 /proc/loadavg)
    local start end
    start=$(date +%s.%N)
    /usr/bin/time -v -o "$WORK/time.txt" "$@" > "$WORK/run.out" 2>&1 || {
        local code=$?
        if [ "$code" -ne 0 ] && [ "${ALLOW_EXIT:-}" != "$code" ]; then
            echo "failed ($code): $*" >&2
            tail -n 20 "$WORK/run.out" >&2
            exit 1
        fi
    }
    end=$(date +%s.%N)
    local rss
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time.txt")
    awk -v s="$start" -v e="$end" -v r="$rss" -v l="$load" 'BEGIN { printf "wall=%.2f rss_mb=%.0f load=%s", e - s, r / 1024, l }'
}

requests > /dev/null
echo "tenant: $DEVICES devices, $LATENCY ms latency, simulator at $URL; IntuneCD $INTUNECD_VERSION"
echo "IntuneCD excludes: $EXCLUDE"
for run in $(seq 1 "$RUNS"); do
    result=$(AZURE_CLIENT_ID=bench AZURE_CLIENT_SECRET=bench NO_COLOR=1 \
        timed "$HANGAR" drift "$TENANT_DIR/config" --endpoint "$URL")
    echo "run $run: hangar drift   $result $(requests)"
    rm -rf "$WORK/backup"
    mkdir -p "$WORK/backup"
    # shellcheck disable=SC2086 # EXCLUDE is a list of words
    result=$(timed "$VENV/bin/python" "$ROOT/scripts/intunecd-against-sim.py" "$URL" "$TENANT_ID" -- \
        --mode 1 --output json --path "$WORK/backup" --autopilot --exclude $EXCLUDE)
    files=$(find "$WORK/backup" -type f | wc -l)
    echo "run $run: IntuneCD backup $result files=$files $(requests)"
done
