"""Fault injection (simulator.md "Faults"): every fault type, given on the
command line and at run time, with `every`, `times` and `kinds`; what the
client sees on the wire. Also api-facts.md "Errors and limits" (429 rate
limit, empty body, X-RateLimit-Reset) and the 503 19031 of instance POSTs."""

import base64
import http.client
import socket
import time
import urllib.parse
import xml.etree.ElementTree as ET

import pytest

from simtests import (assert_error, error_of, instance_body, parse_xml, raw_request,
                      content_bytes, billing_body)

SOURCES = ["cli", "runtime"]


@pytest.fixture(params=SOURCES)
def with_fault(request, api_factory):
    """with_fault(cli, spec): a simulator with one fault, given on the command
    line (`cli`, a fresh simulator) or added at run time (`spec`, a JSON
    object, on the module's shared simulator)."""
    def make(cli, spec):
        if request.param == "cli":
            return api_factory("--fault", cli)
        api = request.getfixturevalue("api")
        api.sim.add_faults(spec)
        return api
    return make


def ready_file(api, size=100_000):
    rid, iid, _ = api.control_instance(status="Ready", size=size, format="csv",
                                       delivery="direct", chunked=False)
    return rid, iid, content_bytes(api.sim, api.sim.instance(iid))


def valid_instance_post(api):
    """A POST body the server accepts, made from the report detail only (no probing POSTs)."""
    rid = api.reports()[0][0]
    params = api.parameters(rid)
    fmt = api.listed_formats(rid)[0]
    return rid, instance_body(fmt, api.valid_params(params))


# -- error503 -------------------------------------------------------------------

def test_error503_every_3(with_fault):
    """error503 every=3 kinds=reports.list: exactly every third matching call
    fails with 503 and the error envelope; other kinds are untouched."""
    api = with_fault("error503:every=3:kinds=reports.list",
                     {"fault": "error503", "every": 3, "kinds": ["reports.list"]})
    statuses = [api.sim.get(api.reports_path()).status for _ in range(9)]
    failed = [i for i, s in enumerate(statuses) if s == 503]
    assert len(failed) == 3, statuses
    assert failed[1] - failed[0] == 3 and failed[2] - failed[1] == 3, statuses
    assert set(statuses) == {200, 503}
    for _ in range(3):
        assert api.sim.get(api.instances_path()).status == 200
    bad = None
    while bad is None:
        r = api.sim.get(api.reports_path())
        bad = r if r.status == 503 else None
    tag, code, desc = error_of(bad)
    assert tag.endswith("Response") and code and desc
    assert api.sim.stats()["status"].get("503") == 4


def test_error503_times(with_fault):
    """`times` limits how often a fault fires: times=2 -> two 503, then normal."""
    api = with_fault("error503:times=2:kinds=instances.list_all",
                     {"fault": "error503", "times": 2, "kinds": ["instances.list_all"]})
    statuses = [api.sim.get(api.instances_path()).status for _ in range(5)]
    assert statuses == [503, 503, 200, 200, 200]


def test_error503_default_kinds_all_api_calls(api):
    """Without `kinds` a fault applies to every API kind."""
    rid, iid, _ = ready_file(api)
    api.sim.add_faults({"fault": "error503", "times": 5})
    assert api.sim.get(api.reports_path()).status == 503
    assert api.sim.get(api.instance_path(rid, iid)).status == 503
    assert api.download(rid, iid).status == 503
    assert api.sim.get(api.billing_path()).status == 503
    assert api.sim.get(f"{api.reports_path()}/{rid}").status == 503
    assert api.sim.get(api.reports_path()).status == 200


def test_error503_on_instance_post_is_19031(with_fault):
    """api-facts row 5: 503 19031 on instance POSTs."""
    api = with_fault("error503:kinds=instances.create:times=1",
                     {"fault": "error503", "kinds": ["instances.create"], "times": 1})
    rid, body = valid_instance_post(api)
    assert_error(api.post_instance(rid, body), 503, 19031)
    assert api.post_instance(rid, body).status == 201


def test_error503_on_token_endpoint(api):
    """Faults also reach the OAuth2 token endpoint (kind oauth.token)."""
    api.sim.add_faults({"fault": "error503", "kinds": ["oauth.token"], "times": 1})
    client, secret = next(iter(api.sim.info["clients"].items()))
    resp = api.sim.request("POST", api.sim.info["token_url"], body="grant_type=client_credentials",
                           headers={"Content-Type": "application/x-www-form-urlencoded"},
                           auth=("basic", client, secret))
    assert resp.status == 503
    assert api.sim.token()


# -- ratelimit --------------------------------------------------------------------

