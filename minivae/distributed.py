"""Data parallelism: one model trained by the processes of an MPI job (its *world*).

Every process (a *rank*) holds the same model and takes its share of every global batch.
After its backward pass the gradients of all parameters, and the loss, go into one flat
buffer that a single Allreduce sums over the world; each rank's share was weighted by its
size, so the sum is the gradient of the global batch's mean loss, and every copy of the
model takes the same step. On GPUs the sum is NCCL's all-reduce on the device (one GPU per
rank; NCCL's id travels over MPI).

Launch with ``mpiexec -n 4 minivae train ...`` (or ``mpiexec -n 4 python -m mpi4py
script.py``); ``world()`` finds the job from the launcher's environment, and is one process
alone otherwise, so the same code runs both ways.

Results do not depend on the number of ranks beyond the order of float sums: each random
draw is made for the whole global batch, alike on every rank, and each rank keeps its rows
(``ShardedGenerator``), so the noise a given example sees is the one it sees in a
one-process run; batch normalization takes the global batch's statistics, summing over the
ranks in its forward pass and again in its backward (``World.total``).
"""
import hashlib
import os
import sys

import numpy as np

from . import backend
from .core import Function
from .ops import Tensor

LAUNCHERS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS")   # MPICH/Hydra, Open MPI, Intel MPI


class World:
    """One process alone: rank 0 of 1, whose collectives have nothing to do."""
    rank, size = 0, 1

    def sum_(self, array):
        """Sum ``array`` (host or device) over the world, in place."""
        return array

    def broadcast(self, obj):
        """Rank 0's ``obj`` on every rank (any picklable object)."""
        return obj

    def allgather(self, obj):
        """Every rank's ``obj``, in rank order."""
        return [obj]

    def abort(self, code=1):
        sys.exit(code)

    def share(self, n):
        """This rank's rows of a global batch of ``n``: a contiguous slice, the first
        ranks one longer when n does not divide."""
        per, extra = divmod(n, self.size)
        start = self.rank * per + min(self.rank, extra)
        return slice(start, start + per + (self.rank < extra))

    def sum_gradients(self, params, loss):
        """Sum the parameters' gradients and ``loss`` (a float) over the world with one
        reduction over a flat buffer; a gradient no rank has stays None. Returns the loss."""
        return loss

    def total(self, v):
        """``v`` summed over the world: a number, or a Tensor, differentiably (every rank's
        loss depends on every rank's v through the sum)."""
        return v

    def check_same(self, what, value):
        """Refuse to go on unless every rank has the same ``value`` (compared by rank 0's):
        the error names the ranks that differ, and is raised on every rank alike."""
        return None

    def __repr__(self):
        return f"{type(self).__name__}(rank {self.rank} of {self.size})"


class MPIWorld(World):
    def __init__(self, comm):
        from mpi4py import MPI
        self.MPI, self.comm = MPI, comm
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        self._nccl = None
        if backend.cuda_available():   # one GPU per rank, chosen before any array is made
            import cupy
            cupy.cuda.Device(rank_here() % cupy.cuda.runtime.getDeviceCount()).use()

    def sum_(self, array):
        if backend.device_of(array) == "cuda":
            self._device_sum(array)
        else:
            self.comm.Allreduce(self.MPI.IN_PLACE, array, op=self.MPI.SUM)
        return array

    def _device_sum(self, array):
        import cupy
        from cupy.cuda import nccl
        if self._nccl is None:   # the id made on rank 0 and sent over MPI
            one_gpu_per_rank(ranks_here(), cupy.cuda.runtime.getDeviceCount())
            uid = self.comm.bcast(nccl.get_unique_id() if self.rank == 0 else None)
            self._nccl = nccl.NcclCommunicator(self.size, uid, self.rank)
        kinds = {np.dtype(np.float32): nccl.NCCL_FLOAT32, np.dtype(np.float64): nccl.NCCL_FLOAT64}
        self._nccl.allReduce(array.data.ptr, array.data.ptr, array.size, kinds[array.dtype], nccl.NCCL_SUM,
                             cupy.cuda.get_current_stream().ptr)

    def broadcast(self, obj):
        return self.comm.bcast(obj, root=0)

    def allgather(self, obj):
        return self.comm.allgather(obj)

    def abort(self, code=1):
        sys.stdout.flush()
        sys.stderr.flush()
        self.comm.Abort(code)

    def sum_gradients(self, params, loss):
        xp = backend.array_module(params[0].device)
        grads = [p.grad for p in params]
        flat = xp.concatenate([xp.zeros(p.size, p.dtype) if g is None else g.data.reshape(-1).astype(p.dtype)
                               for p, g in zip(params, grads)]
                              + [xp.asarray([g is not None for g in grads] + [loss], dtype=params[0].dtype)])
        self.sum_(flat)
        start, present = 0, flat[-1 - len(params):-1]
        present = backend.to_device(present, "cpu") if xp is not np else present
        for p, has in zip(params, present):
            p.grad = Tensor(flat[start:start + p.size].reshape(p.shape)) if has else None
            start += p.size
        return float(flat[-1])

    def total(self, v):
        return _RankSum(self)(v) if isinstance(v, Tensor) else self.comm.allreduce(v, op=self.MPI.SUM)

    def check_same(self, what, value):
        everyone = self.allgather(value)
        differ = [r for r, v in enumerate(everyone) if v != everyone[0]]
        if differ:
            ranks = ", ".join(map(str, differ))
            raise ValueError(f"rank{'s' if len(differ) > 1 else ''} {ranks} of {self.size} "
                             f"{'have' if len(differ) > 1 else 'has'} other {what} than rank 0")


