"""The --demo data set (simulator.md "Demo data set"): three accounts, every
report type of the guide (ids 2 4 6 8 14 16 24 30 31 34 36 42 47 48 50 59 64
65), instances in every state (ready CSV/PDF/XLSX, in progress, expired,
failed, 307-delivered, chunked), DIDSNAP/DIDSNAP_MSG billing reports and one
64 MiB export, all served as a client would see them."""

import pytest

from simtests import GUIDE_REPORTS, assert_error, content_key, parse_xml, sha256

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from harness.sim import Sim
    from simtests import Api
    sim = Sim(("--demo",), workdir=tmp_path_factory.mktemp("demo"))
    try:
        yield Api(sim)
    finally:
        sim.stop()


def every_instance(demo):
    return [(acct, i) for acct in demo.sim.accounts for i in demo.instances(acct=acct)]


def test_demo_accounts(demo):
    """simulator.md demo: three visible accounts."""
    assert len(demo.sim.accounts) == 3
    assert demo.sim.forbidden_account not in demo.sim.accounts


def test_demo_has_every_guide_report_type(demo):
    """Every account lists the 18 report types of the guide with their names."""
    assert sorted(GUIDE_REPORTS) == [2, 4, 6, 8, 14, 16, 24, 30, 31, 34, 36, 42, 47, 48, 50, 59, 64, 65]
    for acct in demo.sim.accounts:
        assert {rid: name for rid, name, _ in demo.reports(acct)} == GUIDE_REPORTS
        for rid in GUIDE_REPORTS:
            assert demo.sim.get(f"{demo.reports_path(acct)}/{rid}").status == 200


def test_demo_instances_in_every_state(demo):
    """simulator.md demo: instances in every state (api-facts Status bullet),
    each answering /file as its state says (19048, 19049)."""
    items = every_instance(demo)
    statuses = {i["Status"] for _, i in items}
    assert statuses == {"Ready", "Processing", "Expired", "Error"}
    ready_formats = {i["OutputFormat"] for _, i in items if i["Status"] == "Ready"}
    assert {"csv", "pdf", "xlsx"} <= ready_formats
    for acct, i in items:
        if i["Status"] == "Expired":
            assert "ExpiresAt" not in i
            assert_error(demo.download(i["ReportId"], i["Id"], acct=acct), 404, 19049)
        elif i["Status"] == "Processing":
            assert_error(demo.download(i["ReportId"], i["Id"], acct=acct), 202, 19048)
        elif i["Status"] == "Error":
            assert i["_error"] and all(i["_error"])


def test_demo_ready_files_served(demo):
    """Each ready demo file (but the big one) downloads byte-exact; among them a
    307-delivered one and a chunked one."""
    seen = set()
    for acct, i in every_instance(demo):
        if i["Status"] != "Ready":
            continue
        info = demo.sim.instance(i["Id"])
        if info["size"] > 8 * MiB:
            continue
        resp = demo.download(i["ReportId"], i["Id"], acct=acct)
        if resp.status == 307:
            seen.add("redirect")
            resp = demo.sim.get(resp.header("Location"), auth="none")
        assert resp.status == 200, resp
        if resp.header("Content-Length") is None:
            assert resp.header("Transfer-Encoding") == "chunked"
            seen.add("chunked")
        assert sha256(resp.body) == info["sha256"], i
        seen.add(i["OutputFormat"])
    assert {"redirect", "chunked", "csv", "pdf", "xlsx"} <= seen


def test_demo_large_export(demo):
    """One large (64 MiB) CDR-like export: its size and its first and last bytes
    (Range requests, checked against bwsim.content)."""
    from bwsim import content
    big = []
    for acct, i in every_instance(demo):
        info = demo.sim.instance(i["Id"])
        if info["size"] >= 64 * MiB:
            big.append((acct, i, info))
    assert len(big) == 1
    acct, i, info = big[0]
    assert i["Status"] == "Ready"
    key = content_key(demo.sim, info)
    size = info["size"]
    head = demo.download(i["ReportId"], i["Id"], acct=acct, headers={"Range": "bytes=0-4095"})
    assert head.status == 206
    assert head.header("Content-Range") == f"bytes 0-4095/{size}"
    assert head.body == content.read(key, 0, 4096)
    tail = demo.download(i["ReportId"], i["Id"], acct=acct, headers={"Range": f"bytes={size - 5000}-"})
    assert tail.status == 206 and tail.body == content.read(key, size - 5000, 5000)


def test_demo_billing_reports(demo):
    """simulator.md demo: DIDSNAP and DIDSNAP_MSG billing reports (api-facts billing row 4)."""
    kinds = set()
    for acct in demo.sim.accounts:
        resp = demo.sim.get(demo.billing_path(acct=acct))
        assert resp.status == 200
        for b in parse_xml(resp).findall("BillingReportList/BillingReport"):
            kinds.add(b.find("BillingReportKind").text)
    assert kinds == {"DIDSNAP", "DIDSNAP_MSG"}
