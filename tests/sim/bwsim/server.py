# HTTP plumbing: the Sim context, threaded servers for the API and signed origins (TLS
# optional), request dispatch, and the response writers (ranges, chunked, sendfile, faults).
"""Servers and response writing.

Routes live in api.py (the Bandwidth API and the signed origin) and control.py
(/_sim/...). Handlers answer through the writers here, which apply the body
faults, count bytes in the stats and pick sendfile for materialised files.
"""

import json
import os
import re
import socket
import socketserver
import ssl
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import api, content, control, faults as faultmod
from .faults import Faults
from .stats import BODY_LIMIT, LOGGED_HEADERS, Stats
from .xmlgen import XML_TYPE, error_envelope

CONN_ERRORS = (ConnectionError, BrokenPipeError, ConnectionResetError, TimeoutError,
               ssl.SSLError, socket.timeout)
MAX_REQUEST_BODY = 16 * 1024 * 1024
PIECE = 1 << 20


class Sim:
    """Everything a request handler needs: data, stats, faults, options."""

    def __init__(self, store, base="/api", token_path="/api/v1/oauth2/token",
                 location_base="https://api.test.inetwork.com:443/v1.0", state_dir=None,
                 tls=False, log_requests=False):
        self.store = store
        self.stats = Stats()
        self.faults = Faults()
        self.base = "/" + base.strip("/") if base.strip("/") else ""
        self.token_path = "/" + token_path.strip("/")
        self.location_base = location_base.rstrip("/")
        self.state_dir = state_dir
        self.tls = tls
        self.scheme = "https" if tls else "http"
        self.log_requests = log_requests
        self.secret = os.urandom(16)
        self.stopping = threading.Event()
        self.port = self.redirect_port = None
        self.cafile = None

    @property
    def root(self):
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def signed_root(self):
        return f"{self.scheme}://127.0.0.1:{self.redirect_port}"

    def info(self):
        store = self.store
        return {
            "port": self.port, "redirect_port": self.redirect_port, "scheme": self.scheme,
            "root": self.root, "api": self.root + self.base, "base": self.base,
            "token_url": self.root + self.token_path, "signed_root": self.signed_root,
            "cafile": self.cafile, "accounts": store.visible(None),
            "forbidden_account": "9999999",
            "users": {name: pw for name, (pw, _) in store.users.items()},
            "clients": {name: sec for name, (sec, _) in store.clients.items()},
            "user_accounts": {name: store.visible(a) for name, (_, a) in store.users.items()},
            "client_accounts": {name: store.visible(a) for name, (_, a) in store.clients.items()},
            "seed": store.seed, "demo": store.demo, "state_dir": self.state_dir,
            "pid": os.getpid(),
        }


# -- sources of response bodies ---------------------------------------------------

class BytesSource:
    path = None

    def __init__(self, data):
        self.data = data
        self.size = len(data)

    def chunks(self, start, n):
        view = memoryview(self.data)
        for off in range(start, start + n, PIECE):
            yield view[off:min(off + PIECE, start + n)]


class KeySource:
    """A report file: generated on the fly, or read from its materialised copy."""

    def __init__(self, key, path=None):
        self.key = key
        self.path = path
        self.size = content.size(key)

    def chunks(self, start, n):
        if self.path is None:
            yield from content.stream(self.key, start, n)
            return
        with open(self.path, "rb") as f:
            f.seek(start)
            left = n
            while left > 0:
                data = f.read(min(PIECE, left))
                if not data:
                    return
                left -= len(data)
                yield data


def redact_query(text):
    """A path or query with the signature of a signed URL hidden."""
    return re.sub(r"(Signature=)[^&]*", r"\1REDACTED", text)


class BadRequestBody(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


RANGE_RE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.I)


def parse_range(value, size):
    """A Range header -> None (send everything), (first, last) or "unsatisfiable"."""
    m = RANGE_RE.match(value or "")
    if not m or not (m.group(1) or m.group(2)):
        return None                          # absent, malformed or several ranges
    first, last = m.groups()
    if first == "":
        n = int(last)
        if n == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - n), size - 1
    a = int(first)
    if last and int(last) < a:
        return None                          # invalid: ignored
    if a >= size:
        return "unsatisfiable"
    return a, min(int(last) if last else size - 1, size - 1)


