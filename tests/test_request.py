"""Requesting account reports through a real mount: `new` (template, the
reason of the last failure), every validation rule (EINVAL on close, nothing
sent), what reaches the simulator in each form, `latest` and the new
directory, close() errors as cp and Python see them, one POST per written
content, odd offsets, concurrent writers, 429/503/lost answers on POST,
persistence across remounts and kill -9, and the cron-style script."""

import datetime
import errno
import http.client
import http.server
import os
import stat
import subprocess
import threading
import urllib.parse

import pytest

from bwsim import xmlgen
from fsutil import instances, sha256_file

TYPE = "port-in-orders"  # report 14: AccountId, StartDate (required), EndDate, OrderStatus (multi)
RID = "14"


def today(days=0):
    return (datetime.datetime.now(datetime.timezone.utc).date()
            + datetime.timedelta(days=days)).isoformat()


def type_dir(m, sim, slug=TYPE):
    return m / f"{sim.accounts[0]}/reports/{slug}"


def posts(sim, kind="instances.create"):
    """The bodies of the POSTs the simulator received, parsed its own way:
    (OutputFormat, {name: [values]}, ExpiresAt)."""
    out = []
    for r in sim.requests():
        if r["kind"] == kind and r["method"] == "POST":
            fmt, params, expires = xmlgen.parse_instance(r["body"].encode())
            out.append((fmt, {n: v for n, v in params}, expires))
    return out


def write_new(path, text):
    """open, write, close; returns None or the errno close() (or write) failed with."""
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, text.encode() if isinstance(text, str) else text)
    except OSError as e:
        os.close(fd)
        return e.errno
    try:
        os.close(fd)
    except OSError as e:
        return e.errno
    return None


def read(path):
    with open(path) as f:
        return f.read()


def created_ids(sim, rid=RID):
    return {i["id"] for i in instances(sim, sim.accounts[0], rid)}


# -- new and its template ------------------------------------------------------------------

def test_new_is_the_writable_template_in_every_type(sim, mount_factory):
    m = mount_factory(sim)
    reports = m / f"{sim.accounts[0]}/reports"
    for slug in os.listdir(reports):
        d = os.path.join(reports, slug)
        names = os.listdir(d)
        assert "new" in names and "latest" not in names
        st = os.stat(os.path.join(d, "new"))
        assert stat.S_ISREG(st.st_mode) and st.st_mode & 0o777 == 0o644
        text = read(os.path.join(d, "new"))
        assert st.st_size == len(text.encode())
        assert text == read(os.path.join(d, "parameters"))  # the type's template
    # the rest stays read-only
    d = type_dir(m, sim)
    for op in (lambda: os.mkdir(os.path.join(d, "x")), lambda: os.unlink(os.path.join(d, "new")),
               lambda: os.rename(os.path.join(d, "new"), os.path.join(d, "old")),
               lambda: open(os.path.join(d, "parameters"), "w"),
               lambda: open(os.path.join(d, "other"), "w")):
        with pytest.raises(OSError) as err:
            op()
        assert err.value.errno in (errno.EROFS, errno.EACCES, errno.EPERM)
    assert sim.calls("instances.create") == 0


# -- what reaches the API ------------------------------------------------------------------

