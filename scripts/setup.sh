#!/usr/bin/env bash
# Builds the project's virtual environment: CPU or CUDA torch, a llama-cpp-python
# compiled with flags that run on this hardware, then the project itself.
# Idempotent: a second run only reinstalls the project when pyproject.toml changed.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"
LLAMA_SPEC="${LLAMA_SPEC:-llama-cpp-python>=0.3.16,<0.4}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/secondme-build"

say() { printf '\033[1;36m[setup]\033[0m %s\n' "$*"; }

if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  FLAVOR=cuda
else
  FLAVOR=cpu
fi

if [ ! -x "$VENV/bin/python" ]; then
  say "creating virtual environment in $VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip wheel
fi
PIP=("$VENV/bin/python" -m pip)

if ! "$VENV/bin/python" -c "import torch" >/dev/null 2>&1; then
  if [ "$FLAVOR" = cuda ]; then
    say "installing torch (CUDA build; a GPU is present)"
    "${PIP[@]}" install "torch>=2.4"
  else
    say "installing torch 2.13.0 (CPU build)"
    "${PIP[@]}" install "torch==2.13.0"
  fi
fi

if ! "$VENV/bin/python" -c "import llama_cpp" >/dev/null 2>&1; then
  # AMX kernels crash on these Xeons; build a portable AVX2 binary instead.
  CMAKE_FLAGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF"
  if [ "$FLAVOR" = cuda ]; then CMAKE_FLAGS="$CMAKE_FLAGS -DGGML_CUDA=on"; fi
  WHEELS="$CACHE/llama-wheels-$FLAVOR"
  mkdir -p "$WHEELS"
  if ! ls "$WHEELS"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    say "building llama-cpp-python ($FLAVOR; takes ~10 minutes on 2 cores, once)"
    CMAKE_ARGS="$CMAKE_FLAGS" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
      "${PIP[@]}" wheel --no-deps --no-binary llama-cpp-python -w "$WHEELS" "$LLAMA_SPEC"
  fi
  say "installing llama-cpp-python from $WHEELS"
  "${PIP[@]}" install --find-links "$WHEELS" --no-index --no-deps "$WHEELS"/llama_cpp_python-*.whl
  "${PIP[@]}" install "numpy>=1.26" "typing-extensions>=4.5" "diskcache>=5.6" "jinja2>=2.11"
fi

STAMP="$VENV/.secondme-installed"
HASH="$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$HASH" ]; then
  say "installing Second Me and its dependencies"
  "${PIP[@]}" install --find-links "$CACHE/llama-wheels-$FLAVOR" -e "$ROOT[test]"
  echo "$HASH" > "$STAMP"
fi
say "ready ($FLAVOR)"
