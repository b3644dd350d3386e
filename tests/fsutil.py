"""Helpers for the mount tests of the layout and read path: where an
instance lives in the mount, its report file, sha256 of a file, polling."""

import calendar
import hashlib
import os
import re
import time

INSTANCE_FILES = {"status", "info.xml", "parameters"}
BILLING_FILES = {"status", "info.xml"}


def slug(name):
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def inst_dir(m, inst):
    """The instance's directory, through the numeric alias of its report type."""
    return m / f"{inst['account']}/reports/{inst['report_id']}/{inst['id']}"


def report_files(path, own=INSTANCE_FILES):
    """Entries of an instance or billing directory other than its own files."""
    return sorted(set(os.listdir(path)) - own)


def report_path(m, inst):
    d = inst_dir(m, inst)
    files = report_files(d)
    assert len(files) == 1, (d, files)
    return os.path.join(d, files[0])


def sha256_file(path, bufsize=1 << 20):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            block = f.read(bufsize)
            if not block:
                return h.hexdigest()
            h.update(block)


def api_time(text):
    """The API's unpadded UTC time ("2026-9-16 11:05:12" or ISO) as epoch seconds."""
    m = re.match(r"(\d+)-(\d+)-(\d+)[ T](\d+):(\d+):(\d+)", text)
    return calendar.timegm(tuple(int(x) for x in m.groups()) + (0, 0, 0))


def wait_for(cond, timeout=10.0, interval=0.05):
    """Poll cond() until it returns a true value (returned) or timeout passes (None)."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def instances(sim, account, report_id=None):
    q = f"?account={account}" + (f"&report_id={report_id}" if report_id else "")
    return sim.control("GET", "/instances" + q)
