"""What every benchmark shares: the machine's description, median timing, JSON results."""
import contextlib
import json
import os
import statistics
import sys
import time

from ..atomic import write_text
from ..machine import machine

CHECKOUT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RESULTS = os.path.join(CHECKOUT, "bench", "results")   # a source checkout's results, kept in git


def default_out():
    """Where results go unless told: ./minivae-bench, wherever minivae is installed from (a
    checkout's committed bench/results is written only when named: --out bench/results)."""
    return os.path.abspath("minivae-bench")


def load_average():
    """The machine's 1-minute load average, or None where the system has none."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


LOAD_BEFORE = load_average()   # when the benchmark began: benchmarks.run resets it per benchmark
BUSY = 0.5                     # load per core above which a run's times are not to be trusted


def add_out(parser):
    parser.add_argument("--out", default=None, help="the results folder (default: ./minivae-bench)")


def missing(module, benchmark):
    """Say, in one line, that a peer library is not installed and its numbers are skipped."""
    print(f"{benchmark}: {module} is not installed; its numbers are skipped (pip install 'minivae[bench]')",
          flush=True)


def peer(module, benchmark):
    """A peer library (``torch``, ``jax``) when installed; else None, said in one line."""
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError:
        missing(module, benchmark)
        return None


def median_time(fn, repeats=7, warmup=2, number=1):
    """Median seconds per call of ``fn`` over ``repeats`` runs of ``number`` calls each."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times)


def write_result(name, payload, out=None):
    """Write ``OUT/<name>.json`` atomically (``out``: default_out()), with the machine attached."""
    out = out or default_out()
    os.makedirs(out, exist_ok=True)
    load = {"before": LOAD_BEFORE, "after": load_average(), "cores": os.cpu_count()}
    busy = [v for v in (load["before"], load["after"]) if v is not None and v > BUSY * (os.cpu_count() or 1)]
    if busy:   # on a busy host two runs of one benchmark differed 20x
        print(f"{name}: warning: the machine was busy (load average {max(busy)} on {load['cores']} cores); "
              "its times are not to be trusted", file=sys.stderr, flush=True)
    payload = {"benchmark": name, "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
               "machine": machine(), "load_average": load, **payload}
    text = json.dumps(payload, indent=2) + "\n"
    return write_text(os.path.join(out, f"{name}.json"), text, ".json")


def time_interleaved(impls, repeats, steps, pause=0.3, sync=lambda: None):
    """Median seconds per call of each zero-argument callable in ``impls``.

    Rounds visit the implementations in turn, so slow spells of a shared machine fall on
    all of them. BLAS and OpenMP worker threads spin for a while after their work; a pause
    and two untimed calls before each timed block keep one library's spinning threads from
    being billed to the next (measured: torch's VAE step 4.6 ms alone, 16 ms without it).
    On a GPU, ``sync`` waits for the device before and after each timed block, and a step
    whose result has ``block_until_ready`` (JAX's) is waited for through it.
    """
    times = {name: [] for name in impls}
    for _ in range(repeats):
        for name, step in impls.items():
            time.sleep(pause)
            step()
            _ready(step())
            sync()
            start = time.perf_counter()
            for _ in range(steps):
                result = step()
            _ready(result)   # an asynchronous library's (JAX's) last step has run: no host read per step
            sync()
            times[name].append((time.perf_counter() - start) / steps)
    return {name: statistics.median(t) for name, t in times.items()}


def add_threads(parser):
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for every library (BLAS, OpenMP, Numba, PyTorch, XLA); default: theirs")


@contextlib.contextmanager
def limited_threads(threads):
    """BLAS, OpenMP and Numba (and PyTorch, where imported) to ``threads`` threads in this
    process while inside; nothing changes when ``threads`` is None."""
    if not threads:
        yield
        return
    from threadpoolctl import threadpool_limits
    import numba
    before = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    torch = sys.modules.get("torch")
    torch_before = torch.get_num_threads() if torch else None
    if torch:
        torch.set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads):
            yield
    finally:
        numba.set_num_threads(before)
        if torch:
            torch.set_num_threads(torch_before)


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def thread_environment(threads):
    """The environment a process started now gets for ``threads`` threads in every library
    (BLAS, OpenMP, Numba, XLA), or the present one when ``threads`` is None."""
    env = dict(os.environ)
    if threads:
        env.update({k: str(threads) for k in THREAD_VARIABLES})
        env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false "
                            f"intra_op_parallelism_threads={threads}").strip()
    return env


