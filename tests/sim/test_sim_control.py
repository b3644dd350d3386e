"""The control API (/_sim/...) of simulator.md: info and the ready file, stats
per kind with bytes_sent and reset, the request log (what the client sent, the
SDK headers of api-facts.md "Authentication", never a secret), run-time config,
and fixtures made through /_sim/instances and /_sim/billing."""

import base64
import json
import socket
import time
import urllib.parse

import pytest

from simtests import (assert_error, billing_body, billing_id, content_bytes, instance_body,
                      parse_xml, sha256, wait_for)

ALL_KINDS = ["reports.list", "reports.get", "instances.list_all", "instances.list",
             "instances.get", "instances.create", "instances.file", "signed.file",
             "billing.create", "billing.list", "billing.get", "billing.file", "oauth.token",
             "unknown"]


# -- info / ready file ----------------------------------------------------------------

def test_info_matches_ready_file(api):
    """simulator.md: GET /_sim/info is the ready-file object, with every documented key."""
    info = api.sim.control("GET", "/info")
    assert info == api.sim.info
    for key in ("port", "redirect_port", "scheme", "root", "api", "token_url", "cafile",
                "accounts", "forbidden_account", "users", "clients"):
        assert key in info, key
    assert info["scheme"] == "http"
    assert info["root"] == f"http://127.0.0.1:{info['port']}"
    assert info["api"] == info["root"] + "/api"
    assert info["token_url"] == info["root"] + "/api/v1/oauth2/token"
    assert info["cafile"] is None
    assert info["redirect_port"] != info["port"]
    assert info["forbidden_account"] == "9999999"
    assert info["accounts"] == ["9900001", "9900002"]
    assert info["forbidden_account"] not in info["accounts"]
    assert info["users"] == {"demo": "demo-password"}
    assert info["clients"] == {"demo-client": "demo-secret"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_fixed_ports(api_factory):
    """simulator.md --port and --redirect-port."""
    port, rport = free_port(), free_port()
    api = api_factory("--port", str(port), "--redirect-port", str(rport))
    assert api.sim.info["port"] == port and api.sim.info["redirect_port"] == rport
    assert api.sim.get(api.reports_path()).status == 200
    rid, iid, _ = api.control_instance(status="Ready", size=100, delivery="redirect")
    assert f":{rport}/" in api.download(rid, iid).header("Location")


def test_accounts_option(api_factory):
    """simulator.md --accounts N: N seven-digit accounts 9900001..."""
    api = api_factory("--accounts", "4")
    assert api.sim.accounts == ["9900001", "9900002", "9900003", "9900004"]
    for acct in api.sim.accounts:
        assert api.sim.get(api.reports_path(acct)).status == 200


def test_listens_on_loopback_only(api):
    """simulator.md: it listens on 127.0.0.1 only (both origins), as the kernel's
    socket table shows."""
    ports = {api.sim.info["port"], api.sim.info["redirect_port"]}
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.read().splitlines()[1:]:
                fields = line.split()
                addr, port = fields[1].split(":")
                if fields[3] == "0A" and int(port, 16) in ports:
                    found.setdefault(int(port, 16), []).append(addr)
    assert set(found) == ports, found
    for addrs in found.values():
        assert addrs == ["0100007F"], addrs


# -- stats -----------------------------------------------------------------------------

def one_call_of_each_kind(api):
    """Make exactly one API call of every kind; returns the bodies received."""
    sim = api.sim
    rid = api.reports()[0][0]
    items = api.instances(rid)
    params = api.parameters(rid)
    fmt = api.listed_formats(rid)[0]
    _, direct, _ = api.control_instance(report_id=rid, status="Ready", size=5000, delivery="direct")
    _, redirect, _ = api.control_instance(report_id=rid, status="Ready", size=5000, delivery="redirect")
    uuid = billing_id(sim.create_billing(account=api.acct, type="BDR", start="2021-07-16",
                                         end="2021-09-16", status="COMPLETED"))
    client, secret = next(iter(sim.info["clients"].items()))
    sim.reset()
    bodies = []
    out = [
        sim.get(api.reports_path()),
        sim.get(f"{api.reports_path()}/{rid}"),
        sim.get(api.instances_path()),
        sim.get(api.instances_path(rid)),
        sim.get(api.instance_path(rid, items[0]["Id"])),
        api.post_instance(rid, instance_body(fmt, api.valid_params(params))),
        api.download(rid, direct),
    ]
    r307 = api.download(rid, redirect)     # a second instances.file
    out.append(r307)
    out.append(sim.get(r307.header("Location"), auth="none"))
    out += [
        sim.post(api.billing_path(), billing_body("BDR", "2021-07-16", "2021-09-16")),
        sim.get(api.billing_path()),
        sim.get(api.billing_path(f"/{uuid}")),
        sim.get(api.billing_path(f"/{uuid}/file")),
        sim.request("POST", sim.info["token_url"], body="grant_type=client_credentials",
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                    auth=("basic", client, secret)),
        sim.get(f"/accounts/{api.acct}/no-such-thing"),
    ]
    for r in out:
        bodies.append(r.body)
    return out


def test_stats_count_every_kind(api):
    """simulator.md: stats count calls per kind, per status, in total, and bytes_sent;
    control calls are not counted."""
    out = one_call_of_each_kind(api)
    stats = api.sim.stats()
    expected = {k: 1 for k in ALL_KINDS}
    expected["instances.file"] = 2
    assert stats["calls"] == expected
    assert stats["requests"] == len(out) == 15
    assert sum(stats["status"].values()) == 15
    by_status = {}
    for r in out:
        by_status[str(r.status)] = by_status.get(str(r.status), 0) + 1
    assert stats["status"] == by_status
    assert by_status.get("404") == 1 and by_status.get("307") == 1 and by_status.get("201") == 2
    received = sum(len(r.body) for r in out)
    assert received <= stats["bytes_sent"] <= received + 15 * 2048


def test_stats_bytes_sent_of_a_download(api):
    """simulator.md stats: bytes_sent counts a download's body bytes (plus at most headers)."""
    rid, iid, _ = api.control_instance(status="Ready", size=300_000, delivery="direct")
    api.sim.reset()
    assert api.sim.stats()["bytes_sent"] == 0
    assert len(api.download(rid, iid).body) == 300_000
    sent = api.sim.stats()["bytes_sent"]
    assert 300_000 <= sent <= 300_000 + 2048


def test_reset_zeroes_stats_keeps_data(api):
    """POST /_sim/reset zeroes the stats and forgets the request log; data stays."""
    rid, new_id, _ = api.create_via_post()
    assert api.sim.calls() > 0 and api.sim.requests()
    api.sim.reset()
    stats = api.sim.stats()
    assert stats["requests"] == 0 and stats["bytes_sent"] == 0
    assert not stats["calls"] and not stats["status"]
    assert api.sim.requests() == []
    assert api.get_instance(rid, new_id)["Id"] == new_id
    assert api.sim.calls("instances.get") == 1


# -- request log ---------------------------------------------------------------------------

def test_request_log_records_the_call(api):
    """GET /_sim/requests: kind, method, path, query, auth, the SDK headers
    (api-facts Authentication: Accept, Content-Type on POST, User-Agent) and body."""
    rid = api.reports()[0][0]
    params = api.parameters(rid)
    body = instance_body(api.listed_formats(rid)[0], api.valid_params(params))
    api.sim.reset()
    api.sim.post(api.instances_path(rid), body,
                 headers={"User-Agent": "bwreportfs/0.1 (test)", "Accept": "application/xml"})
    api.sim.get(api.instances_path() + "?page=1&size=30")
    api.sim.get(api.reports_path(), headers={"Range": "bytes=0-9"})
    log = api.sim.requests()
    assert len(log) == 3
    post, listing, ranged = log
    assert post["kind"] == "instances.create"
    assert post["method"] == "POST"
    assert post["path"].endswith(f"/accounts/{api.acct}/reports/{rid}/instances")
    assert post["auth"] == "basic:demo"
    assert post["headers"]["Content-Type"] == "application/xml"
    assert post["headers"]["Accept"] == "application/xml"
    assert post["headers"]["User-Agent"] == "bwreportfs/0.1 (test)"
    assert post["body"] == body
    assert listing["kind"] == "instances.list_all" and listing["method"] == "GET"
    assert listing["query"] in ("page=1&size=30", {"page": "1", "size": "30"},
                                {"page": ["1"], "size": ["30"]}), listing["query"]
    assert ranged["headers"]["Range"] == "bytes=0-9"


def test_request_log_auth_kinds(api):
    """auth field: basic:USER, bearer, none, bad."""
    token = api.sim.token()
    api.sim.reset()
    api.sim.get(api.reports_path())
    api.sim.get(api.reports_path(), auth=("bearer", token))
    api.sim.get(api.reports_path(), auth="none")
    api.sim.get(api.reports_path(), auth=("basic", "demo", "wrong-password"))
    api.sim.get(api.reports_path(), auth=("bearer", "not-a-token"))
    assert [e["auth"] for e in api.sim.requests()] == ["basic:demo", "bearer", "none", "bad", "bad"]


def secrets_of(sim, token, extra=()):
    user, password = next(iter(sim.info["users"].items()))
    client, secret = next(iter(sim.info["clients"].items()))
    return [password, secret, token,
            base64.b64encode(f"{user}:{password}".encode()).decode(),
            base64.b64encode(f"{client}:{secret}".encode()).decode(), *extra]


def exercise_secrets(api):
    """Calls that carry every kind of secret; returns the token used."""
    sim = api.sim
    token = sim.token()
    sim.get(api.reports_path())
    sim.get(api.reports_path(), auth=("bearer", token))
    sim.get(api.reports_path(), auth=("basic", "demo", "hunter2-wrong-guess"))
    sim.get(api.reports_path(), auth=("basic", "mallory", "hunter2-wrong-guess"))
    sim.request("POST", sim.info["token_url"], body="grant_type=client_credentials",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                auth=("basic", "demo-client", "hunter2-wrong-guess"))
    sim.request("POST", sim.info["token_url"],           # RFC 6749 form-body credentials
                body="grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret",
                headers={"Content-Type": "application/x-www-form-urlencoded"}, auth="none")
    rid, iid, _ = api.control_instance(status="Ready", size=100, delivery="redirect")
    loc = api.download(rid, iid).header("Location")
    sim.get(loc)                                   # Authorization to the signed origin
    sim.get(loc, auth=("bearer", token))
    sim.get(loc, auth="none")
    signature = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))["Signature"]
    return token, signature


