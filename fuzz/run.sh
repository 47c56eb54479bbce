#!/usr/bin/env bash
# Runs hangar's fuzz targets: first every committed regression input once, then each target for
# SECONDS (default 60) from the committed seed corpus. Needs only the stable toolchain: cargo-fuzz
# is installed when missing, and RUSTC_BOOTSTRAP=1 lets stable rustc take the coverage flags.
#
#   fuzz/run.sh                      # every target, 60 s each
#   fuzz/run.sh 3600 yaml_loader     # one target for an hour
#   FUZZ_JOBS=2 fuzz/run.sh 600      # two processes per target
#
# New inputs go to fuzz/work/<target> (not committed); a crash is saved as
# fuzz/artifacts/<target>/crash-* and fails the script. Add a crash that is fixed to
# fuzz/regressions/<target>/ so it runs every time. Figures are recorded in docs/security.md.
set -euo pipefail
cd "$(dirname "$0")"

seconds=${1:-60}
shift || true
all=(yaml_loader csv_reader membership_rule saved_plan graph_response)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=("${all[@]}"); fi
jobs=${FUZZ_JOBS:-1}

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked --version 0.13.2
fi
export RUSTC_BOOTSTRAP=1
# No sanitizer: hangar forbids unsafe code, so what fuzzing finds is panics, hangs and memory
# blow-ups, which libFuzzer catches itself; debug assertions catch overflow.
cargo fuzz build --sanitizer none --debug-assertions 2>&1 | tail -n 3
bin=$(pwd)/target/$(rustc -vV | sed -n 's/^host: //p')/release

summary=()
for target in "${targets[@]}"; do
    mkdir -p "work/$target" "artifacts/$target"
    regressions=(regressions/"$target"/*)
    if [ -e "${regressions[0]}" ]; then
        echo "== $target: ${#regressions[@]} regression inputs"
        "$bin/$target" -rss_limit_mb=2048 -timeout=30 "${regressions[@]}" >"work/$target.replay.log" 2>&1 \
            || { tail -n 30 "work/$target.replay.log"; echo "FAILED: a regression input of $target"; exit 1; }
    fi
    echo "== $target: fuzzing for ${seconds}s"
    log="work/$target.log"
    if ! "$bin/$target" "work/$target" "corpus/$target" \
        -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        -jobs="$jobs" -workers="$jobs" -print_final_stats=1 \
        -artifact_prefix="artifacts/$target/" >"$log" 2>&1; then
        tail -n 40 "$log"
        echo "FAILED: $target found a crash (saved in fuzz/artifacts/$target/)"
        exit 1
    fi
    runs=$(grep -h 'stat::number_of_executed_units' "$log" fuzz-*.log 2>/dev/null | awk '{s+=$2} END {print s+0}')
    corpus=$(find "work/$target" "corpus/$target" -type f | wc -l)
    summary+=("$target: $runs executions in ${seconds}s, corpus $corpus inputs, 0 crashes")
    rm -f fuzz-*.log
done
echo "== fuzzing summary"
printf '%s\n' "${summary[@]}"
