"""The conv VAE/GAN of minivae.image_models rebuilt in PyTorch, layer for layer and rule for
rule (models/vaegan.py: players' losses, gamma, the authors' balance rule), to ask whether
what minivae's VAE/GAN draws at a CPU budget comes from the engine or from the recipe and
its budget. Also the plain GAN of the same networks (``--gan``).

Writes one PNG: 64 samples from N(0, I); 64 decoded from a Gaussian fitted to the
training codes (the aggregate posterior: are prior samples off the codes' region?); 32
held-out grey test digits and their reconstructions. Prints throughput, the last batch's
(D real cost, D fake cost, feature error, KL), how often the discriminator skipped, and the
codes' spread. The 2026-12-05 runs are in bench/results/image_quality_tries.json.

Usage: python bench/vaegan_torch.py IMAGES [--set '{"channels": [16, 32], "leaky": true,
       "bn": true, "opt": "adam", "lr": 2e-4}'] [--gan] [--out PNG] [--data-dir ../shared/data]
"""
import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as Fn

HERE = os.path.dirname(os.path.abspath(__file__))


def networks(c1, c2, z_dim, leaky, bn):
    """minivae's ConvEncoder, ConvDecoder (resize-convolutions) and discriminator: D_l is the
    second convolution before its activation, D a Linear on it."""
    act = (lambda: nn.LeakyReLU(0.2)) if leaky else nn.ReLU
    norm = (lambda c: [nn.BatchNorm2d(c)]) if bn else (lambda c: [])
    image = nn.Unflatten(1, (1, 28, 28))
    enc = nn.Sequential(image, nn.Conv2d(1, c1, 4, 2, 1), nn.ReLU(), nn.Conv2d(c1, c2, 4, 2, 1), *norm(c2), nn.ReLU(),
                        nn.Flatten(), nn.Linear(c2 * 49, 2 * z_dim))
    dec = nn.Sequential(nn.Linear(z_dim, c2 * 49), nn.Unflatten(1, (c2, 7, 7)), *norm(c2), nn.ReLU(),
                        nn.Upsample(scale_factor=2), nn.Conv2d(c2, c1, 3, padding=1), *norm(c1), nn.ReLU(),
                        nn.Upsample(scale_factor=2), nn.Conv2d(c1, 1, 3, padding=1), nn.Flatten())
    features = nn.Sequential(nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, c1, 4, 2, 1), act(), nn.Conv2d(c1, c2, 4, 2, 1),
                             nn.Flatten())
    head = nn.Sequential(*([nn.Unflatten(1, (c2, 7, 7)), nn.BatchNorm2d(c2), nn.Flatten()] if bn else []), act(),
                         nn.Linear(c2 * 49, 1))
    return enc, dec, features, head


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("images", type=int)
    p.add_argument("--set", default="{}", help="JSON: channels, gamma, bn, leaky, opt (rmsprop|adam), lr, margin, bs")
    p.add_argument("--gan", action="store_true", help="the plain GAN of the same decoder and discriminator")
    p.add_argument("--out", default=os.path.join(HERE, ".cache", "vaegan_torch.png"))
    p.add_argument("--data-dir", default=os.path.join(HERE, "..", "..", "shared", "data"))
    a = p.parse_args()
    o = json.loads(a.set)
    torch.set_num_threads(2)
    torch.manual_seed(0)
    (c1, c2), z_dim = o.get("channels", [32, 64]), 16
    gamma, margin, equilibrium, bs = o.get("gamma", 1e-2), o.get("margin", 0.35), 0.68, o.get("bs", 64)
    with np.load(os.path.join(a.data_dir, "binarized_mnist.npz")) as f:
        x = torch.tensor(f["train"].astype(np.float32))
    with np.load(os.path.join(a.data_dir, "mnist_test_gray.npz")) as f:
        held_out = torch.tensor((f["images"].reshape(-1, 784)[9000:9032] / 255.0).astype(np.float32))
    enc, dec, features, head = networks(c1, c2, z_dim, o.get("leaky", False), o.get("bn", False))
    if o.get("opt", "rmsprop") == "rmsprop":
        make = lambda ps: torch.optim.RMSprop(ps, o.get("lr", 3e-4))
    else:
        make = lambda ps: torch.optim.Adam(ps, o.get("lr", 3e-4), betas=(0.5, 0.999))
    disc = list(features.parameters()) + list(head.parameters())
    players = [(list(enc.parameters()), make(enc.parameters())), (list(dec.parameters()), make(dec.parameters())),
               (disc, make(disc))]
    bce = Fn.binary_cross_entropy_with_logits
    d = lambda v: head(features(v))

    def step(xb):
        n = len(xb)
        ones, zeros = torch.ones(n, 1), torch.zeros(n, 1)
        xp = torch.sigmoid(dec(torch.randn(n, z_dim)))
        if a.gan:   # DCGAN's order: the discriminator's step, then the generator's against it
            real, fake = bce(d(xb), ones), bce(d(xp.detach()), zeros)
            (ps, opt), (gps, gopt) = players[2], players[1]
            for param, g in zip(ps, torch.autograd.grad(real + fake, ps)):
                param.grad = g
            opt.step()
            for param, g in zip(gps, torch.autograd.grad(bce(d(xp), ones), gps)):
                param.grad = g
            gopt.step()
            return [real.item(), fake.item(), 0.0, 0.0], False
        else:
            mu, logvar = enc(xb).chunk(2, 1)
            z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
            kl = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(1).mean()
            xt = torch.sigmoid(dec(z))
            fx = features(xb)
            llike = 0.5 * ((fx.detach() - features(xt)) ** 2).sum(1).mean()
            real = bce(head(fx), ones)
            fake = 0.5 * (bce(d(xt.detach()), zeros) + bce(d(xp.detach()), zeros))
            r, f = real.item(), fake.item()
            ahead, behind = min(r, f) < equilibrium - margin, max(r, f) > equilibrium + margin
            skip = [False, behind and not ahead, ahead and not behind]
            fool = bce(d(xt), ones) + bce(d(xp), ones)
            losses = [kl + llike, gamma * llike + (1 - gamma) * fool, 0.5 * real + 0.5 * fake]
        grads = [None if loss is None else torch.autograd.grad(loss, ps, retain_graph=True)
                 for loss, (ps, _) in zip(losses, players)]
        for (ps, opt), gs, sk in zip(players, grads, skip):
            if not sk:
                for param, g in zip(ps, gs):
                    param.grad = g
                opt.step()
        return [real.item(), fake.item(), llike.item(), kl.item()], skip[2]

    seen, skipped, start = 0, 0, time.perf_counter()
    while seen < a.images:
        perm = torch.randperm(len(x))
        for i in range(0, len(x) - bs + 1, bs):
            last, sk = step(x[perm[i:i + bs]])
            seen, skipped = seen + bs, skipped + sk
            if seen >= a.images:
                break
    seconds = time.perf_counter() - start
    for m in (enc, dec, features, head):
        m.eval()
    with torch.no_grad():
        samples = torch.sigmoid(dec(torch.randn(64, z_dim))).numpy()
        mu = enc(x[:5000]).chunk(2, 1)[0]
        cov = torch.cov(mu.T) + 1e-4 * torch.eye(z_dim)
        aggregate = torch.distributions.MultivariateNormal(mu.mean(0), cov).sample((64,))
        from_codes = torch.sigmoid(dec(aggregate)).numpy()
        recon = torch.sigmoid(dec(enc(held_out).chunk(2, 1)[0])).numpy()
    print(json.dumps({"images": seen, "seconds": round(seconds, 1), "images_per_s": round(seen / seconds, 1),
                      "last_batch_real_fake_llike_kl": [round(v, 3) for v in last],
                      "discriminator_skipped": round(skipped * bs / seen, 3),
                      "codes_std_mean": round(float(cov.diag().sqrt().mean()), 3)}))
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    tiles = lambda im, rows: im.reshape(rows, 8, 28, 28).transpose(0, 2, 1, 3).reshape(rows * 28, 224)
    gap = np.ones((4, 224))
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    plt.imsave(a.out, np.concatenate([tiles(samples, 8), gap, tiles(from_codes, 8), gap, tiles(held_out.numpy(), 4),
                                      tiles(recon, 4)]), cmap="gray", vmin=0, vmax=1)


if __name__ == "__main__":
    main()
