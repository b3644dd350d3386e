"""Failures as a user meets them: a stalled or failing API becomes an errno in
bounded time and a daemon log line with the API's code; edge-case reports
(empty) still read right."""

import errno
import os
import threading

import pytest

from fsutil import inst_dir, report_path

# A read that hangs is a bug; the harness must not hang with it.
HANG_GUARD = 120


def in_thread(fn):
    """Run fn in a thread and return what it returned or raised; fails the
    test (instead of hanging it) if fn never returns."""
    box = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            box["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(HANG_GUARD)
    assert not t.is_alive(), "the call never returned: no time limit reached it"
    return box


@pytest.fixture
def small(sim_factory):
    return sim_factory("--types", "2", "--instances", "2")


def read_all(path):
    with open(path, "rb") as f:
        return f.read()


def test_a_stalled_download_fails_with_an_errno(small, mount_factory):
    inst = small.create_instance(account=small.accounts[0], report_id=2, size=1 << 20,
                                 format="csv", status="Ready")
    m = mount_factory(small, options={"stall_timeout": 1},
                      expect=[r"ETIMEDOUT|timed? ?out|stall"])
    path = report_path(m, inst)  # probe before the fault: the size is known
    small.add_faults({"fault": "stall", "kinds": ["instances.file"], "after": 1000,
                      "seconds": 600})
    box = in_thread(lambda: read_all(path))
    assert "error" in box, "a stalled transfer was served as complete"
    assert isinstance(box["error"], OSError)
    assert box["error"].errno in (errno.EIO, errno.ETIMEDOUT)
    assert not any(n.endswith(".data") for _, _, files in os.walk(m.cache_dir) for n in files)


def test_a_slow_api_listing_is_a_timeout_not_a_hang(small, mount_factory):
    m = mount_factory(small, options={"stall_timeout": 1},
                      expect=[r"ETIMEDOUT|timed? ?out|stall"])
    small.add_faults({"fault": "slow", "kinds": ["instances.list"], "seconds": 30})
    box = in_thread(lambda: os.listdir(m / f"{small.accounts[0]}/reports/2"))
    assert isinstance(box.get("error"), OSError), box
    assert box["error"].errno in (errno.ETIMEDOUT, errno.EIO)


def test_api_failures_are_errno_and_logged_with_the_api_code(small, mount_factory):
    m = mount_factory(small, expect=[r"503|19031|EAGAIN"])
    small.add_faults({"fault": "error503", "kinds": ["instances.list"]})
    with pytest.raises(OSError) as err:
        os.listdir(m / f"{small.accounts[0]}/reports/2")
    assert err.value.errno in (errno.EAGAIN, errno.EIO)
    assert "503" in m.stderr()
    small.clear_faults()


def test_an_empty_report(small, mount_factory):
    inst = small.create_instance(account=small.accounts[0], report_id=2, size=0,
                                 format="csv", status="Ready")
    m = mount_factory(small)
    path = report_path(m, inst)
    assert os.stat(path).st_size == 0
    assert read_all(path) == b""
    assert os.path.basename(path) in os.listdir(inst_dir(m, inst))
