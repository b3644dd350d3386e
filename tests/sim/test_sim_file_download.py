"""GET .../instances/{iid}/file: 202 19048 until ready, 200 with exact bytes,
Content-Disposition variants, 307 to the signed origin (which refuses
Authorization), 19049 expired, 19019 unknown, chunked bodies, ranges.
api-facts.md "Account reports" row 7 and its redirect bullet; "Report outputs
can be large" (files >= 8 MiB sent from STATE_DIR)."""

import os
import re
import time
import urllib.parse

import pytest

from simtests import (assert_error, content_bytes, content_key, dechunk, error_of, instance_body,
                      raw_request, sha256, wait_for)


def make(api, **fields):
    """A Ready, direct, non-chunked csv instance unless told otherwise; returns
    (rid, iid, expected bytes)."""
    fields.setdefault("status", "Ready")
    fields.setdefault("size", 150_000)
    fields.setdefault("format", "csv")
    fields.setdefault("delivery", "direct")
    fields.setdefault("chunked", False)
    rid, iid, _ = api.control_instance(**fields)
    info = api.sim.instance(iid)
    return rid, iid, content_bytes(api.sim, info)


# -- 200 and exact bytes -----------------------------------------------------------

def test_file_200_exact_bytes(api):
    """api-facts row 7: 200 body; the bytes are those of bwsim.content, and the
    control API's sha256/size describe them."""
    rid, iid, expected = make(api, size=250_001, filename="calls.csv", disposition="quoted")
    info = api.sim.instance(iid)
    resp = api.download(rid, iid)
    assert resp.status == 200, resp
    assert resp.body == expected
    assert len(resp.body) == 250_001 == info["size"]
    assert sha256(resp.body) == info["sha256"]
    from bwsim import content
    assert content.sha256(content_key(api.sim, info)) == info["sha256"]
    assert int(resp.header("Content-Length")) == len(expected)


def test_file_records_are_numbered(api):
    """simulator.md Report bytes: fixed-width text records whose first field is
    the record number, so a misplaced block is visible."""
    rid, iid, _ = make(api, size=1_500_000)  # crosses a block boundary of any sane block size
    body = api.download(rid, iid).body
    lines = body.split(b"\n")
    full = lines[:-1]
    widths = {len(line) for line in full}
    assert len(widths) == 1, f"records of several widths: {sorted(widths)[:5]}"
    numbers = [int(line.split(b",", 1)[0]) for line in full]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def test_file_content_depends_on_format_and_id(api):
    """simulator.md: bytes are a function of (seed, instance id, size, format):
    two instances of the same size differ."""
    rid, a, exp_a = make(api, size=20_000)
    _, b, exp_b = make(api, size=20_000)
    body_a, body_b = api.download(rid, a).body, api.download(rid, b).body
    assert body_a == exp_a and body_b == exp_b
    assert body_a != body_b


@pytest.mark.parametrize("fmt", ["csv", "pdf", "xlsx", "xls", "html", "xml"])
def test_file_every_format(api, fmt):
    """api-facts OutputFormat bullet: pdf, csv, xls/xlsx, html, xml all download, byte-exact."""
    rid, iid, expected = make(api, format=fmt, size=12_345, filename=f"out.{fmt}", disposition="quoted")
    resp = api.download(rid, iid)
    assert resp.status == 200
    assert resp.body == expected
    assert resp.header("Content-Disposition") == f'attachment; filename="out.{fmt}"'


def test_large_file_materialised_and_exact(api):
    """simulator.md: files of 8 MiB and more are written once to STATE_DIR/files/
    and sent from there; still byte-exact."""
    size = 9 * 1024 * 1024 + 7
    rid, iid, _ = api.control_instance(status="Ready", size=size, format="csv",
                                       delivery="direct", chunked=False)
    info = api.sim.instance(iid)
    resp = api.download(rid, iid, timeout=60)
    assert resp.status == 200
    assert len(resp.body) == size
    assert sha256(resp.body) == info["sha256"]
    files_dir = os.path.join(api.sim.state_dir, "files")
    sizes = [os.path.getsize(os.path.join(files_dir, f)) for f in os.listdir(files_dir)]
    assert size in sizes


# -- Content-Disposition ------------------------------------------------------------