def test_ratelimit_429(with_fault):
    """api-facts Errors and limits: 429 with an empty body and
    X-RateLimit-Reset: <epoch seconds> (no Retry-After) on the instance-creating
    POSTs (default kinds: the POSTs); GETs are not limited."""
    api = with_fault("ratelimit:reset=5",
                     {"fault": "ratelimit", "reset": 5})
    rid, body = valid_instance_post(api)
    before = len(api.instances(rid))
    now = time.time()
    resp = api.post_instance(rid, body)
    assert resp.status == 429, resp
    assert resp.body == b""
    assert resp.header("Retry-After") is None
    reset = resp.header("X-RateLimit-Reset")
    assert reset is not None and reset.isdigit(), reset
    assert now < int(reset) <= now + 5 + 2, (now, reset)
    assert int(reset) >= now + 3
    assert len(api.instances(rid)) == before
    resp = api.sim.post(api.billing_path(), billing_body("BDR", "2021-07-16", "2021-09-16"))
    assert resp.status == 429 and resp.body == b"", resp
    assert api.sim.get(api.reports_path()).status == 200
    assert api.sim.get(api.billing_path()).status == 200


def test_ratelimit_times_then_created(api):
    """api-facts rate limit: once the limit passes (times=1) the POST succeeds."""
    rid, body = valid_instance_post(api)
    api.sim.add_faults({"fault": "ratelimit", "times": 1, "reset": 1})
    assert api.post_instance(rid, body).status == 429
    assert api.post_instance(rid, body).status == 201


# -- slow, stall -------------------------------------------------------------------

def test_slow(with_fault):
    """slow: waits `seconds` before answering; the answer is normal."""
    api = with_fault("slow:seconds=0.6:kinds=reports.list",
                     {"fault": "slow", "seconds": 0.6, "kinds": ["reports.list"]})
    start = time.monotonic()
    resp = api.sim.get(api.reports_path())
    elapsed = time.monotonic() - start
    assert resp.status == 200
    assert parse_xml(resp).tag == "ReportsResponse"
    assert elapsed >= 0.6
    start = time.monotonic()
    assert api.sim.get(api.instances_path()).status == 200
    assert time.monotonic() - start < 0.6


def test_stall(with_fault):
    """stall: sends the headers (and `after` body bytes), then nothing; a
    client with a short socket timeout sees the timeout."""
    api = with_fault("stall:after=500:seconds=5:kinds=instances.file",
                     {"fault": "stall", "after": 500, "seconds": 5, "kinds": ["instances.file"]})
    rid, iid, expected = ready_file(api)
    raw = raw_request(api.sim, "GET", api.file_path(rid, iid), timeout=1.0)
    assert raw.status == 200
    assert raw.timed_out and not raw.closed, raw
    assert raw.body == expected[:500]
    with pytest.raises(TimeoutError):
        api.download(rid, iid, timeout=1.0)


def test_stall_headers_only_default_after(api):
    """stall with the default after=0: headers arrive, no body byte does."""
    api.sim.add_faults({"fault": "stall", "seconds": 5, "kinds": ["reports.list"], "times": 1})
    raw = raw_request(api.sim, "GET", api.reports_path(), timeout=1.0)
    assert raw.status == 200 and raw.timed_out and raw.body == b"", raw
    assert api.sim.get(api.reports_path()).status == 200


# -- drop, lying_length -----------------------------------------------------------------

def test_drop_mid_body(with_fault):
    """drop: closes the connection after `after` body bytes."""
    api = with_fault("drop:after=1000:kinds=instances.file",
                     {"fault": "drop", "after": 1000, "kinds": ["instances.file"]})
    rid, iid, expected = ready_file(api)
    raw = raw_request(api.sim, "GET", api.file_path(rid, iid))
    assert raw.status == 200
    assert raw.closed and not raw.timed_out
    assert int(raw.headers["content-length"]) == len(expected)
    assert raw.body == expected[:1000]
    with pytest.raises(http.client.IncompleteRead):
        api.download(rid, iid)


def test_drop_default_is_mid_body(api_factory):
    """drop without `after` still closes somewhere inside the body."""
    api = api_factory("--fault", "drop:kinds=instances.file")
    rid, iid, expected = ready_file(api)
    raw = raw_request(api.sim, "GET", api.file_path(rid, iid))
    assert raw.closed
    assert 0 < len(raw.body) < len(expected)
    assert raw.body == expected[:len(raw.body)]


