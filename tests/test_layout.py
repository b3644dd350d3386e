"""The layout through a real mount: report types, instances, their files,
billing reports; names (slugs, numeric alias, safe file names), sizes and
mtimes before any read, unknown names and desktop probes."""

import errno
import os
import stat
import xml.etree.ElementTree as ET

import pytest

from fsutil import (BILLING_FILES, INSTANCE_FILES, api_time, inst_dir, instances, report_files,
                    report_path, sha256_file, slug, wait_for)

TYPES = ("--types", "20", "--instances", "3")


@pytest.fixture
def small(sim_factory):
    return sim_factory(*TYPES)


def report_types(sim, account):
    root = ET.fromstring(sim.get(f"/accounts/{account}/reports").body)
    return [(r.findtext("Id"), r.findtext("Name")) for r in root.iter("Report")]


def test_report_types_slugs_and_numeric_alias(small, mount_factory):
    m = mount_factory(small)
    account = small.accounts[0]
    types = report_types(small, account)
    names = sorted(os.listdir(m / f"{account}/reports"))
    assert names == sorted(slug(n) for _, n in types)
    assert "synthetic-report-100" in names and "port-in-orders" in names
    for rid, name in types:
        alias = m / f"{account}/reports/{rid}"
        assert stat.S_ISDIR(os.stat(alias).st_mode)
        assert sorted(os.listdir(alias)) == sorted(os.listdir(m / f"{account}/reports/{slug(name)}"))
        assert rid not in names  # reachable, never listed


def test_every_kind_of_node(small, mount_factory):
    m = mount_factory(small)
    account = small.accounts[0]
    listed = instances(small, account)
    assert listed
    by_type = {}
    for inst in listed:
        by_type.setdefault(inst["report_id"], []).append(inst)
    for rid, insts in by_type.items():
        d = m / f"{account}/reports/{rid}"
        entries = os.listdir(d)
        assert sorted(entries) == sorted(["parameters", "new"] + [str(i["id"]) for i in insts])
        assert stat.S_ISREG(os.stat(os.path.join(d, "parameters")).st_mode)
    for inst in listed:
        d = inst_dir(m, inst)
        st = os.stat(d)
        assert stat.S_ISDIR(st.st_mode) and st.st_mode & 0o777 == 0o555
        assert st.st_mtime == api_time(inst["requested_at"])
        entries = set(os.listdir(d))
        assert INSTANCE_FILES <= entries
        extra = entries - INSTANCE_FILES
        assert len(extra) == (1 if inst["status"] == "Ready" else 0), (inst, entries)
        for name in entries:
            fst = os.stat(os.path.join(d, name))
            assert stat.S_ISREG(fst.st_mode) and fst.st_mode & 0o777 == 0o444
            assert fst.st_mtime == api_time(inst["requested_at"])
        with open(os.path.join(d, "status")) as f:
            assert f.read() == inst["status"] + "\n"
        with open(os.path.join(d, "info.xml"), "rb") as f:
            info = f.read()
        assert os.stat(os.path.join(d, "info.xml")).st_size == len(info)
        root = ET.fromstring(info)
        assert root.tag == "Instance" and root.findtext("Id") == str(inst["id"])
        if extra:
            # exact size before any byte was read
            assert os.stat(os.path.join(d, extra.pop())).st_size == inst["size"]


def test_status_and_generated_sizes_match_their_content(small, mount_factory):
    m = mount_factory(small)
    inst = instances(small, small.accounts[0])[0]
    d = inst_dir(m, inst)
    for name in ("status", "info.xml", "parameters"):
        path = os.path.join(d, name)
        with open(path, "rb") as f:
            assert os.stat(path).st_size == len(f.read())
    path = m / f"{inst['account']}/reports/{inst['report_id']}/parameters"
    with open(path, "rb") as f:
        assert os.stat(path).st_size == len(f.read())


def test_type_parameters_file(small, mount_factory):
    m = mount_factory(small)
    account = small.accounts[0]
    rid = report_types(small, account)[0][0]
    detail = ET.fromstring(small.get(f"/accounts/{account}/reports/{rid}").body)
    with open(m / f"{account}/reports/{rid}/parameters") as f:
        text = f.read()
    lines = text.splitlines()
    assignments = [ln for ln in lines if not ln.startswith("#")]
    assert all(ln.endswith(" = ") for ln in assignments), assignments
    keys = [ln[:-3] for ln in assignments]
    params = [p.findtext("Name") for p in detail.iter("Parameter")]
    assert keys == ["OutputFormat", "ExpiresAt"] + params
    for fmt in (f.text for f in detail.iter("OutputFormat")):
        assert fmt in text
    for p in detail.iter("Parameter"):
        for v in p.iter("Value"):
            internal, display = v.findtext("InternalName"), v.findtext("DisplayName")
            if internal:
                assert f"{internal} ({display})" in text if display else internal in text
    assert "# Required: yes" in text and "YYYY-MM-DD" in text and "30 days" in text


