#!/usr/bin/env bash
# The course's checks on a real GPU, in order of importance, each with its own time limit, so that
# a short lease still returns the first ones:
#   1. the CUDA tests (pytest -m cuda) and the precision each setting gets on this device;
#      then the training and platform tests in full, on CUDA (fit picks it by default);
#   2. the benchmark on real CIFAR-10, precision auto and fp16 forced;
#   3. the ResNet-20 reproduction (04_resnet/resnet20_fast), the lessons' headline reference run;
#   4. every other reproduction key, one at a time (the ones that finish in time are kept);
#   5. the runs trained to the end (cnnlessons.runs.reference), in the order of REFERENCE_KEYS,
#      each seed added to $OUT/root/reference_results/end/<key>.json as it finishes.
#
#   tools/gpu_check.sh [CIFAR10_DIR]
#
# CIFAR10_DIR (else $CNNLESSONS_DATA) is a folder with cifar10-train.npz and cifar10-test.npz
# (`images` uint8 N x H x W x C, `labels`). Figures and logs go under $OUT (default out/gpu_check):
#   gpu_check.log, bench-auto.json, bench-fp16.json, <date>-<time>-<device>-resnet20.json,
#   <date>-<time>-<device>-others.json. The two results files are reproduce's documents, written only
#   for finished runs (the script's last lines say which are complete): copy them into
#   cnnlessons/reference_results/ and commit them (the lessons read them from there).
# Python packages missing on the machine (ipywidgets, torchinfo: the lessons' experiments import
# them) are installed from carried wheels in $WHEELS (default wheels/) when that folder exists.
# Run from the repository root; the checkout's package is used as it is, without installing.
# Time limits in seconds: T_TESTS, T_BENCH, T_RESNET20, T_OTHERS, T_END.
set -uo pipefail

OUT=${OUT:-out/gpu_check}
DATA=${1:-${CNNLESSONS_DATA:-}}
PY=${PYTHON:-python3}
WHEELS=${WHEELS:-wheels}
T_TESTS=${T_TESTS:-100}
T_BENCH=${T_BENCH:-90}
T_RESNET20=${T_RESNET20:-240}
T_OTHERS=${T_OTHERS:-150}
T_END=${T_END:-600}
REFERENCE_KEYS=${REFERENCE_KEYS:-"01_alexnet/figure1_lr_sweep:100,101"}

mkdir -p "$OUT"
LOG="$OUT/gpu_check.log"
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg TQDM_DISABLE=1
# The checkout's package first; never the tests' smoke profile by accident.
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
unset CNNLESSONS_PROFILE CNNLESSONS_DATASET

say() { echo "== $(date +%H:%M:%S) $*" | tee -a "$LOG"; }
step() {  # step SECONDS COMMAND...: run with a time limit, log everything, never stop the script
    local limit=$1; shift
    say "$*"
    local start=$SECONDS
    timeout --signal=INT --kill-after=15 "$limit" "$@" 2>&1 | tee -a "$LOG"
    local rc=${PIPESTATUS[0]}
    say "exit $rc after $((SECONDS - start)) s$([ "$rc" = 124 ] && echo " (stopped at its $limit s limit)")"
    return "$rc"
}

if [ -z "$DATA" ] || [ ! -f "$DATA/cifar10-train.npz" ] || [ ! -f "$DATA/cifar10-test.npz" ]; then
    echo "usage: tools/gpu_check.sh CIFAR10_DIR (a folder with cifar10-train.npz and" \
         "cifar10-test.npz; or set CNNLESSONS_DATA); got '${DATA}'" >&2
    exit 2
fi

