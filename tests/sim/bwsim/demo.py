# The --demo data set: three accounts of a small carrier with hand-picked instances in
# every state, including a 64 MiB CDR-like export. Called once by Store.__init__.
"""Demo instances (billing reports come from Store._seed_billing)."""

import datetime

from .data import PROGRESS, Instance, api_datetime, slug, ymd

MiB = 1024 * 1024

# (account index, report id, format, status, size, disposition, delivery, chunked, filename)
_DEMO = [
    (0, 4, "csv", "Ready", 180_000, "quoted", "direct", False, None),
    (0, 2, "pdf", "Ready", 420_000, "unquoted", "direct", False, "output.pdf"),
    (0, 14, "xlsx", "Ready", 95_000, "quoted", "direct", False, None),
    (0, 8, "csv", PROGRESS, 50_000, "quoted", "direct", False, None),
    (0, 30, "csv", "Expired", 70_000, "quoted", "direct", False, None),
    (0, 30, "pdf", "Expired", 210_000, "quoted", "direct", False, None),
    (0, 6, "csv", "Error", 10_000, "quoted", "direct", False, None),
    (0, 59, "csv", "Ready", 2_500_000, "quoted", "redirect", False, None),
    (0, 24, "html", "Ready", 30_000, "unquoted", "direct", True, None),
    (0, 48, "csv", "Ready", 64 * MiB, "quoted", "direct", False, "cdr_export_{month}.csv"),
    (0, 16, "pdf", "Ready", 12_000, "none", "direct", False, None),
    (1, 4, "csv", "Ready", 260_000, "quoted", "direct", False, None),
    (1, 42, "pdf", "Ready", 150_000, "quoted", "direct", False, None),
    (1, 65, "csv", "Ready", 800_000, "unquoted", "redirect", False, None),
    (1, 47, "csv", PROGRESS, 40_000, "quoted", "direct", False, None),
    (2, 2, "xlsx", "Ready", 330_000, "quoted", "direct", False, None),
    (2, 31, "csv", "Ready", 120_000, "quoted", "direct", True, None),
    (2, 64, "csv", "Expired", 20_000, "quoted", "direct", False, None),
]


def populate(store):
    today = store.today
    month = ymd(today.replace(day=1) - datetime.timedelta(days=1))[:7]
    for n, (ai, rid, fmt, status, size, disp, delivery, chunked, fname) in enumerate(_DEMO):
        acct = store.accounts[ai]
        rtype = store.types_by_id[rid]
        iid = store.next_id
        store.next_id += 1
        requested = (datetime.datetime.combine(today, datetime.time(9, 5, 12))
                     - datetime.timedelta(days=1 + n % 9, minutes=37 * n))
        if fname is None:
            fname = f"{slug(rtype.name)}_{acct}_{ymd(requested.date())}.{fmt}"
        inst = Instance(
            id=iid, account=acct, report_id=rid, report_name=rtype.name, format=fmt,
            status=status, size=size, filename=fname.format(month=month), disposition=disp,
            delivery=delivery, chunked=chunked,
            parameters=[(p.name, p.sample(acct, ymd(requested.date() - datetime.timedelta(30))))
                        for p in rtype.params if p.required],
            requested_at=api_datetime(requested),
            requested_by=["ops-admin", "billing", "noc"][n % 3])
        if status != "Expired":
            inst.expires_at = ymd(requested.date() + datetime.timedelta(days=30))
        if status == "Ready":
            inst.completed_at = api_datetime(requested + datetime.timedelta(minutes=3))
        if status == "Error":
            inst.error = ("19050", "Report generation failed: the data source did not answer")
        store.store_instance(inst)
