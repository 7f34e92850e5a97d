import gzip
import struct

import numpy as np
import pytest

from minivae.data import binarize, read_amat, read_arrays, read_idx


def _write_idx(path, array, type_code=0x08, gz=False, cut=0):
    raw = b"\x00\x00" + bytes([type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    raw += array.astype(">u1" if type_code == 0x08 else ">i4").tobytes()
    raw = raw[:len(raw) - cut]
    with (gzip.open if gz else open)(path, "wb") as f:
        f.write(raw)
    return str(path)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_round_trip(tmp_path, gz):
    a = np.random.default_rng(0).integers(0, 256, (5, 28, 28)).astype(np.uint8)
    path = _write_idx(tmp_path / ("x-ubyte.gz" if gz else "x-ubyte"), a, gz=gz)
    np.testing.assert_array_equal(read_idx(path), a)
    labels = np.array([3, 1, 4], np.int32)
    np.testing.assert_array_equal(read_idx(_write_idx(tmp_path / "l", labels, 0x0C)), labels)


def test_idx_bad_magic_and_truncation(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x01\x02\x08\x01" + b"\x00" * 8)
    with pytest.raises(ValueError, match="bad magic number"):
        read_idx(str(bad))
    a = np.zeros((4, 3), np.uint8)
    with pytest.raises(ValueError, match="truncated or padded IDX file: 7 bytes of data, expected 12"):
        read_idx(_write_idx(tmp_path / "short", a, cut=5))


def test_impostors_are_refused(tmp_path):
    html = tmp_path / "train-images-idx3-ubyte"
    html.write_text("<!DOCTYPE html><html><body>Not Found</body></html>")
    with pytest.raises(ValueError, match="HTML page"):
        read_idx(str(html))
    lfs = tmp_path / "data.npz"
    lfs.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n")
    with pytest.raises(ValueError, match="Git LFS pointer"):
        read_arrays(str(lfs))


def test_amat(tmp_path):
    x = (np.random.default_rng(0).random((3, 784)) < 0.5).astype(int)
    path = tmp_path / "binarized_mnist_valid.amat"
    np.savetxt(path, x, fmt="%d")
    np.testing.assert_array_equal(read_amat(str(path)), x)
    np.savetxt(path, x[:, :10], fmt="%d")
    with pytest.raises(ValueError, match=r"expected lines of 784 values in \{0, 1\}"):
        read_amat(str(path))


def test_corrupt_npz(tmp_path):
    path = tmp_path / "x.npz"
    np.savez(path, train=np.ones((2, 3)))
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ValueError, match="not a readable NumPy file"):
        read_arrays(str(path))


def test_dynamic_binarization_matches_intensities():
    x = np.full((200, 100), 0.3, np.float32)
    b = binarize(x, seed=0)
    assert set(np.unique(b)) <= {0.0, 1.0} and abs(b.mean() - 0.3) < 0.01
    assert abs(binarize(np.full((100, 100), 204, np.uint8)).mean() - 0.8) < 0.02   # 0..255 scaled


def _bomb(path, members):
    """An .npz whose members are given as raw .npy bytes (headers that may lie)."""
    import zipfile
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, raw in members.items():
            archive.writestr(name + ".npy", raw)


def _npy(array=None, shape=None, descr="<f4"):
    import io
    f = io.BytesIO()
    if array is not None:
        np.save(f, array)
    else:   # a header claiming ``shape``, then a few bytes of data
        np.lib.format.write_array_header_1_0(f, {"descr": descr, "fortran_order": False, "shape": shape})
        f.write(b"\0" * 64)
    return f.getvalue()


def test_array_headers_are_read_without_the_arrays(tmp_path):
    from minivae.data.files import array_headers, read_arrays
    path = str(tmp_path / "a.npz")
    _bomb(path, {"x": _npy(np.zeros((3, 4), np.float32)), "huge": _npy(shape=(10 ** 6, 10 ** 6))})
    headers = array_headers(path)
    assert headers == {"x": ((3, 4), np.dtype("float32")), "huge": ((10 ** 6, 10 ** 6), np.dtype("float32"))}
    with pytest.raises(ValueError, match="would take 3.73e\\+03 GiB of memory, more than the .* GiB free"):
        read_arrays(path)   # refused from its header: a 1 TB array is never allocated
    assert read_arrays(path, names={"x"})["x"].shape == (3, 4)


def test_arrays_of_python_objects_or_other_members_are_refused(tmp_path):
    from minivae.data.files import array_headers
    path = str(tmp_path / "o.npz")
    _bomb(path, {"x": _npy(shape=(3,), descr="|O")})
    with pytest.raises(ValueError, match="x hold Python objects"):
        array_headers(path)
    import zipfile
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(ValueError, match="a member 'notes.txt' that is no array"):
        array_headers(path)


def test_a_zip_entry_flagged_encrypted_is_refused_by_name(tmp_path):
    """Found by the loading property test: one flipped bit in a member's flags makes the
    archive ask for a password, which zipfile raises as a RuntimeError."""
    from minivae.data.files import array_headers
    path = tmp_path / "e.npz"
    np.savez(path, x=np.zeros(3, np.float32))
    raw = bytearray(path.read_bytes())
    central = raw.rindex(b"PK\x01\x02")
    raw[central + 8] |= 1   # the central directory's flag bit 0: encrypted
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="e.npz: not a readable NumPy file"):
        array_headers(str(path))
