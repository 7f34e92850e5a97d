import math


def clip_grad_norm(params, max_norm):
    """Scale all gradients together so that their global L2 norm is at most ``max_norm``.
    Returns the norm before clipping."""
    grads = [p.grad.data for p in params if p.grad is not None]
    total = math.sqrt(sum(float((g * g).sum()) for g in grads))
    if total > max_norm:
        scale = max_norm / (total + 1e-6)
        for g in {id(g): g for g in grads}.values():   # an array two leaves share, once
            g *= scale
    return total
