"""Fixtures and helpers of the simulator's own tests (tests/sim/test_sim_*.py).

`api` wraps the default simulator (`sim` from tests/conftest.py) in a small
client that knows the API's paths and XML shapes; `api_factory(*cli_args)`
does the same for a simulator started with chosen options. Everything here is
standard library: http.client, a raw socket reader for the faults that break
HTTP framing, and xml.etree."""

import base64
import datetime
import hashlib
import re
import socket
import ssl
import time
import urllib.parse
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

import sys

import pytest

# test modules import these helpers with `from simtests import ...`: a plain
# `import conftest` would be ambiguous with tests/conftest.py
sys.modules["simtests"] = sys.modules[__name__]

# the 18 account report types of the public guide (downloading-reports.md)
GUIDE_REPORTS = {
    2: "Full Phone Number Details",
    4: "Phone Number Inventory",
    6: "E911 Phone Number Details",
    8: "Port-out Orders",
    14: "Port-in Orders",
    16: "UC Account Summary",
    24: "User Information",
    30: "Disconnected Phone Numbers",
    31: "External Phone Number Details",
    34: "End-User Phone Number Assignment",
    36: "Alternate Caller ID E911 Report",
    42: "E911 Addresses",
    47: "Number Utilization Telephone Number List Report",
    48: "Iris Account Number Utilization Report",
    50: "Protected Phone Numbers Report",
    59: "New Numbers",
    64: "International TN Inventory Summary",
    65: "Telephone Number Route Plan Report",
}
GUIDE_BILLING_TYPES = ["BDR", "MDR", "INVOICE", "STMTBDR", "DIDSNAP", "DIDSNAP_MSG",
                       "RECORDINGBDR", "RECORDINGSTMTBDR", "TRANSCRIPTIONBDR",
                       "TRANSCRIPTIONSTMTBDR", "CNAMBDR", "CNAMSTMTBDR", "CONFBDR",
                       "CONFSTMTBDR"]
SPEC_BILLING_TYPES = ["TFPEERINGSTMTBDR", "TNLOOKUPBDR", "TNLOOKUPSTMTBDR",
                      "MSG_CAMPAIGN_REGISTRY_BDR", "MSG_CAMPAIGN_CARRIER_ACTIVATION_BDR",
                      "AMDBDR", "AMDSTMTBDR", "SIPURIBDR", "SIPURISTMTBDR",
                      "UNPROVISIONED_CALLS_BDR"]
PARAMETER_TYPES = {"Account ID", "Site ID", "SipPeer ID", "String", "Integer", "Boolean",
                   "Enum", "Date", "SpecializedList"}
OUTPUT_FORMATS = ["csv", "pdf", "xlsx", "xls", "html", "xml"]
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
REQUESTED_AT_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{2}):(\d{2})$")
YMD_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# -- small pure helpers ---------------------------------------------------------

