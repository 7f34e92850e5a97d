"""Run by tests/test_untrusted_files.py in a subprocess, so that a crash or a hang shows from
outside: a real checkpoint and a real data file mutated many ways (members dropped, added,
renamed, reshaped, retyped, given NaN, huge or negative values; the header edited; the bytes
truncated or flipped), each loaded as minivae loads it: ``load_model``, the resume checks and
restore, ``load_dataset``. Each must be refused with a ValueError that names the file, or
load exactly what the file holds. Prints "ok N loaded L refused R" for N files, or the first
failure with its traceback.

Usage: python tests/untrusted_files_job.py EXAMPLES
"""
import io
import json
import os
import sys
import tempfile
import traceback

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

import minivae as mv
from minivae.data import load_dataset
from minivae.models import create
from minivae.train import fit, load_model, resume
from minivae.checkpoint import read_header
from minivae.train.trainer import _optimizers

FOLDER = tempfile.mkdtemp()
VALUES = [np.nan, np.inf, -np.inf, 1e300, -1.0, 0.0, 3e38, 255.0, 1e-45]
DTYPES = ["float64", "float16", "int32", "uint8", "bool", "complex64", "U3", "S2", "int64"]


def _real_checkpoint():
    mv.manual_seed(0)
    model = create("vae", x_dim=4, z_dim=2, hidden=[8])
    x = np.random.default_rng(0).normal(size=(60, 4)).astype(np.float32)
    out = os.path.join(FOLDER, "run")
    fit(model, x, valid=x[:20], epochs=1, batch_size=20, out=out, progress=False, log=lambda r: None)
    with np.load(os.path.join(out, "checkpoint.npz")) as f:
        return {k: f[k] for k in f.files}


def _real_data():
    rng = np.random.default_rng(1)
    return {"train": rng.integers(0, 256, (30, 8, 8), dtype=np.uint8), "valid": rng.integers(0, 256, (10, 8, 8),
            dtype=np.uint8), "y_train": np.arange(30) % 3, "y_valid": np.arange(10) % 3}


CHECKPOINT, DATA = _real_checkpoint(), _real_data()

json_values = st.recursive(st.none() | st.booleans() | st.integers(-2 ** 40, 2 ** 40) | st.floats() | st.text(max_size=5),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                                       max_size=3), max_leaves=8)
small_arrays = st.builds(lambda shape, dtype, fill: np.full(shape, fill).astype(dtype, copy=False)
                         if dtype[0] not in "US" else np.full(shape, "x", dtype),
                         st.lists(st.integers(0, 4), max_size=3).map(tuple), st.sampled_from(["float32", *DTYPES]),
                         st.sampled_from(VALUES))
mutations = st.one_of(
    st.tuples(st.just("drop"), st.integers(0, 99)),
    st.tuples(st.just("add"), st.sampled_from(["model/extra", "optim/model/9.m", "optim/model/-1.m", "optim/other/0.m",
                                               "optim/model/0.bogus", "labels", "test", "x", "valid"]), small_arrays),
    st.tuples(st.just("reshape"), st.integers(0, 99), st.lists(st.integers(0, 6), max_size=3).map(tuple)),
    st.tuples(st.just("retype"), st.integers(0, 99), st.sampled_from(DTYPES)),
    st.tuples(st.just("value"), st.integers(0, 99), st.sampled_from(VALUES)),
    st.tuples(st.just("rename"), st.integers(0, 99), st.integers(0, 99)),
    st.tuples(st.just("header"), st.lists(st.text(max_size=8), min_size=1, max_size=3), json_values),
)
corruptions = st.one_of(st.none(), st.tuples(st.just("truncate"), st.floats(0, 1)),
                        st.tuples(st.just("flip"), st.lists(st.tuples(st.floats(0, 1), st.integers(1, 255)),
                                                            min_size=1, max_size=6)))