def test_lines_arrive_exactly_and_latest_appears_at_once(sim, mount_factory):
    m = mount_factory(sim)
    d = type_dir(m, sim)
    before = created_ids(sim)
    os.listdir(d)  # the listing is cached now: the new directory must appear anyway
    text = ("# a comment\n\n   OutputFormat   =  CSV  \nStartDate = 2026-11-01\n"
            "OrderStatus = COMPLETE\nOrderStatus = Partial\nEndDate =\n"
            f"ExpiresAt = {today(10)}\n")
    assert write_new(os.path.join(d, "new"), text) is None
    assert posts(sim) == [("csv", {"StartDate": ["2026-11-01"], "AccountId": [sim.accounts[0]],
                                   "OrderStatus": ["COMPLETE", "PARTIAL"]}, today(10))]
    new = created_ids(sim) - before
    assert len(new) == 1
    iid = str(new.pop())
    assert os.readlink(os.path.join(d, "latest")) == iid
    assert stat.S_ISLNK(os.lstat(os.path.join(d, "latest")).st_mode)
    assert iid in os.listdir(d) and "latest" in os.listdir(d)
    assert read(os.path.join(d, "latest", "status")).strip() in ("Processing", "Ready")
    params = read(os.path.join(d, iid, "parameters"))
    assert "StartDate = 2026-11-01" in params and "OrderStatus = PARTIAL" in params
    # a success leaves no reason at the top of new
    assert read(os.path.join(d, "new")) == read(os.path.join(d, "parameters"))


def test_xml_form_arrives_exactly_with_escaped_text(sim, mount_factory):
    m = mount_factory(sim)
    d = type_dir(m, sim, "uc-account-summary")  # report 16: AccountId, UcAccount (String)
    doc = ("<?xml version='1.0' encoding='UTF-8'?>\n<Instance><OutputFormat>pdf</OutputFormat>"
           "<Parameters><Parameter><Name>UcAccount</Name><Value>A&amp;B &lt;Zo\u00eb&gt; "
           "\"q\"</Value></Parameter><Parameter><Name>AccountId</Name>"
           f"<Value>{sim.accounts[0]}</Value></Parameter></Parameters></Instance>\n")
    assert write_new(os.path.join(d, "new"), doc) is None
    fmt, params, expires = posts(sim)[0]
    assert fmt == "pdf" and expires is None
    assert params == {"UcAccount": ['A&B <Zo\u00eb> "q"'], "AccountId": [sim.accounts[0]]}
    assert any(r["headers"].get("Content-Type", "").startswith("application/xml")
               for r in sim.requests() if r["kind"] == "instances.create")
    iid = os.readlink(os.path.join(d, "latest"))
    assert sim.instance(int(iid))["parameters"]["UcAccount"] == ['A&B <Zo\u00eb> "q"']


def test_cat_parameters_into_new_repeats_a_report(sim, mount_factory):
    m = mount_factory(sim)
    account = sim.accounts[0]
    old = next(i for i in instances(sim, account, RID) if i["parameters"].get("StartDate"))
    d = type_dir(m, sim)
    subprocess.run(["bash", "-c", f"cat {old['id']}/parameters > new"], cwd=d, check=True)
    fmt, params, _ = posts(sim)[0]
    assert fmt == old["format"]
    assert params == old["parameters"]
    new = sim.instance(int(os.readlink(os.path.join(d, "latest"))))
    assert new["parameters"] == old["parameters"] and new["format"] == old["format"]


# -- validation: EINVAL on close, nothing sent, the reason at the top of new -----------------

RULES = [
    # (type slug, request, words the reason must contain)
    (TYPE, "OutputFormat = csv\nStartDate = 2026-11-01\nColour = red\n", "Colour"),
    (TYPE, "OutputFormat = csv\nEndDate = 2026-11-01\n", "StartDate"),
    (TYPE, "OutputFormat = csv\nStartDate = 2026-11-01\nOrderStatus = SHIPPED\n", "SHIPPED"),
    ("full-phone-number-details", "OutputFormat = csv\nTnStatus = Inservice\n"
     "TnStatus = Available\n", "TnStatus"),
    (TYPE, "OutputFormat = csv\nStartDate = 2026-13-01\n", "StartDate"),
    (TYPE, "OutputFormat = csv\nStartDate = 1 Nov 2026\n", "StartDate"),
    ("number-utilization-telephone-number-list-report", "OutputFormat = csv\nDaysUnused = 3x\n",
     "DaysUnused"),
    ("phone-number-inventory", "OutputFormat = csv\nIncludeDisconnected = maybe\n",
     "IncludeDisconnected"),
    ("phone-number-inventory", "OutputFormat = csv\nSiteId = main\n", "SiteId"),
    (TYPE, f"OutputFormat = csv\nStartDate = 2026-11-01\nExpiresAt = {today(-1)}\n", "ExpiresAt"),
    (TYPE, f"OutputFormat = csv\nStartDate = 2026-11-01\nExpiresAt = {today(31)}\n", "ExpiresAt"),
    (TYPE, "OutputFormat = 2026-11-01\nStartDate = 2026-11-01\nExpiresAt = soon\n", "ExpiresAt"),
    (TYPE, "OutputFormat = docx\nStartDate = 2026-11-01\n", "OutputFormat"),
    (TYPE, "StartDate = 2026-11-01\n", "OutputFormat"),
    (TYPE, "this is not a request\n", ""),
    (TYPE, "<Instance><OutputFormat>csv</Output", ""),
]


