# The Bandwidth API itself: routing of BASE/accounts/{id}/..., authentication (Basic,
# Bearer, OAuth2 token endpoint), pre-answer faults, every call's answer, the signed origin.
"""API routes (see docs/simulator.md, "API surface")."""

import base64
import binascii
import datetime
import hashlib
import hmac
import math
import re
import time
from urllib.parse import parse_qs, quote, urlencode

from . import catalog, xmlgen
from .data import FORBIDDEN_ACCOUNT, disposition_header
from .xmlgen import XML_TYPE

_A = r"^/accounts/([^/]+)"
ROUTES = [
    (re.compile(_A + r"/reports/?$"), {"GET": "reports.list"}),
    (re.compile(_A + r"/reports/instances/?$"), {"GET": "instances.list_all"}),
    (re.compile(_A + r"/reports/([^/]+)/?$"), {"GET": "reports.get"}),
    (re.compile(_A + r"/reports/([^/]+)/instances/?$"),
     {"GET": "instances.list", "POST": "instances.create"}),
    (re.compile(_A + r"/reports/([^/]+)/instances/([^/]+)/?$"), {"GET": "instances.get"}),
    (re.compile(_A + r"/reports/([^/]+)/instances/([^/]+)/file/?$"), {"GET": "instances.file"}),
    (re.compile(_A + r"/billingreports/?$", re.I), {"GET": "billing.list", "POST": "billing.create"}),
    (re.compile(_A + r"/billingreports/([^/]+)/?$", re.I), {"GET": "billing.get"}),
    (re.compile(_A + r"/billingreports/([^/]+)/file/?$", re.I), {"GET": "billing.file"}),
]
ROOTS = {
    "reports.list": "ReportsResponse", "reports.get": "ReportResponse",
    "instances.list_all": "ReportInstancesResponse", "instances.list": "ReportInstancesResponse",
    "instances.get": "ReportInstanceResponse", "instances.create": "ReportInstanceResponse",
    "instances.file": "ReportInstanceResponse", "billing.create": "BillingReportsResponse",
    "billing.list": "BillingReportsResponse", "billing.get": "BillingReportsResponse",
    "billing.file": "BillingReportsResponse", "unknown": "ErrorResponse",
}
BILLING_READY = ("COMPLETED", "COMPLETE")


# -- authentication -------------------------------------------------------------------

def _basic_pair(header):
    try:
        raw = base64.b64decode(header.split(None, 1)[1].strip(), validate=True).decode("utf-8")
    except (IndexError, ValueError, binascii.Error, UnicodeDecodeError):
        return None
    name, sep, secret = raw.partition(":")
    return (name, secret) if sep else None


def authenticate(h):
    """-> (log label, accounts the caller may use or None when not authenticated)."""
    header = h.headers.get("Authorization")
    if header is None:
        return "none", None
    store = h.sim.store
    parts = header.split(None, 1)
    scheme = parts[0].lower() if parts else ""
    if scheme == "basic":
        pair = _basic_pair(header)
        if pair and store.check_user(*pair):
            return f"basic:{pair[0]}", store.visible(store.users[pair[0]][1])
    elif scheme == "bearer" and len(parts) == 2:
        client = store.token_client(parts[1].strip())
        if client is not None:
            return "bearer", store.visible(store.clients[client][1])
    return "bad", None


def _unauthorized(h, label):
    challenge = ('Bearer realm="bwsim", error="invalid_token"'
                 if (h.headers.get("Authorization") or "").lower().startswith("bearer")
                 else 'Basic realm="bwsim"')
    h.reply(401, b"", headers=[("WWW-Authenticate", challenge)])


def _principal(label):
    return label.split(":", 1)[1] if label.startswith("basic:") else "api-client"


# -- faults that answer before the call ---------------------------------------------------

def pre_faults(h, kind, style="xml"):
    """Apply slow / ratelimit / error503; True when the call has been answered."""
    for f in h.sim.faults.fire(kind, "pre"):
        if f.name == "slow":
            h.sim.stopping.wait(f.get("seconds"))
        elif f.name == "ratelimit":
            reset = math.ceil(time.time() + f.get("reset"))
            h.reply(429, b"", headers=[("X-RateLimit-Reset", str(reset))])
            return True
        elif f.name == "error503":
            if style == "json":
                h.reply_json(503, {"error": "temporarily_unavailable"})
            elif style == "signed":
                h.reply(503, _s3_error("ServiceUnavailable", "Please reduce your request rate."),
                        XML_TYPE)
            else:
                code = 19031 if kind == "instances.create" else 503
                h.reply_error(503, code, "The service is temporarily unavailable, try again later",
                              ROOTS.get(kind, "ErrorResponse"))
            return True
    return False


