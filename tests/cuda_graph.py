"""Recording a piece of test code as a CUDA graph (CuPy), for the tests that compare a
replayed graph with the same launches made eagerly."""


def recorded(run):
    """``run()`` recorded as a CUDA graph on a stream of its own: (graph, stream, what run
    returned, whose arrays each launch of the graph fills). Recording runs nothing."""
    import cupy as cp
    stream = cp.cuda.Stream(non_blocking=True)
    with stream:
        stream.begin_capture()
        out = run()
        graph = stream.end_capture()
    return graph, stream, out
