"""Authentication and authorisation: HTTP Basic, the OAuth2 client-credentials
token endpoint and Bearer tokens (expiry included), 401 with an empty body,
403 code 1001 "Access Denied". api-facts.md "Authentication" bullets and the
403/401 bullet of "Errors and limits"."""

import base64

import pytest

from simtests import assert_error, wait_for

FORM = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}


def token_request(sim, client=None, secret=None, body="grant_type=client_credentials",
                  headers=None, auth=None):
    if client is None:
        client, secret = next(iter(sim.info["clients"].items()))
    return sim.request("POST", sim.info["token_url"], body=body, headers=headers or FORM,
                       auth=auth if auth is not None else ("basic", client, secret))


def assert_401(resp):
    """simulator.md: 401 has an empty body and WWW-Authenticate (api-facts: 401
    bodies are undocumented; the status is what counts)."""
    assert resp.status == 401, resp
    assert resp.body == b""
    assert resp.header("WWW-Authenticate")


# -- Basic ----------------------------------------------------------------------------

def test_basic_ok(api):
    """api-facts: HTTP Basic with an API user's name and password."""
    assert api.sim.get(api.reports_path()).status == 200


@pytest.mark.parametrize("auth", [
    ("basic", "demo", "wrong"),
    ("basic", "nobody", "demo-password"),
    ("basic", "demo", ""),
    "none",
    "Basic !!!not-base64!!!",
    "Basic " + base64.b64encode(b"no-colon-here").decode(),
    "Digest username=demo",
    "Bearer",
])
def test_basic_refused_401(api, auth):
    """Every request must authenticate; otherwise 401 with an empty body."""
    assert_401(api.sim.get(api.reports_path(), auth=auth))


@pytest.mark.parametrize("path", ["/reports/instances", "/reports/2", "/billingreports",
                                  "/reports/2/instances/100001/file"])
def test_every_call_needs_auth(api, path):
    """api-facts Authentication: every call authenticates; without credentials 401 on every kind."""
    assert_401(api.sim.get(f"/accounts/{api.acct}{path}", auth="none"))


def test_post_needs_auth(api):
    """api-facts Authentication: POSTs (instances, billing) without valid credentials are 401."""
    resp = api.sim.post(api.instances_path(2), "<Instance/>", auth="none")
    assert_401(resp)
    resp = api.sim.post(api.billing_path(), "<BillingReport/>", auth=("basic", "demo", "x"))
    assert_401(resp)


def test_client_credentials_are_not_a_basic_user(api):
    """An OAuth2 client id/secret is not an API user: Basic with them is 401."""
    client, secret = next(iter(api.sim.info["clients"].items()))
    assert_401(api.sim.get(api.reports_path(), auth=("basic", client, secret)))


def test_several_users(api_factory):
    """--user is repeatable; every listed user authenticates."""
    api = api_factory("--user", "alice:pw-a", "--user", "bob:pw-b")
    assert api.sim.get(api.reports_path(), auth=("basic", "alice", "pw-a")).status == 200
    assert api.sim.get(api.reports_path(), auth=("basic", "bob", "pw-b")).status == 200
    assert_401(api.sim.get(api.reports_path(), auth=("basic", "alice", "pw-b")))


def test_user_account_list(api_factory):
    """--user NAME:PASSWORD:ACCT: the user sees only the listed account; others are 403 1001."""
    api = api_factory("--accounts", "3", "--user", "carol:pw-c:9900002")
    auth = ("basic", "carol", "pw-c")
    assert api.sim.get(api.reports_path("9900002"), auth=auth).status == 200
    for other in ("9900001", "9900003"):
        assert_error(api.sim.get(api.reports_path(other), auth=auth), 403, 1001)


# -- OAuth2 ------------------------------------------------------------------------------

def test_token_endpoint(api):
    """api-facts: POST token URL, form body grant_type=client_credentials,
    client id and secret as Basic; JSON with access_token and expires_in."""
    assert api.sim.info["token_url"] == api.sim.root + "/api/v1/oauth2/token"
    resp = token_request(api.sim)
    assert resp.status == 200, resp
    assert resp.header("Content-Type").split(";")[0].strip() == "application/json"
    body = resp.json()
    assert isinstance(body["access_token"], str) and body["access_token"]
    assert body["token_type"].lower() == "bearer"
    assert body["expires_in"] == 3600
    second = token_request(api.sim).json()["access_token"]
    assert second != body["access_token"]


def test_bearer_works(api):
    """api-facts: later calls send Authorization: Bearer <token>."""
    token = api.sim.token()
    for path in (api.reports_path(), api.instances_path(), api.billing_path()):
        resp = api.sim.get(path, auth=("bearer", token))
        assert resp.status == 200, resp
    assert [e["auth"] for e in api.sim.requests()[-3:]] == ["bearer"] * 3