def test_every_validation_rule_fails_close_with_einval_and_sends_nothing(sim, mount_factory):
    m = mount_factory(sim)
    for slug, text, words in RULES:
        new = os.path.join(type_dir(m, sim, slug), "new")
        assert write_new(new, text) == errno.EINVAL, (slug, text)
        shown = read(new)
        assert os.stat(new).st_size == len(shown.encode())
        head = shown.split("\n#\n")[0]
        assert head.startswith("# THE LAST REQUEST WRITTEN TO THIS FILE FAILED"), (text, shown[:300])
        assert words in head, (text, head)
        assert all(line.startswith("#") for line in head.splitlines())
    assert sim.calls("instances.create") == 0
    # a good request clears the reason
    new = os.path.join(type_dir(m, sim), "new")
    assert write_new(new, "OutputFormat = csv\nStartDate = 2026-11-01\n") is None
    assert not read(new).startswith("# THE LAST")
    assert sim.calls("instances.create") == 1


def test_close_errors_seen_by_cp_and_python(sim, mount_factory, tmp_path):
    m = mount_factory(sim)
    new = os.path.join(type_dir(m, sim), "new")
    bad = tmp_path / "bad"
    bad.write_text("OutputFormat = csv\nNoSuchThing = 1\n")
    r = subprocess.run(["cp", str(bad), new], capture_output=True, text=True)
    assert r.returncode != 0 and "Invalid argument" in r.stderr, r
    fd = os.open(new, os.O_WRONLY | os.O_TRUNC)
    os.write(fd, b"OutputFormat = csv\n")
    with pytest.raises(OSError) as err:
        os.close(fd)
    assert err.value.errno == errno.EINVAL
    # more than 64 KiB: EFBIG from the write, and from cp
    big = tmp_path / "big"
    big.write_bytes(b"# padding\n" * 7000)
    r = subprocess.run(["cp", str(big), new], capture_output=True, text=True)
    assert r.returncode != 0 and "File too large" in r.stderr, r
    fd = os.open(new, os.O_WRONLY | os.O_TRUNC)
    try:
        with pytest.raises(OSError) as err:
            os.pwrite(fd, b"x", 64 * 1024)
        assert err.value.errno == errno.EFBIG
    finally:
        os.close(fd)
    assert sim.calls("instances.create") == 0
    good = tmp_path / "good"
    good.write_text("OutputFormat = csv\nStartDate = 2026-11-01\n")
    subprocess.run(["cp", str(good), new], check=True)
    assert sim.calls("instances.create") == 1


# -- how the content is written ------------------------------------------------------------

