"""POST /reports/{id}/instances: 201 with an empty body and an absolute Location
on another host, every 400 error code with the request that triggers it, the
order of the checks, and 503 19031. api-facts.md "Account reports" row 5 and
"Hosts and paths" (Location) bullet."""

import datetime
import urllib.parse

import pytest

from simtests import assert_error, error_of, instance_body, utc_today, ymd

DEFAULT_LOCATION_BASE = "https://api.test.inetwork.com:443/v1.0"


def today():
    """The date the simulator most likely uses; None when local and UTC dates differ."""
    local = datetime.date.today()
    return local if local == utc_today() else None


def count(api, rid):
    return len(api.instances(rid))


def post_params(api, rid, params, overrides=(), drop=(), extra=(), fmt=None, expires=None):
    """POST a body made of valid values for the required parameters of `rid`,
    with some replaced (`overrides`: {name: value}), dropped, or added."""
    overrides = dict(overrides)
    body_params = []
    for p in params:
        if p["name"] in drop:
            continue
        if p["name"] in overrides:
            body_params.append((p["name"], overrides.pop(p["name"])))
        elif p["required"] == "true":
            body_params.append((p["name"], api.valid_value(p)))
    body_params += list(overrides.items()) + list(extra)
    if fmt is None:
        fmt = api.output_format(rid, params)
    return api.post_instance(rid, instance_body(fmt, body_params, expires))


def expect_refused(api, rid, send, code):
    """`send()` answers 400 with `code` and creates no instance."""
    api.output_format(rid, api.parameters(rid))  # resolved (and cached) before counting
    before = count(api, rid)
    resp = send()
    assert_error(resp, 400, code)
    assert count(api, rid) == before, "a refused POST created an instance"
    return resp


def refused(api, rid, params, code, **kw):
    """post_params(api, rid, params, **kw) is refused with `code`."""
    return expect_refused(api, rid, lambda: post_params(api, rid, params, **kw), code)


# -- success -----------------------------------------------------------------

def test_post_201_empty_body_absolute_location(api):
    """api-facts row 5: 201, empty body, Location .../reports/{id}/instances/{newId};
    Location is absolute and names another host (an SDK fixture host); the
    last path segment is the id, which the simulator then serves."""
    rid = api.reports()[0][0]
    before = count(api, rid)
    rid, new_id, resp = api.create_via_post(rid)
    assert resp.status == 201
    assert resp.body == b""
    loc = resp.header("Location")
    parts = urllib.parse.urlsplit(loc)
    assert parts.scheme in ("http", "https") and parts.netloc, loc
    assert parts.netloc != urllib.parse.urlsplit(api.sim.root).netloc, loc
    assert loc.startswith(f"{DEFAULT_LOCATION_BASE}/accounts/{api.acct}/reports/{rid}/instances/"), loc
    assert new_id.isdigit(), loc
    got = api.get_instance(rid, new_id)
    assert got["Id"] == new_id
    assert got["ReportId"] == str(rid)
    assert count(api, rid) == before + 1
    assert new_id in {i["Id"] for i in api.instances()}


def test_post_location_base_option(api_factory):
    """simulator.md --location-base: the base written into Location headers."""
    api = api_factory("--location-base", "http://reports.elsewhere.test:8443/api/v2")
    rid, new_id, resp = api.create_via_post()
    assert resp.header("Location") == (
        f"http://reports.elsewhere.test:8443/api/v2/accounts/{api.acct}/reports/{rid}/instances/{new_id}")


def test_post_instance_keeps_what_was_asked(api):
    """The created instance reports the OutputFormat, Parameters and ExpiresAt
    of the POST, and starts in the progress word (default Processing)."""
    rid, params, p = api.find_parameter(lambda p: p["type"] == "Enum" and p["multi"] == "true")
    fmt = api.output_format(rid, params)
    chosen = [v for v, _ in p["values"]][:2]
    body = [(q["name"], api.valid_value(q)) for q in params
            if q["required"] == "true" and q["name"] != p["name"]] + [(p["name"], chosen)]
    expires = ymd(utc_today() + datetime.timedelta(days=10))
    api.sim.config(ready_delay=60)
    resp = api.post_instance(rid, instance_body(fmt, body, expires))
    assert resp.status == 201, resp
    new_id = resp.header("Location").rsplit("/", 1)[1]
    got = api.get_instance(rid, new_id)
    assert got["OutputFormat"] == fmt
    assert got["Status"] == "Processing"
    assert got["ExpiresAt"] == expires
    assert got["RequestedByUserName"]
    assert dict(got["_parameters"])[p["name"]] == chosen
    for name, value in body:
        assert dict(got["_parameters"])[name] == (value if isinstance(value, list) else [value])


