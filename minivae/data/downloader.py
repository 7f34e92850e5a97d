"""An optional downloader for users who are online: each file is fetched to a temporary
name, checked against its published digest, and only then renamed into place, so a failed,
partial or substituted download (an HTML error page, say) never passes for data.

The digests are SHA-384, as published for the MNIST files (the files are the same on every
mirror; torchvision lists the same MD5s for yann.lecun.com and this mirror). Each source
names its hashlib algorithm, so a SHA-256 list drops in the same way.
"""
import hashlib
import os
import urllib.error
import urllib.request

from ..atomic import write_atomically
from .files import check_not_impostor

MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"
SOURCES = {
    "mnist": [
        ("train-images-idx3-ubyte.gz", "sha384",
         "f40eb179f7c3d2637e789663bde56d444a23e4a0a14477a9e6ed88bc39c8ad6eaff68056c0cd9bb60daf0062b70dc8ee"),
        ("train-labels-idx1-ubyte.gz", "sha384",
         "ba9c11bf9a7f7c2c04127b8b3e568cf70dd3429d9029ca59b7650977a4ac32f8ff5041fe42bc872097487b06a6794e00"),
        ("t10k-images-idx3-ubyte.gz", "sha384",
         "1bf45877962fd391f7abb20534a30fd2203d0865309fec5f87d576dbdbefdcb16adb49220afc22a0f3478359d229449c"),
        ("t10k-labels-idx1-ubyte.gz", "sha384",
         "ccc1ee70f798a04e6bfeca56a4d0f0de8d8eeeca9f74641c1e1bfb00cf7cc4aa4d023f6ea1b40e79bb4707107845479d"),
    ],
}
BASE_URLS = {"mnist": MNIST_MIRROR}


def download(name, folder, base_url=None, timeout=60):
    """Fetch the files of dataset ``name`` into ``folder`` (skipping ones already there and
    intact); returns their paths. Offline, or on a bad digest, raises ValueError."""
    if name not in SOURCES:
        raise ValueError(f"download: no source for {name!r}; available: {', '.join(SOURCES)}")
    os.makedirs(folder, exist_ok=True)
    base_url = base_url or BASE_URLS[name]
    paths = []
    for filename, algorithm, digest in SOURCES[name]:
        path = os.path.join(folder, filename)
        if not (os.path.exists(path) and _file_digest(path, algorithm) == digest):
            url = base_url + filename
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    body = response.read()
            except (urllib.error.URLError, OSError) as e:
                raise ValueError(f"download: cannot fetch {url} ({getattr(e, 'reason', e)}); are you "
                                 f"offline? Copy the files into {folder} instead") from None
            if _digest(body, algorithm) != digest:
                raise ValueError(f"download: {url} does not match its published {algorithm} digest "
                                 "(a changed mirror, or an error page); nothing was saved")
            write_atomically(path, lambda f: f.write(body), ".part")
            check_not_impostor(path)
        paths.append(path)
    return paths


def _digest(data, algorithm):
    return hashlib.new(algorithm, data).hexdigest()


def _file_digest(path, algorithm):
    with open(path, "rb") as f:
        return _digest(f.read(), algorithm)
