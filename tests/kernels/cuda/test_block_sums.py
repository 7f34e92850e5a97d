"""The reductions over blocks that need no zero fill (common.cuh: last_block), replayed in
NumPy on the CPU: dense.cu's bias-gradient column sums and bce.cu's summed loss, with the
blocks finishing in any order. Keep the formulas here in step with the kernels."""
import numpy as np
import pytest


def atomic_inc(tickets, i, bound):
    """CUDA's atomicInc: returns the old value, stores 0 once it reaches ``bound``."""
    old = tickets[i]
    tickets[i] = 0 if old >= bound else old + 1
    return old


def dense_act_grad_bias(gz, grid_y, order, tickets):
    """The column sums of gz as the kernel makes them: block (bx, by) of 32 columns and 8 row
    lanes walks rows by + 8 k ... with stride 8 grid_y, writes its sum to partial[by][col];
    the last block of column group bx (by its ticket) adds the partials in order."""
    n, m = gz.shape
    partial = np.full((grid_y, m), np.nan)
    db = np.full(m, np.nan)
    for bx, by in order:
        cols = np.arange(bx * 32, min(bx * 32 + 32, m))
        lanes = np.zeros((8, len(cols)))
        for ty in range(8):
            for row in range(by * 8 + ty, n, 8 * grid_y):
                lanes[ty] += gz[row, cols]
        partial[by, cols] = lanes.sum(0)
        if atomic_inc(tickets, bx, grid_y - 1) == grid_y - 1:
            db[cols] = sum(partial[b, cols] for b in range(grid_y))
    return db


def bce_total(values, grid, threads, order, tickets):
    """bce.cu's summed loss: grid-stride threads, warp and block sums into partial[block],
    the last block (ticket 0) adds them in order."""
    partial = np.full(grid, np.nan)
    total = np.nan
    for b in order:
        acc = np.zeros(threads)
        for t in range(threads):
            acc[t] = values[b * threads + t::grid * threads].sum()
        partial[b] = acc.reshape(-1, 32).sum(1).sum()
        if atomic_inc(tickets, 0, grid - 1) == grid - 1:
            total = sum(partial[i] for i in range(grid))
    return total


@pytest.mark.parametrize("n, m", [(1, 1), (37, 5), (128, 400), (1000, 33)])
def test_the_bias_gradient_is_every_columns_sum_in_any_block_order(n, m):
    rng = np.random.default_rng(n + m)
    gz = rng.standard_normal((n, m))
    grid = ((m + 31) // 32, min((n + 7) // 8, 128))   # dense.py's grid
    tickets = np.zeros(grid[0], np.int64)
    blocks = [(bx, by) for bx in range(grid[0]) for by in range(grid[1])]
    for order in (blocks, blocks[::-1], [blocks[i] for i in rng.permutation(len(blocks))]):
        np.testing.assert_allclose(dense_act_grad_bias(gz, grid[1], order, tickets), gz.sum(0), rtol=1e-12,
                                   atol=1e-12)
        assert not tickets.any()   # left at 0 for the next launch


@pytest.mark.parametrize("size", [1, 255, 100352])
def test_the_summed_loss_adds_every_element_once_in_any_block_order(size):
    rng = np.random.default_rng(size)
    values = rng.random(size)
    grid = min((size + 255) // 256, 8192)   # module.blocks
    tickets = np.zeros(1, np.int64)
    for order in (range(grid), range(grid - 1, -1, -1), rng.permutation(grid)):
        np.testing.assert_allclose(bce_total(values, grid, 256, order, tickets), values.sum(), rtol=1e-12)
        assert not tickets.any()

