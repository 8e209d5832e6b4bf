#!/usr/bin/env bash
# Build and install horovod for the torch of the active environment.
#
# horovod's last release (0.28.1, 2023) does not build against torch >= 2.1
# from the package registry: its CMake files ask for C++14 and torch's
# headers require C++17 ("#error C++17 or later compatible compiler is
# required to use PyTorch"). This script downloads the sdist, raises the
# standard to 17 in the two CMake files that set it, and builds a wheel with
# PyTorch and gloo (MPI when `mpicxx` is on the PATH, NCCL when CUDA and
# NCCL are found; TensorFlow and MXNet off). The wheel is cached per
# horovod, torch and Python version, so later runs (CI) install it at once.
#
#   bash tools/misc/build_horovod.sh          # build or reuse, then install
#
# Environment: HOROVOD_VERSION (default 0.28.1), MMVG_WHEEL_CACHE (default
# ~/.cache/mmvg/wheels), MAX_JOBS (compiler processes, default: all cores).
set -euo pipefail

VERSION=${HOROVOD_VERSION:-0.28.1}
CACHE=${MMVG_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmvg/wheels}
TORCH=$(python -c 'import torch; print(torch.__version__)' 2> /dev/null) || {
    echo "No torch in $(command -v python): activate the environment that" \
        "has torch (e.g. . .venv/bin/activate) first" >&2
    exit 1
}
PYTAG=$(python -c 'import sys; print("cp%d%d" % sys.version_info[:2])')
WHEEL_DIR="$CACHE/horovod-$VERSION-torch${TORCH//+/_}-$PYTAG"

if ! compgen -G "$WHEEL_DIR/horovod-*.whl" > /dev/null; then
    WORK=$(mktemp -d)
    trap 'rm -rf "$WORK"' EXIT
    echo "Building horovod $VERSION for torch $TORCH (about 10 min on 2 cores)"
    pip download -q "horovod==$VERSION" --no-deps --no-binary :all: -d "$WORK"
    tar -xzf "$WORK/horovod-$VERSION.tar.gz" -C "$WORK"
    SRC="$WORK/horovod-$VERSION"
    for file in "$SRC/CMakeLists.txt" "$SRC/horovod/torch/CMakeLists.txt"; do
        grep -q 'set(CMAKE_CXX_STANDARD 14)' "$file" || {
            echo "No C++14 setting in $file: this script knows 0.28.1 only" >&2
            exit 1
        }
        sed -i 's/set(CMAKE_CXX_STANDARD 14)/set(CMAKE_CXX_STANDARD 17)/' \
            "$file"
    done
    export HOROVOD_WITH_PYTORCH=1 HOROVOD_WITH_GLOO=1
    export HOROVOD_WITHOUT_TENSORFLOW=1 HOROVOD_WITHOUT_MXNET=1
    if command -v mpicxx > /dev/null; then
        export HOROVOD_WITH_MPI=1
    else
        export HOROVOD_WITHOUT_MPI=1
    fi
    if python -c 'import sys, torch; sys.exit(not torch.cuda.is_available())'
    then
        export HOROVOD_GPU_OPERATIONS=NCCL
    fi
    export MAKEFLAGS="-j${MAX_JOBS:-$(nproc)}"
    mkdir -p "$WHEEL_DIR"
    # Against the installed torch, not a fresh one in an isolated build.
    pip wheel --no-build-isolation --no-deps "$SRC" -w "$WORK/dist"
    mv "$WORK"/dist/horovod-*.whl "$WHEEL_DIR/"
fi
pip install -q "$WHEEL_DIR"/horovod-*.whl
python -c 'import horovod, horovod.torch as hvd
print("horovod", horovod.__version__, "built with:", *[name for name, built in
      (("gloo", hvd.gloo_built()), ("mpi", hvd.mpi_built()),
       ("nccl", hvd.nccl_built())) if built])'