def time_in_processes(builders, repeats, steps, pause=0.3, threads=None):
    """Median seconds per call of each implementation, each built and run in a process of
    its own: ``builders`` maps a name to (module, function, args), and ``function(*args)``
    returns the zero-argument step. A library's threads (XLA's pool, OpenMP's, BLAS's)
    then cannot slow another's steps, as they did in one process (JAX beside the others:
    minivae 63.67 ms a step instead of 21.87, issue 39). Rounds still visit the
    implementations in turn, one running while the others wait on a pipe, so slow spells
    of a shared machine fall on all alike. Every process first applies the same allocator
    setting (``backend.tune_malloc``: it is per process, and without it minivae's step at
    batch 1024 paid page faults the parent's setting had been recorded as sparing it).
    Returns ({name: seconds}, {name: first loss}, the allocator setting the processes ran
    with); an implementation whose library is missing is left out with a line."""
    import multiprocessing
    context = multiprocessing.get_context("spawn")
    workers, first, allocators = {}, {}, {}
    saved, wanted = dict(os.environ), thread_environment(threads)
    os.environ.clear()
    os.environ.update(wanted)   # a spawned process starts with this environment
    try:
        for name, (module, function, args) in builders.items():
            mine, theirs = context.Pipe()
            process = context.Process(target=_worker, args=(theirs, module, function, args), daemon=True)
            process.start()
            workers[name] = (process, mine)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        for name, (process, pipe) in list(workers.items()):
            kind, value = pipe.recv()
            if kind == "missing":
                missing(value, module_name(builders[name][0]))
                del workers[name]
            elif kind == "error":
                raise RuntimeError(f"{name}: {value}")
            else:
                first[name], allocators[name] = value
        times = {name: [] for name in workers}
        for _ in range(repeats):
            for name, (_, pipe) in workers.items():
                time.sleep(pause)
                pipe.send(steps)
                times[name].append(pipe.recv())
        settings = {repr(a) for a in allocators.values()}
        assert len(settings) <= 1, f"the processes' allocators differ: {allocators}"
        allocator = next(iter(allocators.values()), None)
        return {name: statistics.median(t) for name, t in times.items()}, first, allocator
    finally:
        for process, pipe in workers.values():
            pipe.send(None)
            process.join(timeout=30)


def module_name(module):
    return module.rsplit(".", 1)[-1]


def _worker(pipe, module, function, args):
    """A process's implementation: built, stepped once (its loss sent back), then timed
    ``steps`` at a time when asked (two untimed calls first), until sent None. A step
    returns its loss; the clock stops when the last one is ready."""
    import importlib
    from .. import backend
    try:
        allocator = backend.tune_malloc()
        step = getattr(importlib.import_module(module), function)(*args)
        loss = step()
        pipe.send(("ready", (float(loss.item() if hasattr(loss, "item") else loss), allocator)))
    except ImportError as e:
        pipe.send(("missing", e.name or str(e)))
        return
    except Exception as e:   # noqa: BLE001 - said in the parent, which stops the benchmark
        pipe.send(("error", repr(e)))
        return
    while (steps := pipe.recv()) is not None:
        step()
        _ready(step())
        start = time.perf_counter()
        for _ in range(steps):
            loss = step()
        _ready(loss)   # an asynchronous library's (JAX's) steps have all run: no read of the loss per step
        pipe.send((time.perf_counter() - start) / steps)


def _ready(value):
    if hasattr(value, "block_until_ready"):
        value.block_until_ready()


def torch_trainer(loss_of, opt, capturable=False):
    """A zero-argument PyTorch step: ``opt`` on ``loss_of()``; ``capturable``: in a CUDA
    graph, whose grads are set to None once, before capture."""
    def step():
        loss = loss_of()
        if not capturable:
            opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    step.optimizer = opt
    return step


def minivae_trainer(params, x, loss_of, device="cpu", graphs=False, lr=1e-3):
    """A zero-argument step: Adam on ``loss_of(p, x)`` over minivae Parameters made from the
    arrays ``params``. Eager, or (``graphs``, on cuda) recorded once as a CUDA graph and then
    replayed, with the trainer's own machinery (minivae/train/graphs.py): the batch copied
    into the graph's input buffer, one flat Adam launch with its step count on the device."""
    import minivae as mv
    from minivae.train.graphs import StepGraphs
    p = {k: mv.nn.Parameter(mv.tensor(v, device=device).data) for k, v in params.items()}
    xt = mv.tensor(x, device=device)
    opt = (mv.optim.FlatOptimizer(list(p.values()), mv.optim.Adam, lr=lr, device_steps=True) if graphs
           else mv.optim.Adam(list(p.values()), lr=lr))

    def one(xb, _=None):
        loss = loss_of(p, xb)
        opt.zero_grad()
        loss.backward()
        opt.step(gate=loss.data) if graphs else opt.step()   # gated on the device, as the trainer's
        return loss
    if not graphs:
        return lambda: one(xt)

    def refuse(why):
        raise RuntimeError(f"minivae could not record its step: {why}")
    recorder = StepGraphs(say=refuse)

    def step():
        with recorder.stream:
            return recorder.step("model", one, opt, xt, None)
    return step