def wait_for(predicate, timeout=15.0, interval=0.05, what="condition"):
    """Poll `predicate` until it returns something truthy; fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def utc_today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def ymd(day):
    return day.strftime("%Y-%m-%d")


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def basic_header(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def parse_xml(resp_or_bytes):
    body = resp_or_bytes if isinstance(resp_or_bytes, bytes) else resp_or_bytes.body
    return ET.fromstring(body)


def text(el, path):
    """Stripped text of a child, or None when the child is absent."""
    child = el.find(path)
    if child is None:
        return None
    return (child.text or "").strip()


def error_of(resp):
    """(root tag, ErrorCode, Description) of an error envelope
    `<...Response><ResponseStatus><ErrorCode/><Description/>`."""
    root = parse_xml(resp)
    status = root.find("ResponseStatus")
    assert status is not None, f"no ResponseStatus in {resp.body[:300]!r}"
    code = text(status, "ErrorCode")
    desc = text(status, "Description")
    return root.tag, code, desc


def assert_error(resp, status, code):
    """The response is `status` with the error envelope carrying `code`."""
    assert resp.status == status, resp
    tag, got, desc = error_of(resp)
    assert tag.endswith("Response"), tag
    assert got == str(code), (got, resp.body[:300])
    assert desc, "error envelope without a Description"
    return desc


def instance_dict(el):
    """An <Instance> element as a dict (presence of optional fields kept)."""
    d = {child.tag: (child.text or "").strip() for child in el if len(child) == 0}
    params = el.find("Parameters")
    d["_parameters"] = [] if params is None else [
        (text(p, "Name"), [(v.text or "").strip() for v in p.findall("Value")])
        for p in params.findall("Parameter")]
    d["_has_parameters"] = params is not None
    err = el.find("ErrorDetails")
    d["_error"] = None if err is None else (text(err, "Code"), text(err, "Message"))
    return d


def parameter_dict(el):
    values = el.find("Values")
    return {
        "name": text(el, "Name"),
        "type": text(el, "Type"),
        "required": text(el, "Required"),
        "description": text(el, "Description"),
        "multi": text(el, "MultiSelectAllowed"),
        "help": text(el, "HelpInformation"),
        "value_filter": text(el, "ValueFilter"),
        "recommended": text(el, "RecommendedValue"),
        "values": None if values is None else [
            (text(v, "InternalName"), text(v, "DisplayName")) for v in values.findall("Value")],
    }


def next_link(root):
    """The URL of `<Links><next>Link=&lt;URL&gt;;rel="next";</next></Links>`, or None."""
    links = root.find("Links")
    if links is None:
        return None
    nxt = links.find("next")
    if nxt is None or not (nxt.text or "").strip():
        return None
    m = re.search(r"<([^>]+)>", nxt.text)
    assert m, f"next link without <URL>: {nxt.text!r}"
    return m.group(1)


def instance_body(fmt, params=(), expires=None):
    """An <Instance> POST body. params: [(name, value or [values])]."""
    out = ["<Instance>"]
    if fmt is not None:
        out.append(f"<OutputFormat>{escape(fmt)}</OutputFormat>")
    out.append("<Parameters>")
    for name, values in params:
        if isinstance(values, str):
            values = [values]
        vals = "".join(f"<Value>{escape(v)}</Value>" for v in values)
        out.append(f"<Parameter><Name>{escape(name)}</Name>{vals}</Parameter>")
    out.append("</Parameters>")
    if expires is not None:
        out.append(f"<ExpiresAt>{escape(expires)}</ExpiresAt>")
    out.append("</Instance>")
    return "".join(out)


def billing_body(kind, start, end):
    return (f"<BillingReport><Type>{kind}</Type><DateRange><StartDate>{start}</StartDate>"
            f"<EndDate>{end}</EndDate></DateRange></BillingReport>")


# -- raw HTTP, for faults that break the framing ---------------------------------

class Raw:
    """What a raw socket read: status, headers (lower-case), the body bytes
    exactly as received, whether the peer closed and whether we timed out."""

    def __init__(self, status, headers, body, closed, timed_out, elapsed):
        self.status = status
        self.headers = headers
        self.body = body
        self.closed = closed
        self.timed_out = timed_out
        self.elapsed = elapsed

    def __repr__(self):
        return (f"<Raw {self.status} body={len(self.body)} closed={self.closed} "
                f"timed_out={self.timed_out}>")


def raw_request(sim, method, url, headers=None, auth="basic", timeout=5.0, body=None):
    """Send one HTTP/1.1 request with `Connection: close` on a plain socket and
    read until the peer closes or `timeout` passes without data."""
    if not url.startswith(("http://", "https://")):
        url = sim.api + url
    parts = urllib.parse.urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
    if parts.scheme == "https":
        ctx = ssl.create_default_context(cafile=sim.cafile)
        sock = ctx.wrap_socket(sock, server_hostname=parts.hostname)
    hdrs = {"Host": f"{parts.hostname}:{parts.port}", "Accept": "application/xml",
            "User-Agent": "bwsim-tests", "Connection": "close"}
    if auth == "basic":
        user, password = next(iter(sim.info["users"].items()))
        hdrs["Authorization"] = basic_header(user, password)
    hdrs.update(headers or {})
    if body is not None:
        body = body.encode() if isinstance(body, str) else body
        hdrs["Content-Length"] = str(len(body))
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    req = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"
    start = time.monotonic()
    sock.sendall(req.encode() + (body or b""))
    data = b""
    closed = timed_out = False
    try:
        while True:
            try:
                chunk = sock.recv(65536)
            except (socket.timeout, TimeoutError):
                timed_out = True
                break
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            data += chunk
    finally:
        sock.close()
    elapsed = time.monotonic() - start
    head, sep, rest = data.partition(b"\r\n\r\n")
    assert sep, f"no complete header block received: {data[:200]!r}"
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    hdr = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdr[k.strip().lower()] = v.strip()
    return Raw(status, hdr, rest, closed, timed_out, elapsed)


def dechunk(data):
    """Decode a complete chunked body; fails on a malformed one."""
    out = b""
    while True:
        line, sep, data = data.partition(b"\r\n")
        assert sep, "truncated chunk size line"
        size = int(line.split(b";")[0], 16)
        if size == 0:
            return out
        out += data[:size]
        assert data[size:size + 2] == b"\r\n", "chunk not followed by CRLF"
        data = data[size + 2:]


# -- a thin client of the API on top of harness.sim.Sim --------------------------

class Api:
    """Paths and XML shapes of the API, on one simulator (`.sim`)."""

    def __init__(self, sim):
        self.sim = sim
        self._formats = {}

    @property
    def acct(self):
        return self.sim.accounts[0]

    # paths
    def reports_path(self, acct=None):
        return f"/accounts/{acct or self.acct}/reports"

    def instances_path(self, rid=None, acct=None):
        if rid is None:
            return f"/accounts/{acct or self.acct}/reports/instances"
        return f"/accounts/{acct or self.acct}/reports/{rid}/instances"

    def instance_path(self, rid, iid, acct=None):
        return f"/accounts/{acct or self.acct}/reports/{rid}/instances/{iid}"

    def file_path(self, rid, iid, acct=None):
        return self.instance_path(rid, iid, acct) + "/file"

    def billing_path(self, suffix="", acct=None):
        return f"/accounts/{acct or self.acct}/billingreports{suffix}"

    # reading lists
    def get_xml(self, path, status=200, **kw):
        resp = self.sim.get(path, **kw)
        assert resp.status == status, (path, resp)
        return parse_xml(resp)

    def follow(self, path, item_path, **kw):
        """All items of a list, following `<Links><next>` to the end.
        Returns (items, roots of every page)."""
        items, roots, seen = [], [], set()
        url = path if path.startswith(("http://", "https://")) else self.sim.api + path
        while url:
            assert url not in seen, f"next link loops back to {url}"
            seen.add(url)
            root = self.get_xml(url, **kw)
            roots.append(root)
            items += root.findall(item_path)
            nxt = next_link(root)
            url = None if nxt is None else urllib.parse.urljoin(url, nxt)
            assert len(roots) < 10000, "pagination does not end"
        return items, roots

    def reports(self, acct=None):
        items, _ = self.follow(self.reports_path(acct), "Reports/Report")
        return [(int(text(r, "Id")), text(r, "Name"), text(r, "Description")) for r in items]

    def report(self, rid, acct=None):
        root = self.get_xml(f"{self.reports_path(acct)}/{rid}")
        rep = root.find("Report")
        assert rep is not None, "report detail without a Report child"
        return rep

    def parameters(self, rid, acct=None):
        rep = self.report(rid, acct)
        return [parameter_dict(p) for p in rep.findall("Parameters/Parameter")]

    def all_parameters(self, acct=None):
        """{report id: [parameter dict]} for every report type."""
        return {rid: self.parameters(rid, acct) for rid, _, _ in self.reports(acct)}

    def instances(self, rid=None, acct=None):
        items, _ = self.follow(self.instances_path(rid, acct), "Instances/Instance")
        return [instance_dict(i) for i in items]

    def get_instance(self, rid, iid, acct=None):
        root = self.get_xml(self.instance_path(rid, iid, acct))
        assert root.tag == "ReportInstanceResponse", root.tag
        return instance_dict(root.find("Instance"))

    # creating
    def post_instance(self, rid, body, acct=None, **kw):
        return self.sim.post(self.instances_path(rid, acct), body, **kw)

    def valid_value(self, p, acct=None):
        t = p["type"]
        if t == "Account ID":
            return acct or self.acct
        if t in ("Site ID", "SipPeer ID", "Integer"):
            return "1"
        if t == "Boolean":
            return "true"
        if t == "Enum":
            names = [n for n, _ in p["values"] or []]
            if p["recommended"] in names:
                return p["recommended"]
            return names[0]
        if t == "Date":
            return ymd(utc_today() - datetime.timedelta(days=3))
        return "abc"

    def valid_params(self, params, acct=None, required_only=True):
        return [(p["name"], self.valid_value(p, acct)) for p in params
                if p["required"] == "true" or not required_only]

    def output_format(self, rid, params, acct=None):
        """A format the type takes: from the report detail when it lists them,
        otherwise the first of OUTPUT_FORMATS that the server does not refuse
        with 19030 (it creates one instance as a side effect)."""
        key = (str(rid), acct)
        if key in self._formats:
            return self._formats[key]
        listed = self.listed_formats(rid, acct)
        if listed:
            self._formats[key] = listed[0]
            return listed[0]
        for fmt in OUTPUT_FORMATS:
            resp = self.post_instance(rid, instance_body(fmt, self.valid_params(params, acct)), acct)
            if resp.status == 201:
                self._formats[key] = fmt
                return fmt
            assert resp.status == 400 and error_of(resp)[1] == "19030", resp
        pytest.fail(f"report {rid} takes none of {OUTPUT_FORMATS}")

    def listed_formats(self, rid, acct=None):
        rep = self.report(rid, acct)
        found = []
        for el in rep.iter():
            if el.tag in ("OutputFormat", "Format") and (el.text or "").strip():
                found.append(el.text.strip().lower())
        return found

    def find_parameter(self, predicate, acct=None):
        """(report id, parameters, the parameter) of the first parameter that
        satisfies `predicate`; fails when no report type has one."""
        for rid, params in self.all_parameters(acct).items():
            for p in params:
                if predicate(p):
                    return rid, params, p
        pytest.fail("no report type has a parameter like that")

    def create_via_post(self, rid=None, acct=None, expires=None):
        """POST a valid instance; returns (report id, new id, response)."""
        if rid is None:
            rid = self.reports(acct)[0][0]
        params = self.parameters(rid, acct)
        fmt = self.output_format(rid, params, acct)
        resp = self.post_instance(rid, instance_body(fmt, self.valid_params(params, acct), expires), acct)
        assert resp.status == 201, resp
        loc = resp.header("Location")
        return rid, loc.rstrip("/").rsplit("/", 1)[1], resp

    def control_instance(self, **fields):
        """Create an instance through the control API; returns (rid, iid, json)."""
        fields.setdefault("account", self.acct)
        fields.setdefault("report_id", self.reports()[0][0])
        obj = self.sim.create_instance(**fields)
        return fields["report_id"], str(instance_id(obj)), obj

    def download(self, rid, iid, acct=None, **kw):
        return self.sim.get(self.file_path(rid, iid, acct), **kw)


def instance_id(obj):
    """The id of an instance as answered by the control API."""
    for key in ("id", "Id", "iid", "instance_id"):
        if key in obj:
            return obj[key]
    raise AssertionError(f"control instance without an id: {obj}")


def billing_id(obj):
    for key in ("uuid", "id", "Id", "BillingReportId"):
        if key in obj:
            return obj[key]
    raise AssertionError(f"control billing report without an id: {obj}")


def expected_bytes(sim, iid):
    """The whole file of an instance as bwsim.content computes it."""
    info = sim.instance(iid)
    return content_bytes(sim, info)


def content_key(sim, info):
    """The bwsim.content key of a control-API instance object."""
    from bwsim import content
    seed = sim_seed(sim)
    return content.key_for(seed, instance_id(info), info["size"], info["format"])


def content_bytes(sim, info):
    from bwsim import content
    key = content_key(sim, info)
    return content.read(key, 0, info["size"])


def sim_seed(sim):
    args = list(sim.proc.args)
    if "--seed" in args:
        return int(args[args.index("--seed") + 1])
    return 1


# -- fixtures ----------------------------------------------------------------------

# the documented defaults of the run-time settings (simulator.md command line)
DEFAULT_CONFIG = {"ready_delay": 2.0, "progress_word": "Processing", "token_ttl": 3600,
                  "range": True, "page_size": 0}


@pytest.fixture(scope="module")
def module_sim(tmp_path_factory):
    """One default simulator per test module, shared by the tests that take `api`."""
    from harness.sim import Sim
    sim = Sim((), workdir=tmp_path_factory.mktemp("sim"))
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def api(module_sim):
    """The module's default simulator, with no faults, the default settings and
    zeroed stats. Tests may add data (instances, billing reports) but must not
    rely on exact list lengths; those use `ro_api` or `api_factory()`."""
    module_sim.clear_faults()
    module_sim.config(**DEFAULT_CONFIG)
    module_sim.reset()
    yield Api(module_sim)
    module_sim.clear_faults()


@pytest.fixture
def api_factory(sim_factory):
    def start(*args):
        return Api(sim_factory(*args))
    return start


@pytest.fixture(scope="module")
def ro_api(tmp_path_factory):
    """One default simulator per test module, for tests that only read."""
    from harness.sim import Sim
    sim = Sim((), workdir=tmp_path_factory.mktemp("ro-sim"))
    try:
        yield Api(sim)
    finally:
        sim.stop()