# -- dispatch ------------------------------------------------------------------------------------

def route(path, method):
    """-> (kind, groups); kind "unknown" with groups None for 404, "" for 405."""
    for regex, methods in ROUTES:
        m = regex.match(path)
        if m:
            kind = methods.get(method)
            return (kind, m.groups()) if kind else ("unknown", "")
    return "unknown", None


def handle(h):
    sim = h.sim
    path = h.url_path
    method = "GET" if h.command == "HEAD" else h.command
    if path.rstrip("/") == sim.token_path:
        token_endpoint(h, method)
        return
    if sim.base and not (path == sim.base or path.startswith(sim.base + "/")):
        kind, groups = "unknown", None
    else:
        kind, groups = route(path[len(sim.base):], method)
    label, visible = authenticate(h)
    h.begin(kind, label)
    if visible is None:
        _unauthorized(h, label)
        return
    root = ROOTS[kind]
    if groups is None:
        h.reply_error(404, 404, f"No such resource: {path}", root)
        return
    if groups == "":
        h.reply_error(405, 405, f"Method {h.command} is not allowed here", root)
        return
    if pre_faults(h, kind):
        return
    acct = groups[0]
    if acct not in visible or acct == FORBIDDEN_ACCOUNT:
        h.reply_error(403, 1001, "Access Denied", root)
        return
    HANDLERS[kind](h, label, *groups)


# -- pagination ------------------------------------------------------------------------------------

def _int_param(h, name, default):
    try:
        value = int(h.query.get(name, [default])[0])
    except (TypeError, ValueError):
        return default
    return value if value >= 1 else default


def paginate(h, items):
    """(the page's items, (first URL, next URL or None) or None without pagination)."""
    page_size = h.sim.store.config["page_size"]
    if page_size <= 0:
        return items, None
    page = _int_param(h, "page", 1)
    size = min(_int_param(h, "size", page_size), 1000)
    rest = [(k, v) for k, vals in h.query.items() if k not in ("page", "size") for v in vals]

    def url(n):
        return h.self_url() + "?" + urlencode(rest + [("page", n), ("size", size)])

    more = page * size < len(items)
    return items[(page - 1) * size:page * size], (url(1), url(page + 1) if more else None)


# -- account reports ----------------------------------------------------------------------------------

def _rtype(h, rid, root):
    try:
        rtype = h.sim.store.types_by_id.get(int(rid))
    except ValueError:
        rtype = None
    if rtype is None:
        h.reply_error(404, 19000, f"Report {rid} not found", root)
    return rtype


def reports_list(h, label, acct):
    items, links = paginate(h, h.sim.store.types)
    h.reply_xml(200, xmlgen.reports_list(items, links))


def reports_get(h, label, acct, rid):
    rtype = _rtype(h, rid, "ReportResponse")
    if rtype:
        h.reply_xml(200, xmlgen.report_detail(rtype))


def _list(h, acct, rid):
    store = h.sim.store
    items, links = paginate(h, store.list_instances(acct, rid))
    h.reply_xml(200, xmlgen.instances_list([(i, store.status_of(i)) for i in items], links))


def instances_list_all(h, label, acct):
    _list(h, acct, None)


def instances_list(h, label, acct, rid):
    rtype = _rtype(h, rid, "ReportInstancesResponse")
    if rtype:
        _list(h, acct, rtype.id)


def _instance(h, acct, rid, iid):
    rtype = _rtype(h, rid, "ReportInstanceResponse")
    if rtype is None:
        return None
    inst = h.sim.store.get_instance(iid)
    if inst is None or inst.account != acct or inst.report_id != rtype.id:
        h.reply_error(404, 19019, f"No report instance found with id {iid}",
                      "ReportInstanceResponse")
        return None
    return inst


def instances_get(h, label, acct, rid, iid):
    inst = _instance(h, acct, rid, iid)
    if inst:
        h.reply_xml(200, xmlgen.instance_detail(inst, h.sim.store.status_of(inst)))