def test_one_post_per_written_content_however_many_flushes(sim, mount_factory):
    m = mount_factory(sim)
    new = os.path.join(type_dir(m, sim), "new")
    fd = os.open(new, os.O_WRONLY | os.O_TRUNC)
    os.write(fd, b"OutputFormat = csv\nStartDate = 2026-11-01\n")
    dup = os.dup(fd)
    os.close(dup)  # the first flush submits
    assert sim.calls("instances.create") == 1
    first = os.readlink(os.path.join(type_dir(m, sim), "latest"))
    os.close(fd)  # nothing new: no second POST, and release sends nothing
    assert sim.calls("instances.create") == 1
    # content written after a flush is a new request
    fd = os.open(new, os.O_WRONLY | os.O_TRUNC)
    os.write(fd, b"OutputFormat = pdf\nStartDate = 2026-11-02\n")
    dup = os.dup(fd)
    os.close(dup)
    os.write(fd, b"EndDate = 2026-11-03\n")
    os.close(fd)
    assert sim.calls("instances.create") == 3
    assert posts(sim)[2][1]["EndDate"] == ["2026-11-03"]
    assert os.readlink(os.path.join(type_dir(m, sim), "latest")) != first
    # opening for writing and closing without writing sends nothing
    os.close(os.open(new, os.O_WRONLY))
    os.close(os.open(new, os.O_WRONLY | os.O_TRUNC))
    assert sim.calls("instances.create") == 3


def test_odd_offsets_holes_and_truncation(sim, mount_factory):
    m = mount_factory(sim)
    new = os.path.join(type_dir(m, sim), "new")
    text = b"OutputFormat = csv\nStartDate = 2026-11-01\n"
    fd = os.open(new, os.O_RDWR | os.O_TRUNC)
    os.pwrite(fd, text[20:], 20)  # the end first: a hole of zeros before it
    assert os.pread(fd, 25, 0)[:20] == b"\0" * 20
    os.pwrite(fd, text[:20], 0)
    assert os.pread(fd, 100, 0) == text
    os.close(fd)
    assert posts(sim)[0][1]["StartDate"] == ["2026-11-01"]
    # ftruncate: junk cut away, then the request
    fd = os.open(new, os.O_WRONLY | os.O_TRUNC)
    os.write(fd, b"junk = junk\n" * 10)
    os.ftruncate(fd, 0)
    os.pwrite(fd, text.replace(b"csv", b"pdf"), 0)
    os.close(fd)
    assert sim.calls("instances.create") == 2 and posts(sim)[1][0] == "pdf"
    # truncate(2) by path and writing without O_TRUNC behave like a file
    os.truncate(new, 0)
    with open(new, "r+") as f:
        f.write(text.decode().replace("2026-11-01", "2026-11-05"))
        f.truncate()
    assert sim.calls("instances.create") == 3 and posts(sim)[2][1]["StartDate"] == ["2026-11-05"]