def test_post_multi_values_allowed_when_multiselect(api):
    """api-facts row 5: several values are fine where MultiSelectAllowed is true (19057 otherwise)."""
    rid, params, p = api.find_parameter(lambda p: p["type"] == "Enum" and p["multi"] == "true")
    values = [v for v, _ in p["values"]][:2]
    resp = post_params(api, rid, params, overrides={p["name"]: values})
    assert resp.status == 201, resp


@pytest.mark.parametrize("days", [0, 1, 30])
def test_post_expires_at_within_30_days_accepted(api, days):
    """api-facts: ExpiresAt YYYY-MM-DD, at most 30 days ahead (boundaries accepted)."""
    day = today()
    if day is None:  # local and UTC dates differ: stay clear of the boundary
        day, days = utc_today(), min(max(days, 1), 29)
    rid = api.reports()[0][0]
    resp = post_params(api, rid, api.parameters(rid), expires=ymd(day + datetime.timedelta(days=days)))
    assert resp.status == 201, resp


# -- the error codes ------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["docx", "", "PDFX"])
def test_post_19030_bad_output_format(api, fmt):
    """api-facts row 5: 19030 bad OutputFormat."""
    rid = api.reports()[0][0]
    refused(api, rid, api.parameters(rid), 19030,
            fmt=fmt)


def test_post_19030_missing_output_format(api):
    """simulator.md: 19030 when OutputFormat is missing."""
    rid = api.reports()[0][0]
    params = api.parameters(rid)
    expect_refused(api, rid, lambda: api.post_instance(rid, instance_body(None, api.valid_params(params))),
                   19030)


def test_post_19030_format_the_type_does_not_take(api):
    """simulator.md: each type accepts a set of OutputFormats; another one is 19030.
    Some type refuses at least one of the six formats."""
    refused = False
    for rid, _, _ in api.reports():
        params = api.parameters(rid)
        for fmt in ("csv", "pdf", "xlsx", "xls", "html", "xml"):
            resp = post_params(api, rid, params, fmt=fmt)
            if resp.status == 400:
                assert error_of(resp)[1] == "19030", resp
                refused = True
            else:
                assert resp.status == 201, resp
        if refused:
            break
    assert refused, "every type takes every format"


def test_post_19023_unknown_parameter_name(api):
    """api-facts row 5: 19023 bad (unknown) parameter name."""
    rid = api.reports()[0][0]
    refused(api, rid, api.parameters(rid), 19023, extra=[("NoSuchParameter", "1")])


def test_post_19032_missing_required(api):
    """api-facts row 5: 19032 a required parameter missing."""
    rid, params, p = api.find_parameter(lambda p: p["required"] == "true")
    refused(api, rid, params, 19032,
            drop=[p["name"]])


def test_post_19057_several_values_single_select(api):
    """api-facts row 5: 19057 several values for a parameter whose MultiSelectAllowed is false."""
    rid, params, p = api.find_parameter(lambda p: p["multi"] == "false" and p["type"] != "Enum")
    value = api.valid_value(p)
    refused(api, rid, params, 19057,
            overrides={p["name"]: [value, value]})


def test_post_19057_single_select_enum(api):
    """api-facts row 5: 19057 also for an Enum whose MultiSelectAllowed is false."""
    rid, params, p = api.find_parameter(lambda p: p["multi"] == "false" and p["type"] == "Enum")
    names = [v for v, _ in p["values"]]
    two = (names * 2)[:2]
    refused(api, rid, params, 19057,
            overrides={p["name"]: two})


def test_post_19038_enum_value_not_internal_name(api):
    """api-facts row 5: 19038 an enum value that is not one of its Values."""
    rid, params, p = api.find_parameter(lambda p: p["type"] == "Enum")
    refused(api, rid, params, 19038,
            overrides={p["name"]: "no-such-value"})


def test_post_19038_display_name_is_not_a_value(api):
    """simulator.md: the Enum value must be an InternalName (a DisplayName that differs is refused)."""
    rid, params, p = api.find_parameter(
        lambda p: p["type"] == "Enum" and any(i != d for i, d in p["values"]))
    display = next(d for i, d in p["values"] if i != d and d not in [x for x, _ in p["values"]])
    refused(api, rid, params, 19038,
            overrides={p["name"]: display})


