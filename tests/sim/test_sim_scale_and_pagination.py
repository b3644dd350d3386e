"""Pagination (api-facts.md "Lists carry no pagination in examples..." bullet:
<Links><next>Link=&lt;URL&gt;;rel="next";</next></Links>, SDKs send
page=1&size=30) followed to the end gives every item exactly once, in order;
and the 5 x 20 x 500 scale of simulator.md starts and lists its instances."""

import time

import pytest

from simtests import GUIDE_REPORTS, next_link, parse_xml


def ids(items):
    return [i.find("Id").text.strip() for i in items]


def test_no_links_by_default(ro_api):
    """Without --page-size the lists are whole and carry no Links."""
    for path in (ro_api.reports_path(), ro_api.instances_path(), ro_api.instances_path(2)):
        assert parse_xml(ro_api.sim.get(path)).find("Links") is None


def test_paginated_reports_list(api_factory):
    """--page-size 10: the report list comes in pages with <Links><next>; following
    them gives every type once, in the order of the unpaged list."""
    api = api_factory("--page-size", "10")
    items, roots = api.follow(api.reports_path(), "Reports/Report")
    assert len(roots) == 2
    assert len(roots[0].findall("Reports/Report")) == 10
    assert next_link(roots[0]) and next_link(roots[-1]) is None
    paged = ids(items)
    api.sim.config(page_size=0)
    whole = ids(parse_xml(api.sim.get(api.reports_path())).findall("Reports/Report"))
    assert paged == whole
    assert sorted(int(i) for i in paged) == sorted(GUIDE_REPORTS)


def test_next_link_format(api_factory):
    """The next element reads Link=<URL>;rel="next"; and the URL is usable."""
    api = api_factory("--page-size", "10")
    root = parse_xml(api.sim.get(api.instances_path()))
    raw = root.find("Links/next").text.strip()
    assert raw.startswith("Link=<") and raw.endswith(';rel="next";'), raw
    assert len(root.findall("Instances/Instance")) == 10


@pytest.mark.parametrize("page_size", [1, 7, 10, 108, 500])
def test_paginated_instances_all_exactly_once(api_factory, page_size):
    """Following next on GET /reports/instances gives every instance exactly once."""
    api = api_factory("--page-size", str(page_size))
    items, roots = api.follow(api.instances_path(), "Instances/Instance")
    got = ids(items)
    assert len(got) == len(set(got)) == 18 * 6
    assert len(roots) == -(-108 // page_size)
    for root in roots[:-1]:
        assert len(root.findall("Instances/Instance")) == page_size
    api.sim.config(page_size=0)
    whole = ids(parse_xml(api.sim.get(api.instances_path())).findall("Instances/Instance"))
    assert got == whole


def test_paginated_instances_one_type(api_factory):
    """api-facts pagination bullet on GET /reports/{id}/instances."""
    api = api_factory("--page-size", "4")
    for rid in (2, 65):
        items, roots = api.follow(api.instances_path(rid), "Instances/Instance")
        assert len(roots) == 2
        assert len(set(ids(items))) == len(items) == 6
        assert {i.find("ReportId").text for i in items} == {str(rid)}


def test_sdk_page_and_size_query(ro_api):
    """api-facts: an SDK always sends page=1&size=30; following next from there
    still gives every instance exactly once."""
    whole = ids(parse_xml(ro_api.sim.get(ro_api.instances_path())).findall("Instances/Instance"))
    items, _ = ro_api.follow(ro_api.instances_path() + "?page=1&size=30", "Instances/Instance")
    got = ids(items)
    assert sorted(got) == sorted(whole) and len(got) == len(set(got))


def test_pagination_sees_new_instances(api_factory):
    """A POSTed instance shows in the paged list."""
    api = api_factory("--page-size", "25")
    rid, new_id, _ = api.create_via_post()
    items, _ = api.follow(api.instances_path(), "Instances/Instance")
    got = ids(items)
    assert new_id in got and len(got) == len(set(got))


def test_scale_5x20x500(api_factory):
    """simulator.md scale: --accounts 5 --types 20 --instances 500 starts and
    lists 500 instances for a type, for every account."""
    start = time.monotonic()
    api = api_factory("--accounts", "5", "--types", "20", "--instances", "500")
    assert time.monotonic() - start < 30
    assert len(api.sim.accounts) == 5
    reports = api.reports()
    assert len(reports) == 20
    assert {r[0] for r in reports} == set(GUIDE_REPORTS) | {100, 101}
    seen = set()
    for acct in api.sim.accounts:
        items, _ = api.follow(api.instances_path(101, acct=acct), "Instances/Instance")
        got = ids(items)
        assert len(got) == len(set(got)) == 500
        assert not seen & set(got)
        seen |= set(got)
    last = got[-1]
    resp = api.sim.get(api.instance_path(101, last, acct=api.sim.accounts[-1]))
    assert resp.status == 200