def test_request_log_never_holds_secrets(api):
    """simulator.md: secrets are never logged (passwords, client secret, tokens,
    Basic credentials, wrong passwords, the signature of a signed URL, which
    api-facts calls the URL's own credentials)."""
    token, signature = exercise_secrets(api)
    dumped = json.dumps(api.sim.requests()) + json.dumps(api.sim.stats())
    for secret in secrets_of(api.sim, token, ["hunter2-wrong-guess", signature]):
        assert secret not in dumped, f"request log holds a secret: {secret[:6]}..."
    assert len(api.sim.requests()) >= 9


def test_log_requests_stderr_never_holds_secrets(api_factory):
    """--log-requests: one line per request on stderr, without secrets."""
    api = api_factory("--log-requests")
    api.sim.reset()
    token, signature = exercise_secrets(api)
    n = api.sim.calls()
    log = wait_for(lambda: (t := api.sim.log()).count("\n") >= n and t, timeout=5,
                   what="the request lines on stderr")
    for secret in secrets_of(api.sim, token, ["hunter2-wrong-guess", signature]):
        assert secret not in log
    assert "reports" in log


# -- config ---------------------------------------------------------------------------------

def test_config_progress_word_and_ready_delay(api):
    """POST /_sim/config: progress_word and ready_delay change at run time."""
    api.sim.config(progress_word="Working", ready_delay=0.4)
    rid, iid, _ = api.create_via_post()
    start = time.monotonic()
    status = api.get_instance(rid, iid)["Status"]
    if time.monotonic() - start < 0.3:
        assert status == "Working"
    wait_for(lambda: api.get_instance(rid, iid)["Status"] == "Ready", timeout=10,
             what="ready after 0.4 s")
    assert api.download(rid, iid).status == 200


