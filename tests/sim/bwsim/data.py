# The data model: accounts, report types, instances, billing reports, users, clients,
# tokens and run-time config. Deterministic from the seed; one lock guards all of it.
"""State of the simulated API.

Thread safety: every mutable field of Store (records, extra, billing, tokens,
config, next_id) is read and written under Store.lock (one RLock). Seeded
instances are not stored: they are computed from their id on demand (cheap),
and stored in `records` only once the control API changes them. Nothing slow
(content hashing, file writing) runs under the lock.
"""

import datetime
import random
import re
import secrets
import threading
import time
import uuid as uuidlib
from collections import defaultdict
from dataclasses import dataclass, field, asdict
from typing import List, Optional, Tuple

from . import catalog, content

SEED_BASE = 100001            # id of the first seeded instance
FORBIDDEN_ACCOUNT = "9999999"
PROGRESS = "\0progress"       # stored status meaning "the current progress word"
STATUS_CYCLE = ["Ready", "Ready", PROGRESS, "Ready", "Expired", "Ready", "Ready", "Error",
                "Ready", "Ready"]
DISPOSITIONS = ("quoted", "unquoted", "none", "raw")
DELIVERIES = ("direct", "redirect")


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)


def api_datetime(dt):
    """The API's unpadded date-time: 2026-9-16 11:05:12."""
    return f"{dt.year}-{dt.month}-{dt.day} {dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"


def ymd(day):
    return day.strftime("%Y-%m-%d")


def slug(name):
    return re.sub(r"[^A-Za-z0-9]+", "", name.title())


@dataclass
class Instance:
    id: int
    account: str
    report_id: int
    report_name: str
    format: str
    status: str                 # stored status; PROGRESS = the current progress word
    size: int
    filename: str
    disposition: str = "quoted"
    raw_disposition: Optional[str] = None
    delivery: str = "direct"
    chunked: bool = False
    parameters: List[Tuple[str, List[str]]] = field(default_factory=list)
    requested_at: str = ""
    requested_by: str = "demo"
    expires_at: Optional[str] = None
    completed_at: Optional[str] = None
    error: Optional[Tuple[str, str]] = None
    ready_at: Optional[float] = None   # epoch when a PROGRESS status becomes Ready


@dataclass
class Billing:
    uuid: str
    account: str
    type: str
    start: str
    end: str
    created: str
    status: Optional[str]       # explicit status, or None: by time since creation
    created_epoch: float = 0.0
    ready_at: float = 0.0
    csv_size: int = 4096
    content_type: str = "application/xml"
    user: str = "demo"


def parse_identity(spec, kind):
    """NAME:SECRET[:ACCT,...] -> (name, secret, [accounts] or None)."""
    parts = spec.split(":")
    if len(parts) < 2 or not parts[0]:
        raise ValueError(f"--{kind} wants NAME:SECRET[:ACCT,...], got {spec!r}")
    accounts = None
    if len(parts) >= 3 and re.fullmatch(r"[0-9,]+", parts[-1]):
        accounts = [a for a in parts[-1].split(",") if a]
        parts = parts[:-1]
    return parts[0], ":".join(parts[1:]), accounts


