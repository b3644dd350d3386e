"""Requesting billing reports through a real mount: the template, each form
(lines, <BillingReport>) arriving exactly, the checks made before sending,
204 (no data) as ENODATA, the id written to state_dir before close()
returns, its creation time as mtime, persistence across remounts and
kill -9, forgetting a report the API no longer knows, and a lost answer."""

import datetime
import errno
import os
import stat
import time

from bwsim import xmlgen
from fsutil import wait_for

from test_request import read, write_new


def today(days=0):
    return (datetime.datetime.now(datetime.timezone.utc).date()
            + datetime.timedelta(days=days)).isoformat()


def btype_dir(m, sim, btype="BDR"):
    return m / f"{sim.accounts[0]}/billing/{btype}"


def billing_posts(sim):
    return [xmlgen.parse_billing(r["body"].encode()) for r in sim.requests()
            if r["kind"] == "billing.create" and r["method"] == "POST"]


def remembered(state, account):
    """{uuid: (type, created)} from state_dir/<acct>/billing.ids."""
    out = {}
    try:
        with open(os.path.join(state, account, "billing.ids")) as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 2:
                    out[fields[1]] = (fields[0], int(fields[2]) if len(fields) > 2 else 0)
    except FileNotFoundError:
        pass
    return out


def sim_uuids(sim, btype):
    return {b["uuid"] for b in sim.control("GET", f"/billing?account={sim.accounts[0]}")
            if b["type"] == btype}


def test_billing_new_template(sim, mount_factory):
    m = mount_factory(sim)
    for btype in ("BDR", "DIDSNAP", "INVOICE"):
        d = btype_dir(m, sim, btype)
        assert "new" in os.listdir(d) and "latest" not in os.listdir(d)
        st = os.stat(os.path.join(d, "new"))
        assert stat.S_ISREG(st.st_mode) and st.st_mode & 0o777 == 0o644
        text = read(os.path.join(d, "new"))
        assert st.st_size == len(text.encode())
        lines = [ln for ln in text.splitlines() if not ln.startswith("#")]
        assert lines == ["StartDate = ", "EndDate = "]
        assert btype in text and "YYYY-MM-DD" in text and today() in text


def test_billing_request_lines_remembered_before_close_returns(sim, mount_factory):
    m = mount_factory(sim)
    d = btype_dir(m, sim)
    account = sim.accounts[0]
    os.listdir(d)  # cached listing: the new report must still appear at once
    start = time.time()
    assert write_new(os.path.join(d, "new"),
                     "# last month\n StartDate = 2026-11-01 \nEndDate=2026-11-30\n") is None
    # written to state_dir before close() returned
    ids = remembered(m.state_dir, account)
    assert len(ids) == 1
    uuid, (btype, created) = next(iter(ids.items()))
    assert btype == "BDR" and start - 1 <= created <= time.time() + 1
    assert billing_posts(sim) == [("BDR", "2026-11-01", "2026-11-30")]
    assert sim_uuids(sim, "BDR") == {uuid}
    assert os.readlink(os.path.join(d, "latest")) == uuid
    assert uuid in os.listdir(d)
    # the creation time is its mtime; status and the zip as in the read path
    assert os.stat(os.path.join(d, uuid)).st_mtime == created
    assert read(os.path.join(d, uuid, "status")).strip() in ("RECEIVED", "PROCESSING", "COMPLETED")
    assert wait_for(lambda: read(os.path.join(d, uuid, "status")).strip() == "COMPLETED",
                    timeout=15, interval=0.5)
    full = sim.billing(uuid)
    zips = wait_for(lambda: [n for n in os.listdir(os.path.join(d, uuid)) if n.endswith(".zip")],
                    timeout=10, interval=0.5)
    assert zips and os.stat(os.path.join(d, uuid, zips[0])).st_size == full["size"]


def test_billing_xml_form_and_type_check(sim, mount_factory):
    m = mount_factory(sim)
    d = btype_dir(m, sim, "MDR")
    doc = ("<BillingReport><DateRange><StartDate>2026-10-01</StartDate>"
           "<EndDate>2026-10-31</EndDate></DateRange></BillingReport>")
    assert write_new(os.path.join(d, "new"), doc) is None
    doc = ("<BillingReport><Type>MDR</Type><DateRange><StartDate>2026-09-01</StartDate>"
           "<EndDate>2026-09-30</EndDate></DateRange></BillingReport>")
    assert write_new(os.path.join(d, "new"), doc) is None
    assert billing_posts(sim) == [("MDR", "2026-10-01", "2026-10-31"),
                                  ("MDR", "2026-09-01", "2026-09-30")]
    assert len(remembered(m.state_dir, sim.accounts[0])) == 2
    # another type than the directory's: refused, nothing sent
    doc = doc.replace("<Type>MDR</Type>", "<Type>BDR</Type>")
    assert write_new(os.path.join(d, "new"), doc) == errno.EINVAL
    assert sim.calls("billing.create") == 2


