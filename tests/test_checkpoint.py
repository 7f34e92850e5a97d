"""A checkpoint's header is checked against its schema before anything is built from it."""
import json

import numpy as np
import pytest

from minivae.models import create
from minivae.train import load_model, read_header, save_checkpoint


@pytest.fixture
def checkpoint(tmp_path):
    model = create("vae", x_dim=4, z_dim=2, hidden=[8])
    path = str(tmp_path / "c.npz")
    save_checkpoint(path, model, {}, {"model": model.spec, "epoch": 1, "history": []})
    return path


def _rewrite(path, change):
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    header = json.loads(str(arrays.pop("header")))
    header = change(header)
    np.savez(path, header=np.array(json.dumps(header)), **arrays)


def _without(key):
    return lambda h: {k: v for k, v in h.items() if k != key}


def _kwargs(**changes):
    def change(h):
        h["model"]["kwargs"].update(changes)
        return h
    return change


@pytest.mark.parametrize("change, message", [
    (_without("model"), "names no model"),
    (lambda h: [h], "header is a JSON list"),
    (_kwargs(hidden=[1e12]), "hidden must hold positive integers"),
    (_kwargs(hidden=[10 ** 12]), "parameters .* is more than"),
    (_kwargs(z_dim=-3), "z_dim must hold positive integers"),
    (_kwargs(generator="x"), "takes no generator"),
    (_kwargs(colour="red"), "takes no colour"),
    (_without("epoch"), "epoch must be a count"),
    (lambda h: dict(h, optimizers={"model": {"lr": "fast", "steps": 1}}), "optimizer 'model' needs"),
    (lambda h: dict(h, model={"name": "wgan", "kwargs": {}}), "unknown model 'wgan'"),
])
def test_a_bad_header_is_refused_with_its_field(checkpoint, change, message):
    _rewrite(checkpoint, change)
    with pytest.raises(ValueError, match=message):
        read_header(checkpoint)


def test_nan_weights_are_refused(checkpoint):
    with np.load(checkpoint) as f:
        arrays = {k: f[k] for k in f.files}
    name = next(k for k in arrays if k.startswith("model/"))
    arrays[name] = np.full_like(arrays[name], np.nan)
    np.savez(checkpoint, **arrays)
    with pytest.raises(ValueError, match=f"NaN or infinite weights in {name[6:]}"):
        load_model(checkpoint)


def test_a_good_header_loads(checkpoint):
    model, header = load_model(checkpoint)
    assert header["model"]["kwargs"]["hidden"] == [8] and model.x_dim == 4


def test_an_array_whose_header_does_not_fit_the_model_is_refused_unread(checkpoint):
    """Issue 35, row 9: each array's shape is checked from its header against the model the
    checkpoint names before any is inflated: a header claiming a 10,000 x 10,000 weight
    over a few bytes of data is refused by name, not allocated."""
    import io
    import zipfile
    with np.load(checkpoint) as f:
        arrays = {k: f[k] for k in f.files}
    name = next(k for k in arrays if k.startswith("model/"))
    with zipfile.ZipFile(checkpoint, "w", zipfile.ZIP_DEFLATED) as archive:
        for key, value in arrays.items():
            raw = io.BytesIO()
            if key == name:
                np.lib.format.write_array_header_1_0(raw, {"descr": "<f4", "fortran_order": False,
                                                           "shape": (10_000, 10_000)})
                raw.write(b"\0" * 64)
            else:
                np.save(raw, value)
            archive.writestr(key + ".npy", raw.getvalue())
    with pytest.raises(ValueError, match=f"{name} is float32 of shape \\(10000, 10000\\); the model's is real "
                                         "numbers of shape"):
        load_model(checkpoint)
