"""What browsing the mount costs the API, from the simulator's stats: a
`find` over the whole mount is bounded by the number of directories (a
request or two each, however many entries), a second `find` within the TTL
costs nothing, and listing a big report type is one or two requests."""

import os
import subprocess

from fsutil import instances


def find(path):
    out = subprocess.run(["find", path], stdout=subprocess.PIPE, check=True, text=True).stdout
    return out.splitlines()


def test_find_costs_are_bounded_by_directories(sim_factory, mount_factory):
    sim = sim_factory("--types", "6", "--instances", "4")
    m = mount_factory(sim)
    sim.reset()
    entries = find(m.path)
    dirs = sum(1 for e in entries if os.path.isdir(e))
    stats = sim.stats()
    files = len(entries) - dirs
    print(f"find: {len(entries)} entries, {dirs} directories, {files} files, "
          f"{stats['requests']} requests: {stats['calls']}")
    assert files > dirs  # the bound below is not met trivially
    assert stats["requests"] <= 2 * dirs, stats
    # no report was downloaded: probes are single-byte ranges
    assert stats["bytes"].get("instances.file", 0) + stats["bytes"].get("signed.file", 0) < 4096
    sim.reset()
    again = find(m.path)
    assert sorted(again) == sorted(entries)
    assert sim.calls() == 0, sim.stats()


def test_a_big_report_type_costs_one_or_two_requests(sim_factory, mount_factory):
    sim = sim_factory("--types", "2", "--instances", "60")
    account = sim.accounts[0]
    rid = instances(sim, account)[0]["report_id"]
    m = mount_factory(sim)
    os.listdir(m / f"{account}/reports")
    sim.reset()
    tdir = m / f"{account}/reports/{rid}"
    names = os.listdir(tdir)
    assert len(names) == 62  # parameters, new and the 60 instances
    for name in names:
        os.stat(os.path.join(tdir, name))  # ls -l
    assert sim.calls() <= 2, sim.stats()
    assert sim.calls("instances.list") == 1


def test_an_instance_directory_costs_at_most_two_requests(sim_factory, mount_factory):
    sim = sim_factory("--types", "2", "--instances", "3")
    account = sim.accounts[0]
    inst = sim.create_instance(account=account, size=200_000, delivery="redirect")
    m = mount_factory(sim)
    d = m / f"{account}/reports/{inst['report_id']}/{inst['id']}"
    os.listdir(m / f"{account}/reports/{inst['report_id']}")
    sim.reset()
    for name in os.listdir(d):
        os.stat(os.path.join(d, name))
    # the size probe: /file (307) and the signed origin's 1-byte answer
    assert sim.calls("instances.file") == 1 and sim.calls("signed.file") == 1
    assert sim.calls() <= 3, sim.stats()
