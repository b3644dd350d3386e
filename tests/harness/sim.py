"""Runs bwsim as a child process on a free port and talks to it: a plain HTTP
client for the API and helpers for the control API (/_sim/...)."""

import base64
import http.client
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIM_DIR = os.path.join(REPO, "tests", "sim")
START_TIMEOUT = 60.0


class Response:
    """What an HTTP call answered; `headers` keys are lower-case."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<Response {self.status} {self.body[:200]!r}>"


def _basic(user, password):
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return f"Basic {token}"


class Sim:
    """One running simulator. `info` is its ready file (see docs/simulator.md)."""

    def __init__(self, args=(), workdir=None):
        self._tmp = tempfile.TemporaryDirectory(prefix="bwsim-", dir=workdir)
        self.state_dir = os.path.join(self._tmp.name, "state")
        ready = os.path.join(self._tmp.name, "ready.json")
        self.stderr_path = os.path.join(self._tmp.name, "sim.stderr")
        env = dict(os.environ, PYTHONPATH=SIM_DIR, PYTHONDONTWRITEBYTECODE="1")
        cmd = [sys.executable, "-m", "bwsim", "--ready-file", ready,
               "--state-dir", self.state_dir, *args]
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._stderr, stderr=self._stderr)
        deadline = time.monotonic() + START_TIMEOUT
        while not os.path.exists(ready):
            if self.proc.poll() is not None:
                raise RuntimeError(f"simulator exited ({self.proc.returncode}): {self.log()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("simulator did not start in time")
            time.sleep(0.02)
        with open(ready) as f:
            self.info = json.load(f)
        self.root = self.info["root"]
        self.api = self.info["api"]
        self.cafile = self.info.get("cafile")
        self.accounts = self.info["accounts"]
        self.forbidden_account = self.info["forbidden_account"]

    # -- lifecycle -------------------------------------------------------
    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._stderr.close()
        self._tmp.cleanup()

    def log(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    # -- plain HTTP ------------------------------------------------------
    def _ssl_context(self):
        if not self.cafile:
            return None
        return ssl.create_default_context(cafile=self.cafile)

    def request(self, method, url, body=None, headers=None, auth="basic", timeout=30):
        """One HTTP request, no redirects followed. `url` is absolute or a path
        below the API base ("/accounts/..."). auth: "basic" (default user),
        "none", ("basic", user, password), ("bearer", token) or a raw header."""
        if not url.startswith(("http://", "https://")):
            url = self.api + url
        parts = urllib.parse.urlsplit(url)
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout,
                                               context=self._ssl_context())
        else:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        hdrs = {"Accept": "application/xml", "User-Agent": "bwsim-tests"}
        if auth == "basic":
            user, password = next(iter(self.info["users"].items()))
            hdrs["Authorization"] = _basic(user, password)
        elif isinstance(auth, tuple) and auth[0] == "basic":
            hdrs["Authorization"] = _basic(auth[1], auth[2])
        elif isinstance(auth, tuple) and auth[0] == "bearer":
            hdrs["Authorization"] = f"Bearer {auth[1]}"
        elif isinstance(auth, str) and auth != "none":
            hdrs["Authorization"] = auth
        hdrs.update(headers or {})
        if isinstance(body, str):
            body = body.encode()
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
        finally:
            conn.close()

    def get(self, url, **kw):
        return self.request("GET", url, **kw)

    def post(self, url, body, **kw):
        headers = {"Content-Type": "application/xml"}
        headers.update(kw.pop("headers", {}))
        return self.request("POST", url, body=body, headers=headers, **kw)

    def token(self, client_id=None, secret=None):
        """An OAuth2 access token for a client (the default one)."""
        if client_id is None:
            client_id, secret = next(iter(self.info["clients"].items()))
        resp = self.request("POST", self.info["token_url"], body="grant_type=client_credentials",
                            headers={"Content-Type": "application/x-www-form-urlencoded",
                                     "Accept": "application/json"},
                            auth=("basic", client_id, secret))
        assert resp.status == 200, resp
        return resp.json()["access_token"]

    # -- control API -----------------------------------------------------
    def control(self, method, path, payload=None):
        body = None if payload is None else json.dumps(payload)
        resp = self.request(method, self.root + "/_sim" + path, body=body, auth="none",
                            headers={"Content-Type": "application/json", "Accept": "application/json"})
        if resp.status >= 400:
            raise RuntimeError(f"control {method} {path}: {resp.status} {resp.body!r}")
        return json.loads(resp.body) if resp.body else None

    def stats(self):
        return self.control("GET", "/stats")

    def calls(self, kind=None):
        """Count of API calls of one kind (or all) since the last reset."""
        s = self.stats()
        return s["requests"] if kind is None else s["calls"].get(kind, 0)

    def reset(self):
        self.control("POST", "/reset")

    def requests(self):
        return self.control("GET", "/requests")

    def add_faults(self, *specs):
        return self.control("POST", "/faults", list(specs))

    def clear_faults(self):
        return self.control("DELETE", "/faults")

    def config(self, **settings):
        return self.control("POST", "/config", settings)

    def create_instance(self, **fields):
        return self.control("POST", "/instances", fields)

    def patch_instance(self, iid, **fields):
        return self.control("PATCH", f"/instances/{iid}", fields)

    def instance(self, iid):
        return self.control("GET", f"/instances/{iid}")

    def create_billing(self, **fields):
        return self.control("POST", "/billing", fields)

    def patch_billing(self, uuid, **fields):
        return self.control("PATCH", f"/billing/{uuid}", fields)

    def billing(self, uuid):
        return self.control("GET", f"/billing/{uuid}")
