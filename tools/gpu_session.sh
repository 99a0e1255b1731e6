#!/usr/bin/env bash
# For the day a GPU is lent: check the CUDA paths, measure them, then compute
# as many missing paper-scale network units as fit, largest first. It commits
# nothing.
#
#   tools/gpu_session.sh [EXPERIMENT ...]          (default: e1)
#
# 1. the tests that train networks (tests/test_dnn.py, tests/test_recipes.py;
#    there is no CUDA marker: dnn.train's default device "auto" is the GPU
#    when CUDA is present, and the tests assert the device they ran on);
# 2. python benchmarks/dnn.py --quick --device cuda;
# 3. for each experiment in turn, python -m dnngap run EXP --scale paper
#    --set device=cuda --kinds dnn,recipe,finetune --budget S: the missing network
#    units, largest first by their estimated GPU time (by their CPU time until
#    the store holds a GPU measurement; see `python -m dnngap plan`), as many
#    as fit what is left of the budget. CS and the existence network run on
#    the CPU, so they are left to CPU runs.
#
# All of it within BUDGET seconds of wall time (default 540: under the 10
# minutes of one command on a lent machine), every step under `timeout`; a
# unit cut off by the timeout is lost, no other.
#
# Units go to the results store ($DNNGAP_RESULTS, default results/). Because
# only a few files come back from a lent machine, the unit files this session
# wrote are also packed into $OUT/new_results.tar.gz (paths results/xx/key.json),
# with the logs, even when a step fails or times out; with them the finished trials of
# a fine-tuned existence network unit cut off by the time limit (results/.partial/),
# which a later session carrying the store resumes from. $OUT defaults to
# _build/gpu_session. Back here:
#
#   tar -xzf <files>/new_results.tar.gz        # into results/
#   .venv/bin/python -m dnngap plan e1 --scale paper   # GPU-hours now estimated
#
# and commit them as book/reproducing.md says. On the device tool, carry the
# store so that units computed here but not committed are not redone:
#   run(command="tools/gpu_session.sh e1", carry=["results"], timeout_s=600)
#
# Environment: BUDGET (seconds), PYTHON (default .venv/bin/python if it works,
# else python3 with lib/ on PYTHONPATH), OUT, DNNGAP_RESULTS.
set -uo pipefail
cd "$(dirname "$0")/.."
START=$(date +%s)
BUDGET=${BUDGET:-540}
OUT=${OUT:-_build/gpu_session}
STORE=${DNNGAP_RESULTS:-results}
export DNNGAP_RESULTS=$STORE PYTHONUNBUFFERED=1
EXPERIMENTS=("$@")
[ ${#EXPERIMENTS[@]} -gt 0 ] || EXPERIMENTS=(e1)
mkdir -p "$OUT" "$STORE"
STAMP=$(mktemp)
LOG="$OUT/session.log"
: >"$LOG"

say() { echo "gpu_session: $*" | tee -a "$LOG"; }
left() { echo $(( BUDGET - ($(date +%s) - START) )); }
cap() { local t; t=$(left); [ "$t" -lt "$1" ] || t=$1; [ "$t" -ge 1 ] || t=1; echo "$t"; }  # timeout 0 = none

pack() {
    # the unit files written since the session started, as one archive
    # (and the finished trials of a unit cut off in flight: the fine-tuned existence network
    # keeps them in $STORE/.partial, so that the next session resumes it)
    find "$STORE" -type f \( -name '*.json' -o -path '*/.partial/*.npz' \) -newer "$STAMP" | sort >"$OUT/new_units.txt"
    tar -czf "$OUT/new_results.tar.gz" -T "$OUT/new_units.txt"
    say "$(wc -l <"$OUT/new_units.txt") new unit files packed into $OUT/new_results.tar.gz;" \
        "$(( $(date +%s) - START )) s in all"
    rm -f "$STAMP"
}
trap pack EXIT

if [ -z "${PYTHON:-}" ]; then
    if [ -x .venv/bin/python ] && .venv/bin/python -c "import dnngap" 2>/dev/null; then
        PYTHON=.venv/bin/python
    else
        PYTHON=python3
        export PYTHONPATH="$PWD/lib${PYTHONPATH:+:$PYTHONPATH}"
    fi
fi
say "python: $PYTHON; store: $STORE; budget: $BUDGET s; experiments: ${EXPERIMENTS[*]}"

# 0. a GPU that torch sees, and the library importable
if ! "$PYTHON" -c "import torch, dnngap.experiments, dnngap.dnn
assert torch.cuda.is_available(), 'no CUDA device'
print('gpu_session: torch', torch.__version__, 'on', torch.cuda.get_device_name(0))" 2>&1 | tee -a "$LOG"; then
    say "no CUDA device, or dnngap does not import: nothing done"
    exit 3
fi
status=0

# 1. the tests that train networks, on the GPU
t=$(cap 180)
say "tests (at most $t s)"
timeout "$t" "$PYTHON" -m pytest -q -x -p no:cacheprovider tests/test_dnn.py tests/test_recipes.py tests/test_finetune.py \
    2>&1 | tee "$OUT/tests.log" | tail -n 3
rc=${PIPESTATUS[0]}
say "tests: exit $rc"
[ "$rc" -eq 0 ] || status=1

# 2. the training benchmark on the GPU
t=$(cap 150)
say "benchmark (at most $t s)"
timeout "$t" "$PYTHON" benchmarks/dnn.py --quick --device cuda 2>&1 | tee "$OUT/benchmark.log" | tail -n 5
rc=${PIPESTATUS[0]}
say "benchmark: exit $rc"
[ "$rc" -eq 0 ] || status=1

# 3. missing paper-scale network units, largest first, in what is left
for exp in "${EXPERIMENTS[@]}"; do
    t=$(( $(left) - 20 ))  # 20 s kept for packing
    if [ "$t" -lt 30 ]; then
        say "no time left for $exp"
        continue
    fi
    say "$exp: units (at most $t s)"
    timeout "$t" "$PYTHON" -m dnngap run "$exp" --scale paper --set device=cuda --kinds dnn,recipe,finetune \
        --budget $(( t - 10 )) 2>&1 | tee -a "$OUT/units.log"
    rc=${PIPESTATUS[0]}
    say "$exp: exit $rc$( [ "$rc" -eq 124 ] && echo ' (timed out: the unit in flight is lost)')"
    [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ] || status=1
done
for exp in "${EXPERIMENTS[@]}"; do
    timeout 60 "$PYTHON" -m dnngap plan "$exp" --scale paper --kinds dnn,recipe,finetune >>"$OUT/plan.log" 2>&1
done
exit $status
