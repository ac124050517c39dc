"""Why a delivery failed, from the MTA's words or, failing that, the DSN status code."""

import re
from functools import cache

# Checked in order: specific phrasings before broad ones (a "blocked" mailbox that is
# "full" is full). Phrasings are the ones common MTAs and big providers use.
_PHRASES: list[tuple[str, str]] = [
    ("mesgtoobig", r"message (size|length) exceeds|message too (large|big)|too big|"
     r"message is too large|exceeds (the )?(maximum )?(message )?size|size limit|"
     r"message size .{0,20}exceed|larger than the maximum"),
    ("virusdetected", r"virus|malware|infected|trojan"),
    ("mailboxfull", r"mailbox (is )?full|over ?quota|quota (exceeded|full)|"
     r"exceed\w* (the )?.{0,20}quota|"
     r"mailbox size limit|account is full|inbox is full|mail ?box full|full mailbox|"
     r"storage (limit|space)|not enough (storage|space)|insufficient (storage|space)|"
     r"mailfolder is full|user.{0,20} full|too many messages in|exceeded storage"),
    ("systemfull", r"insufficient system storage|disk full|no space left|system full"),
    ("norelaying", r"relay(ing)? (access )?(denied|not permitted|prohibited|not allowed)|"
     r"unable to relay|not permitted to relay|we do not relay|relay not permitted|"
     r"cannot relay|does not relay"),
    ("hasmoved", r"has moved|address has changed|no longer (valid|available|with)|moved to"),
    ("notaccept", r"does not accept mail|accepts no mail|null mx|not accepting (any )?mail|"
     r"no mail accepted"),
    ("hostunknown", r"host (unknown|not found)|unknown host|domain (not found|does not exist|"
     r"is not valid|name not found)|no such domain|name or service not known|"
     r"unrouteable (mail )?domain|unroutable domain|host or domain name not found|"
     r"unknown domain|couldn't find any host|no mx|mx record|nxdomain|dns (error|lookup)|"
     r"domain.{0,30}(doesn't|does not) exist|invalid domain|unknown mail domain"),
    ("suspend", r"suspend|disabled|deactivated|inactive|account (is |has been )?(locked|"
     r"blocked|closed|expired|frozen)|mailbox (is )?(inactive|unavailable due)|"
     r"temporarily (unavailable|locked)|discontinued|not currently being accepted"),
    ("contenterror", r"media error|message (header|body) (is )?(invalid|malformed)"),
    ("userunknown", r"user(name)? (unknown|not found|does not exist|doesn't exist)|"
     r"unknown (user|recipient|local.part|mailbox)|no such (user|mailbox|recipient|"
     r"address|person|account)|recipient (unknown|not found|does not exist|invalid)|"
     r"(mailbox|address|account|recipient|user) (does not|doesn't) exist|"
     r"(mailbox|address|account) (not found|unavailable|is unavailable)|does not exist|"
     r"doesn't exist|invalid (mailbox|recipient|address|user)|not a valid (mailbox|user|"
     r"recipient)|addressee unknown|unrouteable address|bad destination mailbox|"
     r"no mailbox|unknown or illegal alias|is not a known user|not our customer|"
     r"doesn't have an? .{0,30}account|does not have an? .{0,30}account|"
     r"undeliverable address|no account|user invalid|address unknown|"
     r"not listed in|not found in|unknown address|deliver to a non-existent|non-existent|"
     r"nonexistent|mailbox unavailable|invalid address|no longer exists|user not exist"),
    ("spamdetected", r"spam(?!haus|cop)|junk mail|bulk mail|unsolicited|message content rejected|"
     r"content (was )?rejected as"),
    ("authfailure", r"\bspf\b|\bdkim\b|\bdmarc\b|sender policy framework|"
     r"authentication (failed|failure)|not authenticate"),
    ("requireptr", r"\bptr\b|reverse (dns|lookup|hostname)|rdns|reverse-dns|"
     r"no reverse|hostname does not resolve|cannot resolve your"),
    ("badreputation", r"reputation"),
    ("blocked", r"block(ed|list)|black ?list|\brbl\b|spamhaus|listed (in|on|at)|"
     r"client host rejected|connection refused by|not allowed to send|access denied|"
     r"banned|denied by|your ip|ip address|dnsbl|sorbs|spamcop"),
    ("toomanyconn", r"too many (connections|concurrent|sessions|recipients|messages)|"
     r"rate limit|throttl|sending rate|try again later.{0,20}limit"),
    ("rejected", r"sender (address )?(rejected|denied|verify failed|blocked|invalid)|"
     r"domain of sender|sender.{0,30}(not|isn't) (allowed|permitted|authorized)|"
     r"mail from.{0,20}rejected|refused to talk|envelope sender|not authorized sender"),
    ("securityerror", r"authentication required|tls required|encryption required|"
     r"must (use|issue) (a )?starttls|security|certificate"),
    ("policyviolation", r"policy|violat|prohibited|not permitted"),
    ("filtered", r"filter|rejected by (the )?recipient|refused by (the )?recipient|"
     r"user rules|recipient has blocked|not authorized to (send|post|email)|"
     r"delivery not authorized|have permission to post|not accepting (messages|mail) from"),
    ("expired", r"expired|retry time|retry timeout|giving up|too long|timed? ?out|"
     r"could not be delivered (within|for)|not (been )?delivered (within|for|after)|"
     r"delayed|no answer|deferred|unable to deliver for|queue"),
    ("networkerror", r"network|connection (refused|reset|lost|closed)|no route to host|"
     r"could not connect|unable to connect|lost connection|loop|too many hops|"
     r"routing|unreachable"),
    ("contenterror", r"content|mime|header|malformed|invalid message|8bit|line too long"),
    ("syntaxerror", r"syntax|command unrecognized|unrecognized command|bad sequence"),
    ("mailererror", r"mailer error|exit code|exit status|command (died|failed)|procmail|"
     r"pipe to|program (failed|exited)"),
    ("systemerror", r"system error|internal error|local (error|problem)|server error|"
     r"temporary failure|service unavailable|try again later|resources|i/o error"),
]  # fmt: skip


