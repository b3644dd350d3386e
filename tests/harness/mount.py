"""Mounts the built bwreportfs for real, captures its stderr, and always
unmounts: fusermount3 -u, then -u -z, then kill."""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

from .sim import REPO

MOUNT_TIMEOUT = 30.0
EXIT_TIMEOUT = 20.0

# stderr lines that fail a test whatever it expected
SANITIZER = re.compile(r"(AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|"
                       r"runtime error:|ThreadSanitizer|SUMMARY: \w+Sanitizer)")
# stderr lines that fail a test unless it declared them expected
TROUBLE = re.compile(r"\b(error|fatal|critical|warning|assert\w*)\b", re.IGNORECASE)


def problems(text, expect=()):
    """The stderr lines that fail a test: every sanitizer line, and error or
    warning lines that match none of the `expect` regexes."""
    bad = []
    for line in text.splitlines():
        if SANITIZER.search(line):
            bad.append(line)
        elif TROUBLE.search(line) and not any(e.search(line) for e in expect):
            bad.append(line)
    return bad


def binary():
    path = os.environ.get("BWREPORTFS_BIN") or os.path.join(REPO, "build", "src", "bwreportfs")
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"{path} is not built: run meson compile -C build")
    return path


def fuse_available():
    return os.path.exists("/dev/fuse") and shutil.which("fusermount3") is not None


def sanitizer_env():
    return {
        "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:print_summary=1",
        "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=0",
    }


def is_mounted(path):
    path = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            if len(fields) > 4 and fields[4].encode().decode("unicode_escape") == path:
                return True
    return False


class Mount:
    """bwreportfs running in the foreground (-f) on a fresh directory.

    `options` are -o options; `env` adds to (or with None values, removes
    from) the environment, credentials included. `expect` holds regexes of
    stderr lines the test expects (an API error it provoked, say); any other
    error or warning line, and any sanitizer report, fails the test at
    unmount."""

    def __init__(self, sim, options=None, env=None, workdir=None, args=(), expect=(), wait=True):
        self.sim = sim
        self._tmp = tempfile.TemporaryDirectory(prefix="bwmnt-", dir=workdir)
        self.path = os.path.join(self._tmp.name, "mnt")
        self.cache_dir = os.path.join(self._tmp.name, "cache")
        self.state_dir = os.path.join(self._tmp.name, "state")
        os.mkdir(self.path)
        self.expect = [re.compile(e) for e in expect]
        self.stderr_path = os.path.join(self._tmp.name, "stderr")
        opts = {"api_url": sim.api, "accounts": ":".join(sim.accounts),
                "cache_dir": self.cache_dir, "state_dir": self.state_dir}
        if sim.cafile:
            opts["cafile"] = sim.cafile
        opts.update(options or {})
        self.options = opts
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("BW_")}
        user, password = next(iter(sim.info["users"].items()))
        self.env.update({"BW_USERNAME": user, "BW_PASSWORD": password})
        self.env.update(sanitizer_env())
        for key, value in (env or {}).items():
            if value is None:
                self.env.pop(key, None)
            else:
                self.env[key] = value
        optstr = ",".join(k if v is True else f"{k}={v}" for k, v in opts.items() if v is not None)
        self.cmd = [binary(), "-f", "-o", optstr, *args, self.path]
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(self.cmd, env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=self._stderr, stderr=self._stderr)
        self.returncode = None
        if wait:
            self.wait_mounted()

    def wait_mounted(self):
        deadline = time.monotonic() + MOUNT_TIMEOUT
        while not is_mounted(self.path):
            if self.proc.poll() is not None:
                raise RuntimeError(f"bwreportfs exited ({self.proc.returncode}) before mounting:\n"
                                   + self.stderr())
            if time.monotonic() > deadline:
                raise RuntimeError("bwreportfs did not mount in time:\n" + self.stderr())
            time.sleep(0.02)

    def exit_without_mounting(self, limit=60):
        """For a start that must fail: waits for the daemon to exit and checks
        nothing was mounted. Returns (exit status, stderr)."""
        try:
            code = self.proc.wait(limit)
        except subprocess.TimeoutExpired:
            raise AssertionError("bwreportfs kept running although it could not work") from None
        assert not is_mounted(self.path), "bwreportfs mounted although it could not work"
        return code, self.stderr()

    def __truediv__(self, rel):
        return os.path.join(self.path, rel)

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def unmount(self):
        """Unmount and wait for the daemon; returns problems seen on stderr."""
        if self.proc.poll() is None or is_mounted(self.path):
            for cmd in (["fusermount3", "-u", self.path], ["fusermount3", "-u", "-z", self.path]):
                if not is_mounted(self.path):
                    break
                subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self.returncode = self.proc.wait(EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGKILL)
            self.returncode = self.proc.wait()
        self._stderr.close()
        return self.problems()

    def problems(self):
        return problems(self.stderr(), self.expect)

    def cleanup(self):
        self._tmp.cleanup()
