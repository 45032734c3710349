"""Fetch an input named by URL or local path, verify it, and write it atomically.

An http(s) download is bounded by how long it goes without progress, never by how long it takes:

- an attempt fails when the server sends nothing for ``stall`` seconds (connecting, waiting for
  the response, or in the middle of the body), so that a server that accepts the connection and
  never answers is found out in ``stall`` seconds, not hours;
- transient failures (a stall, a dropped or refused connection, a truncated body, HTTP 5xx, 408 or
  429) are retried with exponential backoff, resuming the partial file (``<file>.part``) with a
  Range request (If-Range with the server's validator, so that a file changed on the server is
  downloaded again from the start, never pieced together from two versions);
- fetch gives up after ``attempts`` attempts in a row that brought no new byte, or before the time
  without a new byte (stalls, failed attempts and waits together) would pass ``patience`` seconds.

A 900 MB genome over a slow link may take hours: as long as bytes keep coming it is never cut short.

What cannot succeed is not retried: HTTP 4xx other than 408 and 429, a sha256 mismatch (the same
bytes would come again), a missing local file, a URL scheme other than http, https or file, a
server certificate that cannot be verified, a partial file that cannot be written (disk full).

The file appears at its destination only once complete and, when a sha256 is given, only if it
matches; the checksum is recorded beside the file (``<file>.sha256``) and logged, so that an input
fetched without one can be pinned. After a transient failure the partial file stays, with the URL
and validator it came from (``<file>.part.meta``), for the next run to resume; it is never taken
for the file itself.
"""

import email.utils
import errno
import hashlib
import http.client
import json
import logging
import os
import re
import shutil
import ssl
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from cisflow.io.jsonio import write_json
from cisflow.types import PathLike

log = logging.getLogger(__name__)

CHUNK = 1 << 20
STALL = 60.0  # seconds without a byte that fail an attempt
PATIENCE = 300.0  # seconds without a new byte (stalls, failed attempts, waits) after which fetch gives up
ATTEMPTS = 5  # attempts in a row without a new byte after which fetch gives up
BACKOFF = 5.0  # first wait between attempts; it doubles after each attempt without a new byte
MAX_WAIT = 60.0  # longest wait between attempts (a server's Retry-After included)
RETRIED_4XX = (408, 429)  # request timeout, too many requests: the only client errors worth another try
LOCAL_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EROFS)  # writing the partial file: no retry mends these


class DownloadError(RuntimeError):
    pass


class _Transient(Exception):
    """A failure that another attempt may get past."""


