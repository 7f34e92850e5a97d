"""The image models of the lectures side by side after the same budget, as set up in
minivae.image_models: the MLP and convolutional VAEs, VAE/GAN (reconstruction error in the
discriminator's features, decoder also fooling it), VAE_Disl (a frozen GAN discriminator's
features) and the discriminatively regularized VAE (reconstructions also matched in a
classifier's layers). One figure: per model, test digits, their reconstructions, samples.
bench/image_quality.py measures them; `minivae figure image-models` draws the same on MNIST.

    python examples/image_models.py [--data mnist|toy] [--epochs N] [--out figures]

(--data toy uses the sprites, labelled by shape, for a machine without ../shared/data; an
"epoch" here is 10,000 images, the rounds minivae.image_models trains in.)
"""
import time

import numpy as np

from common import arguments, mnist
from minivae import image_models
from minivae.data import load_dataset

args = arguments(__doc__.splitlines()[0], epochs=2)
if args.data == "toy":
    data = load_dataset("sprites", n=9000)
    x, y = data.train, data.y_train
else:
    x, y = mnist(binary=False, n=10000)
x = (x > 0.5).astype(np.float32)   # binary images, as the models' Bernoulli decoders expect
train, labels, test = x[:-1000], y[:-1000], x[-1000:]
rows = []
for key in image_models.MODELS:
    label, model, training = image_models.build(key, args.seed, **({"n_classes": 3} if key == "dr-vae" and
                                                                      args.data == "toy" else {}))
    start = time.perf_counter()
    image_models.train(model, train, training, args.seed, (train, labels), images=args.epochs * image_models.CHUNK)
    model.eval()
    print(f"{label:16s} {time.perf_counter() - start:5.1f} s  mean squared reconstruction error "
          f"{float(((model.reconstruct(test) - test) ** 2).mean()):.4f}", flush=True)
    rows.append((label, test[:8], model.reconstruct(test[:8]), model.sample(8)))
print("wrote", image_models.picture(rows, f"{args.out}/image_models.png"))