def test_config_token_ttl(api):
    """simulator.md POST /_sim/config token_ttl: expires_in of new tokens."""
    api.sim.config(token_ttl=7)
    client, secret = next(iter(api.sim.info["clients"].items()))
    resp = api.sim.request("POST", api.sim.info["token_url"], body="grant_type=client_credentials",
                           headers={"Content-Type": "application/x-www-form-urlencoded"},
                           auth=("basic", client, secret))
    assert resp.json()["expires_in"] == 7


def test_config_page_size(api):
    """simulator.md POST /_sim/config page_size: Links/next appear and go again."""
    root = parse_xml(api.sim.get(api.instances_path()))
    assert root.find("Links") is None
    api.sim.config(page_size=5)
    root = parse_xml(api.sim.get(api.instances_path()))
    assert len(root.findall("Instances/Instance")) == 5
    assert root.find("Links/next") is not None
    api.sim.config(page_size=0)
    assert parse_xml(api.sim.get(api.instances_path())).find("Links") is None


def test_config_unknown_setting_refused(api):
    """simulator.md POST /_sim/config: an unknown setting is an error, not ignored."""
    with pytest.raises(RuntimeError):
        api.sim.config(no_such_setting=1)


# -- fixtures through the control API --------------------------------------------------------

def test_control_instance_create_get_patch(api):
    """POST/GET/PATCH /_sim/instances: what is set shows in the API."""
    rid = api.reports()[3][0]
    acct = api.sim.accounts[1]
    obj = api.sim.create_instance(account=acct, report_id=rid, status="Ready", size=4321,
                                  format="xlsx", filename="my report.xlsx", disposition="quoted",
                                  delivery="direct", chunked=False,
                                  parameters={"AccountId": acct}, requested_at="2024-3-5 07:08:09")
    iid = str(obj["id"])
    got = api.get_instance(rid, iid, acct=acct)
    assert got["Status"] == "Ready" and got["OutputFormat"] == "xlsx"
    assert got["RequestedAt"] == "2024-3-5 07:08:09"
    assert ("AccountId", [acct]) in got["_parameters"]
    assert iid in {i["Id"] for i in api.instances(rid, acct=acct)}
    info = api.sim.instance(iid)
    assert info["size"] == 4321
    resp = api.download(rid, iid, acct=acct)
    assert resp.header("Content-Disposition") == 'attachment; filename="my report.xlsx"'
    assert sha256(resp.body) == info["sha256"] and resp.body == content_bytes(api.sim, info)
    api.sim.patch_instance(iid, status="Expired")
    got = api.get_instance(rid, iid, acct=acct)
    assert got["Status"] == "Expired" and "ExpiresAt" not in got
    assert_error(api.download(rid, iid, acct=acct), 404, 19049)
    api.sim.patch_instance(iid, status="Ready", size=99)
    assert len(api.download(rid, iid, acct=acct).body) == 99


