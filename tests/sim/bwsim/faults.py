# Fault injection: specs from the command line grammar or JSON, matching by call kind
# with every/times counters (thread-safe), and the phase at which each fault applies.
"""Faults.

Phases: "pre" faults (error503, ratelimit, slow) are checked once a call is
authenticated, before it is answered; "xml" faults (malformed_xml,
oversized_xml) when an XML body is about to be sent; "body" faults (stall,
drop, lying_length) when any non-empty body is about to be sent; "answer"
faults (lost_answer) when any answer of an API call, empty or not, is about
to be sent, after the call took effect. A fault
counts a call (`seen`) only when the call reaches the fault's phase; it fires
on every `every`-th call it has seen, at most `times` times. Of the faults of a
phase, the first one that fires (other than slow) decides: later ones do not
see the call.
"""

import threading

API_KINDS = ["reports.list", "reports.get", "instances.list_all", "instances.list",
             "instances.get", "instances.create", "instances.file", "signed.file",
             "billing.create", "billing.list", "billing.get", "billing.file", "oauth.token"]
ALL_KINDS = API_KINDS + ["unknown"]

# name -> (phase, {parameter: default}, default kinds or None for all API kinds)
FAULTS = {
    "error503": ("pre", {}, None),
    "ratelimit": ("pre", {"reset": 2.0}, ["instances.create", "billing.create"]),
    "slow": ("pre", {"seconds": 2.0}, None),
    "stall": ("body", {"after": 0, "seconds": 3600.0}, None),
    "drop": ("body", {"after": None}, None),
    "lying_length": ("body", {"delta": 1024}, None),
    # the call is carried out, then its answer never comes: the connection
    # closes at once (seconds 0) or after `seconds` without a byte
    "lost_answer": ("answer", {"seconds": 0.0}, ["instances.create", "billing.create"]),
    "malformed_xml": ("xml", {}, None),
    "oversized_xml": ("xml", {"bytes": 64 * 1024 * 1024}, None),
}
_FLOAT_PARAMS = {"reset", "seconds"}


class FaultError(ValueError):
    pass


class Fault:
    def __init__(self, fid, name, kinds, every, times, params):
        self.id = fid
        self.name = name
        self.phase = FAULTS[name][0]
        self.kinds = kinds
        self.every = every
        self.times = times
        self.params = params
        self.seen = 0
        self.fired = 0

    def get(self, name):
        return self.params.get(name)

    def to_json(self):
        d = {"id": self.id, "fault": self.name, "kinds": list(self.kinds),
             "every": self.every, "times": self.times}
        d.update(self.params)
        d.update(seen=self.seen, fired=self.fired)
        return d


def _number(name, value):
    try:
        return float(value) if name in _FLOAT_PARAMS else int(value)
    except (TypeError, ValueError):
        raise FaultError(f"{name} must be a number, got {value!r}") from None


def normalise(spec):
    """A JSON spec -> (name, kinds, every, times, params); raises FaultError."""
    if not isinstance(spec, dict):
        raise FaultError("a fault spec is a JSON object")
    spec = dict(spec)
    name = spec.pop("fault", None)
    if name not in FAULTS:
        raise FaultError(f"unknown fault {name!r}; known: {', '.join(FAULTS)}")
    phase, defaults, default_kinds = FAULTS[name]
    kinds = spec.pop("kinds", None)
    if kinds is None:
        kinds = default_kinds or API_KINDS
    if isinstance(kinds, str):
        kinds = [k for k in kinds.split(",") if k]
    if not isinstance(kinds, list) or any(k not in ALL_KINDS for k in kinds):
        raise FaultError(f"kinds must be a list of {', '.join(ALL_KINDS)}")
    every = _number("every", spec.pop("every", 1))
    times = spec.pop("times", None)
    times = None if times is None else _number("times", times)
    if every < 1 or (times is not None and times < 0):
        raise FaultError("every must be >= 1 and times >= 0")
    params = dict(defaults)
    for key, value in spec.items():
        if key not in defaults:
            raise FaultError(f"fault {name} has no parameter {key!r}")
        params[key] = _number(key, value)
    return name, list(kinds), every, times, params


def parse_cli(text):
    """NAME[:key=value...] -> a JSON spec (kinds comma-separated)."""
    name, *pairs = text.split(":")
    spec = {"fault": name}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise FaultError(f"fault option {pair!r} is not key=value")
        spec[key] = value
    normalise(spec)
    return spec


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.items = []
        self.next_id = 1

    def add(self, spec):
        name, kinds, every, times, params = normalise(spec)
        with self.lock:
            fault = Fault(self.next_id, name, kinds, every, times, params)
            self.next_id += 1
            self.items.append(fault)
        return fault

    def clear(self):
        with self.lock:
            self.items = []

    def to_json(self):
        with self.lock:
            return [f.to_json() for f in self.items]

    def fire(self, kind, phase):
        """The faults of `phase` that fire for a call of `kind`, in the order they
        were added (counters updated). A fault that decides the answer (all but
        slow) ends the list: the faults after it do not see the call."""
        fired = []
        with self.lock:
            for f in self.items:
                if f.phase != phase or kind not in f.kinds:
                    continue
                f.seen += 1
                if f.seen % f.every == 0 and (f.times is None or f.fired < f.times):
                    f.fired += 1
                    fired.append(f)
                    if f.name != "slow":
                        break
        return fired


def malform(body):
    """The XML body cut in the middle of a tag."""
    mid = len(body) // 2
    lt = body.find(b"<", mid)
    if lt < 0:
        lt = body.rfind(b"<")
    if lt < 0:
        return body[:mid]
    return body[:lt + 3]


def oversize(body, size):
    """A valid XML body padded with a comment before its closing root tag to `size` bytes."""
    close = body.rstrip().rfind(b"</")
    if close < 0:
        return body
    pad = size - len(body) - len(b"<!--  -->\n")
    if pad <= 0:
        return body
    return body[:close] + b"<!-- " + b"x" * pad + b" -->\n" + body[close:]
