"""Determinism of content (simulator.md "Report bytes", --seed): the same seed
gives the same data set and the same bytes; another seed gives other bytes;
bwsim.content reads any offset without the bytes before it."""

from simtests import content_key, sha256


def snapshot(api):
    return [(i["Id"], i["ReportId"], i["Status"], i["OutputFormat"], i.get("ExpiresAt"))
            for acct in api.sim.accounts for i in api.instances(acct=acct)]


def test_same_seed_same_data_and_bytes(api_factory):
    """simulator.md --seed: the same seed gives the same instances and byte-identical files."""
    a = api_factory("--seed", "7")
    b = api_factory("--seed", "7")
    assert a.reports() == b.reports()
    assert snapshot(a) == snapshot(b)
    ready = [i for i in a.instances() if i["Status"] == "Ready"][:5]
    for i in ready:
        ia, ib = a.sim.instance(i["Id"]), b.sim.instance(i["Id"])
        assert ia["sha256"] == ib["sha256"] and ia["size"] == ib["size"]
        ra, rb = a.download(i["ReportId"], i["Id"]), b.download(i["ReportId"], i["Id"])
        if ra.status == 307:
            ra = a.sim.get(ra.header("Location"), auth="none")
            rb = b.sim.get(rb.header("Location"), auth="none")
        assert ra.body == rb.body and sha256(ra.body) == ia["sha256"]


def test_other_seed_other_bytes(api_factory):
    """simulator.md Report bytes: a file is a function of the seed too."""
    a = api_factory("--seed", "7")
    b = api_factory("--seed", "8")
    made = [api.control_instance(report_id=2, status="Ready", size=10_000, format="csv",
                                 delivery="direct", chunked=False)[1] for api in (a, b)]
    assert made[0] == made[1], "the same id is created next in both"
    body_a = a.download(2, made[0]).body
    body_b = b.download(2, made[1]).body
    assert len(body_a) == len(body_b) == 10_000
    assert body_a != body_b


def test_content_read_any_offset(api):
    """bwsim.content.read(key, offset, length) equals the slice of the whole file."""
    from bwsim import content
    _, iid, _ = api.control_instance(status="Ready", size=3_000_000, format="csv")
    key = content_key(api.sim, api.sim.instance(iid))
    whole = content.read(key, 0, 3_000_000)
    assert len(whole) == 3_000_000
    assert content.sha256(key) == sha256(whole)
    for off, n in [(0, 1), (999_999, 2), (1_000_000, 100), (2_999_990, 50), (1_234_567, 765_433)]:
        assert content.read(key, off, n) == whole[off:off + n]
    assert content.read(key, 3_000_000, 10) == b""
