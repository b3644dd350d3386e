"""Shared pytest fixtures: a simulator on a free port, and real mounts of
bwreportfs that are always unmounted and whose stderr fails the test on
sanitizer reports or unexpected errors."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "sim"))

from harness.mount import Mount, fuse_available  # noqa: E402
from harness.sim import Sim  # noqa: E402


@pytest.fixture
def sim_factory(tmp_path):
    """Start simulators with chosen arguments; all are stopped at teardown."""
    started = []

    def start(*args):
        sim = Sim(args, workdir=tmp_path)
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def sim(sim_factory):
    """A simulator with the default synthetic data set."""
    return sim_factory()


@pytest.fixture
def mount_factory(request, tmp_path):
    """Mount bwreportfs against a simulator; unmounted at teardown, also when
    the test failed. A test fails if the daemon printed sanitizer reports or
    error lines it did not declare in `expect`."""
    if not fuse_available():
        pytest.skip("no /dev/fuse or fusermount3 on this machine: mount tests cannot run")
    mounts = []

    def mount(sim, **kw):
        m = Mount(sim, workdir=tmp_path, **kw)
        mounts.append(m)
        return m

    yield mount
    problems = []
    for m in mounts:
        try:
            bad = m.unmount()
        finally:
            m.cleanup()
        problems += [f"{m.path}: {line}" for line in bad]
    if problems:
        pytest.fail("bwreportfs printed unexpected errors:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def mount(sim, mount_factory):
    """bwreportfs mounted on the default simulator with Basic credentials."""
    return mount_factory(sim)