: > "$LOG"
if [ -d "$WHEELS" ] && compgen -G "$WHEELS/*.whl" > /dev/null; then
    say "installing the carried wheels of $WHEELS"
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/gpu_check_site "$WHEELS"/*.whl 2>&1 | tee -a "$LOG"
    export PYTHONPATH="$PYTHONPATH:/tmp/gpu_check_site"
fi
nvidia-smi 2>&1 | tee -a "$LOG" || true

# -- 1. CUDA tests and the precision each setting gets --------------------------------------
step 30 "$PY" - <<'EOF'
import torch
from cnnlessons.training import choose_precision
print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}")
if torch.cuda.is_available():
    print(f"{torch.cuda.get_device_name()}: compute capability {torch.cuda.get_device_capability()}, "
          f"is_bf16_supported {torch.cuda.is_bf16_supported()}")
else:
    print("no CUDA device: everything below runs on the CPU")
for asked in ("auto", "fp32", "bf16", "fp16"):
    print(f"  precision={asked!r:7} -> {choose_precision(asked)}")
EOF
step "$T_TESTS" "$PY" -m pytest -m cuda tests/test_platforms.py -q -rs --durations=5
step "$T_TESTS" "$PY" -m pytest tests/test_training.py tests/test_platforms.py -q -rs --durations=5

# -- 2. benchmark on real CIFAR-10 ------------------------------------------------------------
for precision in auto fp16; do
    step "$T_BENCH" "$PY" -m cnnlessons bench --data "$DATA" --precision "$precision" \
        --json "$OUT/bench-$precision.json"
done

# -- 3. the ResNet-20 reproduction -------------------------------------------------------------
SLUG=$("$PY" -c "import re; from cnnlessons.runs.reproduce import device_name; print(re.sub(r'[^a-z0-9]+', '-', device_name().lower()).strip('-')[:40])")
STAMP=$(date +%Y-%m-%d-%H%M%S)
step "$T_RESNET20" "$PY" -m cnnlessons reproduce --data "$DATA" --only 04_resnet/resnet20_fast \
    --out "$OUT/$STAMP-$SLUG-resnet20.json"

# -- 4. every other reproduction key, one at a time, merged ------------------------------------
PARTS=$(mktemp -d)
KEYS=$("$PY" -m cnnlessons reproduce --data "$DATA" --list | cut -d: -f1 | grep -vx "04_resnet/resnet20_fast")
DEADLINE=$((SECONDS + T_OTHERS))
for key in $KEYS; do
    left=$((DEADLINE - SECONDS))
    if [ "$left" -le 10 ]; then say "no time left for $key"; continue; fi
    step "$left" "$PY" -m cnnlessons reproduce --data "$DATA" --only "$key" \
        --out "$PARTS/$(echo "$key" | tr '/' '_').json"
done
"$PY" - "$PARTS" "$OUT/$STAMP-$SLUG-others.json" <<'EOF' 2>&1 | tee -a "$LOG"
import json, pathlib, sys
parts = sorted(pathlib.Path(sys.argv[1]).glob("*.json"))
if not parts:
    sys.exit("no other reproduction key finished")
doc = json.loads(parts[0].read_text())
for part in parts[1:]:
    doc["experiments"].update(json.loads(part.read_text())["experiments"])
pathlib.Path(sys.argv[2]).write_text(json.dumps(doc, indent=1))
print(f"wrote {sys.argv[2]}: {', '.join(doc['experiments'])}")
EOF
say "done; files under $OUT:"
ls -l "$OUT" | tee -a "$LOG"
# reproduce writes only finished experiments (an interrupted one stays in the data root's
# reproduce.partial.json), so every results file here is complete: say which ones there are.
"$PY" - "$OUT" "$STAMP-$SLUG" <<'EOF' 2>&1 | tee -a "$LOG"
import json, pathlib, sys
out, stem = pathlib.Path(sys.argv[1]), sys.argv[2]
for part in ("resnet20", "others"):
    path = out / f"{stem}-{part}.json"
    if path.exists():
        keys = list(json.loads(path.read_text())["experiments"])
        print(f"complete: {path.name}: {', '.join(keys)} (copy into cnnlessons/reference_results/)")
    else:
        print(f"not complete: no {part} results (stopped at its time limit, or failed): nothing to commit")
EOF

# -- 5. runs trained to the end, seed by seed, as long as time allows --------------------------
DEADLINE=$((SECONDS + T_END))
for item in $REFERENCE_KEYS; do
    key=${item%%:*}; seeds=${item#*:}
    left=$((DEADLINE - SECONDS))
    if [ "$left" -le 10 ]; then say "no time left for $key"; continue; fi
    CNNLESSONS_DATA_ROOT="$OUT/root" step "$left" "$PY" -m cnnlessons reproduce --data "$DATA" \
        --profile gpu --only "$key" --seeds ${seeds//,/ }
done
say "runs trained to the end (finished seeds only; compare their records before copying them into"
say "cnnlessons/reference_results/end/):"
ls -l "$OUT/root/reference_results/end" 2>/dev/null | tee -a "$LOG"