def test_instance_parameters_file(small, mount_factory):
    m = mount_factory(small)
    for inst in instances(small, small.accounts[0])[:4]:
        with open(os.path.join(inst_dir(m, inst), "parameters")) as f:
            lines = [ln for ln in f.read().splitlines() if ln and not ln.startswith("#")]
        assert lines[0] == f"OutputFormat = {inst['format']}"
        expected = [f"{k} = {v}" for k, vals in inst["parameters"].items() for v in vals]
        assert sorted(lines[1:]) == sorted(expected)


def test_unknown_names_are_enoent(small, mount_factory):
    m = mount_factory(small)
    account = small.accounts[0]
    inst = instances(small, account)[0]
    d = inst_dir(m, inst)
    for rel in ("1234567", f"{account}/nope", f"{account}/reports/no-such-report",
                f"{account}/reports/{inst['report_id']}/notanumber",
                f"{account}/reports/{inst['report_id']}/999999999",
                f"{account}/billing/NOPE", f"{account}/billing/didsnap",
                f"{account}/billing/DIDSNAP/00000000-0000-0000-0000-000000000000"):
        with pytest.raises(FileNotFoundError):
            os.stat(m / rel)
    with pytest.raises(FileNotFoundError):
        os.stat(os.path.join(d, "nope.csv"))
    with pytest.raises(NotADirectoryError):
        os.listdir(os.path.join(d, "status"))


def test_desktop_probes_cost_no_request(small, mount_factory):
    m = mount_factory(small)
    account = small.accounts[0]
    inst = instances(small, account)[0]
    dirs = ["", account, f"{account}/reports", f"{account}/reports/{inst['report_id']}",
            os.path.relpath(inst_dir(m, inst), m.path), f"{account}/billing",
            f"{account}/billing/DIDSNAP"]
    probes = [".hidden", ".Trash", f".Trash-{os.getuid()}", ".directory", "autorun.inf",
              ".xdg-volume-info", ".thumbnails", ".cache", "desktop.ini", "Desktop.ini",
              "folder.jpg", ".DS_Store", "._report.csv", ".git", ".svn", "BDMV", ".localized"]
    for d in dirs:
        os.listdir(os.path.join(m.path, d))  # the directories themselves may cost requests
    small.reset()
    for d in dirs:
        for p in probes:
            with pytest.raises(FileNotFoundError):
                os.stat(os.path.join(m.path, d, p))
    assert small.calls() == 0


def test_expired_and_failed_instances_have_no_report_file(small, mount_factory):
    account = small.accounts[0]
    expired = small.create_instance(account=account, status="Expired")
    failed = small.create_instance(account=account, status="Error")
    progress = small.create_instance(account=account, status="progress")
    m = mount_factory(small)
    for inst in (expired, failed, progress):
        assert sorted(os.listdir(inst_dir(m, inst))) == sorted(INSTANCE_FILES)
    with open(os.path.join(inst_dir(m, expired), "status")) as f:
        assert f.read() == "Expired\n"


def test_status_change_is_seen(small, mount_factory):
    account = small.accounts[0]
    inst = small.create_instance(account=account, status="progress", size=5000)
    m = mount_factory(small)
    d = inst_dir(m, inst)
    status = os.path.join(d, "status")
    with open(status) as f:
        word = f.read()
    assert word not in ("Ready\n", "Expired\n") and word.endswith("\n")
    assert report_files(d) == []
    small.patch_instance(inst["id"], status="Ready")

    def read():
        with open(status) as f:
            return f.read() == "Ready\n"
    assert wait_for(read, timeout=5.0)
    assert len(report_files(d)) == 1
    assert sha256_file(report_path(m, inst)) == small.instance(inst["id"])["sha256"]
    # a longer word than the size the kernel may still hold: read whole all the same
    os.stat(status)
    small.patch_instance(inst["id"], status="Expired")

    def expired():
        with open(status) as f:
            return f.read() == "Expired\n"
    assert wait_for(expired, timeout=5.0)
    assert report_files(d) == []


HOSTILE = [
    ('attachment; filename="../../etc/passwd"', None),
    ('attachment; filename="a\\"b/c\\\\d.csv"', None),
    ("attachment; filename=status", None),
    ("attachment; filename=info.xml", None),
    ('attachment; filename=""', None),
    ("attachment; filename=.hidden.csv", None),
    ("attachment; filename=\"x\x01y\x7fz.csv\"", None),
    ("attachment", None),
]