def test_control_instance_patch_seeded(api):
    """PATCH works on seeded instances too (e.g. a seeded in-progress one)."""
    waiting = [i for i in api.instances() if i["Status"] == "Processing"][0]
    assert_error(api.download(waiting["ReportId"], waiting["Id"]), 202, 19048)
    api.sim.patch_instance(waiting["Id"], status="Ready")
    assert api.download(waiting["ReportId"], waiting["Id"]).status in (200, 307)


def test_control_instance_unknown_404(api):
    """simulator.md GET/PATCH /_sim/instances/{iid}: unknown ids are errors."""
    with pytest.raises(RuntimeError):
        api.sim.instance(987654321)
    with pytest.raises(RuntimeError):
        api.sim.patch_instance(987654321, status="Ready")


def test_control_billing_create_get_patch(api):
    """POST/GET/PATCH /_sim/billing: the report shows in the API list and its file."""
    obj = api.sim.create_billing(account=api.acct, type="DIDSNAP", start="2024-01-01",
                                 end="2024-01-31", status="PROCESSING")
    uuid = billing_id(obj)
    items = parse_xml(api.sim.get(api.billing_path("?kind=DIDSNAP"))).findall(
        "BillingReportList/BillingReport")
    mine = [b for b in items if b.find("BillingReportId").text == uuid]
    assert len(mine) == 1 and mine[0].find("ReportStatus").text == "PROCESSING"
    assert mine[0].find("DateRange/StartDate").text == "2024-01-01"
    api.sim.patch_billing(uuid, status="COMPLETED")
    resp = api.sim.get(api.billing_path(f"/{uuid}/file"))
    assert resp.status == 200 and resp.body.startswith(b"PK")
    info = api.sim.billing(uuid)
    assert info["sha256"] == sha256(resp.body) and info["size"] == len(resp.body)
