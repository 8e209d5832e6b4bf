#!/usr/bin/env bash
# Set up, or reuse, the virtual environment .venv of this checkout: torch
# (CPU build on a machine without CUDA), mmcv 2.1.0 built from source (about
# 15 min on 2 cores the first time, then from pip's wheel cache), mmvg with
# every extra. Sourced by tools/quick_start.sh and .ci/run; it leaves the
# environment activated. PYTHON picks the interpreter (default python3.11).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -x .venv/bin/python ]; then
    "${PYTHON:-python3.11}" -m venv .venv
fi
. .venv/bin/activate
pip install -q -U pip
# torch first: mmcv and deepspeed build against it. setuptools < 81 still
# ships pkg_resources, which mmcv 2.1.0's setup.py needs.
pip install -q torch==2.13.0 "setuptools>=77.0.3,<81" wheel
pip install -q --no-build-isolation -e ".[all]"
