"""Reading reports through a real mount: cat, cp, rsync and tar give exactly
the simulator's bytes (direct, chunked, 307-redirected, multi-GiB); the first
bytes arrive before the download ends; a cut download is resumed or fails,
never short; the content cache survives a remount."""

import errno
import hashlib
import os
import re
import shutil
import subprocess
import tarfile
import threading
import time

import pytest

from fsutil import (inst_dir, instances, report_files, report_path, sha256_file, wait_for)


@pytest.fixture
def small(sim_factory):
    return sim_factory("--types", "4", "--instances", "3")


def peak_rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc/PID/status")


def served(sim, inst):
    return sim.instance(inst["id"])["sha256"]


@pytest.mark.parametrize("delivery,chunked", [("direct", False), ("direct", True),
                                              ("redirect", False), ("redirect", True)])
def test_cat_and_cp_give_the_served_bytes(small, mount_factory, tmp_path, delivery, chunked):
    inst = small.create_instance(account=small.accounts[0], size=700_001, delivery=delivery,
                                 chunked=chunked, format="csv")
    m = mount_factory(small)
    path = report_path(m, inst)
    out = subprocess.run(["cat", path], stdout=subprocess.PIPE, check=True).stdout
    assert hashlib.sha256(out).hexdigest() == served(small, inst)
    dest = tmp_path / "copy.csv"
    subprocess.run(["cp", path, str(dest)], check=True)
    assert sha256_file(dest) == served(small, inst)
    if delivery == "redirect":
        signed = [r for r in small.requests() if r["origin"] == "signed"]
        assert signed and all(r["auth"] == "none" for r in signed)
        assert all(r["status"] in (200, 206) for r in signed)


def test_exact_size_before_reading_costs_no_download(small, mount_factory):
    inst = small.create_instance(account=small.accounts[0], size=5_000_000, chunked=True)
    m = mount_factory(small)
    d = inst_dir(m, inst)
    small.reset()
    name = report_files(d)[0]
    assert os.stat(os.path.join(d, name)).st_size == 5_000_000
    assert small.stats()["bytes_sent"] < 64 * 1024


def test_first_bytes_arrive_before_the_download_ends(small, mount_factory):
    size = 16 * 1024 * 1024
    inst = small.create_instance(account=small.accounts[0], size=size, delivery="direct")
    m = mount_factory(small, options={"stall_timeout": 3},
                      expect=[r"interrupted|timed out|ETIMEDOUT|stall"])
    path = report_path(m, inst)  # the size probe happens here, before the fault
    small.add_faults({"fault": "stall", "kinds": ["instances.file"], "after": 4 * 1024 * 1024,
                      "seconds": 30, "times": 1})
    t0 = time.monotonic()
    with open(path, "rb") as f:
        first = f.read(65536)
        elapsed = time.monotonic() - t0
        sent = small.stats()["bytes"].get("instances.file", 0)
        # the download is stalled at 4 MiB of 16: yet the first block is here
        assert len(first) == 65536 and elapsed < 2.5, elapsed
        assert sent < size
        rest = f.read()  # resumed with a Range once the stall times out
    h = hashlib.sha256(first + rest).hexdigest()
    assert h == served(small, inst)
    assert time.monotonic() - t0 < 20


@pytest.mark.parametrize("times,after,resumable", [(1, 1_000_000, True), (0, 100_000, False)])
def test_a_dropped_download_is_resumed_or_fails_never_short(small, mount_factory, times, after,
                                                            resumable):
    size = 3_000_000
    inst = small.create_instance(account=small.accounts[0], size=size, delivery="direct")
    m = mount_factory(small, expect=[r"interrupted|download|ECONNRESET|EIO|cut short|resum"])
    path = report_path(m, inst)
    spec = {"fault": "drop", "kinds": ["instances.file"], "after": after}
    if times:
        spec["times"] = times
    small.add_faults(spec)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as err:
        assert err.errno == errno.EIO, err
        data = None
    small.clear_faults()
    if resumable:
        # one cut: resumed from the bytes on disk, exact
        assert data is not None
        assert len(data) == size and hashlib.sha256(data).hexdigest() == served(small, inst)
    else:
        # cut every 100 kB: more cuts than resumes allowed; never short data
        assert data is None
    # nothing in the cache directory claims to be complete unless it is
    for root, _, files in os.walk(m.cache_dir):
        for name in files:
            if name.endswith(".data"):
                full = os.path.join(root, name)
                assert os.path.getsize(full) == size and sha256_file(full) == served(small, inst)
    # and once the server behaves, the file reads whole
    assert sha256_file(path) == served(small, inst)


def test_the_cache_is_kept_across_remounts(small, mount_factory, tmp_path):
    inst = small.create_instance(account=small.accounts[0], size=400_000, chunked=True)
    cache = str(tmp_path / "shared-cache")
    m = mount_factory(small, options={"cache_dir": cache})
    assert sha256_file(report_path(m, inst)) == served(small, inst)
    assert m.unmount() == []
    small.reset()
    m2 = mount_factory(small, options={"cache_dir": cache})
    assert sha256_file(report_path(m2, inst)) == served(small, inst)
    assert small.calls("instances.file") == 0 and small.calls("signed.file") == 0