def test_hostile_content_disposition_names_are_made_safe(small, mount_factory):
    account = small.accounts[0]
    made = [small.create_instance(account=account, disposition="raw", raw_disposition=raw,
                                  size=3000, format="csv")
            for raw, _ in HOSTILE]
    made.append(small.create_instance(account=account, disposition="none", size=3000,
                                      format="csv"))
    m = mount_factory(small)
    for inst in made:
        d = inst_dir(m, inst)
        files = report_files(d)
        assert len(files) == 1, (inst["raw_disposition"], os.listdir(d))
        name = files[0]
        assert "/" not in name and name not in (".", "..") and not name.startswith(".")
        assert all(ord(c) >= 0x20 and ord(c) != 0x7f for c in name), repr(name)
        assert os.path.dirname(os.path.join(d, name)) == d
        assert sha256_file(os.path.join(d, name)) == small.instance(inst["id"])["sha256"]
    fallback = report_files(inst_dir(m, made[0]))[0]
    assert fallback == f"report-{made[0]['id']}.csv"
    assert report_files(inst_dir(m, made[-1]))[0] == f"report-{made[-1]['id']}.csv"


def billing_of(sim, account):
    return [b for b in sim.control("GET", f"/billing?account={account}")]


def test_billing_layout(small, mount_factory):
    account = small.accounts[0]
    bdr = small.create_billing(account=account, type="BDR")
    state = os.path.join(str(small.state_dir) + "-fs")
    os.makedirs(os.path.join(state, account))
    with open(os.path.join(state, account, "billing.ids"), "w") as f:
        f.write(f"BDR {bdr['uuid']}\n")
    m = mount_factory(small, options={"state_dir": state})
    types = os.listdir(m / f"{account}/billing")
    assert len(types) == 24 and "DIDSNAP_MSG" in types and "UNPROVISIONED_CALLS_BDR" in types
    listed = [b for b in billing_of(small, account) if b["type"] in ("DIDSNAP", "DIDSNAP_MSG")]
    for kind in ("DIDSNAP", "DIDSNAP_MSG"):
        assert sorted(os.listdir(m / f"{account}/billing/{kind}")) == \
            sorted(["new"] + [b["uuid"] for b in listed if b["type"] == kind])
    assert sorted(os.listdir(m / f"{account}/billing/BDR")) == sorted([bdr["uuid"], "new"])
    assert os.listdir(m / f"{account}/billing/MDR") == ["new"]
    for b in listed + [bdr]:
        d = m / f"{account}/billing/{b['type']}/{b['uuid']}"
        with open(os.path.join(d, "status")) as f:
            assert f.read() == b["status"] + "\n"
        root = ET.fromstring(open(os.path.join(d, "info.xml"), "rb").read())
        assert root.findtext(".//ReportStatus") == b["status"]
        files = report_files(d, BILLING_FILES)
        if b["status"] in ("COMPLETED", "COMPLETE"):
            assert len(files) == 1 and files[0].endswith(".zip")
            path = os.path.join(d, files[0])
            full = small.billing(b["uuid"])
            assert os.stat(path).st_size == full["size"]
            assert sha256_file(path) == full["sha256"]
            if b is not bdr:
                assert os.stat(d).st_mtime == api_time(b["created"])
        else:
            assert files == []


def test_read_only_and_no_xattrs(small, mount_factory):
    m = mount_factory(small)
    inst = instances(small, small.accounts[0])[0]
    status = os.path.join(inst_dir(m, inst), "status")
    with pytest.raises(OSError) as err:
        open(status, "w")
    assert err.value.errno in (errno.EROFS, errno.EACCES)
    with pytest.raises(OSError) as err:
        os.getxattr(status, "user.x")
    assert err.value.errno in (errno.ENOSYS, errno.EOPNOTSUPP, errno.ENODATA)
    # not mounted "ro": the `new` files take requests (test_request.py); every
    # other file and directory refuses changes
    with pytest.raises(OSError) as err:
        os.mkdir(os.path.join(inst_dir(m, inst), "x"))
    assert err.value.errno in (errno.EROFS, errno.EACCES)


def test_an_instance_created_after_the_listing_is_reachable_by_id(small, mount_factory):
    account = small.accounts[0]
    m = mount_factory(small)
    rid = instances(small, account)[0]["report_id"]
    before = os.listdir(m / f"{account}/reports/{rid}")  # the listing is cached now
    inst = small.create_instance(account=account, report_id=rid, size=2000)
    assert str(inst["id"]) not in before
    d = inst_dir(m, inst)
    assert stat.S_ISDIR(os.stat(d).st_mode)
    assert sha256_file(report_path(m, inst)) == small.instance(inst["id"])["sha256"]
