# Counters of API calls (by kind, by HTTP status, bytes sent) and the request log,
# for GET /_sim/stats and GET /_sim/requests. Thread-safe; never holds secrets.
"""Stats and request log."""

import threading
import time
from collections import Counter

LOG_LIMIT = 100000          # entries kept; the oldest go first
BODY_LIMIT = 65536          # characters of a logged body
LOGGED_HEADERS = ("Content-Type", "Accept", "User-Agent", "Range")


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.calls = Counter()
            self.status = Counter()
            self.bytes_by_kind = Counter()
            self.requests = 0
            self.bytes_sent = 0
            self.log = []
            self.seq = 0

    def begin(self, entry):
        """Count a call and log it; returns the entry to fill in later."""
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            entry["time"] = round(time.time(), 3)
            entry["status"] = None
            self.calls[entry["kind"]] += 1
            self.requests += 1
            self.log.append(entry)
            if len(self.log) > LOG_LIMIT:
                del self.log[:len(self.log) - LOG_LIMIT]
        return entry

    def set_kind(self, entry, kind):
        """Re-file a call whose kind was known only after it was counted."""
        with self.lock:
            self.calls[entry["kind"]] -= 1
            if not self.calls[entry["kind"]]:
                del self.calls[entry["kind"]]
            entry["kind"] = kind
            self.calls[kind] += 1

    def answered(self, entry, status):
        with self.lock:
            entry["status"] = status
            self.status[str(status)] += 1

    def sent(self, entry, n):
        if n:
            with self.lock:
                self.bytes_sent += n
                self.bytes_by_kind[entry["kind"]] += n

    def to_json(self):
        with self.lock:
            return {"calls": dict(self.calls), "status": dict(self.status),
                    "requests": self.requests, "bytes_sent": self.bytes_sent,
                    "bytes": dict(self.bytes_by_kind)}

    def entries(self, since=0):
        with self.lock:
            return [dict(e) for e in self.log if e["seq"] > since]
