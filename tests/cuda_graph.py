"""Recording a piece of test code as a CUDA graph (CuPy), for the tests that compare a
replayed graph with the same launches made eagerly."""
import contextlib


def recorded(run):
    """``run()`` recorded as a CUDA graph on a stream of its own: (graph, stream, what run
    returned, whose arrays each launch of the graph fills). Recording runs nothing. What
    the recording allocates comes from a pool of the graph's own (kept alive by the
    arrays), as in minivae/train/graphs.py, so that no other test's arrays share it."""
    import cupy as cp
    stream = cp.cuda.Stream(non_blocking=True)
    pool = cp.cuda.MemoryPool()
    with cp.cuda.using_allocator(pool.malloc), stream:
        stream.begin_capture()
        try:
            out = run()
        except BaseException:
            with contextlib.suppress(Exception):   # the run's error is the one to see
                stream.end_capture()
            raise
        graph = stream.end_capture()
    return graph, stream, out
