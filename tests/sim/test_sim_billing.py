"""Billing reports (/billingreports, UUID ids): POST 201/204/400, status
RECEIVED -> PROCESSING -> COMPLETED, the zip file, the DIDSNAP-only list, and
the error codes 1008 15501 15600 15602 15603. api-facts.md "Billing reports"
table and bullets, and the /billingReports spelling bullet of "Hosts and paths"."""

import datetime
import io
import re
import urllib.parse
import zipfile

import pytest

from simtests import (GUIDE_BILLING_TYPES, SPEC_BILLING_TYPES, UUID_RE, YMD_RE, assert_error,
                      billing_body, error_of, parse_xml, sha256, text, utc_today,
                      wait_for, ymd)

DEFAULT_LOCATION_BASE = "https://api.test.inetwork.com:443/v1.0"
START, END = "2021-07-16", "2021-09-16"


def post(api, kind="BDR", start=START, end=END, path="/billingreports", acct=None):
    return api.sim.post(f"/accounts/{acct or api.acct}{path}", billing_body(kind, start, end))


def created_uuid(api, resp):
    assert resp.status == 201, resp
    loc = resp.header("Location")
    parts = urllib.parse.urlsplit(loc)
    assert parts.scheme and parts.netloc, loc
    m = re.search(r"/accounts/(\d+)/billing[Rr]eports/([^/]+)$", parts.path)
    assert m, loc
    assert m.group(1) == api.acct
    assert UUID_RE.match(m.group(2)), loc
    return m.group(2)


def status_of(api, uuid, acct=None):
    resp = api.sim.get(api.billing_path(f"/{uuid}", acct))
    assert resp.status == 200, resp
    root = parse_xml(resp)
    assert root.tag == "BillingReportRetrievalResponse"
    assert text(root, "Description") is not None
    return text(root, "ReportStatus")


def assert_billing_error(resp, status, code):
    assert_error(resp, status, code)
    assert error_of(resp)[0] == "BillingReportsResponse"


def listed(api, query="", acct=None):
    resp = api.sim.get(api.billing_path(query, acct))
    if resp.status == 204:
        assert resp.body == b""
        return []
    assert resp.status == 200, resp
    root = parse_xml(resp)
    assert root.tag == "BillingReportsRetrievalResponse"
    out = []
    for el in root.findall("BillingReportList/BillingReport"):
        d = {c.tag: (c.text or "").strip() for c in el if len(c) == 0}
        dr = el.find("DateRange")
        assert dr is not None, d
        d["StartDate"], d["EndDate"] = text(dr, "StartDate"), text(dr, "EndDate")
        out.append(d)
    return out


# -- POST ------------------------------------------------------------------------

def test_post_201_received_and_location(api):
    """api-facts billing row 1: 201 <BillingReportCreationResponse><ReportStatus>RECEIVED
    <Description/> + Location .../billingreports/{uuid} (absolute, another host;
    either spelling accepted)."""
    resp = post(api)
    assert resp.status == 201, resp
    root = parse_xml(resp)
    assert root.tag == "BillingReportCreationResponse"
    assert text(root, "ReportStatus") == "RECEIVED"
    assert text(root, "Description")
    uuid = created_uuid(api, resp)
    loc = resp.header("Location")
    assert urllib.parse.urlsplit(loc).netloc != urllib.parse.urlsplit(api.sim.root).netloc
    assert loc.lower().startswith(f"{DEFAULT_LOCATION_BASE}/accounts/{api.acct}/billingreports/".lower())
    assert status_of(api, uuid) in ("RECEIVED", "PROCESSING", "COMPLETED")


def test_post_guide_spelling_path(api):
    """api-facts: the guide writes /billingReports; the simulator accepts both spellings."""
    uuid = created_uuid(api, post(api, path="/billingReports"))
    resp = api.sim.get(f"/accounts/{api.acct}/billingReports/{uuid}")
    assert resp.status == 200, resp
    assert status_of(api, uuid)


@pytest.mark.parametrize("kind", GUIDE_BILLING_TYPES + SPEC_BILLING_TYPES)
def test_post_every_type(api, kind):
    """api-facts: the types of the guide and of the spec's enum are all accepted."""
    created_uuid(api, post(api, kind=kind))


def test_post_204_no_data_period(api):
    """api-facts billing row 1: may be 204 with no body when the period has no
    data (simulator: a period that ends before 2021-01-01)."""
    resp = post(api, start="2020-05-21", end="2020-05-29")
    assert resp.status == 204, resp
    assert resp.body == b""
    assert resp.header("Location") is None
    resp = post(api, start="2020-12-01", end="2020-12-31")
    assert resp.status == 204, resp
    created_uuid(api, post(api, start="2020-12-01", end="2021-01-01"))


@pytest.mark.parametrize("start,end", [
    ("2021-09-16", "2021-07-16"),        # end before start
    ("2021/07/16", "2021-09-16"),        # malformed
    ("2021-07-16", "someday"),
    ("2021-02-30", "2021-03-01"),        # no such day
    ("future", "future"),
])
def test_post_400_15501_bad_date_range(api, start, end):
    """api-facts billing row 1: 400 15501 bad date range (simulator: bad or future)."""
    if start == "future":
        start = ymd(utc_today() + datetime.timedelta(days=5))
        end = ymd(utc_today() + datetime.timedelta(days=9))
    assert_billing_error(post(api, start=start, end=end), 400, 15501)