def sha256sum(path: PathLike) -> str:
    """The sha256 of the file at ``path``, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(url: str, dest: PathLike, sha256: str | None = None, *, stall: float = STALL, patience: float = PATIENCE,
          attempts: int = ATTEMPTS, backoff: float = BACKOFF) -> str:
    """Bring ``url`` (https://, http://, file:// or a local path) to ``dest``; return its sha256.

    ``stall``: seconds without a byte that fail an attempt; ``attempts``: attempts in a row without a
    new byte before giving up; ``patience``: seconds without a new byte, all attempts and waits
    together, before giving up; ``backoff``: the first wait between attempts (doubling, at most
    MAX_WAIT). Raises DownloadError, whose message names the URL and the reason.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    record = dest.with_name(dest.name + ".sha256")
    if not dest.exists():
        record.unlink(missing_ok=True)  # the record of a file no longer there
    scheme = urlparse(url).scheme.lower()
    if scheme in ("http", "https"):
        retry = dict(stall=stall, patience=patience, attempts=attempts, backoff=backoff)
        pieced = _download(url, part, **retry)
        if sha256 and pieced and sha256sum(part).lower() != sha256.lower():
            # The partial file may be of an older version of the file (a server without validators)
            log.warning("%s: sha256 mismatch on a resumed download; downloading it once more from the start", url)
            _discard(part)
            _download(url, part, **retry)
    elif scheme == "file" or "://" not in url:
        _copy(url, part)
    else:
        raise DownloadError(f"{url}: unsupported URL scheme '{scheme}' (use https://, http://, file:// or a local "
                            "path); not retried")
    actual = sha256sum(part)
    if sha256 and actual.lower() != sha256.lower():
        _discard(part)
        raise DownloadError(f"{url}: sha256 mismatch: expected {sha256}, got {actual}; the file was not kept and the "
                            "download is not retried (the same bytes would come again): check the URL or the pin")
    if not sha256:
        log.info("%s: sha256 %s (not pinned in the config; add it to pin this input)", url, actual)
    os.replace(part, dest)
    _meta_path(part).unlink(missing_ok=True)
    record.write_text(f"{actual}  {dest.name}\n")  # sha256sum -c reads it
    return actual


def _copy(url, part):
    source = urllib.request.url2pathname(urlparse(url).path) if url.lower().startswith("file:") else url
    if not os.path.exists(source):
        raise DownloadError(f"{url}: no such file; not retried")
    if not os.path.isfile(source):
        raise DownloadError(f"{url}: not a file; not retried")
    shutil.copyfile(source, part)


def _download(url, part, stall, patience, attempts, backoff):
    """Bring ``url`` into ``part``, retrying transient failures; return whether the file was pieced
    together from more than one response (resumed)."""
    host = urlparse(url).hostname or url
    meta = _read_meta(part)
    if part.exists() and meta.get("url") != url:
        if part.stat().st_size:
            log.info("%s: the partial file %s is not of this URL; starting over", url, part)
        _discard(part)
    started = time.monotonic()
    state = {"high": _size(part), "new_at": started, "pieced": False}  # most bytes held, when the last came
    fruitless, wait, attempt = 0, backoff, 0
    while True:
        attempt += 1
        high, retry_after = state["high"], 0.0
        try:
            _attempt(url, host, part, stall, state)
            return state["pieced"]
        except urllib.error.HTTPError as err:
            err.close()
            if err.code == 416:  # nothing left to send from where the partial file ends
                if _whole(part, err.headers.get("Content-Range"), _read_meta(part).get("total")):
                    return state["pieced"]
                _discard(part)
                problem = "the partial file did not fit the file on the server; starting over"
            elif 400 <= err.code < 500 and err.code not in RETRIED_4XX:
                _discard(part)
                raise DownloadError(f"{url}: HTTP {err.code} {err.reason}; not retried (the server refuses this "
                                    "request: check the URL)") from None
            else:
                problem = f"HTTP {err.code} {err.reason}"
                retry_after = _retry_after(err.headers.get("Retry-After"))
        except _Transient as err:
            problem = str(err)
        except urllib.error.URLError as err:
            if isinstance(err.reason, ssl.SSLCertVerificationError):
                why = f"{url}: the certificate of {host} could not be verified ({err.reason.verify_message})"
                raise DownloadError(f"{why}; not retried") from None
            problem = f"cannot connect to {host}: {err.reason}"
        except (http.client.HTTPException, OSError) as err:
            if isinstance(err, OSError) and err.errno in LOCAL_ERRORS:
                raise DownloadError(f"{url}: cannot write {part}: {err.strerror}; not retried") from None
            problem = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
        now = time.monotonic()
        if state["high"] > high:
            fruitless, wait = 0, backoff
        else:
            fruitless += 1
        pause = min(max(wait, retry_after), MAX_WAIT)
        if fruitless >= attempts or now + pause + stall - state["new_at"] > patience:
            kept = f"; the partial file ({_size(part)} bytes) is kept for the next run to resume" if _size(part) else ""
            plural = "s" if attempt > 1 else ""
            raise DownloadError(f"{url}: {problem} ({attempt} attempt{plural}, {_duration(now - started)} in all)"
                                f"{kept}")
        log.warning("%s: attempt %d failed (%s); retrying in %.1f s%s", url, attempt, problem, pause,
                    f", resuming from byte {_size(part)}" if _size(part) else "")
        time.sleep(pause)
        wait *= 2


def _attempt(url, host, part, stall, state):
    have = _size(part)
    meta = _read_meta(part) if have else {}
    headers = {"Range": f"bytes={have}-"} if have else {}
    if have and meta.get("validator"):
        headers["If-Range"] = meta["validator"]  # the whole file again if it changed on the server
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=stall)
    except urllib.error.HTTPError:
        raise
    except urllib.error.URLError as err:
        if isinstance(err.reason, TimeoutError):
            raise _Transient(f"{host} did not complete the connection within {stall:g} s") from None
        raise
    except TimeoutError:
        raise _Transient(f"the server at {host} accepted the connection but sent nothing for {stall:g} s") from None
    with response:
        resumed = False
        if have and response.status == 206:
            start, total = _content_range(response.headers, have)
            if start != have:
                _discard(part)
                raise _Transient(f"the server resumed at byte {start}, not {have}; starting over")
            resumed = True
        else:
            if have:
                log.info("%s: the server sent the whole file, not the rest of the partial one; starting over", url)
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
        got = have if resumed else 0
        state["pieced"] = state["pieced"] or resumed
        _write_meta(part, url, _validator(response.headers), total)
        with open(part, "ab" if resumed else "wb") as out:
            while True:
                try:
                    block = response.read1(CHUNK)
                except TimeoutError:
                    of = f" of {total}" if total is not None else ""
                    message = f"the server at {host} sent nothing for {stall:g} s after {got}{of} bytes"
                    raise _Transient(message) from None
                if not block:
                    break
                out.write(block)
                got += len(block)
                if got > state["high"]:
                    state["high"], state["new_at"] = got, time.monotonic()
    if total is not None and got < total:
        raise _Transient(f"the connection closed after {got} of {total} bytes")