@pytest.mark.parametrize("disposition,header", [
    ("quoted", 'attachment; filename="output.pdf"'),
    ("unquoted", "attachment; filename=output.pdf"),
    ("none", None),
])
def test_file_content_disposition(api, disposition, header):
    """api-facts row 7: Content-Disposition: attachment; filename=output.pdf
    (simulator: quoted, unquoted, or absent)."""
    rid, iid, expected = make(api, format="pdf", filename="output.pdf", disposition=disposition)
    resp = api.download(rid, iid)
    assert resp.status == 200
    assert resp.header("Content-Disposition") == header
    assert resp.body == expected


def test_file_raw_disposition(api):
    """simulator.md: disposition "raw" sends raw_disposition verbatim."""
    raw = "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.csv"
    rid, iid, _ = make(api, disposition="raw", raw_disposition=raw)
    assert api.download(rid, iid).header("Content-Disposition") == raw


# -- not ready, expired, unknown ------------------------------------------------------

def test_file_202_19048_until_ready_then_200(api):
    """api-facts row 7: 202 + code 19048 while not ready; 200 once Ready
    (simulator: PATCH the status through the control API)."""
    rid, iid, expected = make(api, status="Processing")
    resp = api.download(rid, iid)
    assert_error(resp, 202, 19048)
    assert api.get_instance(rid, iid)["Status"] == "Processing"
    api.sim.patch_instance(iid, status="Ready")
    assert api.get_instance(rid, iid)["Status"] == "Ready"
    resp = api.download(rid, iid)
    assert resp.status == 200
    assert resp.body == expected


def test_file_ready_after_ready_delay(api_factory):
    """simulator.md --ready-delay: a POSTed instance answers 202 19048 first, and
    200 with its bytes once the delay has passed (polled)."""
    api = api_factory("--ready-delay", "0.5")
    rid = api.reports()[0][0]
    params = api.parameters(rid)
    body = instance_body(api.output_format(rid, params), api.valid_params(params))
    start = time.monotonic()
    resp = api.post_instance(rid, body)
    assert resp.status == 201, resp
    iid = resp.header("Location").rsplit("/", 1)[1]
    first = api.download(rid, iid)
    if time.monotonic() - start < 0.4:
        assert_error(first, 202, 19048)
        assert api.get_instance(rid, iid)["Status"] == "Processing"
    resp = wait_for(lambda: (r := api.download(rid, iid)).status == 200 and r, timeout=15,
                    what="the POSTed instance to become ready")
    assert time.monotonic() - start >= 0.5
    assert api.get_instance(rid, iid)["Status"] == "Ready"
    info = api.sim.instance(iid)
    assert sha256(resp.body) == info["sha256"]


def test_progress_word_option(api_factory):
    """api-facts Status bullet: the in-progress word is undocumented; the
    simulator's --progress-word sets it for new and seeded in-progress instances."""
    api = api_factory("--progress-word", "Queued", "--ready-delay", "60")
    rid, iid, _ = api.create_via_post()
    assert api.get_instance(rid, iid)["Status"] == "Queued"
    assert_error(api.download(rid, iid), 202, 19048)
    statuses = {i["Status"] for i in api.instances()}
    assert "Queued" in statuses and "Processing" not in statuses


def test_file_expired_19049(api):
    """api-facts row 7: expired -> code 19049 (simulator: 404)."""
    rid, iid, _ = make(api, status="Expired")
    assert_error(api.download(rid, iid), 404, 19049)
    assert "ExpiresAt" not in api.get_instance(rid, iid)


def test_file_expired_seeded(ro_api):
    """api-facts: the seeded Expired instances answer 19049 too."""
    expired = [i for i in ro_api.instances() if i["Status"] == "Expired"]
    assert expired
    for i in expired:
        assert_error(ro_api.download(i["ReportId"], i["Id"]), 404, 19049)


def test_file_unknown_19019(api):
    """api-facts row 7: 404 19019 for an unknown instance."""
    rid = api.reports()[0][0]
    assert_error(api.download(rid, 987654321), 404, 19019)


def test_file_failed_instance_is_not_served(ro_api):
    """api-facts: failure is inferred; a failed instance does not give a file."""
    failed = [i for i in ro_api.instances() if i["Status"] == "Error"]
    assert failed
    for i in failed:
        resp = ro_api.download(i["ReportId"], i["Id"])
        assert resp.status >= 400, resp
        error_of(resp)


# -- 307 to the signed origin -------------------------------------------------------------

