"""Report instances as a client reads them: the lists across types and per type,
one instance, its fields, statuses and date formats. api-facts.md "Account
reports" rows 3, 4, 6 and the bullets on instance fields, Status, OutputFormat,
ExpiresAt and RequestedAt."""

from simtests import (OUTPUT_FORMATS, REQUESTED_AT_RE, YMD_RE, assert_error, instance_dict,
                      parse_xml)

BASE_FIELDS = ("Id", "ReportId", "ReportName", "OutputFormat", "RequestedByUserName",
               "RequestedAt", "Status")


def all_instances(api):
    return {acct: api.instances(acct=acct) for acct in api.sim.accounts}


def test_list_all_types_shape(ro_api):
    """api-facts: GET /reports/instances -> 200
    <ReportInstancesResponse><Instances><Instance>... for all types."""
    resp = ro_api.sim.get(ro_api.instances_path())
    assert resp.status == 200, resp
    root = parse_xml(resp)
    assert root.tag == "ReportInstancesResponse"
    items = root.findall("Instances/Instance")
    report_ids = {i.find("ReportId").text.strip() for i in items}
    types = ro_api.reports()
    # simulator.md: --types 18 x --instances 6 per (account, type)
    assert len(items) == len(types) * 6
    assert report_ids == {str(rid) for rid, _, _ in types}


def test_list_one_type(ro_api):
    """api-facts: GET /reports/{id}/instances -> 200, same shape, one type."""
    everything = ro_api.instances()
    for rid, _, _ in ro_api.reports():
        resp = ro_api.sim.get(ro_api.instances_path(rid))
        assert resp.status == 200, resp
        root = parse_xml(resp)
        assert root.tag == "ReportInstancesResponse"
        mine = [instance_dict(i) for i in root.findall("Instances/Instance")]
        assert len(mine) == 6, (rid, len(mine))
        assert {i["ReportId"] for i in mine} == {str(rid)}
        assert sorted(i["Id"] for i in mine) == sorted(
            i["Id"] for i in everything if i["ReportId"] == str(rid))


def test_instance_fields(ro_api):
    """api-facts instance fields: Id, ReportId, ReportName, OutputFormat,
    RequestedByUserName, RequestedAt, Parameters, Status, ExpiresAt;
    OutputFormat is one of pdf csv xls xlsx html xml; ReportName matches the type."""
    names = {str(rid): name for rid, name, _ in ro_api.reports()}
    for acct, items in all_instances(ro_api).items():
        for i in items:
            for field in BASE_FIELDS:
                assert i.get(field), (acct, field, i)
            assert i["_has_parameters"], i
            assert i["Id"].isdigit(), i
            assert i["ReportName"] == names[i["ReportId"]], i
            assert i["OutputFormat"] in OUTPUT_FORMATS, i


def test_instance_ids_unique_across_server(ro_api):
    """simulator.md: instance ids are numeric and unique across the server."""
    ids = [i["Id"] for items in all_instances(ro_api).values() for i in items]
    assert len(ids) == len(set(ids))


def test_statuses_present(ro_api):
    """api-facts Status bullet: Ready and Expired are certain, the in-progress
    word is another value, failure is inferred (simulator: Ready, Processing,
    Expired, Error all occur; most are Ready)."""
    statuses = [i["Status"] for items in all_instances(ro_api).values() for i in items]
    assert set(statuses) == {"Ready", "Processing", "Expired", "Error"}
    assert statuses.count("Ready") > len(statuses) / 2


def test_expired_instances_omit_expires_at(ro_api):
    """api-facts: Expired instances omit ExpiresAt; others carry YYYY-MM-DD."""
    for items in all_instances(ro_api).values():
        for i in items:
            if i["Status"] == "Expired":
                assert "ExpiresAt" not in i, i
            elif i["Status"] == "Ready":
                assert YMD_RE.match(i.get("ExpiresAt", "")), i


def test_failed_instances_have_error_details(ro_api):
    """api-facts: older specs add ErrorDetails(Code, Message): the failed
    instances of the simulator carry them."""
    failed = [i for items in all_instances(ro_api).values() for i in items if i["Status"] == "Error"]
    assert failed
    for i in failed:
        assert i["_error"] is not None, i
        code, message = i["_error"]
        assert code and message, i


def test_requested_at_format_unpadded(ro_api):
    """api-facts: RequestedAt is not ISO 8601, 'YYYY-M-D H:MM:SS', newer examples drop zero padding."""
    stamps = [i["RequestedAt"] for items in all_instances(ro_api).values() for i in items]
    unpadded = 0
    for s in stamps:
        m = REQUESTED_AT_RE.match(s)
        assert m, s
        year, month, day, hour, minute, second = map(int, m.groups())
        assert 1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 60, s
        if len(m.group(2)) == 1 and month < 10 or len(m.group(3)) == 1 and day < 10:
            unpadded += 1
        # no value below 10 is padded in month or day
        assert not m.group(2).startswith("0") and not m.group(3).startswith("0"), s
    assert unpadded, "no RequestedAt shows an unpadded month or day"


def test_get_one_instance(ro_api):
    """api-facts: GET /reports/{id}/instances/{iid} -> 200 <ReportInstanceResponse><Instance>,
    the same fields as in the list."""
    items = ro_api.instances()
    for listed in items[:12] + [i for i in items if i["Status"] in ("Expired", "Error")][:4]:
        resp = ro_api.sim.get(ro_api.instance_path(listed["ReportId"], listed["Id"]))
        assert resp.status == 200, resp
        root = parse_xml(resp)
        assert root.tag == "ReportInstanceResponse"
        one = instance_dict(root.find("Instance"))
        assert one == listed


def test_get_instance_404_19019(ro_api):
    """api-facts: GET /reports/{id}/instances/{iid} unknown -> 404, code 19019."""
    rid = ro_api.reports()[0][0]
    assert_error(ro_api.sim.get(ro_api.instance_path(rid, 987654321)), 404, 19019)


def test_instance_of_other_account_not_found(ro_api):
    """Every call is under /accounts/{accountId}: an instance of one account is
    not found under another."""
    a, b = ro_api.sim.accounts[:2]
    other = ro_api.instances(acct=b)[0]
    assert_error(ro_api.sim.get(ro_api.instance_path(other["ReportId"], other["Id"], acct=a)),
                 404, 19019)


def test_older_spec_fields(ro_api):
    """api-facts: older specs add CompletedAt (and ErrorDetails, checked above):
    some instances carry CompletedAt, in the API's date format."""
    stamps = [i["CompletedAt"] for items in all_instances(ro_api).values() for i in items
              if "CompletedAt" in i]
    assert stamps
    for s in stamps:
        assert REQUESTED_AT_RE.match(s), s


def test_seeded_in_progress_stay_in_progress(api_factory):
    """simulator.md: seeded in-progress instances stay so until the control API
    changes them, whatever --ready-delay (which only times POSTed ones)."""
    api = api_factory("--ready-delay", "0")
    waiting = [i for i in api.instances() if i["Status"] == "Processing"]
    assert waiting
    rid, new_id, _ = api.create_via_post()
    assert api.get_instance(rid, new_id)["Status"] == "Ready"
    for i in waiting:
        assert api.get_instance(i["ReportId"], i["Id"])["Status"] == "Processing"
        assert_error(api.download(i["ReportId"], i["Id"]), 202, 19048)