def _size(path):
    return path.stat().st_size if path.exists() else 0


def _meta_path(part):
    return part.with_name(part.name + ".meta")


def _read_meta(part):
    try:
        return json.loads(_meta_path(part).read_text())
    except (OSError, ValueError):
        return {}


def _write_meta(part, url, validator, total):
    write_json(_meta_path(part), {"url": url, "validator": validator, "total": total}, indent=None)


def _discard(part):
    part.unlink(missing_ok=True)
    _meta_path(part).unlink(missing_ok=True)


def _validator(headers):
    """What If-Range may carry: a strong ETag, else Last-Modified, else None."""
    etag = headers.get("ETag")
    if etag and not etag.startswith("W/"):
        return etag
    return headers.get("Last-Modified")


def _content_range(headers, have):
    """(first byte, total or None) of a 206 answer: from ``Content-Range: bytes 100-199/1000``, or where
    the server sent none, the byte asked for and what Content-Length adds to it."""
    match = re.fullmatch(r"\s*bytes\s+(\d+)-\d+/(\d+|\*)\s*", headers.get("Content-Range") or "")
    if match:
        return int(match.group(1)), None if match.group(2) == "*" else int(match.group(2))
    length = headers.get("Content-Length")
    return have, have + int(length) if length and length.isdigit() else None


def _whole(part, content_range, total):
    """Whether a 416 answer means the partial file is the whole file."""
    match = re.fullmatch(r"\s*bytes\s+\*/(\d+)\s*", content_range or "")
    size = int(match.group(1)) if match else total
    return size is not None and _size(part) == size


def _retry_after(value):
    """Seconds a 429 or 503 asks to wait (a number or an HTTP date), 0 if it says nothing usable."""
    if not value:
        return 0.0
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return 0.0


def _duration(seconds):
    if seconds < 90:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def download_input(url: str, dest: PathLike, sha256: str | None = None) -> str:
    """The download rule: ``fetch`` with the stall and patience of the environment.

    ``CISFLOW_DOWNLOAD_STALL`` (seconds without a byte that fail an attempt, default 60) and
    ``CISFLOW_DOWNLOAD_PATIENCE`` (seconds without a new byte after which the download gives up,
    default 300) may be raised for a very slow or flaky link. Returns the file's sha256.
    """
    return fetch(url, dest, sha256=sha256 or None,
                 stall=float(os.environ.get("CISFLOW_DOWNLOAD_STALL") or STALL),
                 patience=float(os.environ.get("CISFLOW_DOWNLOAD_PATIENCE") or PATIENCE))