def test_file_307_signed_origin(api):
    """api-facts row 7 + bullet: 307 to a Location that carries its own
    credentials in the query, on another origin; a request to it WITH
    Authorization gets 400, without it gets the exact bytes."""
    rid, iid, expected = make(api, delivery="redirect", filename="r.csv", disposition="unquoted")
    resp = api.download(rid, iid)
    assert resp.status == 307, resp
    loc = resp.header("Location")
    parts = urllib.parse.urlsplit(loc)
    api_parts = urllib.parse.urlsplit(api.sim.root)
    assert parts.scheme == api_parts.scheme
    assert parts.port == api.sim.info["redirect_port"] != api_parts.port
    assert parts.query, "the signed URL carries no credentials in its query"
    user, password = next(iter(api.sim.info["users"].items()))
    assert password not in loc
    api.sim.reset()
    with_basic = api.sim.get(loc)                        # default: Basic credentials
    assert with_basic.status == 400, with_basic
    with_bearer = api.sim.get(loc, auth=("bearer", api.sim.token()))
    assert with_bearer.status == 400, with_bearer
    clean = api.sim.get(loc, auth="none")
    assert clean.status == 200, clean
    assert clean.body == expected
    assert api.sim.calls("signed.file") == 3


def test_signed_url_tampered_refused(api):
    """simulator.md: the signed origin checks its signature and its Expires:
    a URL whose Expires was moved into the past answers 403."""
    rid, iid, _ = make(api, delivery="redirect")
    loc = api.download(rid, iid).header("Location")
    parts = urllib.parse.urlsplit(loc)
    query = urllib.parse.parse_qsl(parts.query)
    names = [k for k, _ in query]
    assert any(k.lower() == "expires" for k in names), f"no Expires in {loc}"
    past = str(int(time.time()) - 10)
    forged = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(
        [(k, past if k.lower() == "expires" else v) for k, v in query])))
    assert api.sim.get(forged, auth="none").status == 403
    # the signature itself is checked too
    forged = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(
        [(k, v if k.lower() == "expires" else v[:-1] + ("0" if v[-1:] != "0" else "1"))
         for k, v in query])))
    assert api.sim.get(forged, auth="none").status in (400, 403)
    assert api.sim.get(loc, auth="none").status == 200


def test_signed_url_range(api):
    """simulator.md: ranges are on for every GET, the signed origin included."""
    rid, iid, expected = make(api, delivery="redirect", size=100_000)
    loc = api.download(rid, iid).header("Location")
    resp = api.sim.get(loc, auth="none", headers={"Range": "bytes=1000-1999"})
    assert resp.status == 206
    assert resp.body == expected[1000:2000]


# -- chunked ---------------------------------------------------------------------------

def test_file_chunked_without_content_length(api):
    """simulator.md: some files are sent chunked, without Content-Length."""
    rid, iid, expected = make(api, chunked=True, size=300_000)
    raw = raw_request(api.sim, "GET", api.file_path(rid, iid))
    assert raw.status == 200
    assert raw.headers.get("transfer-encoding", "").lower() == "chunked"
    assert "content-length" not in raw.headers
    assert dechunk(raw.body) == expected
    resp = api.download(rid, iid)
    assert resp.body == expected


def test_file_not_chunked_has_content_length(api):
    """api-facts row 7: a direct 200 file has Content-Length and exactly that many bytes."""
    rid, iid, expected = make(api, chunked=False, size=30_000)
    raw = raw_request(api.sim, "GET", api.file_path(rid, iid))
    assert "transfer-encoding" not in raw.headers
    assert int(raw.headers["content-length"]) == len(expected)
    assert raw.body == expected


# -- ranges ------------------------------------------------------------------------

def test_range_206(api):
    """Range requests: 206, Content-Range, exact bytes (bwsim.content.read)."""
    from bwsim import content
    rid, iid, expected = make(api, size=2_000_000)
    info = api.sim.instance(iid)
    key = content_key(api.sim, info)
    full = api.download(rid, iid)
    assert full.header("Accept-Ranges") == "bytes"
    for first, last in [(0, 0), (100, 199), (999_990, 1_000_009), (1_999_000, 1_999_999)]:
        resp = api.download(rid, iid, headers={"Range": f"bytes={first}-{last}"})
        assert resp.status == 206, resp
        assert resp.header("Content-Range") == f"bytes {first}-{last}/2000000"
        assert int(resp.header("Content-Length")) == last - first + 1
        assert resp.body == content.read(key, first, last - first + 1) == expected[first:last + 1]