@pytest.mark.parametrize("ptype,bad", [
    ("Integer", "twelve"), ("Integer", "1.5"),
    ("Boolean", "yes"), ("Boolean", "1"),
    ("Date", "2024/01/02"), ("Date", "2024-13-40"), ("Date", "2024-1-2"),
    ("Account ID", "abc"), ("Site ID", "x1"), ("SipPeer ID", "peer"),
])
def test_post_19033_wrong_value_type(api, ptype, bad):
    """api-facts row 5: 19033 unsupported value (Integer, Boolean true/false,
    Date YYYY-MM-DD, numeric ids)."""
    rid, params, p = api.find_parameter(lambda p: p["type"] == ptype)
    refused(api, rid, params, 19033,
            overrides={p["name"]: bad})


@pytest.mark.parametrize("expires", ["2030/01/01", "soon", "2030-02-30", "past"])
def test_post_19046_expires_at_malformed_or_past(api, expires):
    """api-facts row 5: 19046 ExpiresAt malformed or in the past."""
    if expires == "past":
        expires = ymd(utc_today() - datetime.timedelta(days=2))
    rid = api.reports()[0][0]
    refused(api, rid, api.parameters(rid), 19046,
            expires=expires)


@pytest.mark.parametrize("days", [31, 45, 400])
def test_post_19059_expires_at_beyond_30_days(api, days):
    """api-facts row 5 / ExpiresAt bullet: at most 30 days ahead, 19059 beyond."""
    day = today()
    if day is None:
        day, days = utc_today(), max(days, 32)
    rid = api.reports()[0][0]
    refused(api, rid, api.parameters(rid), 19059,
            expires=ymd(day + datetime.timedelta(days=days)))


@pytest.mark.parametrize("body", ["<Foo><OutputFormat>csv</OutputFormat></Foo>", "not xml at all",
                                  "<Instance><OutputFormat>csv</OutputFormat>", ""])
def test_post_not_an_instance_document(api, body):
    """simulator.md: 400 for a body that is not an <Instance> document."""
    rid = api.reports()[0][0]
    before = count(api, rid)
    resp = api.post_instance(rid, body)
    assert resp.status == 400, resp
    assert count(api, rid) == before


def test_post_unknown_report_type(api):
    """POST on a report id that does not exist is refused (facts silent on the code)."""
    before = len(api.instances())
    resp = api.post_instance(987654, instance_body("csv"))
    assert resp.status in (400, 404), resp
    assert len(api.instances()) == before


# -- order of the checks (simulator.md table) ------------------------------------

def test_post_order_format_before_name(api):
    """simulator.md check order: 19030 before 19023."""
    rid = api.reports()[0][0]
    refused(api, rid, api.parameters(rid), 19030, fmt="docx", extra=[("NoSuchParameter", "1")])


def test_post_order_name_before_missing(api):
    """simulator.md check order: 19023 before 19032."""
    rid, params, p = api.find_parameter(lambda p: p["required"] == "true")
    refused(api, rid, params, 19023,
            drop=[p["name"]], extra=[("NoSuchParameter", "1")])


def test_post_order_missing_before_expires(api):
    """simulator.md check order: 19032 before 19046."""
    rid, params, p = api.find_parameter(lambda p: p["required"] == "true")
    refused(api, rid, params, 19032,
            drop=[p["name"]], expires="garbage")


def test_post_order_multi_before_enum(api):
    """simulator.md check order: 19057 before 19038."""
    rid, params, p = api.find_parameter(lambda p: p["multi"] == "false" and p["type"] == "Enum")
    refused(api, rid, params, 19057,
            overrides={p["name"]: ["bad-1", "bad-2"]})


def test_post_order_enum_before_expires(api):
    """simulator.md check order: 19038 before 19046."""
    rid, params, p = api.find_parameter(lambda p: p["type"] == "Enum")
    refused(api, rid, params, 19038,
            overrides={p["name"]: "no-such-value"}, expires="garbage")


def test_post_order_type_before_expires(api):
    """simulator.md check order: 19033 before 19046."""
    rid, params, p = api.find_parameter(lambda p: p["type"] == "Integer")
    refused(api, rid, params, 19033,
            overrides={p["name"]: "twelve"}, expires="2001-01-01")


# -- 503 19031 -----------------------------------------------------------------

def test_post_503_19031_from_fault(api):
    """api-facts row 5: 503 19031; the simulator gives it through the error503 fault."""
    rid = api.reports()[0][0]
    params = api.parameters(rid)
    fmt = api.output_format(rid, params)
    before = count(api, rid)
    api.sim.add_faults({"fault": "error503", "kinds": ["instances.create"], "times": 1})
    resp = api.post_instance(rid, instance_body(fmt, api.valid_params(params)))
    assert_error(resp, 503, 19031)
    assert count(api, rid) == before
    resp = api.post_instance(rid, instance_body(fmt, api.valid_params(params)))
    assert resp.status == 201, resp