@cache
def _compiled() -> list[tuple[str, re.Pattern]]:
    # Compiled at the first bounce, not at import: ~20 ms of CPU (case-insensitive
    # patterns) that `deskline mail ingest`, one process per mail, paid for every mail.
    return [(reason, re.compile(pattern, re.IGNORECASE)) for reason, pattern in _PHRASES]


# RFC 3463 subject/detail codes (the class digit aside).
_STATUS = {
    "1.1": "userunknown", "1.2": "hostunknown", "1.3": "userunknown", "1.4": "userunknown",
    "1.5": "userunknown", "1.6": "hasmoved", "1.7": "rejected", "1.8": "rejected",
    "1.10": "notaccept", "2.0": "filtered", "2.1": "suspend", "2.2": "mailboxfull",
    "2.3": "exceedlimit", "2.4": "systemerror", "3.0": "systemerror", "3.1": "systemfull",
    "3.2": "notaccept", "3.3": "systemerror", "3.4": "mesgtoobig", "3.5": "systemerror",
    "4.0": "networkerror", "4.1": "expired", "4.2": "expired", "4.3": "systemerror",
    "4.4": "hostunknown", "4.5": "systemfull", "4.6": "networkerror", "4.7": "expired",
    "5.0": "syntaxerror", "5.1": "syntaxerror", "5.2": "syntaxerror", "5.3": "syntaxerror",
    "5.4": "syntaxerror", "5.5": "syntaxerror", "6.0": "contenterror", "6.1": "contenterror",
    "6.2": "contenterror", "6.3": "contenterror", "6.4": "contenterror", "6.5": "contenterror",
    "7.0": "securityerror", "7.1": "rejected", "7.2": "filtered", "7.3": "securityerror",
    "7.4": "securityerror", "7.5": "securityerror", "7.6": "securityerror",
    "7.7": "securityerror", "7.8": "authfailure", "7.9": "policyviolation",
    "7.13": "suspend", "7.25": "requireptr", "7.26": "authfailure", "7.27": "notaccept",
}  # fmt: skip
# Failures of the address itself: mailing it again cannot succeed.
HARD_REASONS = {"userunknown", "hostunknown", "hasmoved", "notaccept"}


def reason_from_text(text: str) -> str:
    for reason, pattern in _compiled():
        if pattern.search(text):
            return reason
    return ""


def reason_from_status(status: str) -> str:
    match = re.fullmatch(r"([245])\.(\d{1,3}\.\d{1,3})", status)
    if not match:
        return ""
    if match.group(1) == "2":
        return "delivered"
    return _STATUS.get(match.group(2), "")


# The SMTP command a server refused tells what it refused: the sender (MAIL FROM), the
# connecting host (greeting, HELO), or, after DATA, the content rather than the address.
_AFTER_DATA = re.compile(r"(after|end of|in reply to) (end of )?data\b", re.IGNORECASE)
_AFTER_MAIL_FROM = re.compile(r"(after|in reply to) mail from", re.IGNORECASE)
_AFTER_CONNECT = re.compile(
    r"(after|in reply to) (ehlo|helo|initial connection|the greeting|connect)", re.IGNORECASE
)
_STAGE_NEUTRAL = {"userunknown", "undefined", "onhold", ""}


def _by_stage(reason: str, text: str) -> str:
    if reason not in _STAGE_NEUTRAL:
        return reason
    if _AFTER_CONNECT.search(text):
        return "blocked"
    if _AFTER_MAIL_FROM.search(text):
        return "rejected"
    if reason == "userunknown" and _AFTER_DATA.search(text):
        return "filtered"
    return reason


def classify(status: str, text: str) -> str:
    """Specific status codes win; generic ones (X.0.0, 5.7.1...) defer to the words."""
    by_status = reason_from_status(status)
    if by_status == "delivered":
        return by_status
    specific = {"userunknown", "hostunknown", "mailboxfull", "hasmoved", "mesgtoobig",
                "requireptr", "authfailure", "notaccept", "systemfull"}  # fmt: skip
    if by_status in specific:
        return by_status
    by_text = _by_stage(reason_from_text(text) if text else "", text)
    return by_text or by_status or ("onhold" if status.startswith("4") else "undefined")