class _RankSum(Function):
    """s = the sum over the ranks of each rank's x. Each rank's loss reaches every x through
    s, so the adjoint is the same sum, of the gradients that reach s."""

    def __init__(self, world):
        self.world = world

    def forward(self, x):
        return self.world.sum_(x.copy())

    def backward(self, gs):
        return _RankSum(self.world)(gs)


def one_gpu_per_rank(ranks, gpus):
    """Refuse more ranks on a machine than it has GPUs: NCCL sums over one GPU per rank, and
    two ranks on one GPU are refused by NCCL itself ("Duplicate GPU") deep in its setup."""
    if ranks > gpus:
        raise ValueError(f"{ranks} ranks on this machine share {gpus} GPU{'s' * (gpus != 1)}: summing on the "
                         f"device takes one GPU per rank; start at most {gpus} per machine, or train on the cpu")


def rank_here():
    """This rank's index among the ranks on this machine (0 outside MPI)."""
    for key in ("MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK"):
        if os.environ.get(key, "").isdigit():
            return int(os.environ[key])
    return 0


def ranks_here():
    """How many ranks of this job the launcher started on this machine (1 outside MPI)."""
    for key in ("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE"):
        if os.environ.get(key, "").isdigit():
            return max(1, int(os.environ[key]))
    return 1


def launched():
    """Whether an MPI launcher started this process as one of several."""
    return any(int(os.environ.get(k) or 1) > 1 for k in LAUNCHERS)


_world = []


def world():
    """The world of this process: an MPIWorld under an MPI launcher with more than one
    process, else World() (alone)."""
    if not _world:
        if launched():
            try:
                from mpi4py import MPI
            except ImportError:
                raise ValueError("started by an MPI launcher, but mpi4py is not installed "
                                 "(pip install 'minivae[mpi]')") from None
            _world.append(MPIWorld(MPI.COMM_WORLD) if MPI.COMM_WORLD.Get_size() > 1 else World())
        else:
            _world.append(World())
    return _world[0]


def digest(arrays):
    """A hash of arrays' bytes (host or device), to compare what ranks hold."""
    h = hashlib.blake2b(digest_size=16)
    for a in arrays:
        a = np.ascontiguousarray(backend.to_device(a, "cpu"))
        h.update(str((a.dtype, a.shape)).encode())
        h.update(a.reshape(-1).view(np.uint8))
    return h.hexdigest()


class ShardedGenerator:
    """A generator whose draws are those of the whole global batch, cut to this rank's rows.

    Each draw is made at the global batch's size on every rank alike, so the ranks'
    generators stay in step and an example sees the noise it sees in a one-process run.
    The batch axis of a draw is the first axis of its shape whose length is this rank's
    share, so the models draw with the batch axis first (an axis before it of the same
    length would be taken for it); a draw with no such axis (a fixed-size sample) is the
    same on every rank.
    """

    def __init__(self, inner):
        self.inner, self.part, self.total = inner, None, None

    def shard(self, part, total):
        """Draws from now on are for rows ``part`` (a slice) of a global batch of ``total``."""
        self.part, self.total = part, total

    def __getattr__(self, name):   # seed, get_state, set_state, device, ...
        return getattr(self.inner, name)

    def _global(self, shape):
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        if self.part is None:
            return shape, None
        local = self.part.stop - self.part.start
        axis = next((i for i, s in enumerate(shape) if s == local), None)
        if axis is None or local == self.total:
            return shape, None
        return shape[:axis] + (self.total,) + shape[axis + 1:], axis

    def _cut(self, draw, axis):
        return draw if axis is None else draw[(slice(None),) * axis + (self.part,)]

    def normal(self, shape, *args, **kwargs):
        shape, axis = self._global(shape)
        return self._cut(self.inner.normal(shape, *args, **kwargs), axis)

    def uniform(self, shape, *args, **kwargs):
        shape, axis = self._global(shape)
        return self._cut(self.inner.uniform(shape, *args, **kwargs), axis)

    def integers(self, high, shape=None):
        if shape is None:
            return self.inner.integers(high, shape)
        shape, axis = self._global(shape)
        return self._cut(self.inner.integers(high, shape), axis)

    def bernoulli(self, p, shape=None, *args, **kwargs):
        local = np.shape(p) if shape is None else ((shape,) if isinstance(shape, int) else tuple(shape))
        shape, axis = self._global(local)
        if axis is not None and np.ndim(p):   # p for this rank's rows: the others' rows get 0
            xp = backend.array_module(backend.device_of(p))
            whole = xp.zeros(shape, dtype=p.dtype)
            whole[(slice(None),) * axis + (self.part,)] = xp.broadcast_to(p, local)
            p = whole
        return self._cut(self.inner.bernoulli(p, shape, *args, **kwargs), axis)

    def permutation(self, n):
        return self.inner.permutation(n)
