"""Credentials through a real mount: Basic from the environment, from a
credentials file (refused unless private) and from ~/.netrc; OAuth2 client
credentials with tokens that expire mid-run; rejected client secrets. Secrets
must never reach the daemon's stderr or its argv."""

import os
import re
import time

import pytest


NO_BASIC = {"BW_USERNAME": None, "BW_PASSWORD": None}


def basic_user(sim):
    return next(iter(sim.info["users"].items()))


def client(sim):
    return next(iter(sim.info["clients"].items()))


def cmdline(m):
    with open(f"/proc/{m.proc.pid}/cmdline", "rb") as f:
        return f.read().decode(errors="replace")


def assert_no_secret(m, *secrets):
    """Neither the daemon's stderr nor its argv shows a secret or a token."""
    err, argv = m.stderr(), cmdline(m) if m.proc.poll() is None else ""
    for s in secrets:
        assert s not in err, f"secret in stderr:\n{err}"
        assert s not in argv, f"secret in argv: {argv}"
    assert "bwsim-" not in err  # the simulator's access tokens
    assert not re.search(r"(?i)authorization:|bearer [a-z0-9]", err), err


def lists_reports(m, sim):
    return len(os.listdir(m / f"{sim.accounts[0]}/reports")) > 0


def api_requests(sim):
    return [r for r in sim.requests() if r["origin"] == "api" and r["kind"] != "oauth.token"]


def run_unmountable(sim, mount_factory, **kw):
    return mount_factory(sim, wait=False, **kw).exit_without_mounting()


