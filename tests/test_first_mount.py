"""The first mount, end to end through the harness: accounts and report types
as directories, errors as errno, start-up checks, and what it cost the API."""

import errno
import os
import re
import stat
import xml.etree.ElementTree as ET

import pytest



def slug(name):
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def report_types(sim, account):
    resp = sim.get(f"/accounts/{account}/reports")
    assert resp.status == 200
    root = ET.fromstring(resp.body)
    return [(r.findtext("Id"), r.findtext("Name")) for r in root.iter("Report")]


def test_root_lists_the_configured_accounts(mount, sim):
    assert sorted(os.listdir(mount.path)) == sorted(sim.accounts)
    for account in sim.accounts:
        st = os.stat(mount / account)
        assert stat.S_ISDIR(st.st_mode)
        assert sorted(os.listdir(mount / account)) == ["billing", "reports"]


def test_report_types_are_directories_named_by_slug(mount, sim):
    account = sim.accounts[0]
    expected = [slug(name) for _, name in report_types(sim, account)]
    assert len(set(expected)) == len(expected)
    assert sorted(os.listdir(mount / f"{account}/reports")) == sorted(expected)
    assert "port-in-orders" in expected
    for name in expected:
        assert stat.S_ISDIR(os.stat(mount / f"{account}/reports/{name}").st_mode)


def test_unknown_names_are_enoent(mount, sim):
    account = sim.accounts[0]
    for rel in ("1234567", f"{account}/nope", f"{account}/reports/no-such-report"):
        with pytest.raises(FileNotFoundError):
            os.stat(mount / rel)


def test_the_mount_is_read_only(mount, sim):
    with pytest.raises(OSError) as err:
        os.mkdir(mount / f"{sim.accounts[0]}/reports/mine")
    assert err.value.errno in (errno.EROFS, errno.EACCES, errno.EPERM)


def test_listing_again_within_the_ttl_costs_no_request(mount, sim):
    account = sim.accounts[0]
    first = sorted(os.listdir(mount / f"{account}/reports"))
    sim.reset()
    for _ in range(3):
        assert sorted(os.listdir(mount / f"{account}/reports")) == first
        for name in first:
            os.stat(mount / f"{account}/reports/{name}")
    assert sim.calls() == 0


def test_a_forbidden_account_is_eacces_and_logged(sim, mount_factory):
    forbidden = sim.forbidden_account
    m = mount_factory(sim, options={"accounts": f"{sim.accounts[0]}:{forbidden}"},
                      expect=[r"1001"])
    with pytest.raises(PermissionError):
        os.listdir(m / f"{forbidden}/reports")
    assert "1001" in m.stderr() and "Access Denied" in m.stderr()


def run_unmountable(sim, mount_factory, **kw):
    return mount_factory(sim, wait=False, **kw).exit_without_mounting()


def test_wrong_password_exits_1_with_a_clear_message(sim, mount_factory):
    code, err = run_unmountable(sim, mount_factory, env={"BW_PASSWORD": "wrong-secret"},
                                expect=[r"."])
    assert code == 1
    assert re.search(r"(401|credential|password|unauthori[sz]ed)", err, re.I), err
    assert "wrong-secret" not in err


def test_unreachable_host_exits_1_with_a_clear_message(sim, mount_factory):
    code, err = run_unmountable(sim, mount_factory,
                                options={"api_url": "http://127.0.0.1:9/api"}, expect=[r"."])
    assert code == 1
    assert "127.0.0.1:9" in err, err