def test_concurrent_writers_each_get_their_own_request(sim, mount_factory):
    m = mount_factory(sim)
    new = os.path.join(type_dir(m, sim), "new")
    before = created_ids(sim)
    results = []
    barrier = threading.Barrier(2)

    def writer(day):
        fd = os.open(new, os.O_WRONLY | os.O_TRUNC)
        barrier.wait()
        for line in (b"OutputFormat = csv\n", f"StartDate = 2026-11-{day:02d}\n".encode()):
            os.write(fd, line)
        barrier.wait()
        try:
            os.close(fd)
            results.append(None)
        except OSError as e:
            results.append(e.errno)

    threads = [threading.Thread(target=writer, args=(day,)) for day in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [None, None]
    assert sorted(p[1]["StartDate"][0] for p in posts(sim)) == ["2026-11-01", "2026-11-02"]
    assert len(created_ids(sim) - before) == 2


# -- the API's trouble on POST ---------------------------------------------------------------

def test_rate_limit_and_503_on_post_still_create_exactly_one(sim, mount_factory):
    m = mount_factory(sim)
    new = os.path.join(type_dir(m, sim), "new")
    before = created_ids(sim)
    sim.add_faults({"fault": "ratelimit", "reset": 1, "times": 1, "kinds": ["instances.create"]})
    assert write_new(new, "OutputFormat = csv\nStartDate = 2026-11-01\n") is None
    assert sim.calls("instances.create") == 2
    assert len(created_ids(sim) - before) == 1
    sim.clear_faults()
    sim.add_faults({"fault": "error503", "times": 2, "kinds": ["instances.create"]})
    assert write_new(new, "OutputFormat = csv\nStartDate = 2026-11-02\n") is None
    assert len(created_ids(sim) - before) == 2
    assert os.readlink(os.path.join(type_dir(m, sim), "latest")) == str(max(created_ids(sim)))


def test_503_that_outlasts_the_retries_is_eio(sim, mount_factory):
    m = mount_factory(sim, expect=[r"report request failed: .*503"])
    new = os.path.join(type_dir(m, sim), "new")
    before = created_ids(sim)
    sim.add_faults({"fault": "error503", "kinds": ["instances.create"]})
    assert write_new(new, "OutputFormat = csv\nStartDate = 2026-11-01\n") == errno.EIO
    assert created_ids(sim) == before
    head = read(new).split("\n#\n")[0]
    assert "503" in head and "19031" in head
    assert not os.path.lexists(os.path.join(type_dir(m, sim), "latest"))


class RefusingProxy:
    """An HTTP proxy in front of the simulator that answers instance POSTs
    itself with a chosen status and body (the API's refusals that our own
    checks keep the simulator from ever giving) and forwards everything else."""

    def __init__(self, sim, refuse):
        self.refuse = refuse  # (status, body)
        target = urllib.parse.urlsplit(sim.api)
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self, status, headers, data):
                self.send_response(status)
                for k, v in headers:
                    if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if self.command == "POST":
                    status, data = proxy.refuse
                    self.answer(status, [("Content-Type", "application/xml")], data)
                    return
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                hdrs = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                conn.request(self.command, self.path, body=body, headers=hdrs)
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                self.answer(resp.status, resp.getheaders(), data)

            do_GET = do_POST = do_HEAD = forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.api = f"http://127.0.0.1:{self.server.server_address[1]}{target.path}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("seconds", [0, 5], ids=["closed", "stalled"])
def test_no_duplicate_when_the_answer_to_the_post_is_lost(sim, mount_factory, seconds):
    """The API creates the instance and its answer never arrives: the
    connection closes, or stays silent past stall_timeout. The mount must
    find the instance it created instead of making a second one."""
    m = mount_factory(sim, options={"stall_timeout": 2}, expect=[r"POST .*instances"])
    d = type_dir(m, sim)
    before = created_ids(sim)
    sim.add_faults({"fault": "lost_answer", "kinds": ["instances.create"], "times": 1,
                    "seconds": seconds})
    assert write_new(os.path.join(d, "new"),
                     "OutputFormat = csv\nStartDate = 2026-11-07\n") is None
    assert sim.control("GET", "/faults")[0]["fired"] == 1
    new = created_ids(sim) - before
    assert len(new) == 1  # adopted, not created twice
    assert os.readlink(os.path.join(d, "latest")) == str(new.pop())


def test_an_api_refusal_is_einval_with_its_code_and_description_in_new(sim, mount_factory):
    envelope = (b"<ReportInstanceResponse><ResponseStatus><ErrorCode>19023</ErrorCode>"
                b"<Description>Report parameter &apos;Colour&apos; is not valid for this "
                b"report</Description></ResponseStatus></ReportInstanceResponse>")
    proxy = RefusingProxy(sim, refuse=(400, envelope))
    try:
        m = mount_factory(sim, options={"api_url": proxy.api})
        new = os.path.join(type_dir(m, sim), "new")
        assert write_new(new, "OutputFormat = csv\nStartDate = 2026-11-01\n") == errno.EINVAL
        head = read(new).split("\n#\n")[0]
        assert "HTTP 400" in head and "19023" in head
        assert "Report parameter 'Colour' is not valid for this report" in head
        assert not os.path.lexists(os.path.join(type_dir(m, sim), "latest"))
        proxy.refuse = (403, b"")
        assert write_new(new, "OutputFormat = csv\nStartDate = 2026-11-01\n") == errno.EACCES
        assert "403" in read(new).split("\n#\n")[0]
    finally:
        proxy.close()