def write_private(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return str(path)


# -- Basic ---------------------------------------------------------------------------

def test_basic_from_the_environment(sim, mount_factory):
    user, password = basic_user(sim)
    m = mount_factory(sim)  # the harness sets BW_USERNAME/BW_PASSWORD
    assert lists_reports(m, sim)
    assert f"Basic user '{user}' from BW_USERNAME/BW_PASSWORD" in m.stderr()
    assert {r["auth"] for r in api_requests(sim)} == {f"basic:{user}"}
    assert sim.calls("oauth.token") == 0
    assert_no_secret(m, password)


def test_basic_from_a_private_credentials_file(sim, mount_factory, tmp_path):
    user, password = basic_user(sim)
    creds = write_private(tmp_path / "creds",
                          f"# bwreportfs\n\nBW_USERNAME={user}\nBW_PASSWORD='{password}'\n")
    m = mount_factory(sim, options={"credentials": creds}, env=NO_BASIC)
    assert lists_reports(m, sim)
    assert f"Basic user '{user}' from {creds}" in m.stderr()
    assert {r["auth"] for r in api_requests(sim)} == {f"basic:{user}"}
    assert_no_secret(m, password)


def test_a_credentials_file_others_can_read_is_refused(sim, mount_factory, tmp_path):
    user, password = basic_user(sim)
    creds = write_private(tmp_path / "creds", f"BW_USERNAME={user}\nBW_PASSWORD={password}\n",
                          mode=0o644)
    code, err = run_unmountable(sim, mount_factory, options={"credentials": creds},
                                env=NO_BASIC, expect=[r"."])
    assert code == 1
    assert creds in err and "chmod 600" in err, err
    assert password not in err
    assert sim.calls() == 0  # refused before any request


def test_the_environment_wins_over_the_credentials_file(sim, mount_factory, tmp_path):
    user, _ = basic_user(sim)
    creds = write_private(tmp_path / "creds", "BW_USERNAME=someone\nBW_PASSWORD=else\n")
    m = mount_factory(sim, options={"credentials": creds})
    assert lists_reports(m, sim)
    assert {r["auth"] for r in api_requests(sim)} == {f"basic:{user}"}


def test_basic_from_netrc(sim, mount_factory, tmp_path):
    user, password = basic_user(sim)
    home = tmp_path / "home"
    home.mkdir()
    write_private(home / ".netrc", f"machine elsewhere.example login x password y\n"
                                   f"machine 127.0.0.1\n  login {user}\n  password {password}\n")
    m = mount_factory(sim, env={**NO_BASIC, "HOME": str(home)})
    assert lists_reports(m, sim)
    assert f"Basic user '{user}' from {home}/.netrc (machine 127.0.0.1)" in m.stderr()
    assert {r["auth"] for r in api_requests(sim)} == {f"basic:{user}"}
    assert_no_secret(m, password)


def test_no_credentials_at_all_names_every_way(sim, mount_factory, tmp_path):
    code, err = run_unmountable(sim, mount_factory, env={**NO_BASIC, "HOME": str(tmp_path)},
                                expect=[r"."])
    assert code == 1
    line = [ln for ln in err.splitlines() if "no credentials" in ln]
    assert len(line) == 1, err
    for way in ("BW_CLIENT_ID", "BW_USERNAME", "credentials=FILE", ".netrc"):
        assert way in line[0]


# -- OAuth2 --------------------------------------------------------------------------

def token_times(sim):
    return [r["time"] for r in sim.requests() if r["kind"] == "oauth.token"]


def test_oauth2_tokens_are_renewed_before_they_expire(sim_factory, mount_factory):
    ttl = 3
    sim = sim_factory("--token-ttl", str(ttl))
    client_id, secret = client(sim)
    # -d: debug logging too must not show a secret or a token
    m = mount_factory(sim, options={"meta_ttl": "1", "token_url": sim.info["token_url"]},
                      env={"BW_CLIENT_ID": client_id, "BW_CLIENT_SECRET": secret},
                      args=["-d"], expect=[r"unique: \d+, error"])
    assert f"OAuth2 client '{client_id}' from BW_CLIENT_ID/BW_CLIENT_SECRET" in m.stderr()
    first = token_times(sim)
    assert len(first) == 1  # one token at start-up, shared by every request
    # keep listing (meta_ttl=1: a request every second or so) until the
    # simulator's clock is past two lifetimes of the first token
    deadline = first[0] + 2 * ttl + 1.5
    listed = 0
    while time.time() < deadline:
        assert lists_reports(m, sim)
        listed += 1
        time.sleep(0.25)
    assert lists_reports(m, sim)
    stats = sim.stats()
    assert stats["calls"].get("oauth.token", 0) > 1, stats
    assert stats["status"].get("401", 0) == 0, stats
    calls = api_requests(sim)
    late = [r for r in calls if r["time"] > first[0] + 2 * ttl and r["status"] == 200]
    assert late, "no API call after the second lifetime ended"
    assert {r["auth"] for r in calls} == {"bearer"}
    tokens = [r for r in sim.requests() if r["kind"] == "oauth.token"]
    assert {r["auth"] for r in tokens} == {f"basic:{client_id}"}
    assert {r["method"] for r in tokens} == {"POST"}
    assert all("grant_type=client_credentials" in (r["body"] or "") for r in tokens)
    assert_no_secret(m, secret)


def test_oauth2_a_revoked_token_is_replaced(sim_factory, mount_factory):
    sim = sim_factory()
    client_id, secret = client(sim)
    m = mount_factory(sim, options={"meta_ttl": "1", "token_url": sim.info["token_url"]},
                      env={"BW_CLIENT_ID": client_id, "BW_CLIENT_SECRET": secret})
    assert lists_reports(m, sim)
    sim.control("DELETE", "/tokens")
    sim.reset()
    # the next listing that reaches the API gets a 401, fetches a new token, retries
    deadline = time.monotonic() + 10
    while sim.calls("oauth.token") == 0 and time.monotonic() < deadline:
        assert lists_reports(m, sim)
        time.sleep(0.2)
    assert sim.calls("oauth.token") == 1
    assert lists_reports(m, sim)
    assert_no_secret(m, secret)


def test_oauth2_from_a_credentials_file(sim, mount_factory, tmp_path):
    client_id, secret = client(sim)
    creds = write_private(tmp_path / "creds",
                          f"BW_CLIENT_ID={client_id}\nBW_CLIENT_SECRET={secret}\n")
    m = mount_factory(sim, options={"credentials": creds, "token_url": sim.info["token_url"]},
                      env=NO_BASIC)
    assert lists_reports(m, sim)
    assert {r["auth"] for r in api_requests(sim)} == {"bearer"}
    assert_no_secret(m, secret)


def test_oauth2_wrong_client_secret_exits_1(sim, mount_factory):
    client_id, _ = client(sim)
    wrong = "wrong-client-secret-7f3a"
    code, err = run_unmountable(sim, mount_factory, options={"token_url": sim.info["token_url"]},
                                env={"BW_CLIENT_ID": client_id, "BW_CLIENT_SECRET": wrong},
                                expect=[r"."])
    assert code == 1
    assert f"client credentials rejected by {sim.info['token_url']}" in err, err
    assert wrong not in err
    assert sim.calls() == sim.calls("oauth.token") == 1  # no API call with a bad client


def test_oauth2_unreachable_token_url_exits_1(sim, mount_factory):
    client_id, secret = client(sim)
    code, err = run_unmountable(sim, mount_factory,
                                options={"token_url": "http://127.0.0.1:9/oauth2/token"},
                                env={"BW_CLIENT_ID": client_id, "BW_CLIENT_SECRET": secret},
                                expect=[r"."])
    assert code == 1
    assert "127.0.0.1:9/oauth2/token" in err and secret not in err, err


def test_half_a_pair_is_an_error(sim, mount_factory):
    client_id, _ = client(sim)
    code, err = run_unmountable(sim, mount_factory, env={"BW_CLIENT_ID": client_id},
                                expect=[r"."])
    assert code == 1
    assert "BW_CLIENT_ID is set but BW_CLIENT_SECRET is not" in err, err


def test_oauth2_forbidden_account_is_eacces_without_new_tokens(sim, mount_factory):
    """403 is about the account, not the token: EACCES, and no token churn."""
    client_id, secret = client(sim)
    m = mount_factory(sim, options={"accounts": f"{sim.accounts[0]}:{sim.forbidden_account}",
                                    "token_url": sim.info["token_url"]},
                      env={"BW_CLIENT_ID": client_id, "BW_CLIENT_SECRET": secret},
                      expect=[r"1001"])
    with pytest.raises(PermissionError):
        os.listdir(m / f"{sim.forbidden_account}/reports")
    assert lists_reports(m, sim)
    assert sim.calls("oauth.token") == 1
    assert {r["auth"] for r in api_requests(sim)} == {"bearer"}
