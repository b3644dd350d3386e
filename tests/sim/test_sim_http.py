"""HTTP behaviour a real client (libcurl under FUSE) relies on: persistent
connections across every kind of answer (200, 201 empty, 202, 204, 307, 401
empty, 404, 206), parallel ranged downloads, and the guide's own request
style (XML declaration, charset, comments, indentation). api-facts.md
"Authentication" (SDK headers) and the guide's request examples."""

import http.client
import threading
import urllib.parse

from simtests import basic_header, content_bytes, instance_body


def test_keep_alive_across_answers(api):
    """One HTTP/1.1 connection carries a sequence of calls of every answer shape."""
    sim = api.sim
    rid = api.reports()[0][0]
    params = api.parameters(rid)
    body = instance_body(api.listed_formats(rid)[0], api.valid_params(params))
    _, ready, _ = api.control_instance(report_id=rid, status="Ready", size=70_000, chunked=False)
    _, chunked, _ = api.control_instance(report_id=rid, status="Ready", size=70_000, chunked=True)
    _, waiting, _ = api.control_instance(report_id=rid, status="Processing")
    _, moved, _ = api.control_instance(report_id=rid, status="Ready", delivery="redirect")
    expected = content_bytes(sim, sim.instance(ready))
    expected_chunked = content_bytes(sim, sim.instance(chunked))
    user, password = next(iter(sim.info["users"].items()))
    good = {"Authorization": basic_header(user, password), "Accept": "application/xml"}
    post = dict(good, **{"Content-Type": "application/xml"})
    parts = urllib.parse.urlsplit(sim.api)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    base = parts.path
    calls = [
        ("GET", api.reports_path(), None, good, 200, None),
        ("GET", api.reports_path(), None, {"Authorization": "Basic eDp5"}, 401, b""),
        ("GET", api.file_path(rid, ready), None, good, 200, expected),
        ("GET", api.file_path(rid, waiting), None, good, 202, None),
        ("POST", api.instances_path(rid), body, post, 201, b""),
        ("GET", api.file_path(rid, chunked), None, good, 200, expected_chunked),
        ("GET", api.file_path(rid, moved), None, good, 307, None),
        ("GET", api.instance_path(rid, 987654321), None, good, 404, None),
        ("POST", api.billing_path(), "<BillingReport><Type>BDR</Type><DateRange><StartDate>2020-01-01"
         "</StartDate><EndDate>2020-01-31</EndDate></DateRange></BillingReport>", post, 204, b""),
        ("GET", api.file_path(rid, ready), None, dict(good, Range="bytes=10-19"), 206, expected[10:20]),
        ("GET", api.reports_path(), None, good, 200, None),
    ]
    try:
        for method, path, data, headers, status, want in calls:
            conn.request(method, base + path, body=data, headers=headers)
            resp = conn.getresponse()
            got = resp.read()
            assert resp.status == status, (method, path, resp.status, got[:200])
            if want is not None:
                assert got == want, (method, path)
    finally:
        conn.close()
    assert api.sim.calls() >= len(calls)


def test_parallel_ranged_downloads(api):
    """Eight threads read ranges of the same file and of another at once; every
    range is exact."""
    sim = api.sim
    _, a, _ = api.control_instance(status="Ready", size=3_000_000, chunked=False)
    _, b, _ = api.control_instance(status="Ready", size=3_000_000, chunked=False,
                                   delivery="redirect")
    rid = api.reports()[0][0]
    files = {a: content_bytes(sim, sim.instance(a)), b: content_bytes(sim, sim.instance(b))}
    loc_b = api.download(rid, b).header("Location")
    errors = []

    def worker(n):
        try:
            for k in range(6):
                iid = a if (n + k) % 2 else b
                first = (n * 370_001 + k * 123_457) % 2_900_000
                last = first + 65_535
                url = api.file_path(rid, iid) if iid == a else loc_b
                resp = sim.get(url, auth="basic" if iid == a else "none",
                               headers={"Range": f"bytes={first}-{last}"})
                if resp.status != 206 or resp.body != files[iid][first:last + 1]:
                    errors.append((n, k, resp.status))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append((n, repr(exc)))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []


def test_guide_style_request_body(api):
    """The guide's POST: Content-Type with charset, an XML declaration,
    indentation and an XML comment after ExpiresAt."""
    rid = api.reports()[0][0]
    params = api.parameters(rid)
    inner = "".join(f"\n        <Parameter>\n            <Name>{n}</Name>\n            <Value>{v}</Value>\n"
                    f"        </Parameter>" for n, v in api.valid_params(params))
    import datetime
    expires = (datetime.date.today() + datetime.timedelta(days=5)).strftime("%Y-%m-%d")
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Instance>\n    <OutputFormat>'
            f'{api.listed_formats(rid)[0]}</OutputFormat>\n    <Parameters>{inner}\n    </Parameters>\n'
            f'    <ExpiresAt>{expires}</ExpiresAt>\n    <!-- the date (not longer than 30 days in the '
            f'future) at the end of which the instance will expire -->\n</Instance>\n')
    resp = api.sim.post(api.instances_path(rid), body,
                        headers={"Content-Type": "application/xml; charset=utf-8"})
    assert resp.status == 201, resp
    new_id = resp.header("Location").rsplit("/", 1)[1]
    assert api.get_instance(rid, new_id)["ExpiresAt"] == expires
    resp = api.sim.post(api.billing_path(), '<?xml version="1.0" encoding="UTF-8"?>\n<BillingReport>\n'
                        '    <Type>BDR</Type>\n    <DateRange>\n        <StartDate>2021-05-21</StartDate>\n'
                        '        <EndDate>2021-05-29</EndDate>\n    </DateRange>\n</BillingReport>\n',
                        headers={"Content-Type": "application/xml; charset=utf-8"})
    assert resp.status == 201, resp
