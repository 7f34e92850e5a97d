"""A training step recorded once as a CUDA graph and replayed for every batch after it.

At the sizes of these models a GPU step is launch overhead (about 60 kernels launched from
Python, some 26 us each), so the whole step (forward, backward, optimizer) is recorded once
and then launched as one graph. What a graph needs, and where it comes from:
- static buffers: each batch is copied into the one input array the graph reads; arrays
  made while recording come from a memory pool of that graph's own, so that nothing else
  takes their memory between replays;
- no cuBLAS, which CuPy refuses in a capture: dense layers use our GEMM kernel there
  (kernels/cuda/dense.py);
- fresh noise on each replay: the model draws from a ``DevicePhilox``, whose offset the
  graph itself bumps;
- Adam's step count on the device (``Adam(device_steps=True)``), and the parameters in one
  flat buffer (``FlatOptimizer``), so that the update is one launch;
- a loss that is not finite gates the update on the device (``Adam.step(gate=...)``): the
  host reads the losses only every few steps, after the update has been queued.
A step that cannot be recorded (a copy from the host, a cuBLAS product) runs eagerly from
then on, and says why once, with the step's own error (not the capture's that follows
it). Recording again is cheap (one step's Python): the trainer does it each epoch, when
the learning rate, the KL weight and the noise's seed may change.
"""
import contextlib

from .. import backend
from ..ops import Tensor


class StepGraphs:
    def __init__(self, say=print):
        import cupy as cp
        self.cp, self.say = cp, say
        self.stream = cp.cuda.Stream(non_blocking=True)
        self.pools = {}        # player -> its graph's memory pool: what one graph frees while
                               # recording is never handed to another graph's arrays
        self.graphs = {}       # player -> (graph, static input, loss of the recording)
        self.warm = set()      # players whose step has run eagerly once (kernels compiled, Adam's counter made)
        self.shape = None
        self.failed = None     # why steps run eagerly
        self.recording = False

    @contextlib.contextmanager
    def running(self):
        """Training's work on the graphs' stream; the device is synchronized on the way in
        and out, since the stream does not wait on the default one."""
        self.cp.cuda.Device().synchronize()
        try:
            with self.stream:
                yield
        finally:
            self.stream.synchronize()

    def forget(self):
        """Record again at the next step (the lr, the KL weight or the noise's seed changed)."""
        self.graphs = {}

    def batch(self, x):
        """A batch (NumPy, CuPy or a Tensor) as what the graph reads: a C-contiguous CuPy
        array of the default dtype. Made before any recording: inside one a copy from the
        host is refused, and data of another dtype would take a cast the graph never saw."""
        data = x.data if isinstance(x, Tensor) else x
        return self.cp.ascontiguousarray(self.cp.asarray(data), dtype=backend.DEFAULT_DTYPE)

    def step(self, player, step, optimizer, x, y):
        """``step(x, y)`` (forward, backward, update) for this batch: replayed from the graph,
        recorded now, or run eagerly. Returns what the step returns when run eagerly, and the
        graph's loss Tensor (filled by each replay) when recorded or replayed. The step is
        handed the batch as a Tensor on the device."""
        x = self.batch(x)
        if self.shape is None:
            self.shape = x.shape
        if self.failed is None and y is not None:
            self._give_up("the model's labels are made into codes on the host")
        if self.failed is not None or x.shape != self.shape:   # the last, smaller batch runs eagerly
            return step(Tensor(x), y)
        if player not in self.warm:
            self.warm.add(player)
            return step(Tensor(x), y)
        if player in self.graphs:
            graph, static, loss = self.graphs[player]
            static[...] = x
            graph.launch(self.stream)
            optimizer.replayed()
            return loss
        return self._record(player, step, optimizer, x)

    def _record(self, player, step, optimizer, x):
        static = x.copy()
        before = _optimizer_state(optimizer)
        pool = self.pools.setdefault(player, self.cp.cuda.MemoryPool())
        error = graph = None
        with self.cp.cuda.using_allocator(pool.malloc):
            self.stream.begin_capture()
            self.recording = True
            try:
                loss = step(Tensor(static), None)
            except Exception as e:  # noqa: BLE001  (any failure to record: train eagerly, say why)
                error = e
            finally:
                self.recording = False
            try:
                graph = self.stream.end_capture()
            except Exception as e:  # noqa: BLE001  (the step's own error, if any, is the cause)
                error = error or e
        if error is not None:
            # What the step made while recording (Adam's moments from zeros_like) was never
            # written: the capture ran nothing. Back to the state before it.
            _set_optimizer_state(optimizer, before)
            self._give_up(f"{type(error).__name__}: {error}")
            return step(Tensor(x), None)
        self.graphs[player] = (graph, static, loss)
        graph.launch(self.stream)   # the recording ran nothing: this is the batch's step
        return loss

    def _give_up(self, why):
        self.failed, self.graphs = why, {}
        self.say(f"training eagerly, without CUDA graphs: {why}")


def _inner(optimizer):
    return getattr(optimizer, "inner", optimizer)


def _optimizer_state(optimizer):
    opt = _inner(optimizer)
    return opt.steps, [dict(s) for s in opt.state]


def _set_optimizer_state(optimizer, saved):
    opt = _inner(optimizer)
    opt.steps, opt.state = saved[0], [dict(s) for s in saved[1]]
