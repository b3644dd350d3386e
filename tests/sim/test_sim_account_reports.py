"""Account report types: GET /reports (list shape, order, the guide's types) and
GET /reports/{id} (Report child, Parameters of every type, 404 19000).
api-facts.md "Account reports" rows 1-2 and the bullets on order, root element
and parameter fields."""

import xml.etree.ElementTree as ET

from simtests import GUIDE_REPORTS, PARAMETER_TYPES, assert_error, parse_xml


def test_reports_list_shape(ro_api):
    """api-facts: GET /reports -> 200 <ReportsResponse><Reports><Report><Name/><Id/><Description/>."""
    resp = ro_api.sim.get(ro_api.reports_path())
    assert resp.status == 200, resp
    root = parse_xml(resp)
    assert root.tag == "ReportsResponse"
    reports = root.findall("Reports/Report")
    assert reports, "no Report elements"
    for r in reports:
        for field in ("Name", "Id", "Description"):
            el = r.find(field)
            assert el is not None and (el.text or "").strip(), (field, ET.tostring(r)[:300])
        assert r.find("Id").text.strip().isdigit(), "report ids are numeric"


def test_reports_list_has_guide_types_with_names(ro_api):
    """simulator.md Data: the 18 report types of the guide, their ids and names,
    then synthetic ids 100, 101... up to --types (default 18)."""
    reports = ro_api.reports()
    by_id = {rid: name for rid, name, _ in reports}
    for rid, name in GUIDE_REPORTS.items():
        assert by_id.get(rid) == name, (rid, by_id.get(rid))
    assert len(reports) == 18
    assert len(by_id) == len(reports), "a report id is listed twice"


def test_reports_list_synthetic_types(api_factory):
    """simulator.md: --types beyond 18 adds synthetic ids 100, 101, ..."""
    api = api_factory("--types", "21")
    ids = {rid for rid, _, _ in api.reports()}
    assert ids == set(GUIDE_REPORTS) | {100, 101, 102}


def test_reports_list_order_is_stable(ro_api):
    """api-facts: report list order is the server's (display priority, then name).
    The priority is not visible to a client: the order must at least be the
    same on every call and for every account."""
    first = ro_api.reports()
    assert ro_api.reports() == first
    for acct in ro_api.sim.accounts[1:]:
        assert [r[0] for r in ro_api.reports(acct)] == [r[0] for r in first]


def test_report_detail_shape(ro_api):
    """api-facts: GET /reports/{id} -> 200 <ReportResponse><Report><Id/><Name/><Parameters><Parameter>;
    the root's name is inconsistent across sources (ReportResponse, ReportsResponse): both occur."""
    roots = set()
    for rid, name, _ in ro_api.reports():
        resp = ro_api.sim.get(f"{ro_api.reports_path()}/{rid}")
        assert resp.status == 200, resp
        root = parse_xml(resp)
        assert root.tag in ("ReportResponse", "ReportsResponse"), root.tag
        roots.add(root.tag)
        rep = root.find("Report")
        assert rep.find("Id").text.strip() == str(rid)
        assert rep.find("Name").text.strip() == name
        assert rep.find("Parameters") is not None, f"report {rid} without Parameters"
    assert roots == {"ReportResponse", "ReportsResponse"}


def test_report_detail_404_19000(ro_api):
    """api-facts: GET /reports/{id} for an unknown id -> 404, code 19000."""
    resp = ro_api.sim.get(f"{ro_api.reports_path()}/987654")
    assert_error(resp, 404, 19000)
    resp = ro_api.sim.get(f"{ro_api.reports_path()}/3")  # between guide ids
    assert_error(resp, 404, 19000)


def test_parameters_use_every_type(ro_api):
    """api-facts Parameter fields bullet: Type is one of Account ID, Site ID,
    SipPeer ID, String, Integer, Boolean, Enum, Date, SpecializedList; taken
    together the types use every one of them."""
    seen = set()
    for rid, params in ro_api.all_parameters().items():
        for p in params:
            assert p["type"] in PARAMETER_TYPES, (rid, p)
            seen.add(p["type"])
    assert seen == PARAMETER_TYPES


def test_parameter_fields(ro_api):
    """api-facts: Parameter fields Name, Type, Required, Description,
    MultiSelectAllowed, HelpInformation (booleans spelled true/false)."""
    count = 0
    for rid, params in ro_api.all_parameters().items():
        names = [p["name"] for p in params]
        assert len(names) == len(set(names)), f"report {rid} repeats a parameter name"
        for p in params:
            count += 1
            assert p["name"], (rid, p)
            assert p["required"] in ("true", "false"), (rid, p)
            assert p["multi"] in ("true", "false"), (rid, p)
            assert p["description"] is not None, (rid, p)
    assert count > 0
    assert any(p["help"] for params in ro_api.all_parameters().values() for p in params), \
        "no parameter carries HelpInformation"


def test_enum_parameters(ro_api):
    """api-facts: enums have ValueFilter (';'-separated) and
    <Values><Value><InternalName/><DisplayName/></Value>..., MultiSelectAllowed
    true and false both occur, RecommendedValue sometimes."""
    enums = [p for params in ro_api.all_parameters().values() for p in params if p["type"] == "Enum"]
    assert enums
    for p in enums:
        assert p["values"], p
        for internal, display in p["values"]:
            assert internal and display, p
        assert p["value_filter"] is not None, p
        if p["recommended"] is not None:
            assert p["recommended"] in [v[0] for v in p["values"]], p
    assert {p["multi"] for p in enums} == {"true", "false"}
    assert any(p["recommended"] is not None for p in enums), "no enum has a RecommendedValue"
    multi_filters = [p["value_filter"] for p in enums if ";" in (p["value_filter"] or "")]
    assert multi_filters, "no ValueFilter is ';'-separated"
    for f in multi_filters:
        assert all(part.strip() for part in f.strip(";").split(";")), f


def test_some_parameters_are_required(ro_api):
    """api-facts Parameter field Required: some parameter is required (error
    19032 needs one to be missing)."""
    required = {p["required"] for params in ro_api.all_parameters().values() for p in params}
    assert "true" in required


def test_reports_same_for_every_visible_account(ro_api):
    """Every call is BASE/accounts/{accountId}/...: each visible account has the report list."""
    for acct in ro_api.sim.accounts:
        resp = ro_api.sim.get(ro_api.reports_path(acct))
        assert resp.status == 200, (acct, resp)