@pytest.mark.parametrize("kind", ["NOPE", "bdr", "", "DIDSNAP-MSG"])
def test_post_400_15600_bad_type(api, kind):
    """api-facts billing row 1: 400 15600 bad type."""
    assert_billing_error(post(api, kind=kind), 400, 15600)


# -- status, file ------------------------------------------------------------------

def test_status_received_processing_completed(api_factory):
    """api-facts billing rows 1-2 and simulator.md: RECEIVED, then PROCESSING,
    then COMPLETED once --ready-delay has passed; the statuses never go back."""
    api = api_factory("--ready-delay", "1")
    uuid = created_uuid(api, post(api))
    order = ["RECEIVED", "PROCESSING", "COMPLETED"]
    seen = []

    def completed():
        s = status_of(api, uuid)
        assert s in order, s
        if not seen or seen[-1] != s:
            seen.append(s)
        return s == "COMPLETED"

    wait_for(completed, timeout=15, interval=0.02, what="COMPLETED")
    assert seen == sorted(seen, key=order.index), seen
    assert "PROCESSING" in seen, seen


def test_file_15602_while_building_then_zip(api):
    """api-facts billing row 3: 15602 still building (simulator: 400); then 200
    zip, Content-Disposition attachment; filename=bdrs_START_END.zip, starting with PK."""
    api.sim.config(ready_delay=60)
    uuid = created_uuid(api, post(api))
    assert status_of(api, uuid) in ("RECEIVED", "PROCESSING")
    assert_billing_error(api.sim.get(api.billing_path(f"/{uuid}/file")), 400, 15602)
    api.sim.patch_billing(uuid, status="COMPLETED")
    assert status_of(api, uuid) == "COMPLETED"
    resp = api.sim.get(api.billing_path(f"/{uuid}/file"))
    assert resp.status == 200, resp
    assert resp.header("Content-Disposition") == f"attachment; filename=bdrs_{START}_{END}.zip"
    assert resp.body[:2] == b"PK"
    zf = zipfile.ZipFile(io.BytesIO(resp.body))
    assert zf.testzip() is None
    names = zf.namelist()
    assert len(names) == 1 and names[0].endswith(".csv"), names
    csv = zf.read(names[0])
    assert csv, "empty CSV"
    info = api.sim.billing(uuid)
    assert sha256(resp.body) == info["sha256"]
    assert len(resp.body) == info["size"]
    from bwsim import content
    from simtests import sim_seed
    key = content.key_for(sim_seed(api.sim), uuid, len(csv), "zip")
    assert content.sha256(key) == info["sha256"]
    assert content.read(content.key_for(sim_seed(api.sim), uuid, len(csv), "csv"), 0, len(csv)) == csv


def test_file_content_type_not_trusted(api):
    """api-facts: the guide's zip comes with Content-Type: application/xml
    (simulator: every other report); every one is still a zip."""
    types = set()
    for i in range(4):
        uuid = created_uuid(api, post(api, start=f"2021-0{i + 1}-01", end=f"2021-0{i + 1}-20"))
        api.sim.patch_billing(uuid, status="COMPLETED")
        resp = api.sim.get(api.billing_path(f"/{uuid}/file"))
        assert resp.status == 200, resp
        assert resp.body.startswith(b"PK")
        zipfile.ZipFile(io.BytesIO(resp.body)).testzip()
        types.add((resp.header("Content-Type") or "").split(";")[0].strip())
    assert "application/xml" in types
    assert len(types) >= 2, types


