#!/usr/bin/env bash
# The widget tests under ipywidgets 7.7.1, the version Google Colab ships (make test covers 8).
#
#   bash tools/widgets7.sh [pytest args]
#
# ipywidgets 7.7.1 and its own dependencies (widgetsnbextension 3.6, jupyterlab_widgets 1.x,
# ipython_genutils) go into .venv/ipywidgets7 (inside the ignored .venv; made once, about 9 MB),
# which PYTHONPATH puts in front of the venv's ipywidgets 8; the kernels the tests start inherit it.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY="$VENV/bin/python"
TARGET="$VENV/ipywidgets7"
VERSION=7.7.1

[ -f "$VENV/.installed" ] || make -s "$VENV/.installed"
has_version() { PYTHONPATH="$TARGET" "$PY" -c "import ipywidgets, sys; sys.exit(ipywidgets.__version__ != '$VERSION')" 2>/dev/null; }
if ! has_version; then
    rm -rf "$TARGET"
    "$PY" -m pip install -q --disable-pip-version-check --no-deps --target "$TARGET" \
        "ipywidgets==$VERSION" "widgetsnbextension>=3.6,<3.7" "jupyterlab_widgets>=1,<2" ipython_genutils
fi
export PYTHONPATH="$PWD/$TARGET${PYTHONPATH:+:$PYTHONPATH}"
"$PY" -c "import ipywidgets; v = ipywidgets.__version__; assert v == '$VERSION', f'ipywidgets {v} imported, not $VERSION'; print('ipywidgets', v, 'from', ipywidgets.__file__)"

shopt -s nullglob
tests=(tests/test_explorers_*.py tests/test_widgets_compat.py)
export CNNLESSONS_EXPECT_IPYWIDGETS=$VERSION CNNLESSONS_PROFILE=smoke TQDM_DISABLE=1
# ipywidgets 7 makes its comms through ipykernel.comm.Comm, deprecated in ipykernel 7: not ours
exec "$PY" -m pytest -q -W "ignore::DeprecationWarning:ipywidgets.widgets.widget" "${tests[@]}" "$@"
