"""The downloader against a local HTTP server (loopback only)."""
import functools
import gzip
import hashlib
import http.server
import os
import threading

import pytest

from minivae.data import downloader as module
from minivae.data.downloader import download


@pytest.fixture
def server(tmp_path, monkeypatch):
    served = tmp_path / "served"
    served.mkdir()
    body = gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x02\x07\x09")   # a tiny gzipped IDX file
    (served / "labels.gz").write_bytes(body)
    monkeypatch.setitem(module.SOURCES, "tiny", [("labels.gz", "sha384", hashlib.sha384(body).hexdigest())])
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a: None
    httpd = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/", served
    httpd.shutdown()
    httpd.server_close()


def test_download_checks_the_digest(server, tmp_path):
    url, served = server
    (path,) = download("tiny", str(tmp_path / "data"), base_url=url, timeout=5)
    with open(path, "rb") as f:
        assert f.read() == (served / "labels.gz").read_bytes()
    (served / "labels.gz").write_text("<html>mirror moved</html>")
    os.remove(path)
    with pytest.raises(ValueError, match="does not match its published sha384 digest"):
        download("tiny", str(tmp_path / "data"), base_url=url, timeout=5)
    assert not os.path.exists(path)


def test_offline_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="cannot fetch .* are you offline"):
        download("mnist", str(tmp_path), base_url="http://127.0.0.1:9/", timeout=2)
    with pytest.raises(ValueError, match="no source for 'cifar'"):
        download("cifar", str(tmp_path))
