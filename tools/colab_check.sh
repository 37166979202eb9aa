#!/usr/bin/env bash
# Colab's Python, once: a Python 3.13 environment with Colab's package versions where PyPI has
# them (ipywidgets 7.7.1, matplotlib 3.10, the newest torch the registry serves), the course
# installed into it as Colab installs it (not editable), then the installed-package test, the
# checker tests and strict nbval over 00 and 04 in the smoke profile.
#
#   bash tools/colab_check.sh                 # PYTHON313=/path/to/python3.13 to name the interpreter
#
# Not part of `make test`: under Python 3.13 pip downloads torch from PyPI (a CUDA build, about
# 3 GB with its libraries). The environment is kept in .venv313 (ignored) for the next run.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV313:-.venv313}
PY313=""
for candidate in ${PYTHON313:-} python3.13 "$HOME"/.pyenv/versions/3.13*/bin/python3.13; do
    if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
        PY313=$candidate
        break
    fi
done
[ -n "$PY313" ] || { echo "colab_check: no Python 3.13 found (set PYTHON313)" >&2; exit 2; }

start=$(date +%s)
if [ ! -x "$VENV/bin/python" ]; then
    "$PY313" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
fi
"$VENV/bin/python" -m pip install -q "ipywidgets==7.7.1" "matplotlib>=3.10,<3.11" torch torchvision
"$VENV/bin/python" -m pip install -q ".[test]"
"$VENV/bin/python" -m pip install -q --force-reinstall --no-deps .  # this checkout, not an older build
"$VENV/bin/python" -m pip install -q "ipywidgets==7.7.1"  # the course's range admits it; keep Colab's
installed=$(date +%s)
echo "install: $((installed - start)) s"
# The installed copy is the one under test: run pytest from outside the checkout's root, so that
# the checkout's cnnlessons/ is not on the path.
export CNNLESSONS_PROFILE=smoke TQDM_DISABLE=1 CNNLESSONS_EXPECT_IPYWIDGETS=7.7.1
ROOT=$PWD
cd tests
"$ROOT/$VENV/bin/python" - <<'PY'
import sys, torch, ipywidgets, matplotlib, cnnlessons
print(f"Python {sys.version.split()[0]}; torch {torch.__version__}; ipywidgets {ipywidgets.__version__}; "
      f"matplotlib {matplotlib.__version__}; cnnlessons {cnnlessons.__version__} from {cnnlessons.__file__}")
assert "site-packages" in cnnlessons.__file__, "the course is not the installed (non-editable) copy"
PY
"$ROOT/$VENV/bin/pytest" -q -p no:cacheprovider -W "ignore::DeprecationWarning:ipywidgets.widgets.widget" \
    test_install.py test_exercises.py \
    "$ROOT/notebooks/00_start_here.ipynb" "$ROOT/notebooks/04_resnet.ipynb" --nbval --nbval-current-env
echo "colab_check: done in $(( $(date +%s) - start )) s"
