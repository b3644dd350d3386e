# The control API (/_sim/...): info, stats, request log, faults, run-time config, and
# creating / changing / reading instances and billing reports. JSON in and out, no auth.
"""Control API (see docs/simulator.md, "Control API")."""

import copy
import datetime
import json
import random
import re
import time
import uuid as uuidlib

from . import content, data
from .data import Billing, Instance, api_datetime, slug, ymd
from .faults import FaultError

CONFIG_TYPES = {"ready_delay": float, "progress_word": str, "token_ttl": float, "range": bool,
                "page_size": int, "signed_ttl": float, "create_defaults": dict}


class Bad(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def handle(h):
    path = h.url_path.rstrip("/")
    method = "GET" if h.command == "HEAD" else h.command
    try:
        payload = json.loads(h.body) if h.body.strip() else None
    except ValueError as exc:
        h.reply_json(400, {"error": f"body is not JSON: {exc}"})
        return
    try:
        for regex, methods in ROUTES:
            m = re.fullmatch(regex, path)
            if m:
                fn = methods.get(method)
                if fn is None:
                    raise Bad(405, f"{method} is not allowed on {path}")
                status, answer = fn(h, payload, *m.groups())
                h.reply_json(status, answer)
                return
        raise Bad(404, f"no control call {path}")
    except Bad as exc:
        h.reply_json(exc.status, {"error": str(exc)})
    except (ValueError, TypeError, KeyError, AttributeError, FaultError) as exc:
        h.reply_json(400, {"error": f"{type(exc).__name__}: {exc}"})


def _obj(payload):
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        raise Bad(400, "a JSON object is expected")
    return payload


# -- info, stats, log ---------------------------------------------------------------

def info(h, payload):
    return 200, h.sim.info()


def stats(h, payload):
    return 200, h.sim.stats.to_json()


def reset(h, payload):
    h.sim.stats.reset()
    return 200, {"reset": True}


def requests(h, payload):
    since = int(h.query.get("since", ["0"])[0] or 0)
    return 200, h.sim.stats.entries(since)


# -- faults and config ----------------------------------------------------------------------

def faults_get(h, payload):
    return 200, h.sim.faults.to_json()


def faults_add(h, payload):
    specs = payload if isinstance(payload, list) else [_obj(payload)]
    added = [h.sim.faults.add(spec).to_json() for spec in specs]
    return 200, added


def faults_clear(h, payload):
    h.sim.faults.clear()
    return 200, []


def config_get(h, payload):
    with h.sim.store.lock:
        return 200, copy.deepcopy(h.sim.store.config)


def config_set(h, payload):
    changes = _obj(payload)
    store = h.sim.store
    clean = {}
    for key, value in changes.items():
        kind = CONFIG_TYPES.get(key)
        if kind is None:
            raise Bad(400, f"unknown setting {key!r}; known: {', '.join(CONFIG_TYPES)}")
        if kind is bool and not isinstance(value, bool):
            raise Bad(400, f"{key} is true or false")
        if kind is dict:
            if not isinstance(value, dict):
                raise Bad(400, f"{key} is an object")
            data.apply_fields(store, _blank_instance(store), dict(value))   # validates
            clean[key] = dict(value)
            continue
        value = kind(value)
        if kind in (int, float) and value < 0:
            raise Bad(400, f"{key} must be >= 0")
        if key == "progress_word" and not value:
            raise Bad(400, "progress_word may not be empty")
        clean[key] = value
    with store.lock:
        store.config.update(clean)
    return config_get(h, None)


def tokens_revoke(h, payload):
    return 200, {"revoked": h.sim.store.revoke_tokens()}


# -- instances --------------------------------------------------------------------------------

def _blank_instance(store):
    rtype = store.types[0]
    return Instance(id=0, account=store.accounts[0], report_id=rtype.id,
                    report_name=rtype.name, format=rtype.formats[0], status="Ready", size=0,
                    filename="x")


def instance_create(h, payload):
    store = h.sim.store
    fields = dict(_obj(payload))
    acct = str(fields.pop("account", store.accounts[0]))
    rid = int(fields.pop("report_id", store.types[0].id))
    rtype = store.types_by_id.get(rid)
    if rtype is None:
        raise Bad(400, f"no report type {rid}")
    fmt = str(fields.pop("format", rtype.formats[0])).lower()
    with store.lock:
        iid = store.next_id
        store.next_id += 1
    now = data.utcnow()
    inst = Instance(
        id=iid, account=acct, report_id=rid, report_name=rtype.name, format=fmt,
        status="Ready", size=store.default_size(iid), filename=f"{slug(rtype.name)}_{iid}.{fmt}",
        parameters=[(p.name, p.sample(acct, ymd(now.date() - datetime.timedelta(days=30))))
                    for p in rtype.params if p.required],
        requested_at=api_datetime(now), requested_by="demo",
        expires_at=ymd(now.date() + datetime.timedelta(days=30)), completed_at=api_datetime(now))
    data.apply_fields(store, inst, fields)
    store.store_instance(inst)
    return 200, data.instance_json(store, inst)


def _get_instance(store, iid):
    inst = store.get_instance(iid)
    if inst is None:
        raise Bad(404, f"no instance {iid}")
    return inst


def instance_get(h, payload, iid):
    store = h.sim.store
    inst = _get_instance(store, iid)
    answer = data.instance_json(store, inst)
    answer["sha256"] = content.sha256(store.content_key(inst))
    return 200, answer


def instance_patch(h, payload, iid):
    store = h.sim.store
    inst = copy.deepcopy(_get_instance(store, iid))
    old_pair = (inst.account, inst.report_id)
    data.apply_fields(store, inst, dict(_obj(payload)))
    store.store_instance(inst, old_pair)
    return 200, data.instance_json(store, inst)


def instance_delete(h, payload, iid):
    if not h.sim.store.delete_instance(iid):
        raise Bad(404, f"no instance {iid}")
    return 200, {"deleted": int(iid)}


def instance_list(h, payload):
    store = h.sim.store
    q = {k: v[0] for k, v in h.query.items()}
    accounts = [q["account"]] if "account" in q else store.accounts
    rid = int(q["report_id"]) if "report_id" in q else None
    limit = int(q.get("limit", 0) or 0)
    out = []
    for acct in accounts:
        if acct not in store.accounts:
            continue
        for inst in store.list_instances(acct, rid):
            d = data.instance_json(store, inst)
            if all(str(d.get(k)).lower() == v.lower() for k, v in q.items()
                   if k in ("status", "format", "delivery", "chunked", "disposition")):
                out.append(d)
                if limit and len(out) >= limit:
                    return 200, out
    return 200, out


# -- billing reports ---------------------------------------------------------------------------

def _apply_billing(rep, fields):
    for key, value in fields.items():
        if key in ("account", "type", "start", "end", "content_type", "user", "created"):
            setattr(rep, key, str(value))
        elif key == "status":
            rep.status = None if value is None else str(value)
        elif key == "ready_in":
            now = time.time()
            rep.status, rep.created_epoch, rep.ready_at = None, now, now + float(value)
        elif key == "size":
            if int(value) < 0:
                raise Bad(400, "size must be >= 0")
            rep.csv_size = int(value)
        else:
            raise Bad(400, f"unknown billing field {key!r}")


def billing_create(h, payload):
    store = h.sim.store
    fields = dict(_obj(payload))
    last = store.today.replace(day=1) - datetime.timedelta(days=1)
    with store.lock:
        n = store.billing_serial
        store.billing_serial += 1
    rng = random.Random(f"bwsim:{store.seed}:control-billing:{n}")
    now = time.time()
    rep = Billing(uuid=str(uuidlib.UUID(int=rng.getrandbits(128), version=4)),
                  account=store.accounts[0], type="DIDSNAP", start=ymd(last.replace(day=1)),
                  end=ymd(last), created=data.utcnow().strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                  status="COMPLETED", created_epoch=now, ready_at=now,
                  csv_size=rng.randrange(2000, 200000),
                  content_type="application/xml" if n % 2 == 0 else "application/zip")
    _apply_billing(rep, fields)
    store.add_billing(rep)
    return 200, data.billing_json(store, rep)


def _get_billing(store, uuid):
    with store.lock:
        rep = store.billing.get(uuid.lower())
    if rep is None:
        raise Bad(404, f"no billing report {uuid}")
    return rep


def billing_get(h, payload, uuid):
    store = h.sim.store
    rep = _get_billing(store, uuid)
    answer = data.billing_json(store, rep)
    key = store.billing_key(rep)
    answer["sha256"] = content.sha256(key)
    answer["size"] = content.size(key)
    return 200, answer


def billing_patch(h, payload, uuid):
    store = h.sim.store
    with store.lock:
        rep = _get_billing(store, uuid)
        old_account = rep.account
        new = copy.deepcopy(rep)
        _apply_billing(new, dict(_obj(payload)))
        store.billing[new.uuid] = new
        if new.account != old_account:
            store.billing_order[old_account].remove(new.uuid)
            store.billing_order[new.account].append(new.uuid)
    return 200, data.billing_json(store, new)


def billing_delete(h, payload, uuid):
    store = h.sim.store
    with store.lock:
        rep = _get_billing(store, uuid)
        del store.billing[rep.uuid]
        store.billing_order[rep.account].remove(rep.uuid)
    return 200, {"deleted": rep.uuid}


def billing_list(h, payload):
    store = h.sim.store
    acct = h.query.get("account", [None])[0]
    with store.lock:
        reps = [r for r in store.billing.values() if acct is None or r.account == acct]
    return 200, [data.billing_json(store, r) for r in reps]


ROUTES = [
    (r"/_sim/info", {"GET": info}),
    (r"/_sim/stats", {"GET": stats}),
    (r"/_sim/reset", {"POST": reset}),
    (r"/_sim/requests", {"GET": requests}),
    (r"/_sim/faults", {"GET": faults_get, "POST": faults_add, "DELETE": faults_clear}),
    (r"/_sim/config", {"GET": config_get, "POST": config_set, "PATCH": config_set}),
    (r"/_sim/tokens", {"DELETE": tokens_revoke}),
    (r"/_sim/instances", {"GET": instance_list, "POST": instance_create}),
    (r"/_sim/instances/(\d+)", {"GET": instance_get, "PATCH": instance_patch,
                                "DELETE": instance_delete}),
    (r"/_sim/billing", {"GET": billing_list, "POST": billing_create}),
    (r"/_sim/billing/([^/]+)", {"GET": billing_get, "PATCH": billing_patch,
                                "DELETE": billing_delete}),
]