# -- the handler ------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bwsim/1.0"
    sys_version = ""
    timeout = 300
    entry = None            # the stats/log entry of the current API call, None for /_sim/

    def version_string(self):
        return self.server_version

    def setup(self):
        super().setup()
        self.sim = self.server.sim

    def handle(self):
        try:
            super().handle()
        except CONN_ERRORS:
            self.close_connection = True

    def parse_request(self):
        self.entry = None           # a malformed request must not touch the last call's entry
        return super().parse_request()

    def log_message(self, fmt, *args):
        pass

    def log_request(self, code="-", size="-"):
        if self.sim.log_requests:
            kind = self.entry["kind"] if self.entry else "-"
            path = redact_query(self.path)
            sys.stderr.write(f"bwsim {self.server.origin} {self.command} {path} {code} {kind}\n")

    def send_response(self, code, message=None):
        super().send_response(code, message)
        self.headers_sent = True
        if self.entry is not None:
            self.sim.stats.answered(self.entry, code)

    def do_GET(self):
        self._dispatch()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _dispatch(self):
        self.entry = None
        self.headers_sent = False
        self.head = self.command == "HEAD"
        url = urlsplit(self.path)
        self.url_path = url.path
        self.query_string = url.query
        self.query = parse_qs(url.query, keep_blank_values=True)
        try:
            self.body = self._read_body()
        except BadRequestBody as exc:
            self.close_connection = True
            self.reply_json(exc.status, {"error": str(exc)})
            return
        try:
            if self.server.origin == "signed":
                api.handle_signed(self)
            elif self.url_path == "/_sim" or self.url_path.startswith("/_sim/"):
                control.handle(self)
            else:
                api.handle(self)
        except CONN_ERRORS:
            self.close_connection = True
        except Exception:
            traceback.print_exc()
            self.close_connection = True
            if not self.headers_sent:
                self.reply(500, error_envelope("ErrorResponse", 500, "Internal simulator error"),
                           XML_TYPE)
        finally:
            self.entry = None

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts, total = [], 0
            while True:
                line = self.rfile.readline(1024)
                try:
                    n = int(line.split(b";")[0].strip() or b"x", 16)
                except ValueError:
                    raise BadRequestBody(400, "bad chunk length") from None
                if n == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                total += n
                if total > MAX_REQUEST_BODY:
                    raise BadRequestBody(413, "request body too large")
                parts.append(self.rfile.read(n))
                self.rfile.readline(1024)
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        if not length.strip().isdigit():
            raise BadRequestBody(400, "bad Content-Length")
        n = int(length)
        if n > MAX_REQUEST_BODY:
            raise BadRequestBody(413, "request body too large")
        return self.rfile.read(n)

    # -- the stats / log entry of an API call ------------------------------------------
    def begin(self, kind, auth):
        query = redact_query(self.query_string)
        body = None
        if self.body:
            body = self.body[:BODY_LIMIT].decode("utf-8", "replace")
            body = re.sub(r"((?:client_secret|password)=)[^&]*", r"\1REDACTED", body)
        entry = {"origin": self.server.origin, "kind": kind, "method": self.command,
                 "path": self.url_path, "query": query, "auth": auth,
                 "headers": {h: self.headers[h] for h in LOGGED_HEADERS if h in self.headers},
                 "body": body}
        self.entry = self.sim.stats.begin(entry)
        return self.entry

    @property
    def kind(self):
        return self.entry["kind"] if self.entry else None

    def self_url(self):
        host = self.headers.get("Host", "")
        if not re.fullmatch(r"[A-Za-z0-9.\-:\[\]]+", host):
            host = f"127.0.0.1:{self.server.server_port}"
        return f"{self.sim.scheme}://{host}{self.url_path}"

    # -- writers --------------------------------------------------------------------
    def reply(self, status, body=b"", ctype=None, headers=(), xml=False):
        """An in-memory answer; XML faults apply to XML bodies of API calls."""
        if xml and body and self.entry is not None:
            for f in self.sim.faults.fire(self.kind, "xml"):
                if f.name == "malformed_xml":
                    body = faultmod.malform(body)
                else:
                    body = faultmod.oversize(body, f.get("bytes"))
        hdrs = ([("Content-Type", ctype)] if ctype else []) + list(headers)
        self.emit(status, hdrs, BytesSource(body), 0, len(body))

    def reply_xml(self, status, body, headers=()):
        self.reply(status, body, XML_TYPE, headers, xml=True)

    def reply_error(self, status, code, description, root, headers=()):
        self.reply_xml(status, error_envelope(root, code, description), headers)

    def reply_json(self, status, obj, headers=()):
        body = (json.dumps(obj, indent=1) + "\n").encode()
        self.reply(status, body, "application/json", headers)

    def emit(self, status, headers, source, start, length, chunked=False):
        """Send status, headers and `length` bytes of `source` from `start`,
        applying the body faults (stall, drop, lying_length) of API calls."""
        fault = None
        lost = self.sim.faults.fire(self.kind, "answer") if self.entry is not None else []
        if lost:
            self.sim.stopping.wait(lost[0].get("seconds"))
            self.abort()  # the call took effect; its answer is lost
            return
        if self.entry is not None and length > 0 and not self.head:
            fired = self.sim.faults.fire(self.kind, "body")
            fault = fired[0] if fired else None
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif status != 204 and status >= 200:
            declared = length
            if fault is not None and fault.name == "lying_length":
                declared = max(0, length + fault.get("delta"))
            self.send_header("Content-Length", str(declared))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.head or (length == 0 and not chunked):
            return
        limit = length
        if fault is not None and fault.name == "stall":
            limit = min(length, max(0, fault.get("after") or 0))
        elif fault is not None and fault.name == "drop":
            after = fault.get("after")
            limit = min(length, length // 2 if after is None else max(0, after))
        self._write(source, start, limit, chunked)
        if fault is None:
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
            return
        if fault.name == "stall":
            self.sim.stopping.wait(fault.get("seconds"))
        self.abort()

    def _write(self, source, start, n, chunked):
        stats, entry = self.sim.stats, self.entry
        if source.path and not chunked and not self.sim.tls and n >= 65536:
            with open(source.path, "rb") as f:
                self.wfile.flush()
                if entry is not None:
                    stats.sent(entry, n)
                try:
                    sent = self.connection.sendfile(f, start, n)
                except BaseException:
                    if entry is not None:
                        stats.sent(entry, -(n - max(0, f.tell() - start)))
                    raise
                if sent < n:
                    if entry is not None:
                        stats.sent(entry, sent - n)
                    raise ConnectionError("short sendfile")
            return
        for piece in source.chunks(start, n):
            if entry is not None:
                stats.sent(entry, len(piece))
            try:
                if chunked:
                    self.wfile.write(b"%x\r\n" % len(piece))
                    self.wfile.write(piece)
                    self.wfile.write(b"\r\n")
                else:
                    self.wfile.write(piece)
            except BaseException:
                if entry is not None:
                    stats.sent(entry, -len(piece))
                raise

    def abort(self):
        """Close the connection now, whatever the client still expects."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def serve_file(self, key, ctype, disposition=None, chunked=False):
        """A report file: 200, or 206/416 for a Range, or the whole file when
        ranges are off; big files are materialised and sent with sendfile."""
        range_ok = self.sim.store.config["range"]
        size = content.size(key)
        rng = parse_range(self.headers.get("Range"), size) if range_ok else None
        headers = [("Content-Type", ctype)]
        if disposition:
            headers.append(("Content-Disposition", disposition))
        if range_ok:
            headers.append(("Accept-Ranges", "bytes"))
        if rng == "unsatisfiable":
            self.emit(416, headers[:1] + [("Content-Range", f"bytes */{size}")],
                      BytesSource(b""), 0, 0)
            return
        path = None
        if not self.head and content.wants_file(key) and self.sim.state_dir:
            path = content.materialise(key, self.sim.state_dir)
        source = KeySource(key, path)
        if rng is None:
            self.emit(200, headers, source, 0, size, chunked)
        else:
            first, last = rng
            headers.append(("Content-Range", f"bytes {first}-{last}/{size}"))
            self.emit(206, headers, source, first, last - first + 1, chunked)


# -- servers ----------------------------------------------------------------------------

class SimServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, port, sim, origin, ssl_ctx=None):
        self.sim = sim
        self.origin = origin            # "api" or "signed"
        self.ssl_ctx = ssl_ctx
        super().__init__(("127.0.0.1", port), Handler)

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)    # no getfqdn(): it may wait on DNS
        self.server_name, self.server_port = self.server_address[:2]

    def finish_request(self, request, client_address):
        if self.ssl_ctx is None:
            self.RequestHandlerClass(request, client_address, self)
            return
        try:
            request.settimeout(30)
            conn = self.ssl_ctx.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, CONN_ERRORS):
            return
        traceback.print_exc()
