# Static catalogue: the guide's report types, their parameter metadata and output
# formats, synthetic types, billing report types. Pure data, no state.
"""Report types and parameters of the simulated API."""

from dataclasses import dataclass, field
from typing import List, Optional, Tuple

# the 18 account report types of the public guide, in the guide's order
GUIDE_REPORTS = [
    (2, "Full Phone Number Details",
     "Complete information about all phone numbers within the report\u2019s scope"),
    (4, "Phone Number Inventory", "A list of all phone numbers associated with an account"),
    (6, "E911 Phone Number Details",
     "E911 information associated with phone numbers within the report\u2019s scope"),
    (8, "Port-out Orders", "Phone number details for historic or current port-out orders"),
    (14, "Port-in Orders", "Phone number details for historic or current port-in orders"),
    (16, "UC Account Summary", "Detailed account information for a given UC account"),
    (24, "User Information", "Information about all active and inactive users for a given account"),
    (30, "Disconnected Phone Numbers",
     "Information about all phone numbers that have been disconnected from the account"),
    (31, "External Phone Number Details",
     "Complete information about customer provided phone numbers within the report\u2019s scope"),
    (34, "End-User Phone Number Assignment",
     "A list of phone numbers and their end-user assignment statuses"),
    (36, "Alternate Caller ID E911 Report",
     "E911 detail information for accounts that use an alternative identifier for the end user"),
    (42, "E911 Addresses",
     "A list of all E911 addresses provisioned to an account. The list of addresses shown are "
     "only for Dynamic Location Routing-enabled accounts."),
    (47, "Number Utilization Telephone Number List Report",
     "This report will list all of the Telephone Numbers that appear to be under-utilized and "
     "unassigned"),
    (48, "Iris Account Number Utilization Report",
     "This account report will provide insight into the current utilization and assignment data "
     "associated with the Bandwidth Dashboard TN inventory"),
    (50, "Protected Phone Numbers Report",
     "This report will provide a simple report that lists all of the protected TNs on an "
     "account, as well as their status"),
    (59, "New Numbers", "Phone number details for historic or current new number orders"),
    (64, "International TN Inventory Summary", "Summary of international telephone numbers"),
    (65, "Telephone Number Route Plan Report",
     "This report lists all of the route plans that are active for the indicated account"),
]

BILLING_GUIDE_TYPES = ["BDR", "MDR", "INVOICE", "STMTBDR", "DIDSNAP", "DIDSNAP_MSG",
                       "RECORDINGBDR", "RECORDINGSTMTBDR", "TRANSCRIPTIONBDR",
                       "TRANSCRIPTIONSTMTBDR", "CNAMBDR", "CNAMSTMTBDR", "CONFBDR",
                       "CONFSTMTBDR"]
BILLING_SPEC_TYPES = ["TFPEERINGSTMTBDR", "TNLOOKUPBDR", "TNLOOKUPSTMTBDR",
                      "MSG_CAMPAIGN_REGISTRY_BDR", "MSG_CAMPAIGN_CARRIER_ACTIVATION_BDR",
                      "AMDBDR", "AMDSTMTBDR", "SIPURIBDR", "SIPURISTMTBDR",
                      "UNPROVISIONED_CALLS_BDR"]
BILLING_TYPES = BILLING_GUIDE_TYPES + BILLING_SPEC_TYPES
BILLING_LISTABLE = ["DIDSNAP", "DIDSNAP_MSG"]

CONTENT_TYPES = {
    "csv": "text/csv",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "html": "text/html",
    "xml": "application/xml",
}


@dataclass(frozen=True)
class Param:
    name: str
    type: str                      # Account ID, Site ID, SipPeer ID, String, Integer, Boolean,
    required: bool                 # Enum, Date, SpecializedList
    description: str
    help: str
    multi: bool = False
    values: Tuple[Tuple[str, str], ...] = ()   # (InternalName, DisplayName) of an Enum
    value_filter: Optional[str] = None
    recommended: Optional[str] = None

    def sample(self, account, day):
        """A valid value list, for the parameters of seeded instances."""
        if self.type == "Account ID":
            return [str(account)]
        if self.type in ("Site ID", "SipPeer ID"):
            return ["1" + str(account)[-3:]]
        if self.type == "Integer":
            return ["30"]
        if self.type == "Boolean":
            return ["true"]
        if self.type == "Date":
            return [day]
        if self.type == "Enum":
            return [self.recommended or self.values[0][0]]
        if self.type == "SpecializedList":
            return ["9195551234", "9195551235"]
        return ["ALL"]


def _enum(name, required, multi, values, recommended=None, description=None):
    return Param(name, "Enum", required, description or f"{name} to include",
                 f"Choose {'one or more values' if multi else 'one value'} of {name}.",
                 multi=multi, values=tuple(values),
                 value_filter=";".join(v[0] for v in values), recommended=recommended)


P_ACCOUNT = Param("AccountId", "Account ID", True, "Account the report covers",
                  "The numeric id of the account.")
P_SITE = Param("SiteId", "Site ID", False, "Sub-account (site) to restrict the report to",
               "The numeric id of a site; all sites when absent.")
P_PEER = Param("SipPeerId", "SipPeer ID", False, "SIP peer (location) to restrict the report to",
               "The numeric id of a SIP peer; all peers when absent.")
P_START = Param("StartDate", "Date", True, "First day of the period", "YYYY-MM-DD")
P_END = Param("EndDate", "Date", False, "Last day of the period", "YYYY-MM-DD, today when absent")
P_TNSTATUS = _enum("TnStatus", False, False,
                   [("Inservice", "In Service"), ("Available", "Available"),
                    ("Disconnected", "Disconnected"), ("PortedOut", "Ported Out")],
                   recommended="Inservice", description="Status of the numbers to list")