def test_rsync_copies_every_ready_report_and_then_nothing(small, mount_factory, tmp_path):
    if not shutil.which("rsync"):
        pytest.skip("rsync is not installed")
    account = small.accounts[0]
    m = mount_factory(small)
    dest = tmp_path / "copy"
    subprocess.run(["rsync", "-a", m / account + "/", str(dest)], check=True)
    ready = [i for i in instances(small, account) if i["status"] == "Ready"]
    assert ready
    for inst in ready:
        d = dest / "reports" / next(n for n in os.listdir(m / f"{account}/reports")
                                    if os.path.exists(m / f"{account}/reports/{n}/{inst['id']}")) \
            / str(inst["id"])
        files = report_files(d)
        assert len(files) == 1
        assert sha256_file(d / files[0]) == served(small, inst)
    again = subprocess.run(["rsync", "-a", "--stats", m / account + "/", str(dest)], check=True,
                           stdout=subprocess.PIPE, text=True).stdout
    assert re.search(r"Number of regular files transferred: 0\b", again), again


def test_tar_of_a_report_type_directory(small, mount_factory, tmp_path):
    account = small.accounts[0]
    inst = instances(small, account)[0]
    m = mount_factory(small)
    rid = str(inst["report_id"])
    tdir = m / f"{account}/reports/{rid}"
    out = tmp_path / "t.tar"
    subprocess.run(["tar", "cf", str(out), "-C", tdir, "."], check=True)
    expected = {"parameters", "new"}
    for i in instances(small, account, rid):
        d = os.path.join(tdir, str(i["id"]))
        expected |= {str(i["id"])} | {f"{i['id']}/{n}" for n in os.listdir(d)}
    with tarfile.open(out) as tf:
        members = {n[2:] if n.startswith("./") else n for n in tf.getnames()} - {".", ""}
        assert members == expected
        for i in instances(small, account, rid):
            if i["status"] == "Ready":
                name = report_files(os.path.join(tdir, str(i["id"])))[0]
                data = tf.extractfile(f"./{i['id']}/{name}").read()
                assert hashlib.sha256(data).hexdigest() == served(small, i)


def test_concurrent_readers_share_one_download(small, mount_factory):
    inst = small.create_instance(account=small.accounts[0], size=6_000_000)
    m = mount_factory(small)
    path = report_path(m, inst)
    small.reset()
    results = []

    def reader():
        results.append(sha256_file(path, 1 << 16))
    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == [served(small, inst)] * 4
    assert small.calls("instances.file") <= 2


@pytest.mark.slow
def test_a_multi_gib_report(sim_factory, mount_factory):
    sim = sim_factory("--types", "2", "--instances", "1")
    size = 2_500 * 1024 * 1024
    inst = sim.create_instance(account=sim.accounts[0], size=size, format="csv")
    m = mount_factory(sim)
    path = report_path(m, inst)
    assert os.stat(path).st_size == size
    # Memory does not grow with the report's size: the bytes go through the
    # disk cache, not the heap. The daemon's peak after the first GiB (by then
    # ASan's quarantine, if any, is full) must be its peak at the end too,
    # give or take 32 MiB.
    h = hashlib.sha256()
    peak_at_1gib = None
    with open(path, "rb") as f:
        while block := f.read(4 << 20):
            h.update(block)
            if peak_at_1gib is None and f.tell() >= 1 << 30:
                peak_at_1gib = peak_rss_bytes(m.proc.pid)
    assert h.hexdigest() == served(sim, inst)
    grown = peak_rss_bytes(m.proc.pid) - peak_at_1gib
    assert grown < 32 << 20, f"the daemon grew {grown >> 20} MiB over the last {(size >> 20) - 1024} MiB"


def test_concurrent_browsing_and_reading(sim_factory, mount_factory):
    sim = sim_factory("--types", "5", "--instances", "4")
    m = mount_factory(sim)
    ready = [i for a in sim.accounts for i in instances(sim, a) if i["status"] == "Ready"]
    expected = {i["id"]: served(sim, i) for i in ready}
    errors = []

    def walk():
        try:
            for root, dirs, files in os.walk(m.path):
                for f in files:
                    os.stat(os.path.join(root, f))
        except OSError as err:
            errors.append(err)

    def read(part):
        try:
            for inst in part:
                assert sha256_file(report_path(m, inst), 1 << 16) == expected[inst["id"]]
        except (OSError, AssertionError) as err:
            errors.append(err)
    threads = [threading.Thread(target=walk) for _ in range(3)]
    threads += [threading.Thread(target=read, args=(ready[k::4],)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []


def test_the_cache_keeps_to_its_size_and_evicts_the_least_recently_read(small, mount_factory):
    acct = small.accounts[0]
    reports = [small.create_instance(account=acct, report_id=2, size=600 * 1024, format="csv",
                                     status="Ready", delivery="direct") for _ in range(3)]
    m = mount_factory(small, options={"cache_size": "1M"})
    paths = [report_path(m, inst) for inst in reports]
    for path, inst in zip(paths, reports):
        assert sha256_file(path) == served(small, inst)

    def cached_bytes():
        return sum(os.path.getsize(os.path.join(d, n))
                   for d, _, files in os.walk(m.cache_dir) for n in files if n.endswith(".data"))

    # FUSE's release is asynchronous (close(2) returns before the daemon hears
    # of it, and the cache evicts when the last reader has gone): allow it a moment
    assert wait_for(lambda: cached_bytes() <= 1024 * 1024, timeout=5)
    small.reset()
    assert sha256_file(paths[2]) == served(small, reports[2])  # most recent: still cached
    assert small.calls("instances.file") == 0
    assert sha256_file(paths[0]) == served(small, reports[0])  # least recent: evicted
    assert small.calls("instances.file") == 1
    assert wait_for(lambda: cached_bytes() <= 1024 * 1024, timeout=5)