def test_get_400_1008_bad_uuid(api):
    """api-facts billing rows 2-3: 400 1008 for a malformed uuid."""
    for bad in ("not-a-uuid", "1234", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"):
        assert_billing_error(api.sim.get(api.billing_path(f"/{bad}")), 400, 1008)
        assert_billing_error(api.sim.get(api.billing_path(f"/{bad}/file")), 400, 1008)


def test_get_404_15603_unknown(api):
    """api-facts billing rows 2-3: 404 15603 for an unknown report."""
    unknown = "0e0f2a4c-1b3d-4e5f-8a9b-0c1d2e3f4a5b"
    assert_billing_error(api.sim.get(api.billing_path(f"/{unknown}")), 404, 15603)
    assert_billing_error(api.sim.get(api.billing_path(f"/{unknown}/file")), 404, 15603)


def test_report_of_other_account_unknown(api):
    """A billing report belongs to the account it was created on."""
    uuid = created_uuid(api, post(api))
    other = api.sim.accounts[1]
    assert_billing_error(api.sim.get(api.billing_path(f"/{uuid}", acct=other)), 404, 15603)


# -- list --------------------------------------------------------------------------

def test_list_shape_and_kinds(ro_api):
    """api-facts billing row 4: 200 <BillingReportsRetrievalResponse><BillingReportList>
    <BillingReport><BillingReportId/><BillingReportKind/><UserId/><ReportStatus/>
    <Description/><CreatedDate/><DateRange>; only DIDSNAP and DIDSNAP_MSG."""
    for acct in ro_api.sim.accounts:
        items = listed(ro_api, acct=acct)
        assert items, acct
        for d in items:
            for field in ("BillingReportId", "BillingReportKind", "UserId", "ReportStatus",
                          "Description", "CreatedDate"):
                assert field in d, (field, d)
            assert UUID_RE.match(d["BillingReportId"]), d
            assert d["BillingReportKind"] in ("DIDSNAP", "DIDSNAP_MSG"), d
            assert YMD_RE.match(d["StartDate"]) and YMD_RE.match(d["EndDate"]), d
            assert d["StartDate"] <= d["EndDate"], d
            assert d["CreatedDate"], d
    every = [d for acct in ro_api.sim.accounts for d in listed(ro_api, acct=acct)]
    assert {d["BillingReportKind"] for d in every} == {"DIDSNAP", "DIDSNAP_MSG"}
    statuses = [d["ReportStatus"] for d in every]
    assert set(statuses) == {"PROCESSING", "COMPLETED"}
    assert statuses.count("COMPLETED") > statuses.count("PROCESSING")


@pytest.mark.parametrize("kind", ["DIDSNAP", "DIDSNAP_MSG"])
def test_list_filter_by_kind(ro_api, kind):
    """api-facts billing row 4: GET /billingreports?kind=K for the listable kinds."""
    every = listed(ro_api)
    mine = listed(ro_api, f"?kind={kind}")
    assert {d["BillingReportKind"] for d in mine} <= {kind}
    assert sorted(d["BillingReportId"] for d in mine) == sorted(
        d["BillingReportId"] for d in every if d["BillingReportKind"] == kind)


@pytest.mark.parametrize("kind", ["BDR", "INVOICE", "MDR", "NOPE"])
def test_list_other_kinds_400(ro_api, kind):
    """api-facts billing row 4 + bullet: only DIDSNAP and DIDSNAP_MSG can be listed; others 400."""
    resp = ro_api.sim.get(ro_api.billing_path(f"?kind={kind}"))
    assert resp.status == 400, resp


def test_list_does_not_show_requested_bdr(api):
    """api-facts bullet: a BDR/INVOICE report the user requested exists only as
    the id in Location; a requested DIDSNAP report is listed."""
    bdr = created_uuid(api, post(api, kind="BDR"))
    inv = created_uuid(api, post(api, kind="INVOICE"))
    snap = created_uuid(api, post(api, kind="DIDSNAP"))
    ids = {d["BillingReportId"] for d in listed(api)}
    assert bdr not in ids and inv not in ids
    assert snap in ids
    assert status_of(api, bdr)


def test_list_listed_reports_download(ro_api):
    """Listed COMPLETED reports download as zips named after their range;
    PROCESSING ones answer 15602."""
    done = building = 0
    for d in listed(ro_api)[:6]:
        resp = ro_api.sim.get(ro_api.billing_path(f"/{d['BillingReportId']}/file"))
        if d["ReportStatus"] == "COMPLETED":
            assert resp.status == 200, resp
            assert resp.body.startswith(b"PK")
            assert resp.header("Content-Disposition") == (
                f"attachment; filename=bdrs_{d['StartDate']}_{d['EndDate']}.zip")
            done += 1
        else:
            assert_billing_error(resp, 400, 15602)
            building += 1
    assert done


def test_list_204_when_none(api_factory):
    """api-facts billing row 4: 204 (no body) when there is nothing to list. The
    control API re-types an account's listed reports to BDR (PATCH
    /_sim/billing/{uuid} {"type"}), which cannot be listed."""
    api = api_factory()
    acct = api.sim.accounts[1]
    items = listed(api, acct=acct)
    assert items
    for d in items:
        if d["BillingReportKind"] == "DIDSNAP_MSG":
            api.sim.patch_billing(d["BillingReportId"], type="BDR")
    resp = api.sim.get(api.billing_path("?kind=DIDSNAP_MSG", acct=acct))
    assert resp.status == 204 and resp.body == b"", resp
    assert listed(api, "?kind=DIDSNAP", acct=acct)
    for d in items:
        api.sim.patch_billing(d["BillingReportId"], type="BDR")
    for query in ("", "?kind=DIDSNAP"):
        resp = api.sim.get(api.billing_path(query, acct=acct))
        assert resp.status == 204 and resp.body == b"", resp
    # the reports themselves are still there
    assert status_of(api, items[0]["BillingReportId"], acct) in ("PROCESSING", "COMPLETED")


def test_status_word_complete_variant(api):
    """api-facts: a docs example has COMPLETE instead of COMPLETED; the control
    API can show it, and such a report is downloadable."""
    uuid = created_uuid(api, post(api))
    api.sim.patch_billing(uuid, status="COMPLETE")
    assert status_of(api, uuid) == "COMPLETE"
    resp = api.sim.get(api.billing_path(f"/{uuid}/file"))
    assert resp.status == 200 and resp.body.startswith(b"PK")