@pytest.mark.parametrize("case", ["bad-secret", "unknown-client", "no-auth", "user-as-client"])
def test_token_refused_401(api, case):
    """api-facts Authentication (OAuth2): a wrong client id/secret, none, or a
    Basic user's password gets no token."""
    client, secret = next(iter(api.sim.info["clients"].items()))
    if case == "bad-secret":
        resp = token_request(api.sim, client, "wrong")
    elif case == "unknown-client":
        resp = token_request(api.sim, "who", secret)
    elif case == "no-auth":
        resp = token_request(api.sim, auth="none")
    else:
        resp = token_request(api.sim, "demo", "demo-password")
    assert resp.status == 401, resp
    assert b"access_token" not in resp.body


@pytest.mark.parametrize("body", ["grant_type=password", "", "grant_type=authorization_code&code=x"])
def test_token_wrong_grant_refused(api, body):
    """Only grant_type=client_credentials gives a token."""
    resp = token_request(api.sim, body=body)
    assert resp.status in (400, 401), resp
    assert b"access_token" not in resp.body


@pytest.mark.parametrize("token", ["", "bwsim-made-up", "demo-password"])
def test_bad_bearer_401(api, token):
    """api-facts Authentication: a Bearer token the server did not issue is 401."""
    assert_401(api.sim.get(api.reports_path(), auth=f"Bearer {token}"))


def test_expired_token_401(api_factory):
    """api-facts: tokens expire (expires_in seconds); simulator: an expired token answers 401."""
    api = api_factory("--token-ttl", "1")
    resp = token_request(api.sim)
    assert resp.json()["expires_in"] == 1
    token = resp.json()["access_token"]
    assert api.sim.get(api.reports_path(), auth=("bearer", token)).status == 200
    def refused():
        r = api.sim.get(api.reports_path(), auth=("bearer", token))
        return r if r.status == 401 else None

    expired = wait_for(refused, timeout=10, interval=0.1, what="the token to expire")
    assert_401(expired)
    fresh = api.sim.token()
    assert api.sim.get(api.reports_path(), auth=("bearer", fresh)).status == 200


def test_token_path_configurable(api_factory):
    """api-facts: the token URL must be configurable (simulator --token-path)."""
    api = api_factory("--token-path", "/oauth/v9/token")
    assert api.sim.info["token_url"] == api.sim.root + "/oauth/v9/token"
    token = api.sim.token()
    assert api.sim.get(api.reports_path(), auth=("bearer", token)).status == 200
    old = api.sim.request("POST", api.sim.root + "/api/v1/oauth2/token",
                          body="grant_type=client_credentials", headers=FORM,
                          auth=("basic", "demo-client", "demo-secret"))
    assert old.status != 200 and b"access_token" not in old.body


def test_several_clients_and_account_list(api_factory):
    """--client ID:SECRET[:ACCT,...], repeatable; a client restricted to one account."""
    api = api_factory("--client", "c1:s1", "--client", "c2:s2:9900001")
    t1 = api.sim.token("c1", "s1")
    t2 = api.sim.token("c2", "s2")
    for acct in api.sim.accounts:
        assert api.sim.get(api.reports_path(acct), auth=("bearer", t1)).status == 200
    assert api.sim.get(api.reports_path("9900001"), auth=("bearer", t2)).status == 200
    assert_error(api.sim.get(api.reports_path("9900002"), auth=("bearer", t2)), 403, 1001)


# -- 403 1001 -------------------------------------------------------------------------------

def forbidden_calls(api, acct):
    return [
        api.sim.get(api.reports_path(acct)),
        api.sim.get(f"{api.reports_path(acct)}/2"),
        api.sim.get(api.instances_path(acct=acct)),
        api.sim.get(api.instances_path(2, acct=acct)),
        api.sim.get(api.instance_path(2, 100001, acct=acct)),
        api.sim.get(api.file_path(2, 100001, acct=acct)),
        api.sim.post(api.instances_path(2, acct=acct),
                     "<Instance><OutputFormat>csv</OutputFormat></Instance>"),
        api.sim.get(api.billing_path(acct=acct)),
        api.sim.post(api.billing_path(acct=acct), "<BillingReport><Type>BDR</Type></BillingReport>"),
        api.sim.get(api.billing_path("/0e0f2a4c-1b3d-4e5f-8a9b-0c1d2e3f4a5b", acct=acct)),
    ]


@pytest.mark.parametrize("which", ["forbidden", "nonexistent"])
def test_403_1001_access_denied(api, which):
    """api-facts: 403 is code 1001 "Access Denied"; simulator: the forbidden
    account and accounts that do not exist, on every call."""
    acct = api.sim.forbidden_account if which == "forbidden" else "1234567"
    for resp in forbidden_calls(api, acct):
        desc = assert_error(resp, 403, 1001)
        assert "Access Denied" in desc


def test_403_with_bearer_too(api):
    """api-facts Errors: 403 1001 applies to Bearer callers as well."""
    token = api.sim.token()
    resp = api.sim.get(api.reports_path(api.sim.forbidden_account), auth=("bearer", token))
    assert_error(resp, 403, 1001)


def test_401_before_403(api):
    """Authentication comes first: no credentials on the forbidden account is 401."""
    assert_401(api.sim.get(api.reports_path(api.sim.forbidden_account), auth="none"))