def instances_create(h, label, acct, rid):
    store = h.sim.store
    rtype = _rtype(h, rid, "ReportInstanceResponse")
    if rtype is None:
        return
    try:
        fmt, params, expires = xmlgen.parse_instance(h.body)
    except xmlgen.BadBody as exc:
        h.reply_error(400, 400, f"The body is not an <Instance> document: {exc}",
                      "ReportInstanceResponse")
        return
    failure = xmlgen.validate_instance(rtype, fmt, params, expires, _utc_today())
    if failure:
        h.reply_error(400, failure[0], failure[1], "ReportInstanceResponse")
        return
    inst = store.new_instance(acct, rtype, fmt.lower(), params, expires, _principal(label))
    location = f"{h.sim.location_base}/accounts/{acct}/reports/{rtype.id}/instances/{inst.id}"
    h.reply(201, b"", XML_TYPE, [("Location", location)])


def _utc_today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def instances_file(h, label, acct, rid, iid):
    inst = _instance(h, acct, rid, iid)
    if inst is None:
        return
    store = h.sim.store
    status = store.status_of(inst)
    root = "ReportInstanceResponse"
    if status == "Expired":
        h.reply_error(404, 19049, f"Report instance {inst.id} has expired", root)
    elif status == "Error":
        h.reply_error(400, 19050, f"Report instance {inst.id} failed: no file to download", root)
    elif status != "Ready":
        h.reply_error(202, 19048, f"Report instance {inst.id} is not ready yet", root)
    elif inst.delivery == "redirect":
        h.reply(307, b"", headers=[("Location", signed_url(h.sim, inst))])
    else:
        h.serve_file(store.content_key(inst), catalog.CONTENT_TYPES.get(inst.format,
                     "application/octet-stream"), disposition_header(inst), inst.chunked)


# -- billing reports -------------------------------------------------------------------------------------

def billing_create(h, label, acct):
    store = h.sim.store
    root = "BillingReportsResponse"
    try:
        kind, start, end = xmlgen.parse_billing(h.body)
    except xmlgen.BadBody as exc:
        h.reply_error(400, 400, f"The body is not a <BillingReport> document: {exc}", root)
        return
    verdict = xmlgen.validate_billing(kind, start, end, _utc_today())
    if verdict[0] == "error":
        h.reply_error(400, verdict[1], verdict[2], root)
    elif verdict[0] == "nodata":
        h.reply(204)
    else:
        rep = store.new_billing(acct, kind, verdict[1], verdict[2], _principal(label))
        location = f"{h.sim.location_base}/accounts/{acct}/billingReports/{rep.uuid}"
        h.reply(201, xmlgen.billing_created(), XML_TYPE, [("Location", location)], xml=True)


def billing_list(h, label, acct):
    store = h.sim.store
    wanted = h.query.get("kind", [None])[0]
    if wanted is None or wanted == "":
        kinds = catalog.BILLING_LISTABLE
    elif wanted.upper() in catalog.BILLING_LISTABLE:
        kinds = [wanted.upper()]
    else:
        h.reply_error(400, 15600, f"Reports of kind '{wanted}' cannot be listed: only "
                      "DIDSNAP and DIDSNAP_MSG", "BillingReportsResponse")
        return
    reps = store.list_billing(acct, kinds)
    if not reps:
        h.reply(204)
        return
    h.reply_xml(200, xmlgen.billing_list([(r, store.billing_status(r)) for r in reps]))


def _billing(h, acct, uuid):
    root = "BillingReportsResponse"
    if not xmlgen.UUID_RE.match(uuid):
        h.reply_error(400, 1008, f"'{uuid}' is not a valid report id", root)
        return None
    with h.sim.store.lock:
        rep = h.sim.store.billing.get(uuid.lower())
    if rep is None or rep.account != acct:
        h.reply_error(404, 15603, f"Billing report {uuid} not found", root)
        return None
    return rep


def billing_get(h, label, acct, uuid):
    rep = _billing(h, acct, uuid)
    if rep:
        h.reply_xml(200, xmlgen.billing_retrieval(h.sim.store.billing_status(rep)))


def billing_file(h, label, acct, uuid):
    rep = _billing(h, acct, uuid)
    if rep is None:
        return
    store = h.sim.store
    if store.billing_status(rep) not in BILLING_READY:
        h.reply_error(400, 15602, "The report archive is currently being constructed.",
                      "BillingReportsResponse")
        return
    h.serve_file(store.billing_key(rep), rep.content_type,
                 f"attachment; filename=bdrs_{rep.start}_{rep.end}.zip")


HANDLERS = {
    "reports.list": reports_list, "reports.get": reports_get,
    "instances.list_all": instances_list_all, "instances.list": instances_list,
    "instances.get": instances_get, "instances.create": instances_create,
    "instances.file": instances_file, "billing.create": billing_create,
    "billing.list": billing_list, "billing.get": billing_get, "billing.file": billing_file,
}


