#!/usr/bin/env bash
# What a session lent a GPU machine runs there, in two calls of under ten minutes each (a
# session has 30 minutes of device time, and a fresh machine is bare: it installs first).
#
#   bash bench/gpu_session.sh tests   the tests marked cuda, then the whole suite there
#   bash bench/gpu_session.sh bench   bench/gpu_step.py and bench/conv_step.py --device cuda
#
# Logs and result files go to $OUT, which the device tool brings back. The real datasets
# travel inside the checkout: copy ../shared/data into an ignored folder .gpu-data first
# (echo /.gpu-data/ >> .git/info/exclude; cp -r ../shared/data .gpu-data) and name it in
# the call's carry; they are put at ../shared/data there, where the tests look.
set -uo pipefail
stage=${1:-}
out=${OUT:-$(mktemp -d)}
case "$stage" in
  tests|bench) ;;
  *) echo "usage: bash bench/gpu_session.sh tests|bench" >&2; exit 2 ;;
esac
python3 -c "import cupy; cupy.cuda.runtime.getDeviceCount()" 2>/dev/null \
  || { echo "gpu_session: CuPy finds no GPU here" >&2; exit 2; }
python3 -m pip install -q --no-deps --no-build-isolation -e . >"$out/install.log" 2>&1 \
  || { cat "$out/install.log" >&2; exit 1; }
if [ -d .gpu-data ] && [ ! -e ../shared/data ]; then
  mkdir -p ../shared && cp -r .gpu-data ../shared/data
fi
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  python3 -c "import sys, numpy, cupy, numba; print(sys.version.split()[0], 'numpy', numpy.__version__, 'cupy', cupy.__version__, 'numba', numba.__version__)"
} | tee "$out/machine.txt"
export PYTHONUNBUFFERED=1
status=0
if [ "$stage" = tests ]; then
  timeout 300 python3 -m pytest -q -m cuda -p no:cacheprovider tests 2>&1 | tee "$out/cuda-tests.log" || status=1
  timeout 240 python3 -m pytest -q -n 8 -p no:cacheprovider tests 2>&1 | tail -40 >"$out/suite.log" || status=1
  tail -3 "$out/suite.log"
else
  timeout 330 python3 bench/gpu_step.py --repeats 5 --steps 20 2>&1 | tee "$out/gpu_step.log" || status=1
  timeout 180 python3 bench/conv_step.py --device cuda --repeats 7 2>&1 | tee "$out/conv_step_gpu.log" || status=1
  cp bench/results/gpu_step.json bench/results/conv_step_gpu.json "$out/" 2>/dev/null
fi
exit $status
