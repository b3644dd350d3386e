"""The command line as users and scripts meet it: daemon mode, --help and
the documented options, -V, and secrets refused on the command line."""

import os
import re
import subprocess
import time

import pytest

from harness.mount import binary, fuse_available, is_mounted, sanitizer_env
from harness.sim import REPO

pytestmark = pytest.mark.skipif(not fuse_available(), reason="no /dev/fuse or fusermount3")


def env_for(sim):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BW_")}
    user, password = next(iter(sim.info["users"].items()))
    env.update(sanitizer_env(), BW_USERNAME=user, BW_PASSWORD=password)
    return env


def daemons_on(path):
    """Pids of bwreportfs processes whose command line names path."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if args and args[0].endswith(b"bwreportfs") and path.encode() in args:
            pids.append(int(pid))
    return pids


def wait_until(cond, what, limit=30):
    deadline = time.monotonic() + limit
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_without_f_it_daemonizes_once_mounted(sim, tmp_path):
    mnt = str(tmp_path / "mnt")
    os.mkdir(mnt)
    opts = (f"api_url={sim.api},accounts={':'.join(sim.accounts)},"
            f"cache_dir={tmp_path}/cache,state_dir={tmp_path}/state")
    try:
        done = subprocess.run([binary(), "-o", opts, mnt], env=env_for(sim), timeout=60,
                              capture_output=True, text=True)
        # the foreground process returns once the mount is up
        assert done.returncode == 0, done.stderr
        assert is_mounted(mnt)
        assert sorted(os.listdir(mnt)) == sorted(sim.accounts)
        assert len(daemons_on(mnt)) == 1
    finally:
        if is_mounted(mnt):
            subprocess.run(["fusermount3", "-u", mnt], check=False)
        if is_mounted(mnt):
            subprocess.run(["fusermount3", "-u", "-z", mnt], check=False)
    # unmounting ends the daemon
    wait_until(lambda: not daemons_on(mnt), "the daemon to exit after unmount")


def test_help_lists_every_documented_option():
    done = subprocess.run([binary(), "--help"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    with open(os.path.join(REPO, "docs", "options.md")) as f:
        documented = set(re.findall(r"^### `(\w+)=", f.read(), re.M))
    assert {"api_url", "accounts", "cafile", "token_url", "credentials", "cache_dir",
            "cache_size", "state_dir", "status_ttl", "meta_ttl"} <= documented
    for name in documented:
        assert f"-o {name}=" in done.stdout, name


def test_version():
    with open(os.path.join(REPO, "meson.build")) as f:
        version = re.search(r"version: '([^']+)'", f.read()).group(1)
    done = subprocess.run([binary(), "-V"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    assert f"bwreportfs version {version}" in done.stdout + done.stderr


@pytest.mark.parametrize("arg", ["password=hunter2-secret", "client_secret=hunter2-secret",
                                 "token=hunter2-secret"])
def test_secrets_on_the_command_line_are_refused(sim, tmp_path, arg):
    mnt = str(tmp_path / "mnt")
    os.mkdir(mnt)
    done = subprocess.run([binary(), "-f", "-o", f"api_url={sim.api},accounts={sim.accounts[0]},{arg}",
                           mnt], env=env_for(sim), capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "hunter2-secret" not in done.stderr + done.stdout
    assert not is_mounted(mnt)
    assert sim.calls() == 0