# -- OAuth2 token endpoint --------------------------------------------------------------------------------

def token_endpoint(h, method):
    store = h.sim.store
    form = parse_qs(h.body.decode("utf-8", "replace"), keep_blank_values=True)
    header = h.headers.get("Authorization") or ""
    pair = _basic_pair(header) if header.lower().startswith("basic") else None
    if pair is None and "client_id" in form:
        pair = (form["client_id"][0], form.get("client_secret", [""])[0])
    ok = pair is not None and store.check_client(*pair)
    label = f"basic:{pair[0]}" if ok else ("none" if not header and pair is None else "bad")
    h.begin("oauth.token" if method == "POST" else "unknown", label)
    if method != "POST":
        h.reply_json(405, {"error": "invalid_request",
                           "error_description": "the token endpoint takes POST"},
                     [("Allow", "POST")])
        return
    if not ok:
        h.reply_json(401, {"error": "invalid_client"},
                     [("WWW-Authenticate", 'Basic realm="bwsim"')])
        return
    if pre_faults(h, "oauth.token", "json"):
        return
    grant = form.get("grant_type", [""])[0]
    if grant != "client_credentials":
        h.reply_json(400, {"error": "unsupported_grant_type" if grant else "invalid_request"})
        return
    token, ttl = store.issue_token(pair[0])
    h.reply_json(200, {"access_token": token, "token_type": "Bearer",
                       "expires_in": int(ttl), "scope": "reports"},
                 [("Cache-Control", "no-store"), ("Pragma", "no-cache")])


# -- the signed origin -------------------------------------------------------------------------------------

def _signature(sim, acct, iid, expires):
    msg = f"{acct}:{iid}:{expires}".encode()
    return hmac.new(sim.secret, msg, hashlib.sha256).hexdigest()[:40]


def signed_url(sim, inst):
    expires = int(time.time() + sim.store.config["signed_ttl"])
    name = quote(inst.filename or "file", safe="")
    query = urlencode({"Expires": expires, "KeyId": "bwsim",
                       "Signature": _signature(sim, inst.account, inst.id, expires)})
    return f"{sim.signed_root}/signed/{inst.account}/{inst.id}/{name}?{query}"


def _s3_error(code, message):
    return (f'{xmlgen.DECL}<Error><Code>{code}</Code><Message>{message}</Message>'
            f'<Description>{message}</Description></Error>\n').encode()


SIGNED_RE = re.compile(r"^/signed/([^/]+)/(\d+)(/[^/]*)?$")


def handle_signed(h):
    m = SIGNED_RE.match(h.url_path)
    method = "GET" if h.command == "HEAD" else h.command
    kind = "signed.file" if m and method == "GET" else "unknown"
    header = h.headers.get("Authorization")
    label = "none"
    if header:
        label, _ = authenticate(h)
    h.begin(kind, label)
    if m is None:
        h.reply(404, _s3_error("NoSuchKey", "The specified key does not exist."), XML_TYPE)
        return
    if kind == "unknown":
        h.reply(405, _s3_error("MethodNotAllowed", "Only GET is allowed."), XML_TYPE,
                [("Allow", "GET, HEAD")])
        return
    if header:
        h.reply(400, _s3_error("InvalidArgument", "Only one auth mechanism allowed; only the "
                               "query signature is accepted, not an Authorization header"),
                XML_TYPE)
        return
    if pre_faults(h, kind, "signed"):
        return
    acct, iid = m.group(1), int(m.group(2))
    expires = h.query.get("Expires", [""])[0]
    signature = h.query.get("Signature", [""])[0]
    if not expires.isdigit() or not hmac.compare_digest(
            signature, _signature(h.sim, acct, iid, int(expires))):
        h.reply(403, _s3_error("SignatureDoesNotMatch", "The request signature does not match."),
                XML_TYPE)
        return
    if time.time() > int(expires):
        h.reply(403, _s3_error("AccessDenied", "Request has expired"), XML_TYPE)
        return
    inst = h.sim.store.get_instance(iid)
    if inst is None or inst.account != acct:
        h.reply(404, _s3_error("NoSuchKey", "The specified key does not exist."), XML_TYPE)
        return
    h.serve_file(h.sim.store.content_key(inst),
                 catalog.CONTENT_TYPES.get(inst.format, "application/octet-stream"),
                 disposition_header(inst), inst.chunked)