def _mutate(arrays, changes):
    arrays = dict(arrays)
    for change in changes:
        keys = sorted(arrays)
        pick = (lambda i: keys[i % len(keys)]) if keys else None
        kind = change[0]
        if kind == "drop" and keys:
            arrays.pop(pick(change[1]))
        elif kind == "add":
            arrays[change[1]] = change[2]
        elif kind == "reshape" and keys:
            key = pick(change[1])
            size = int(np.prod(change[2], dtype=np.int64))
            arrays[key] = np.resize(arrays[key], change[2]) if size else np.zeros(change[2], arrays[key].dtype)
        elif kind == "retype" and keys:
            key = pick(change[1])
            arrays[key] = arrays[key].astype(change[2]) if arrays[key].dtype.kind not in "US" or change[2][0] in "US" \
                else np.zeros(arrays[key].shape, change[2])
        elif kind == "value" and keys:
            key = pick(change[1])
            if arrays[key].size and arrays[key].dtype.kind in "fc":
                arrays[key] = arrays[key].copy()
                arrays[key].reshape(-1)[0] = change[2]
        elif kind == "rename" and keys:
            a, b = pick(change[1]), pick(change[2])
            arrays[a], arrays[b] = arrays[b], arrays[a]
        elif kind == "header" and "header" in arrays and arrays["header"].dtype.kind == "U":
            try:
                header = json.loads(str(arrays["header"]))
            except ValueError:   # an array renamed "header": nothing to edit
                continue
            place = header
            for step in change[1][:-1]:
                if isinstance(place, dict) and isinstance(place.get(step), dict):
                    place = place[step]
            if isinstance(place, dict):
                place[change[1][-1]] = change[2]
            arrays["header"] = np.array(json.dumps(header))
    return arrays


def _write(path, arrays, corruption):
    f = io.BytesIO()
    np.savez(f, **arrays)
    raw = bytearray(f.getvalue())
    if corruption and corruption[0] == "truncate":
        raw = raw[:int(corruption[1] * len(raw))]
    elif corruption:
        for where, xor in corruption[1]:
            raw[min(int(where * len(raw)), len(raw) - 1)] ^= xor
    with open(path, "wb") as out:
        out.write(bytes(raw))


OUTCOMES = {"loaded": 0, "refused": 0}


def _refused_well(error, path):
    message = str(error)
    assert os.path.basename(path) in message and "\n" not in message.strip(), f"a refusal that names no file: {message!r}"
    OUTCOMES["refused"] += 1


def _load_checkpoint(path, arrays):
    try:
        model, header = load_model(path)
    except ValueError as e:
        return _refused_well(e, path)
    for name, value in model.state_dict().items():
        assert np.array_equal(value, arrays[f"model/{name}"].astype(value.dtype)), f"{name} loaded otherwise"
    try:   # resuming: the optimizers' states too
        fresh = create(header["model"]["name"], **header["model"]["kwargs"])
        opts = _optimizers(fresh, 1e-3, None, False)
        resumed = resume.check(path, fresh, opts, read_header(path)[0].get("settings", {}), header["epoch"] + 1,
                               force=True)
        resume.restore(resumed, fresh, opts, path)
    except ValueError as e:
        return _refused_well(e, path)
    for player, opt in opts.items():
        for key, value in opt.state_dict()["state"].items():
            saved = arrays.get(f"optim/{player}/{key}")
            if saved is None and key.endswith(".step"):   # a state from before per-parameter steps: the count
                saved = np.asarray(header["optimizers"][player]["steps"])
            assert np.array_equal(np.asarray(value), saved.astype(np.asarray(value).dtype)), \
                f"{player} {key} loaded otherwise"
    OUTCOMES["loaded"] += 1


def _load_data(path):
    try:
        d = load_dataset(path)
    except ValueError as e:
        return _refused_well(e, path)
    for split in (d.train, d.valid, d.test):
        if split is not None:
            assert split.dtype == np.float32 and split.ndim == 2 and np.isfinite(split).all()
            assert split.shape[1] == d.train.shape[1]
    OUTCOMES["loaded"] += 1


def main(examples):
    count = [0]
    configured = settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                          suppress_health_check=list(HealthCheck))

    @configured
    @given(st.lists(mutations, max_size=4), corruptions)
    def checkpoints(changes, corruption):
        arrays = _mutate(CHECKPOINT, changes)
        path = os.path.join(FOLDER, "mutated.npz")
        _write(path, arrays, corruption)
        _load_checkpoint(path, arrays)
        count[0] += 1

    @configured
    @given(st.lists(mutations, max_size=4), corruptions)
    def data_files(changes, corruption):
        path = os.path.join(FOLDER, "data.npz")
        _write(path, _mutate(DATA, changes), corruption)
        _load_data(path)
        count[0] += 1

    import warnings
    warnings.simplefilter("ignore")   # a lone vector read as examples warns; it is not the question here
    try:
        checkpoints()
        data_files()
    except BaseException:
        traceback.print_exc()
        return 1
    print(f"ok {count[0]} loaded {OUTCOMES['loaded']} refused {OUTCOMES['refused']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