class Store:
    def __init__(self, seed=1, accounts=2, types=18, instances=6, demo=False,
                 users=(), clients=(), ready_delay=2.0, progress_word="Processing",
                 token_ttl=3600, range_ok=True, page_size=0):
        self.lock = threading.RLock()
        self.seed = seed
        self.demo = demo
        rng = random.Random(f"bwsim:{seed}:types")
        if demo:
            accounts, types, instances = 3, len(catalog.GUIDE_REPORTS), 0
        self.accounts = [str(9900001 + i) for i in range(accounts)]
        self.types = catalog.report_types(types, rng)
        self.type_index = {t.id: i for i, t in enumerate(self.types)}
        self.types_by_id = {t.id: t for t in self.types}
        self.ninst = instances
        self.seeded_count = len(self.accounts) * len(self.types) * instances
        self.next_id = SEED_BASE + self.seeded_count
        self.records = {}                  # iid -> Instance (created or changed), None: deleted
        self.extra = defaultdict(list)     # (account, report id) -> ids not in a seeded slot
        self.billing = {}                  # uuid -> Billing
        self.billing_order = defaultdict(list)   # account -> uuids, creation order
        self.billing_serial = 0                   # POST-created billing reports so far
        self.tokens = {}                   # token -> (client id, expiry epoch)
        self.today = utcnow().date()
        self.users = {}
        for spec in users or ["demo:demo-password"]:
            name, password, accts = parse_identity(spec, "user")
            self.users[name] = (password, accts)
        self.clients = {}
        for spec in clients or ["demo-client:demo-secret"]:
            name, secret, accts = parse_identity(spec, "client")
            self.clients[name] = (secret, accts)
        self.config = {"ready_delay": float(ready_delay), "progress_word": progress_word,
                       "token_ttl": float(token_ttl), "range": bool(range_ok),
                       "page_size": int(page_size), "signed_ttl": 60.0,
                       "create_defaults": {}}
        self._seed_billing()
        if demo:
            from .demo import populate
            populate(self)

    # -- accounts and identities ---------------------------------------------
    def visible(self, accts):
        """Accounts an identity with account list `accts` (None: all) may see."""
        real = self.accounts if accts is None else [a for a in accts if a in self.accounts]
        return [a for a in real if a != FORBIDDEN_ACCOUNT]

    def check_user(self, name, password):
        with self.lock:
            entry = self.users.get(name)
        return entry is not None and entry[0] == password

    def check_client(self, name, secret):
        with self.lock:
            entry = self.clients.get(name)
        return entry is not None and entry[0] == secret

    def issue_token(self, client):
        token = "bwsim-" + secrets.token_urlsafe(30)
        with self.lock:
            ttl = self.config["token_ttl"]
            now = time.time()
            self.tokens = {t: v for t, v in self.tokens.items() if v[1] > now}
            self.tokens[token] = (client, now + ttl)
        return token, ttl

    def token_client(self, token):
        """The client of an unexpired token, or None."""
        with self.lock:
            entry = self.tokens.get(token)
        if entry is None or entry[1] <= time.time():
            return None
        return entry[0]

    def revoke_tokens(self):
        with self.lock:
            n = len(self.tokens)
            self.tokens.clear()
        return n

    # -- instances ---------------------------------------------------------------
    def _slot(self, iid):
        """(account, report type) of a seeded id, or None."""
        flat = iid - SEED_BASE
        if self.ninst <= 0 or not 0 <= flat < self.seeded_count:
            return None
        pair = flat // self.ninst
        return self.accounts[pair // len(self.types)], self.types[pair % len(self.types)]

    def _seeded(self, iid):
        acct, rtype = self._slot(iid)
        flat = iid - SEED_BASE
        j = flat % self.ninst
        rng = random.Random(f"bwsim:{self.seed}:inst:{iid}")
        status = STATUS_CYCLE[(flat + self.seed) % len(STATUS_CYCLE)]
        fmt = rtype.formats[j % len(rtype.formats)]
        pick = rng.random()
        size = (rng.randrange(1024, 65536) if pick < 0.6 else
                rng.randrange(65536, 1 << 20) if pick < 0.9 else
                rng.randrange(1 << 20, 4 << 20))
        requested = (datetime.datetime.combine(self.today, datetime.time())
                     - datetime.timedelta(days=rng.randrange(1, 21), seconds=rng.randrange(86400)))
        disposition = rng.choices(["quoted", "unquoted", "none"], [5, 3, 2])[0]
        if disposition == "quoted":
            filename = f"{rtype.name} {iid}.{fmt}"
        elif rng.random() < 0.3:
            filename = f"output.{fmt}"
        else:
            filename = f"{slug(rtype.name)}_{iid}.{fmt}"
        day = ymd(requested.date() - datetime.timedelta(days=30))
        params = [(p.name, p.sample(acct, day)) for p in rtype.params
                  if p.required or rng.random() < 0.5]
        inst = Instance(
            id=iid, account=acct, report_id=rtype.id, report_name=rtype.name, format=fmt,
            status=status, size=size, filename=filename, disposition=disposition,
            delivery="redirect" if rng.random() < 0.25 else "direct",
            chunked=rng.random() < 0.2, parameters=params,
            requested_at=api_datetime(requested),
            requested_by=rng.choice(["demo", "jsmith", "api-user"]))
        if status != "Expired":
            inst.expires_at = ymd(requested.date() + datetime.timedelta(days=30))
        if status in ("Ready", "Expired") and j % 2 == 0:
            inst.completed_at = api_datetime(requested + datetime.timedelta(
                seconds=rng.randrange(5, 900)))
        if status == "Error":
            inst.error = ("19050", "Report generation failed: the data source did not answer")
        return inst

    def get_instance(self, iid):
        """The Instance with id `iid`, or None."""
        try:
            iid = int(iid)
        except (TypeError, ValueError):
            return None
        with self.lock:
            if iid in self.records:
                return self.records[iid]
        if self._slot(iid) is None:
            return None
        return self._seeded(iid)

    def list_instances(self, account, report_id=None):
        """Instances of one account (and one type), by id."""
        rtypes = self.types if report_id is None else [self.types_by_id[report_id]]
        out = []
        with self.lock:
            records = dict(self.records)
            extra = {k: list(v) for k, v in self.extra.items() if k[0] == account}
        for rtype in rtypes:
            if self.ninst and account in self.accounts:
                pair = self.accounts.index(account) * len(self.types) + self.type_index[rtype.id]
                first = SEED_BASE + pair * self.ninst
                for iid in range(first, first + self.ninst):
                    if iid in records:
                        inst = records[iid]
                        if inst is None or (inst.account, inst.report_id) != (account, rtype.id):
                            continue
                        out.append(inst)
                    else:
                        out.append(self._seeded(iid))
            for iid in extra.get((account, rtype.id), ()):
                inst = records.get(iid)
                if inst is not None:
                    out.append(inst)
        out.sort(key=lambda i: i.id)
        return out

    def status_of(self, inst):
        """The Status the API shows now."""
        if inst.status != PROGRESS:
            return inst.status
        if inst.ready_at is not None and time.time() >= inst.ready_at:
            return "Ready"
        return self.config["progress_word"]

    def content_key(self, inst):
        return content.key_for(self.seed, inst.id, inst.size, inst.format)

    def default_size(self, iid):
        rng = random.Random(f"bwsim:{self.seed}:size:{iid}")
        return rng.randrange(10000, 1 << 20)

    def store_instance(self, inst, old_pair=None):
        """Save a new or changed instance, keeping the (account, type) index."""
        with self.lock:
            self.records[inst.id] = inst
            pair = (inst.account, inst.report_id)
            slot = self._slot(inst.id)
            home = None if slot is None else (slot[0], slot[1].id)
            if old_pair is not None and old_pair != home and inst.id in self.extra[old_pair]:
                self.extra[old_pair].remove(inst.id)
            if pair != home and inst.id not in self.extra[pair]:
                self.extra[pair].append(inst.id)

    def new_instance(self, account, rtype, fmt, parameters, expires_at, user, **overrides):
        """An instance made by POST: in progress until ready_delay has passed."""
        with self.lock:
            iid = self.next_id
            self.next_id += 1
            delay = self.config["ready_delay"]
            defaults = dict(self.config["create_defaults"])
        now = utcnow()
        inst = Instance(
            id=iid, account=account, report_id=rtype.id, report_name=rtype.name, format=fmt,
            status=PROGRESS, size=self.default_size(iid),
            filename=f"{slug(rtype.name)}_{iid}.{fmt}", parameters=parameters,
            requested_at=api_datetime(now), requested_by=user,
            expires_at=expires_at or ymd(now.date() + datetime.timedelta(days=7)),
            ready_at=time.time() + delay)
        fields = dict(defaults)
        fields.update(overrides)
        apply_fields(self, inst, fields)
        self.store_instance(inst)
        return inst

    def delete_instance(self, iid):
        inst = self.get_instance(iid)
        if inst is None:
            return False
        with self.lock:
            self.records[inst.id] = None
            pair = (inst.account, inst.report_id)
            if inst.id in self.extra.get(pair, ()):
                self.extra[pair].remove(inst.id)
        return True

    # -- billing reports ---------------------------------------------------------
    def _seed_billing(self):
        first_of_month = self.today.replace(day=1)
        for ai, acct in enumerate(self.accounts):
            rng = random.Random(f"bwsim:{self.seed}:billing:{acct}")
            end = first_of_month
            for back in range(2):
                period_end = end - datetime.timedelta(days=1)
                period_start = period_end.replace(day=1)
                end = period_start
                for kind in catalog.BILLING_LISTABLE:
                    status = "PROCESSING" if (back == 0 and kind == "DIDSNAP_MSG"
                                              and ai == 0) else "COMPLETED"
                    created = datetime.datetime.combine(
                        period_end + datetime.timedelta(days=1), datetime.time(3, 12, 5))
                    self.add_billing(Billing(
                        uuid=str(uuidlib.UUID(int=rng.getrandbits(128), version=4)),
                        account=acct, type=kind, start=ymd(period_start), end=ymd(period_end),
                        created=created.strftime("%Y-%m-%dT%H:%M:%S.000Z"), status=status,
                        csv_size=rng.randrange(2000, 200000),
                        content_type="application/xml" if rng.random() < 0.5 else "application/zip"))

    def add_billing(self, rep):
        with self.lock:
            self.billing[rep.uuid] = rep
            self.billing_order[rep.account].append(rep.uuid)

    def new_billing(self, account, kind, start, end, user, status=None):
        with self.lock:
            delay = self.config["ready_delay"]
            n = self.billing_serial
            self.billing_serial += 1
        rng = random.Random(f"bwsim:{self.seed}:newbilling:{n}:{account}:{kind}:{start}:{end}")
        now = time.time()
        rep = Billing(uuid=str(uuidlib.UUID(int=rng.getrandbits(128), version=4)),
                      account=account, type=kind, start=start, end=end,
                      created=utcnow().strftime("%Y-%m-%dT%H:%M:%S.000Z"), status=status,
                      created_epoch=now, ready_at=now + delay,
                      csv_size=rng.randrange(2000, 200000),
                      content_type="application/xml" if n % 2 == 0 else "application/zip",
                      user=user)
        self.add_billing(rep)
        return rep

    def billing_status(self, rep):
        if rep.status is not None:
            return rep.status
        now = time.time()
        if now >= rep.ready_at:
            return "COMPLETED"
        if now < rep.created_epoch + (rep.ready_at - rep.created_epoch) / 4:
            return "RECEIVED"
        return "PROCESSING"

    def billing_key(self, rep):
        return content.key_for(self.seed, rep.uuid, rep.csv_size, "zip")

    def list_billing(self, account, kinds):
        with self.lock:
            reps = [self.billing[u] for u in self.billing_order.get(account, ())
                    if u in self.billing]
        return [r for r in reps if r.type in kinds]


# -- changing instances from the control API ------------------------------------

def apply_fields(store, inst, fields):
    """Apply control-API fields to an Instance; raises ValueError on bad input."""
    for name, value in fields.items():
        if name == "account":
            inst.account = str(value)
        elif name == "report_id":
            rtype = store.types_by_id.get(int(value))
            if rtype is None:
                raise ValueError(f"no report type {value}")
            inst.report_id, inst.report_name = rtype.id, rtype.name
        elif name == "status":
            inst.status = PROGRESS if value in (None, "progress") else str(value)
            inst.ready_at = None
        elif name == "ready_in":
            inst.status = PROGRESS
            inst.ready_at = None if value is None else time.time() + float(value)
        elif name == "size":
            if int(value) < 0:
                raise ValueError("size must be >= 0")
            inst.size = int(value)
        elif name == "format":
            inst.format = str(value).lower()
        elif name in ("filename", "raw_disposition", "requested_at", "requested_by",
                      "completed_at"):
            setattr(inst, name, None if value is None else str(value))
        elif name == "expires_at":
            inst.expires_at = None if value is None else str(value)
        elif name == "disposition":
            if value not in DISPOSITIONS:
                raise ValueError(f"disposition is one of {DISPOSITIONS}")
            inst.disposition = value
        elif name == "delivery":
            if value not in DELIVERIES:
                raise ValueError(f"delivery is one of {DELIVERIES}")
            inst.delivery = value
        elif name == "chunked":
            inst.chunked = bool(value)
        elif name == "parameters":
            inst.parameters = parameters_from_json(value)
        elif name == "error":
            inst.error = None if value is None else (str(value.get("code", "")),
                                                    str(value.get("message", "")))
        else:
            raise ValueError(f"unknown instance field {name!r}")
    if inst.status == "Expired" and "expires_at" not in fields:
        inst.expires_at = None


def parameters_from_json(value):
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = [(p["name"], p.get("values", p.get("value"))) for p in value]
    else:
        raise ValueError("parameters: an object {name: value or [values]}")
    out = []
    for name, vals in items:
        if not isinstance(vals, list):
            vals = [vals]
        out.append((str(name), [str(v) for v in vals]))
    return out


def instance_json(store, inst):
    d = asdict(inst)
    d["status"] = store.status_of(inst)
    d["stored_status"] = "progress" if inst.status == PROGRESS else inst.status
    d["parameters"] = {name: values for name, values in inst.parameters}
    d["error"] = None if inst.error is None else {"code": inst.error[0], "message": inst.error[1]}
    d["key"] = store.content_key(inst).to_json()
    d["content_disposition"] = disposition_header(inst)
    return d


def disposition_header(inst):
    """The Content-Disposition value a download of the instance carries, or None."""
    if inst.disposition == "quoted":
        name = inst.filename.replace("\\", "\\\\").replace('"', '\\"')
        return f'attachment; filename="{name}"'
    if inst.disposition == "unquoted":
        return f"attachment; filename={inst.filename}"
    if inst.disposition == "raw":
        return inst.raw_disposition
    return None


def billing_json(store, rep):
    d = asdict(rep)
    d["status"] = store.billing_status(rep)
    d["stored_status"] = rep.status
    d["key"] = store.billing_key(rep).to_json()
    d["filename"] = f"bdrs_{rep.start}_{rep.end}.zip"
    return d
