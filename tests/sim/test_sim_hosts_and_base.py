"""Hosts and paths (api-facts.md first section): every call is
BASE/accounts/{accountId}/...; the base is configurable (/api, /v1.0,
/api/v1, /api/v2); /billingReports and /billingreports both work; unknown
paths are 404 and counted as "unknown"."""

import pytest

from simtests import parse_xml


@pytest.mark.parametrize("base", ["/v1.0", "/api/v1", "/api/v2"])
def test_configurable_base(api_factory, base):
    """api-facts Hosts and paths: the base is configurable (/v1.0, /api/v1, /api/v2); another base is 404."""
    api = api_factory("--base", base)
    assert api.sim.api == api.sim.root + base
    resp = api.sim.get(api.sim.root + base + f"/accounts/{api.acct}/reports")
    assert resp.status == 200 and parse_xml(resp).tag == "ReportsResponse"
    rid, new_id, resp = api.create_via_post()
    assert api.get_instance(rid, new_id)["Id"] == new_id
    api.sim.reset()
    other = api.sim.get(api.sim.root + f"/api/accounts/{api.acct}/reports")
    assert other.status == 404
    assert api.sim.calls("unknown") == 1


def test_default_base_is_api(ro_api):
    """api-facts Hosts and paths / simulator.md: the default base is /api."""
    assert ro_api.sim.api == ro_api.sim.root + "/api"
    assert ro_api.sim.get(ro_api.sim.root + f"/v1.0/accounts/{ro_api.acct}/reports").status == 404


def test_billing_path_both_spellings(ro_api):
    """api-facts: the guide writes /billingReports, specs /billingreports; both answer."""
    a = ro_api.sim.get(f"/accounts/{ro_api.acct}/billingreports")
    b = ro_api.sim.get(f"/accounts/{ro_api.acct}/billingReports")
    assert a.status == b.status == 200
    assert a.body == b.body


@pytest.mark.parametrize("path", ["/reports/abc", "/reports/2/instances/abc", "/nothing",
                                  "/reports/2/instances/100001/file/extra"])
def test_unknown_paths_404(api, path):
    """Paths the API does not have are refused (404/400) and counted once."""
    api.sim.reset()
    resp = api.sim.get(f"/accounts/{api.acct}{path}")
    assert resp.status in (400, 404), resp
    assert api.sim.calls() == 1


def test_unknown_counted(api):
    """simulator.md stats kind `unknown`."""
    api.sim.reset()
    assert api.sim.get(api.sim.root + "/favicon.ico").status == 404
    assert api.sim.get(f"/accounts/{api.acct}/whatever").status == 404
    assert api.sim.calls("unknown") == 2
