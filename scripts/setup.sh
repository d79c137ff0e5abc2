#!/usr/bin/env bash
# Installs everything tracegrad needs, from nothing, on a Debian-like machine
# with Python 3: Graphviz's `dot`, Chromium and a CJK font through apt, then a
# virtual environment in .venv with the package and its test dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

# Root installs directly; anyone else goes through sudo.
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi

PYTHON="${PYTHON:-python3}"
system_packages=(graphviz chromium fonts-noto-cjk)
missing=()
# Debian's Python makes virtual environments only with python3-venv installed.
"$PYTHON" -c "import ensurepip, venv" >/dev/null 2>&1 || { missing+=(python3-venv); system_packages+=(python3-venv); }
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
# Node.js runs Pyodide, the CPython 3.10 of the python310 tests (below).
command -v npm >/dev/null 2>&1 || { missing+=(npm); system_packages+=(nodejs npm); }
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# (grep reads all of fc-list's output: with -q it would stop early, and
# pipefail would then count fc-list's broken pipe as "no font".)
fc-list : family 2>/dev/null | grep -i "noto sans cjk" >/dev/null || missing+=(fonts-noto-cjk)
if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing ${missing[*]} with apt-get"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${system_packages[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
echo "setup: installing tracegrad and its dependencies into .venv"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
# CPython 3.10, the oldest Python tracegrad supports: Debian bookworm's apt has none, so Pyodide
# 0.22.1 from npm (CPython 3.10.2 in WebAssembly) runs the Chinese CLI tests on it (tests/test_languages_py310.py).
if ! grep -q '"version": "0.22.1"' .venv/pyodide/node_modules/pyodide/package.json 2>/dev/null; then
    echo "setup: installing Pyodide 0.22.1 (CPython 3.10) into .venv/pyodide with npm"
    mkdir -p .venv/pyodide
    npm install --silent --no-audit --no-fund --no-save --prefix .venv/pyodide pyodide@0.22.1 >/dev/null
fi
echo "setup: done ($(dot -V 2>&1), $(.venv/bin/python --version))"
