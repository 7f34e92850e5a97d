#!/usr/bin/env bash
# The one command a session lent a GPU runs there, before any other work:
#
#   bash bench/gpu_session.sh
#
# It ends within 7.5 minutes from a bare machine, its install included (a session has 15
# minutes of device time, the machine's start counted; this leaves room to run part of it
# again after a fix). Stages, each with its own timeout; one that fails or runs out of time
# does not stop the ones after it, and summary.txt is rewritten after each:
#   compile  the CUDA sources (kernels/cuda/*.cu) through NVRTC, as every process after it finds it in CuPy's cache
#   tests    the tests marked cuda
#   main     minivae train vae --data binarized-mnist --device cuda --epochs 1, then eval
#            with k = 5000 on the 10,000 validation images (timed), then sample
#   step     minivae.benchmarks.gpu_step: the VAE step at batch 128, 1024, 4096 (recorded, eager,
#            PyTorch eager, PyTorch in a CUDA graph, JAX jit) and our GEMM against cuBLAS
#   iwae     the IWAE paper's model, k = 50, at batch 20 and 100, against PyTorch eager
#   conv     minivae.benchmarks.conv_step --device cuda
#   mpi      two ranks training under mpiexec (Open MPI as root, as a container runs it) and
#            NCCL's sum on the device
#   suite    the rest of the suite, in its own time
# Everything lands in $OUT, of which at most 8 files come back: summary.txt (at most 40
# lines: each stage's status, time and ratios), stages.log (every stage's output, in
# order), stages.tsv, failures.txt (each failing test as it fails: a suite cut off at its
# limit still says what failed), and the results: gpu_step.json, iwae_step_gpu.json,
# conv_step_gpu.json, main_job.json. A stage writes its results into a folder of this run,
# and only what it wrote there is copied to $OUT and bench/results: a stage that failed
# before writing leaves no file, never the committed one of an earlier run.
#
# GPU_SESSION_SKIP="main conv" leaves stages out (a rerun after a fix, with less time);
# GPU_SESSION_SECONDS sets the whole budget (450).
#
# Data: the device tool carries the checkout alone. Before the call, here:
#   rm -rf .gpu-data && cp -r ../shared/data .gpu-data     (.gpu-data/ is ignored)
# and name .gpu-data in the call's carry. Without it the main job and the tests that need
# the data are skipped, and the summary says so.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
start=$SECONDS
deadline=$((start + ${GPU_SESSION_SECONDS:-450}))   # the whole budget
work=$(mktemp -d)
results="$work/results"   # this run's results only
mkdir -p "$results"
log="$out/stages.log"
: >"$log"
: >"$out/stages.tsv"
export PYTHONUNBUFFERED=1
export LIVE_FAILURES="$out/failures.txt" PYTHONPATH="$(pwd)/bench${PYTHONPATH:+:$PYTHONPATH}"
: >"$LIVE_FAILURES"

record() {   # stage status seconds note; the summary rewritten, so a run cut off still has one
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$out/stages.tsv"
  printf '== %s: %s (%s s) %s\n' "$1" "$2" "$3" "$4" | tee -a "$log"
  python3 bench/gpu_summary.py "$out" >/dev/null 2>&1 || true
}

keep() {   # NAME [AS]: a result this run wrote, to $OUT (as AS) and to bench/results; nothing if it wrote none
  [ -f "$results/$1" ] || return 0
  cp "$results/$1" "$out/${2:-$1}"
  cp "$results/$1" bench/results/
}

stage() {   # name timeout command...: runs it, its output into stages.log, and records how it ended
  local name=$1 limit=$2 began=$SECONDS rc note status=ok
  shift 2
  case " ${GPU_SESSION_SKIP:-} " in *" $name "*) record "$name" skipped 0 "GPU_SESSION_SKIP"; return 0 ;; esac
  printf '\n== %s (at most %s s): %s\n' "$name" "$limit" "$*" >>"$log"
  timeout -k 3 "$limit" "$@" 2>&1 | tee "$work/$name.log" >>"$log"
  rc=$?
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then status="timed-out"; elif [ $rc -ne 0 ]; then status="failed"; fi
  case "$name" in
    tests|suite) note=$(grep -E '[0-9]+ (passed|failed|error)' "$work/$name.log" | tail -1 | sed 's/=//g; s/^ *//') ;;
    *) note=$(grep -v '^\s*$' "$work/$name.log" | tail -1 | cut -c1-120) ;;
  esac
  record "$name" "$status" $((SECONDS - began)) "$note"
  return $rc
}