def test_ratelimit_default_reset(api_factory):
    """ratelimit without `reset`: X-RateLimit-Reset about 2 s ahead (simulator.md default)."""
    api = api_factory("--fault", "ratelimit")
    rid, body = valid_instance_post(api)
    now = time.time()
    resp = api.post_instance(rid, body)
    assert resp.status == 429 and resp.body == b""
    assert now < int(resp.header("X-RateLimit-Reset")) <= now + 4


def test_drop_xml_body(api):
    """drop also cuts XML answers."""
    full = api.sim.get(api.reports_path()).body
    api.sim.add_faults({"fault": "drop", "after": 200, "kinds": ["reports.list"]})
    raw = raw_request(api.sim, "GET", api.reports_path())
    assert raw.closed and raw.body == full[:200]


@pytest.mark.parametrize("delta", [100, -100])
def test_lying_length(with_fault, delta):
    """lying_length: Content-Length says `delta` more bytes than are sent
    (negative: fewer), then the connection closes."""
    api = with_fault(f"lying_length:delta={delta}:kinds=instances.file",
                     {"fault": "lying_length", "delta": delta, "kinds": ["instances.file"]})
    rid, iid, expected = ready_file(api, size=50_000)
    raw = raw_request(api.sim, "GET", api.file_path(rid, iid))
    assert raw.status == 200
    assert raw.closed and not raw.timed_out
    assert int(raw.headers["content-length"]) == len(expected) + delta
    assert raw.body == expected
    if delta > 0:
        with pytest.raises(http.client.IncompleteRead):
            api.download(rid, iid)
    else:
        short = api.download(rid, iid)
        assert short.body == expected[:len(expected) + delta]


# -- malformed and oversized XML -----------------------------------------------------

def test_malformed_xml(with_fault):
    """malformed_xml: the XML body cut in the middle of a tag: it does not parse."""
    api = with_fault("malformed_xml:kinds=reports.list:times=1",
                     {"fault": "malformed_xml", "kinds": ["reports.list"], "times": 1})
    bad = api.sim.get(api.reports_path())
    good = api.sim.get(api.reports_path())
    assert good.status == 200 and parse_xml(good).tag == "ReportsResponse"
    assert bad.status == 200
    with pytest.raises(ET.ParseError):
        ET.fromstring(bad.body)
    assert bad.body and len(bad.body) < len(good.body)
    assert good.body.startswith(bad.body)
    assert bad.body.rstrip().rfind(b"<") > bad.body.rstrip().rfind(b">"), "not cut inside a tag"


def test_malformed_xml_on_error_and_instance_answers(api):
    """malformed_xml touches XML answers of other kinds (instance detail, errors)."""
    items = api.instances()
    api.sim.add_faults({"fault": "malformed_xml", "kinds": ["instances.get", "reports.get"]})
    resp = api.sim.get(api.instance_path(items[0]["ReportId"], items[0]["Id"]))
    with pytest.raises(ET.ParseError):
        ET.fromstring(resp.body)
    resp = api.sim.get(f"{api.reports_path()}/987654")
    assert resp.status == 404
    with pytest.raises(ET.ParseError):
        ET.fromstring(resp.body)


def test_oversized_xml(with_fault):
    """oversized_xml: a valid XML body padded to `bytes`."""
    api = with_fault("oversized_xml:bytes=300000:kinds=instances.list_all:times=1",
                     {"fault": "oversized_xml", "bytes": 300000, "kinds": ["instances.list_all"],
                      "times": 1})
    big = api.sim.get(api.instances_path())
    normal = api.sim.get(api.instances_path())
    assert len(normal.body) < 300000
    assert len(big.body) == 300000
    root = parse_xml(big)
    assert root.tag == "ReportInstancesResponse"
    ids = [i.find("Id").text for i in root.findall("Instances/Instance")]
    assert ids == [i.find("Id").text for i in parse_xml(normal).findall("Instances/Instance")]


# -- the fault list of the control API ----------------------------------------------

def test_faults_read_add_clear(api):
    """GET/POST/DELETE /_sim/faults: read, add, clear."""
    assert api.sim.control("GET", "/faults") == []
    api.sim.add_faults({"fault": "error503", "kinds": ["reports.list"], "every": 2},
                       {"fault": "slow", "seconds": 0.1, "kinds": ["billing.list"]})
    listed = api.sim.control("GET", "/faults")
    assert [f["fault"] for f in listed] == ["error503", "slow"]
    assert listed[0]["kinds"] == ["reports.list"] and listed[0]["every"] == 2
    api.sim.clear_faults()
    assert api.sim.control("GET", "/faults") == []
    assert all(api.sim.get(api.reports_path()).status == 200 for _ in range(4))


