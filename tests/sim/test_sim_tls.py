"""--tls: HTTPS on both origins with a self-signed certificate written to
STATE_DIR/cert.pem; verification on with that cafile, off without it; plain
HTTP to the TLS port fails. api-facts.md hosts are https://; simulator.md --tls."""

import http.client
import os
import socket
import ssl
import urllib.parse

import pytest

from simtests import content_bytes


@pytest.fixture
def tls_api(api_factory):
    return api_factory("--tls")


def test_tls_info_and_cafile(tls_api):
    """simulator.md --tls: https in the info, PEM written to STATE_DIR/cert.pem."""
    sim = tls_api.sim
    assert sim.info["scheme"] == "https"
    assert sim.root == f"https://127.0.0.1:{sim.info['port']}"
    assert sim.api.startswith("https://") and sim.info["token_url"].startswith("https://")
    assert sim.cafile and os.path.samefile(sim.cafile, os.path.join(sim.state_dir, "cert.pem"))
    with open(sim.cafile) as f:
        assert "-----BEGIN CERTIFICATE-----" in f.read()


def test_tls_verified_request(tls_api):
    """With the generated cafile, verification on (hostname 127.0.0.1 checked)."""
    resp = tls_api.sim.get(tls_api.reports_path())
    assert resp.status == 200
    assert tls_api.reports()


def test_tls_localhost_name(tls_api):
    """The certificate also names localhost."""
    port = tls_api.sim.info["port"]
    resp = tls_api.sim.get(f"https://localhost:{port}/api/accounts/{tls_api.acct}/reports")
    assert resp.status == 200


def test_tls_unverified_without_cafile(tls_api):
    """Without the cafile the self-signed certificate is refused."""
    port = tls_api.sim.info["port"]
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10,
                                       context=ssl.create_default_context())
    with pytest.raises(ssl.SSLCertVerificationError):
        conn.request("GET", f"/api/accounts/{tls_api.acct}/reports")
    conn.close()


def test_tls_wrong_hostname_refused(tls_api):
    """The certificate names 127.0.0.1 and localhost only: another name fails
    verification even with the cafile."""
    port = tls_api.sim.info["port"]
    ctx = ssl.create_default_context(cafile=tls_api.sim.cafile)
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    with pytest.raises(ssl.SSLCertVerificationError):
        ctx.wrap_socket(raw, server_hostname="dashboard.bandwidth.com")
    raw.close()


def test_plain_http_to_tls_port_fails(tls_api):
    """simulator.md --tls: plain HTTP to the TLS port fails (and the server survives it)."""
    port = tls_api.sim.info["port"]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    with pytest.raises((http.client.HTTPException, OSError)):
        conn.request("GET", f"/api/accounts/{tls_api.acct}/reports")
        conn.getresponse().read()
    conn.close()
    # the server survives it
    assert tls_api.sim.get(tls_api.reports_path()).status == 200


def test_tls_redirect_origin_and_file(tls_api):
    """The signed (307) origin speaks TLS too, with the same certificate."""
    api = tls_api
    rid, iid, _ = api.control_instance(status="Ready", size=20_000, delivery="redirect",
                                       chunked=False)
    expected = content_bytes(api.sim, api.sim.instance(iid))
    resp = api.download(rid, iid)
    assert resp.status == 307
    loc = resp.header("Location")
    parts = urllib.parse.urlsplit(loc)
    assert parts.scheme == "https" and parts.port == api.sim.info["redirect_port"]
    got = api.sim.get(loc, auth="none")
    assert got.status == 200 and got.body == expected
    assert api.sim.get(loc).status == 400


def test_tls_token_and_bearer(tls_api):
    """api-facts OAuth2 over https."""
    token = tls_api.sim.token()
    assert tls_api.sim.get(tls_api.reports_path(), auth=("bearer", token)).status == 200


def test_tls_direct_file(tls_api):
    """api-facts row 7 over TLS: direct download and Range."""
    api = tls_api
    rid, iid, _ = api.control_instance(status="Ready", size=500_000, delivery="direct")
    expected = content_bytes(api.sim, api.sim.instance(iid))
    assert api.download(rid, iid).body == expected
    resp = api.download(rid, iid, headers={"Range": "bytes=1000-1999"})
    assert resp.status == 206 and resp.body == expected[1000:2000]


def test_tls_large_file(tls_api):
    """Files of 8 MiB and more (sent with sendfile in plain HTTP) arrive intact over TLS."""
    from simtests import sha256
    api = tls_api
    size = 8 * 1024 * 1024 + 3
    rid, iid, _ = api.control_instance(status="Ready", size=size, delivery="direct", chunked=False)
    info = api.sim.instance(iid)
    resp = api.download(rid, iid, timeout=60)
    assert resp.status == 200 and len(resp.body) == size
    assert sha256(resp.body) == info["sha256"]