def test_range_open_ended_and_clamped(api):
    """Range bytes=N- and a last byte past the end (clamped): 206, exact bytes."""
    rid, iid, expected = make(api, size=50_000)
    resp = api.download(rid, iid, headers={"Range": "bytes=49000-"})
    assert resp.status == 206
    assert resp.header("Content-Range") == "bytes 49000-49999/50000"
    assert resp.body == expected[49000:]
    resp = api.download(rid, iid, headers={"Range": "bytes=49990-60000"})
    assert resp.status == 206
    assert resp.header("Content-Range") == "bytes 49990-49999/50000"
    assert resp.body == expected[49990:]


def test_range_suffix(api):
    """Range bytes=-N: the last N bytes."""
    rid, iid, expected = make(api, size=50_000)
    resp = api.download(rid, iid, headers={"Range": "bytes=-100"})
    assert resp.status == 206
    assert resp.header("Content-Range") == "bytes 49900-49999/50000"
    assert resp.body == expected[-100:]


def test_range_416(api):
    """Range past the end: 416 with Content-Range bytes */SIZE."""
    rid, iid, _ = make(api, size=50_000)
    resp = api.download(rid, iid, headers={"Range": "bytes=50000-50100"})
    assert resp.status == 416, resp
    assert resp.header("Content-Range") == "bytes */50000"


def test_range_on_chunked_file(api):
    """A range of a chunked file is still exact."""
    rid, iid, expected = make(api, chunked=True, size=80_000)
    resp = api.download(rid, iid, headers={"Range": "bytes=70000-70099"})
    assert resp.status == 206
    assert resp.body == expected[70000:70100]


def test_no_range_option(api_factory):
    """simulator.md --no-range: every GET answers the whole body, no Accept-Ranges, Range ignored."""
    api = api_factory("--no-range")
    rid, iid, expected = make(api, size=40_000)
    resp = api.download(rid, iid, headers={"Range": "bytes=0-99"})
    assert resp.status == 200
    assert resp.header("Accept-Ranges") is None
    assert resp.header("Content-Range") is None
    assert resp.body == expected


def test_range_switched_at_run_time(api):
    """simulator.md POST /_sim/config {"range": false/true}."""
    rid, iid, expected = make(api, size=40_000)
    api.sim.config(range=False)
    resp = api.download(rid, iid, headers={"Range": "bytes=0-99"})
    assert resp.status == 200 and resp.body == expected
    assert resp.header("Accept-Ranges") is None
    api.sim.config(range=True)
    resp = api.download(rid, iid, headers={"Range": "bytes=0-99"})
    assert resp.status == 206 and resp.body == expected[:100]


# -- the seeded data set covers every delivery variant --------------------------------

def test_seeded_instances_cover_every_variant(ro_api):
    """simulator.md Data: seeded Ready instances come direct or by 307, with
    quoted, unquoted or no Content-Disposition, chunked or not; each small one
    is served as its control record says, byte-exact."""
    sim = ro_api.sim
    seen = set()
    checked = 0
    for acct in sim.accounts:
        for i in ro_api.instances(acct=acct):
            if i["Status"] != "Ready":
                continue
            info = sim.instance(i["Id"])
            if info["size"] > 300_000:
                continue
            resp = ro_api.download(i["ReportId"], i["Id"], acct=acct)
            if resp.status == 307:
                seen.add("redirect")
                resp = sim.get(resp.header("Location"), auth="none")
            assert resp.status == 200, resp
            assert sha256(resp.body) == info["sha256"]
            cd = resp.header("Content-Disposition")
            if cd is None:
                seen.add("no-disposition")
            elif re.search(r'filename="[^"]+"', cd):
                seen.add("quoted")
            else:
                assert re.search(r"filename=[^\";]+", cd), cd
                seen.add("unquoted")
            if resp.header("Content-Length") is None:
                assert resp.header("Transfer-Encoding") == "chunked"
                seen.add("chunked")
            else:
                seen.add("direct-length")
            checked += 1
    assert seen == {"redirect", "no-disposition", "quoted", "unquoted", "chunked", "direct-length"}, seen
    assert checked >= 10
