"""Fetch an input named by URL or local path, verify it, and write it atomically.

http(s) downloads retry with exponential backoff and resume a partial file with a Range request
where the server allows it. The file appears at its destination only once complete and, when a
sha256 is given, only if it matches; the checksum is recorded beside the file (``<file>.sha256``)
and logged, so that an input fetched without one can be pinned.
"""

import hashlib
import http.client
import logging
import os
import shutil
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

log = logging.getLogger(__name__)

CHUNK = 1 << 20


class DownloadError(RuntimeError):
    pass


def sha256sum(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(url, dest, sha256=None, retries=5, backoff=1.0, timeout=60):
    """Bring ``url`` (https://, http://, file:// or a local path) to ``dest``; return its sha256."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    scheme = urlparse(url).scheme
    if scheme in ("http", "https"):
        _http_with_retries(url, part, retries, backoff, timeout)
    else:
        source = urlparse(url).path if scheme == "file" else url
        if not os.path.exists(source):
            raise DownloadError(f"{url}: no such file")
        shutil.copyfile(source, part)
    actual = sha256sum(part)
    if sha256 and actual.lower() != sha256.lower():
        part.unlink()
        raise DownloadError(f"{url}: sha256 mismatch: expected {sha256}, got {actual}; the file was not kept")
    if not sha256:
        log.info("%s: sha256 %s (not pinned in the config; add it to pin this input)", url, actual)
    os.replace(part, dest)
    dest.with_name(dest.name + ".sha256").write_text(f"{actual}  {dest.name}\n")  # sha256sum -c reads it
    return actual


def _http_with_retries(url, part, retries, backoff, timeout):
    for attempt in range(1, retries + 1):
        try:
            _http_once(url, part, timeout)
            return
        except urllib.error.HTTPError as err:
            if err.code == 416 and part.exists():  # the partial file is already whole
                return
            if 400 <= err.code < 500 and err.code not in (408, 429):
                raise DownloadError(f"{url}: HTTP {err.code} {err.reason}") from None
            problem = f"HTTP {err.code}"
        except (urllib.error.URLError, http.client.HTTPException, OSError, DownloadError) as err:
            problem = str(err)
        if attempt == retries:
            raise DownloadError(f"{url}: failed after {retries} attempts: {problem}")
        wait = backoff * 2 ** (attempt - 1)
        log.warning("%s: attempt %d failed (%s); retrying in %.1f s", url, attempt, problem, wait)
        time.sleep(wait)


def _http_once(url, part, timeout):
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        resumed = have and response.status == 206
        if have and not resumed:
            log.info("%s: server ignored the range request; starting over", url)
        expected = response.headers.get("Content-Length")
        written = 0
        with open(part, "ab" if resumed else "wb") as out:
            for block in iter(lambda: response.read(CHUNK), b""):
                out.write(block)
                written += len(block)
    if expected is not None and written < int(expected):
        raise DownloadError(f"connection closed after {written} of {expected} bytes")
