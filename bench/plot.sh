#!/usr/bin/env bash
# Draws the benchmark plots (bench/plot.py) in a virtualenv with matplotlib (made once, in
# bench/.venv). Arguments go to plot.py.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ ! -x bench/.venv/bin/python ]]; then
    python3 -m venv bench/.venv
    bench/.venv/bin/pip install --quiet -r bench/requirements.txt
fi
exec bench/.venv/bin/python bench/plot.py "$@"