python3 -c "import cupy; assert cupy.cuda.runtime.getDeviceCount() > 0" 2>/dev/null || {
  echo "gpu_session: CuPy finds no GPU here" >&2
  exit 2
}
missing=$(python3 - <<'EOF'
import importlib.util
need = {"numpy": "numpy", "scipy": "scipy", "numba": "numba", "pytest": "pytest", "hypothesis": "hypothesis",
        "xdist": "pytest-xdist", "torch": "torch", "jax": "jax", "matplotlib": "matplotlib"}
print(" ".join(name for module, name in need.items() if importlib.util.find_spec(module) is None))
EOF
)
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  python3 -c "import sys, numpy, cupy, numba; print('python', sys.version.split()[0], 'numpy', numpy.__version__, 'cupy', cupy.__version__, 'numba', numba.__version__)"
  echo "missing here: ${missing:-nothing}"
} >>"$log" 2>&1
record machine ok 0 "$(head -1 "$log" | cut -c1-60); missing: ${missing:-nothing}"

stage install 25 python3 -m pip install -q --no-deps --no-build-isolation -e .
data=""
if [ -d .gpu-data ]; then
  data=$(pwd)/.gpu-data
  [ -e ../shared/data ] || { mkdir -p ../shared && ln -s "$data" ../shared/data; }
elif [ -d ../shared/data ]; then
  data=$(cd ../shared/data && pwd)
fi

stage compile 25 python3 -c "
import time; t = time.perf_counter()
from minivae.kernels.cuda.module import _module
_module(); print(f'the CUDA module compiled and loaded in {time.perf_counter() - t:.1f} s')"

xdist=()
case " $missing " in *" pytest-xdist "*) ;; *) xdist=(-n 4) ;; esac
case " $missing " in
  *" pytest "*|*" hypothesis "*) record tests skipped 0 "pytest or hypothesis is missing: $missing" ;;
  *) stage tests 70 python3 -m pytest -q -m cuda -p no:cacheprovider -p live_failures "${xdist[@]}" tests ;;
esac

if [ -z "$data" ]; then
  record main skipped 0 "no ../shared/data and no .gpu-data: carry .gpu-data (see this script's header)"
else
  stage main 45 bash -c "
    set -e
    python3 -m minivae train vae --data binarized-mnist --data-dir '$data' --device cuda --epochs 1 \
      --out '$work/run' --quiet --no-pictures
    began=\$(date +%s%N)
    python3 -m minivae eval '$work/run/checkpoint.npz' --device cuda --split valid --k 5000 --quiet \
      --out '$work/eval.json'
    ms=\$(( (\$(date +%s%N) - began) / 1000000 ))
    echo \"eval: L_5000 of the 10,000 validation images in \$ms ms\"
    python3 -c \"import json, sys; from minivae.benchmarks.common import write_result
import cupy; result = json.load(open('$work/eval.json')); result.pop('checkpoint', None)
name = cupy.cuda.runtime.getDeviceProperties(0)['name'].decode()
print(write_result('gpu_main_job', {'device': name, 'cupy': cupy.__version__, 'eval_command_ms': \$ms,
      'eval_note': 'the whole eval command: interpreter start, import, data, L_5000', **result}, out='$results'))\"
    python3 -m minivae sample '$work/run/checkpoint.npz' --device cuda -n 64 --out '$work/samples.npy'
    python3 -c \"import numpy; s = numpy.load('$work/samples.npy'); print('sample:', s.shape, 'mean', s.mean())\""
  keep gpu_main_job.json main_job.json
fi

stage step 90 python3 -m minivae.benchmarks.gpu_step --only vae gemm --batch 128 1024 4096 --repeats 3 --steps 20 \
  --profile --out "$results"
keep gpu_step.json
stage iwae 40 python3 -m minivae.benchmarks.gpu_step --only iwae --iwae-batch 20 100 --k 50 --repeats 3 --steps 20 \
  --name iwae_step_gpu --out "$results"
keep iwae_step_gpu.json
stage conv 30 python3 -m minivae.benchmarks.conv_step --device cuda --repeats 3 --out "$results"
keep conv_step_gpu.json

stage mpi 30 python3 -m pytest -q -p no:cacheprovider "tests/test_distributed.py::test_ranks_train_as_one_process_does[vae-2]" \
  tests/test_distributed.py::test_device_arrays_are_summed_by_nccl

case " $missing " in
  *" pytest "*|*" hypothesis "*) record suite skipped 0 "pytest or hypothesis is missing" ;;
  *) # one thread each: twelve workers' Numba and BLAS pools on 16 cores would oversubscribe them
     case " $missing " in *" pytest-xdist "*) ;; *) xdist=(-n 12) ;; esac
     NUMBA_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
       stage suite 60 python3 -m pytest -q -m "not cuda" -p no:cacheprovider -p live_failures "${xdist[@]}" tests ;;
esac
[ $SECONDS -le $deadline ] || record budget over $((SECONDS - start)) "past GPU_SESSION_SECONDS"
python3 bench/gpu_summary.py "$out" >/dev/null
cat "$out/summary.txt"
rm -rf "$work"
! grep -qE $'\t(failed|timed-out)\t' "$out/stages.tsv"