# -- persistence ---------------------------------------------------------------------------

def test_latest_survives_unmount_and_kill_9(sim, mount_factory, tmp_path):
    state = str(tmp_path / "state")
    m = mount_factory(sim, options={"state_dir": state})
    d = type_dir(m, sim)
    assert write_new(os.path.join(d, "new"), "OutputFormat = csv\nStartDate = 2026-11-01\n") is None
    first = os.readlink(os.path.join(d, "latest"))
    m.unmount()
    m = mount_factory(sim, options={"state_dir": state})
    d = type_dir(m, sim)
    assert os.readlink(os.path.join(d, "latest")) == first
    assert "latest" in os.listdir(d)
    assert write_new(os.path.join(d, "new"), "OutputFormat = csv\nStartDate = 2026-11-02\n") is None
    second = os.readlink(os.path.join(d, "latest"))
    assert second != first
    m.proc.kill()  # kill -9: no clean shutdown
    m.proc.wait()
    m.unmount()
    m = mount_factory(sim, options={"state_dir": state})
    d = type_dir(m, sim)
    assert os.readlink(os.path.join(d, "latest")) == second
    assert read(os.path.join(d, "latest", "status")).strip() in ("Processing", "Ready")


def test_a_failed_request_leaves_no_latest_so_the_script_stops(sim, mount_factory, tmp_path):
    """A shell builtin cannot see close() fail, so after a failed request
    `latest` must not name the previous report as if it were the new one."""
    state = str(tmp_path / "state")
    m = mount_factory(sim, options={"state_dir": state})
    d = type_dir(m, sim)
    assert write_new(os.path.join(d, "new"), "OutputFormat = csv\nStartDate = 2026-11-01\n") is None
    assert "latest" in os.listdir(d)
    script = ("printf 'OutputFormat = csv\\nStartDate = not-a-date\\n' > new && "
              "id=$(readlink latest) && echo followed $id")
    r = subprocess.run(["bash", "-c", script], cwd=d, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "followed" not in r.stdout, r
    assert "latest" not in os.listdir(d)
    assert not os.path.lexists(os.path.join(d, "latest"))
    m.unmount()
    m = mount_factory(sim, options={"state_dir": state})  # remembered as cleared
    assert not os.path.lexists(os.path.join(type_dir(m, sim), "latest"))


# -- the cron-style script from the issue ------------------------------------------------------

def test_cron_style_script_end_to_end(sim_factory, mount_factory, tmp_path):
    sim = sim_factory("--ready-delay", "1")
    m = mount_factory(sim)
    dest = tmp_path / "reports"
    dest.mkdir()
    # the script with its parameter named as report 14 names it (StartDate),
    # and `sleep 1` instead of `sleep 5` to keep the suite fast
    script = ("printf 'OutputFormat = csv\\nStartDate = 2026-11-01\\n' > new && "
              "id=$(readlink latest) && until grep -qx Ready $id/status; do sleep 1; done && "
              f"cp $id/*.csv {dest}/ && echo $id")
    r = subprocess.run(["bash", "-c", script], cwd=type_dir(m, sim), capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r
    iid = r.stdout.strip()
    files = os.listdir(dest)
    assert len(files) == 1 and files[0].endswith(".csv")
    assert sha256_file(str(dest / files[0])) == sim.instance(int(iid))["sha256"]
    assert posts(sim) == [("csv", {"StartDate": ["2026-11-01"],
                                   "AccountId": [sim.accounts[0]]}, None)]
