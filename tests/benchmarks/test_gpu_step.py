"""minivae/benchmarks/gpu_step.py's machinery on the CPU: what it times and records must be
right before a GPU's scarce minutes run it (tests/fake_cupy.py stands in for CuPy, a small
fake for torch.cuda's graph capture)."""
import gc
import json
import sys
import types
import weakref

import pytest
from fake_cupy import forget_kernels, install

from minivae.benchmarks import common, gpu_step


class Lazy:
    """A JAX-like result: computed when waited for."""

    def __init__(self, log):
        self.log = log

    def block_until_ready(self):
        self.log.append("ready")


def test_a_timed_block_waits_for_an_asynchronous_steps_last_result_and_reads_nothing_per_step():
    log = []

    def step():
        log.append("step")
        return Lazy(log)
    common.time_interleaved({"jax": step}, repeats=1, steps=4, pause=0.0, sync=lambda: log.append("sync"))
    assert log == ["step", "step", "ready", "sync"] + ["step"] * 4 + ["ready", "sync"]


def test_each_row_is_written_as_it_finishes_and_a_failing_row_keeps_its_error(tmp_path):
    path = tmp_path / "gpu_step.json"
    seen = []

    def write(rows, complete):
        path.write_text(json.dumps({"complete": complete, "results": rows}))
        seen.append(json.loads(path.read_text()))
        return path

    def boom():
        raise RuntimeError("out of memory")
    rows = gpu_step.run_rows([(lambda: {"batch": 128}, "VAE batch 128"), (boom, "VAE batch 4096"),
                              (lambda: {"batch": 1024}, "GEMM batch 1024")], write)
    assert [len(s["results"]) for s in seen] == [1, 2, 3, 3] and [s["complete"] for s in seen] == [False] * 3 + [True]
    assert seen[1]["results"][1] == {"what": "VAE batch 4096", "error": "RuntimeError: out of memory"}
    assert rows[2] == {"batch": 1024}


def test_the_top_kernels_are_ranked_by_device_time_a_step():
    kernels = [("gemm", 30.0), ("adam", 5.0), ("gemm", 30.0), ("bce", 12.0), ("adam", 5.0)] * 2
    top = gpu_step.top_kernels(kernels, steps=2, top=2)
    assert top == [{"kernel": "gemm", "launches_per_step": 2.0, "us_per_step": 60.0},
                   {"kernel": "bce", "launches_per_step": 1.0, "us_per_step": 12.0}]


def test_gemm_rows_are_timed_by_events_around_back_to_back_launches(monkeypatch):
    cp = install(monkeypatch)
    try:
        calls = {"ours": 0, "theirs": 0}

        def call(name):
            calls[name] += 1
            cp.log.append(name)
        ms = gpu_step.device_ms({"ours": lambda: call("ours"), "theirs": lambda: call("theirs")}, repeats=2,
                                launches=3)
        assert set(ms) == {"ours", "theirs"} and all(v >= 0 for v in ms.values())
        one = ["ours", "record", "ours", "ours", "ours", "record"]   # a warm call, then events around the block
        assert cp.log == (one + [n.replace("ours", "theirs") for n in one]) * 2
    finally:
        forget_kernels()


def test_the_gemm_row_times_five_products_in_both_precisions_against_cublas_in_the_same(monkeypatch):
    """On the fake CuPy (our kernels launch, checked, and return zeros; cuBLAS is a NumPy
    stand-in that records the precision asked): every product of the step, in fp32 and
    TF32, against cuBLAS asked for the same."""
    install(monkeypatch)
    try:
        from minivae.kernels.cuda import cublas
        asked = []

        def stand_in(a, b, trans_a=False, trans_b=False, tf32=False):
            asked.append(tf32)
            return (a.T if trans_a else a) @ (b.T if trans_b else b)
        monkeypatch.setattr(cublas, "gemm", stand_in)
        row = gpu_step.gemm_row(64, lambda: None, repeats=1, steps=1)
        shapes = gpu_step.vae_products(64)
        assert set(row["products"]) == {f"{what} {p}" for what in shapes for p in ("fp32", "tf32")}
        assert len({(a, b, ta, tb) for a, b, ta, tb in shapes.values()}) == 5
        assert asked.count(True) == asked.count(False) > 0
        for product in row["products"].values():
            assert set(product["median_ms"]) == {"own_gemm", "cublas"}
            assert product["max_rel_diff"]["cublas"] == 0.0   # the stand-in is exact; ours returned zeros
            assert product["max_rel_diff"]["own"] == 1.0
    finally:
        forget_kernels()


def test_the_pytorch_graph_keeps_its_step_alive(monkeypatch):
    """The captured graph reads the step's inputs, parameters and Adam state in place: the
    replay must hold the step, or they are freed while the graph still reads them."""
    class Graph:
        def replay(self):
            pass

    class Context:
        def __init__(self, *args):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False
    fake_cuda = types.SimpleNamespace(Stream=lambda: types.SimpleNamespace(wait_stream=lambda s: None),
                                      stream=Context, graph=Context, CUDAGraph=Graph,
                                      current_stream=lambda: types.SimpleNamespace(wait_stream=lambda s: None))
    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(cuda=fake_cuda))

    class State:   # stands for the step's inputs and Adam's state
        pass
    held = []

    def make_step():
        state = State()
        held.append(weakref.ref(state))

        def step():
            state.steps = getattr(state, "steps", 0) + 1
            return 1.0
        step.optimizer = types.SimpleNamespace(zero_grad=lambda set_to_none: None)
        return step
    replay = gpu_step.torch_graph_step(make_step)
    gc.collect()
    assert held[0]() is not None
    del replay
    gc.collect()
    assert held[0]() is None


@pytest.fixture(autouse=True)
def _no_leftover_kernels():
    yield
    forget_kernels()
