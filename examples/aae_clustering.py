"""Unsupervised clustering with an adversarial autoencoder (Makhzani et al. 2016, Sec. 6): a
categorical head pushed to one-hot draws of a uniform categorical, a 2-D style code pushed
to N(0, I). The labels are never trained on; they only score the clusters, matched one to
one to the classes by the Hungarian algorithm. The figure shows, per cluster, the images
its head is surest of (Makhzani et al.'s Fig. 9).

    python examples/aae_clustering.py [--data toy|mnist] [--clusters 10] [--epochs N] [--out figures]
"""
import numpy as np

from common import _save, arguments, mnist
from minivae.data import load_dataset
from minivae.models import create
from minivae.models.clustering_aae import clustering_accuracy
from minivae.train import fit

args = arguments(__doc__.splitlines()[0], epochs=30,
                 extra=[("--clusters", {"type": int, "default": 10, "help": "the number of clusters"})])
if args.data == "toy":
    data = load_dataset("mixture", n=4000, seed=args.seed)
    x, xv, yv, hidden, likelihood = data.train, data.valid, data.y_valid, [64, 64], "gaussian"
else:
    images, labels = mnist(binary=False)
    images = (images > 0.5).astype(np.float32)
    x, xv, yv, hidden, likelihood = images[:8000], images[8000:], labels[8000:], [512, 512], "bernoulli"
model = create("clustering-aae", x_dim=x.shape[1], n_clusters=args.clusters, z_dim=2, hidden=hidden,
               likelihood=likelihood)


def score(record):
    found = model.cluster(xv)
    print(f"epoch {record['epoch']}: held-out clustering accuracy {clustering_accuracy(found, yv):.3f}, "
          f"{len(np.unique(found))} clusters used", flush=True)


fit(model, x, epochs=args.epochs, batch_size=100, lr=1e-3, seed=args.seed, progress=False, log=score)
if args.data == "mnist":
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit("matplotlib is not installed (pip install -e '.[plot]'): no figure")
    import minivae as mv
    with mv.no_grad():
        probs = model.heads(model.as_input(xv))[0].numpy()
    fig, axes = plt.subplots(args.clusters, 10, figsize=(10, args.clusters))
    for k in range(args.clusters):
        for ax, i in zip(axes[k], np.argsort(-probs[:, k])[:10]):
            ax.imshow(xv[i].reshape(28, 28), cmap="gray")
        for ax in axes[k]:
            ax.axis("off")
    fig.suptitle(f"each row: one cluster's surest images; accuracy {clustering_accuracy(probs.argmax(1), yv):.2f}")
    _save(fig, args.out, "aae_clustering.png")
