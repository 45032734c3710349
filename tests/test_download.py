import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cisflow.download import DownloadError, fetch

PAYLOAD = bytes(range(256)) * 4000  # about 1 MB
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class Handler(BaseHTTPRequestHandler):
    """Serves /file (honours Range), /flaky (drops the first response half-way), else 404."""

    drops = {"left": 1}

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path not in ("/file", "/flaky"):
            self.send_error(404)
            return
        start = int(self.headers["Range"].split("=")[1].split("-")[0]) if "Range" in self.headers else 0
        body = PAYLOAD[start:]
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.path == "/flaky" and self.drops["left"]:
            self.drops["left"] -= 1
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.close()
            return
        self.wfile.write(body)


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_local_path_and_file_url(tmp_path):
    source = tmp_path / "in.bin"
    source.write_bytes(PAYLOAD)
    assert fetch(str(source), tmp_path / "a" / "out1", sha256=SHA) == SHA
    assert fetch(f"file://{source}", tmp_path / "a" / "out2") == SHA
    assert (tmp_path / "a" / "out2").read_bytes() == PAYLOAD
    assert (tmp_path / "a" / "out2.sha256").read_text() == f"{SHA}  out2\n"


def test_checksum_mismatch_keeps_nothing(tmp_path):
    source = tmp_path / "in.bin"
    source.write_bytes(PAYLOAD)
    with pytest.raises(DownloadError, match="sha256 mismatch"):
        fetch(str(source), tmp_path / "out", sha256="0" * 64)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.bin"]


def test_missing_local_file(tmp_path):
    with pytest.raises(DownloadError, match="no such file"):
        fetch(str(tmp_path / "nope"), tmp_path / "out")


def test_http_download(server, tmp_path):
    assert fetch(f"{server}/file", tmp_path / "out", sha256=SHA) == SHA


def test_http_resumes_after_a_dropped_connection(server, tmp_path):
    Handler.drops["left"] = 1
    assert fetch(f"{server}/flaky", tmp_path / "out", sha256=SHA, backoff=0.01) == SHA
    assert (tmp_path / "out").read_bytes() == PAYLOAD
    assert not (tmp_path / "out.part").exists()


def test_http_wrong_checksum_keeps_nothing(server, tmp_path):
    with pytest.raises(DownloadError, match="sha256 mismatch"):
        fetch(f"{server}/file", tmp_path / "out", sha256="f" * 64)
    assert list(tmp_path.iterdir()) == []


def test_http_404_is_not_retried(server, tmp_path):
    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch(f"{server}/missing", tmp_path / "out", backoff=0.01)
    assert not (tmp_path / "out").exists()