def test_cli_fault_several_kinds(api_factory):
    """On the command line kinds are comma-separated."""
    api = api_factory("--fault", "error503:kinds=reports.list,billing.list")
    assert api.sim.get(api.reports_path()).status == 503
    assert api.sim.get(api.billing_path()).status == 503
    assert api.sim.get(api.instances_path()).status == 200


def test_cli_faults_repeatable(api_factory):
    """simulator.md --fault is repeatable."""
    api = api_factory("--fault", "error503:kinds=reports.list",
                      "--fault", "slow:seconds=0.3:kinds=instances.list_all")
    assert [f["fault"] for f in api.sim.control("GET", "/faults")] == ["error503", "slow"]
    assert api.sim.get(api.reports_path()).status == 503
    start = time.monotonic()
    assert api.sim.get(api.instances_path()).status == 200
    assert time.monotonic() - start >= 0.3


def test_every_and_times_together(api):
    """every=2 times=2: the 2nd and 4th matching calls fail, no later one."""
    api.sim.add_faults({"fault": "error503", "every": 2, "times": 2, "kinds": ["reports.list"]})
    statuses = [api.sim.get(api.reports_path()).status for _ in range(8)]
    assert statuses.count(503) == 2
    first = statuses.index(503)
    assert statuses[first + 2] == 503 and first < 2, statuses


def test_cli_fault_listed(api_factory):
    """simulator.md: a --fault of the command line shows in GET /_sim/faults."""
    api = api_factory("--fault", "error503:every=3:kinds=instances.file")
    listed = api.sim.control("GET", "/faults")
    assert len(listed) == 1
    assert listed[0]["fault"] == "error503" and listed[0]["every"] == 3
    assert listed[0]["kinds"] == ["instances.file"]


@pytest.mark.parametrize("spec", [{"fault": "nope"}, {"fault": "error503", "every": 0},
                                  {"fault": "slow", "kinds": ["no.such.kind"]},
                                  {"fault": "slow", "speed": 3}])
def test_bad_fault_spec_refused(api, spec):
    """simulator.md faults grammar: an unknown fault, kind or parameter, or every=0, is refused."""
    with pytest.raises(RuntimeError):
        api.sim.add_faults(spec)
    assert api.sim.control("GET", "/faults") == []


def test_bad_cli_fault_refused(sim_factory):
    """simulator.md faults grammar: a bad --fault stops the simulator from starting."""
    with pytest.raises(RuntimeError):
        sim_factory("--fault", "nope:every=2")


def test_fault_on_signed_origin(api):
    """Faults reach the signed origin too (kind signed.file)."""
    rid, iid, _ = api.control_instance(status="Ready", size=10_000, format="csv", delivery="redirect")
    loc = api.download(rid, iid).header("Location")
    api.sim.add_faults({"fault": "error503", "kinds": ["signed.file"], "times": 1})
    assert api.sim.get(loc, auth="none").status == 503
    assert api.sim.get(loc, auth="none").status == 200


# -- lost_answer ----------------------------------------------------------------

def post_and_listen(sim, path, body, wait):
    """POST on a plain socket; returns (bytes received, peer closed, seconds
    until it closed or `wait` passed)."""
    parts = urllib.parse.urlsplit(sim.api + path)
    user, password = next(iter(sim.info["users"].items()))
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    body = body.encode()
    head = (f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Basic {auth}\r\n"
            f"Content-Type: application/xml\r\nContent-Length: {len(body)}\r\n\r\n")
    start = time.monotonic()
    with socket.create_connection((parts.hostname, parts.port), timeout=wait) as sock:
        sock.sendall(head.encode() + body)
        try:
            data = sock.recv(65536)
            closed = data == b""
        except (socket.timeout, TimeoutError):
            data, closed = b"", False
        except ConnectionResetError:
            data, closed = b"", True
    return data, closed, time.monotonic() - start


@pytest.mark.parametrize("seconds", [0, 2])
def test_lost_answer_after_the_call_took_effect(api, seconds):
    """lost_answer: the POST is carried out (one more instance is listed), but
    not one byte of its answer comes: the connection closes at once, or stays
    silent for `seconds` (a client's stall timeout ends the wait first)."""
    rid, body = valid_instance_post(api)
    before = {i["Id"] for i in api.instances(rid)}
    api.sim.add_faults({"fault": "lost_answer", "times": 1, "seconds": seconds})
    data, closed, _ = post_and_listen(api.sim, api.instances_path(rid), body,
                                      wait=0.5 if seconds else 10)
    assert data == b""
    assert closed == (seconds == 0)
    assert len({i["Id"] for i in api.instances(rid)} - before) == 1
    assert api.post_instance(rid, body).status == 201  # times=1: answered again