P_ORDERSTATUS = _enum("OrderStatus", False, True,
                      [("COMPLETE", "Complete"), ("PARTIAL", "Partial"), ("FAILED", "Failed"),
                       ("PENDING", "Pending"), ("CANCELLED", "Cancelled")],
                      description="Order statuses to include")
P_USERSTATUS = _enum("UserStatus", True, True, [("ACTIVE", "Active"), ("INACTIVE", "Inactive")],
                     recommended="ACTIVE", description="Which users to list")
P_ASSIGN = _enum("AssignmentStatus", True, False,
                 [("ASSIGNED", "Assigned"), ("UNASSIGNED", "Unassigned"), ("ALL", "All")],
                 recommended="ALL", description="Assignment status to report")
P_PROTECTED = _enum("ProtectedStatus", False, False,
                    [("PROTECTED", "Protected"), ("UNPROTECTED", "Unprotected")],
                    description="Protection status to report")
P_COUNTRY = _enum("Country", False, True,
                  [("GB", "United Kingdom"), ("DE", "Germany"), ("FR", "France"),
                   ("IE", "Ireland"), ("NL", "Netherlands")],
                  recommended="GB", description="Countries to summarise")
P_DISCONNECTED = Param("IncludeDisconnected", "Boolean", False,
                       "Include disconnected numbers", "true or false")
P_DAYS = Param("DaysUnused", "Integer", True, "Days without traffic",
               "A whole number of days, for example 30.")
P_MAXROWS = Param("MaxRows", "Integer", False, "Largest number of rows", "A whole number.")
P_UCACCOUNT = Param("UcAccount", "String", True, "UC account name", "The UC account's name.")
P_PATTERN = Param("TnPattern", "String", False, "Telephone number pattern",
                  "Digits, with * as a wildcard.")
P_TNLIST = Param("TelephoneNumbers", "SpecializedList", False, "Telephone numbers to report",
                 "A list of ten-digit numbers.", multi=True)

_GUIDE_PARAMS = {
    2: [P_ACCOUNT, P_SITE, P_PEER, P_TNSTATUS],
    4: [P_ACCOUNT, P_SITE, P_DISCONNECTED],
    6: [P_ACCOUNT, P_SITE, P_PEER],
    8: [P_ACCOUNT, P_START, P_END, P_ORDERSTATUS],
    14: [P_ACCOUNT, P_START, P_END, P_ORDERSTATUS],
    16: [P_ACCOUNT, P_UCACCOUNT],
    24: [P_ACCOUNT, P_USERSTATUS],
    30: [P_ACCOUNT, P_START, P_END],
    31: [P_ACCOUNT, P_SITE, P_PATTERN],
    34: [P_ACCOUNT, P_ASSIGN],
    36: [P_ACCOUNT],
    42: [P_ACCOUNT, P_MAXROWS],
    47: [P_ACCOUNT, P_DAYS, P_SITE],
    48: [P_ACCOUNT],
    50: [P_ACCOUNT, P_PROTECTED],
    59: [P_ACCOUNT, P_START, P_END, P_ORDERSTATUS],
    64: [P_ACCOUNT, P_COUNTRY],
    65: [P_ACCOUNT, P_TNLIST],
}
_GUIDE_FORMATS = {
    2: ["csv", "pdf", "xlsx", "xls"], 6: ["csv", "xml"], 24: ["csv", "html"],
    42: ["csv", "pdf"], 48: ["csv", "xlsx"], 65: ["csv"],
}
_SYNTH_PARAMS = [
    [P_ACCOUNT, P_START, P_END],
    [P_ACCOUNT, P_TNSTATUS, P_MAXROWS],
    [P_ACCOUNT, P_ORDERSTATUS, P_TNLIST],
    [P_ACCOUNT, P_SITE, P_PEER, P_DISCONNECTED],
    [P_ACCOUNT, P_PATTERN, P_COUNTRY],
]
_SYNTH_FORMATS = [["csv", "pdf", "xlsx"], ["csv", "html", "xml"], ["xls", "csv"],
                  ["pdf"], ["csv"]]


@dataclass
class ReportType:
    id: int
    name: str
    description: str
    params: List[Param]
    formats: List[str]
    priority: int = 0
    by_name: dict = field(default_factory=dict)

    def __post_init__(self):
        self.by_name = {p.name: p for p in self.params}


def report_types(count, rng):
    """The first `count` types: the guide's, then synthetic ids 100, 101...,
    ordered by display priority (from rng), then name."""
    types = []
    for i in range(count):
        if i < len(GUIDE_REPORTS):
            rid, name, desc = GUIDE_REPORTS[i]
            params = _GUIDE_PARAMS[rid]
            formats = _GUIDE_FORMATS.get(rid, ["csv", "pdf", "xlsx"])
        else:
            n = i - len(GUIDE_REPORTS)
            rid = 100 + n
            name = f"Synthetic Report {rid}"
            desc = f"A synthetic report type of the simulator, number {n + 1}"
            params = _SYNTH_PARAMS[n % len(_SYNTH_PARAMS)]
            formats = _SYNTH_FORMATS[n % len(_SYNTH_FORMATS)]
        types.append(ReportType(rid, name, desc, list(params), list(formats),
                                priority=rng.randrange(1, 6)))
    types.sort(key=lambda t: (t.priority, t.name))
    return types
