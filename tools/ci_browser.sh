#!/usr/bin/env bash
# What the browser test (tests/browser) needs, then the test itself.
#
#   bash tools/ci_browser.sh                  # install what is missing, run pytest tests/browser
#   bash tools/ci_browser.sh --install-only   # only install (CI then runs it inside `make test`)
#   bash tools/ci_browser.sh -- -k 03 -x      # pytest arguments after --
#
# Installs Debian's chromium (+ a font) with apt-get when /usr/bin/chromium is missing, and the
# Python package playwright into .venv when it is missing. Never `playwright install`: the test
# drives /usr/bin/chromium, no browser is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY="$VENV/bin/python"

install_only=0
pytest_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --install-only) install_only=1 ;;
        --) shift; pytest_args=("$@"); break ;;
        *) echo "usage: $0 [--install-only] [-- PYTEST_ARGS...]" >&2; exit 2 ;;
    esac
    shift
done

[ -f "$VENV/.installed" ] || make -s "$VENV/.installed"

if [ ! -x /usr/bin/chromium ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
"$PY" -c "import playwright" 2>/dev/null || "$PY" -m pip install -q --disable-pip-version-check playwright
echo "browser test tools: $(/usr/bin/chromium --version 2>/dev/null), playwright $("$PY" -c 'from importlib.metadata import version; print(version("playwright"))')"

[ "$install_only" -eq 1 ] && exit 0
export CNNLESSONS_REQUIRE_BROWSER=1
exec "$PY" -m pytest -v tests/browser "${pytest_args[@]}"