def test_billing_checks_before_sending(sim, mount_factory):
    m = mount_factory(sim)
    new = os.path.join(btype_dir(m, sim), "new")
    for text, words in [
        ("StartDate = 2026-11-30\nEndDate = 2026-11-01\n", "StartDate"),
        (f"StartDate = 2026-11-01\nEndDate = {today(2)}\n", "EndDate"),
        ("StartDate = 2026-02-30\nEndDate = 2026-03-01\n", "StartDate"),
        ("StartDate = 2026-11-01\n", "EndDate"),
        ("StartDate = 2026-11-01\nEndDate = 2026-11-30\nColour = red\n", "Colour"),
    ]:
        assert write_new(new, text) == errno.EINVAL, text
        head = read(new).split("\n#\n")[0]
        assert head.startswith("# THE LAST REQUEST WRITTEN TO THIS FILE FAILED"), head
        assert words in head, (text, head)
    assert sim.calls("billing.create") == 0
    assert remembered(m.state_dir, sim.accounts[0]) == {}


def test_billing_no_data_is_enodata(sim, mount_factory):
    m = mount_factory(sim)
    d = btype_dir(m, sim)
    assert write_new(os.path.join(d, "new"),
                     "StartDate = 2020-11-01\nEndDate = 2020-11-30\n") == errno.ENODATA
    assert sim.calls("billing.create") == 1
    head = read(os.path.join(d, "new")).split("\n#\n")[0]
    assert "no data" in head and "204" in head
    assert not os.path.lexists(os.path.join(d, "latest"))
    assert remembered(m.state_dir, sim.accounts[0]) == {}


def test_billing_ids_and_latest_survive_remount_and_kill_9(sim, mount_factory, tmp_path):
    state = str(tmp_path / "state")
    account = sim.accounts[0]
    m = mount_factory(sim, options={"state_dir": state})
    d = btype_dir(m, sim)
    assert write_new(os.path.join(d, "new"), "StartDate = 2026-11-01\nEndDate = 2026-11-30\n") is None
    first = os.readlink(os.path.join(d, "latest"))
    m.unmount()
    m = mount_factory(sim, options={"state_dir": state})
    d = btype_dir(m, sim)
    assert first in os.listdir(d) and os.readlink(os.path.join(d, "latest")) == first
    assert os.stat(os.path.join(d, first)).st_mtime == remembered(state, account)[first][1]
    assert write_new(os.path.join(d, "new"), "StartDate = 2026-10-01\nEndDate = 2026-10-31\n") is None
    second = os.readlink(os.path.join(d, "latest"))
    m.proc.kill()  # kill -9 right after close() returned
    m.proc.wait()
    m.unmount()
    m = mount_factory(sim, options={"state_dir": state})
    d = btype_dir(m, sim)
    assert {first, second} <= set(os.listdir(d))
    assert os.readlink(os.path.join(d, "latest")) == second
    assert read(os.path.join(d, second, "status")).strip() in ("RECEIVED", "PROCESSING",
                                                               "COMPLETED")


def test_a_remembered_report_the_api_forgot_disappears(sim, mount_factory):
    m = mount_factory(sim, options={"status_ttl": 1})
    d = btype_dir(m, sim)
    assert write_new(os.path.join(d, "new"), "StartDate = 2026-11-01\nEndDate = 2026-11-30\n") is None
    uuid = os.readlink(os.path.join(d, "latest"))
    assert read(os.path.join(d, uuid, "status"))
    sim.control("DELETE", f"/billing/{uuid}")

    def gone():  # an open always reaches the daemon: the status is re-read after status_ttl
        try:
            read(os.path.join(d, uuid, "status"))
            return False
        except FileNotFoundError:
            return True
    assert wait_for(gone, timeout=10, interval=0.2)
    assert uuid not in os.listdir(d)
    assert uuid not in remembered(m.state_dir, sim.accounts[0])


def test_didsnap_lost_answer_is_adopted_not_repeated(sim, mount_factory):
    m = mount_factory(sim, expect=[r"POST .*billing"])
    d = btype_dir(m, sim, "DIDSNAP")
    before = sim_uuids(sim, "DIDSNAP")
    sim.add_faults({"fault": "drop", "after": 0, "times": 1, "kinds": ["billing.create"]})
    assert write_new(os.path.join(d, "new"), "StartDate = 2026-06-01\nEndDate = 2026-06-30\n") is None
    assert sim.control("GET", "/faults")[0]["fired"] == 1
    new = sim_uuids(sim, "DIDSNAP") - before
    assert len(new) == 1
    uuid = new.pop()
    assert os.readlink(os.path.join(d, "latest")) == uuid and uuid in os.listdir(d)
    assert uuid in remembered(m.state_dir, sim.accounts[0])
