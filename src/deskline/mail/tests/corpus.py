"""The public mail corpus in shared/data/mail and its oracles, for tests and bench/.

Shared by the corpus tests and bench/mail_corpus.py so both measure the same thing.
"""

import json
import re
from collections import Counter
from email import message_from_bytes
from email.message import Message
from email.policy import compat32
from functools import cache
from pathlib import Path

from deskline.mail.parsing import ParsedMail, parse_message, strip_reply
from deskline.mail.parsing.htmltext import html_to_text

MAIL_DIR = Path(__file__).resolve().parents[5] / "shared" / "data" / "mail"
SKIP_REASON = f"mail corpus not found at {MAIL_DIR} (it lives in ../shared/data/mail)"


def _files(folder: str, pattern: str) -> list[Path]:
    return sorted(p for p in (MAIL_DIR / folder).glob(pattern) if p.is_file())


def corpus_files() -> list[Path]:
    """Every message of every folder (each folder has its own layout)."""
    files = (
        _files("cpython_test_email", "msg_*.txt")
        + _files("django_helpdesk_mail", "tests/test_files/*.eml")
        + _files("flanker_fixtures", "**/*.eml")
        + [p for p in _files("flanker_fixtures", "dkim/email.*") if p.stat().st_size]
        + [
            p
            for p in _files("rt_emails", "**/*")
            if p.name not in {"SOURCE.md", "COPYING", "README.md"}
        ]
        + _files("ruby_mail_fixtures", "**/*.eml")
        + _files("sisimai_bounces", "maildir/*/*")
        + _files("stalwart_mailparser", "*/*.eml")
        + _files("talon_fixtures", "**/*.eml")
        + _files("zbateson_mmp", "*.txt")
    )
    return files


@cache
def parsed_corpus() -> dict[Path, ParsedMail]:
    return {path: parse_message(path.read_bytes()) for path in corpus_files()}


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\ufeff", "")).strip()


# --- Stalwart oracle -------------------------------------------------------------------


def _header(part: dict, name: str) -> object:
    for header in part["headers"]:
        if header["name"] == name:
            return header["value"]
    return None


def _param(value: object, name: str) -> str | None:
    if isinstance(value, dict) and "ContentType" in value:
        for attribute in value["ContentType"].get("attributes") or []:
            if attribute["name"].lower() == name:
                return attribute["value"]
    return None


def _body(part: dict) -> tuple[str, object]:
    body = part["body"]
    if isinstance(body, dict):
        kind = next(iter(body))
        return kind, body[kind]
    return str(body), None


def stalwart_expected(oracle: dict) -> dict[str, object]:
    root = oracle["parts"][0]
    subject = _header(root, "subject")
    sender = _header(root, "from")
    sender_email = ""
    if isinstance(sender, dict) and "Address" in sender:
        entries = sender["Address"].get("List") or []
        if entries and entries[0].get("address"):
            sender_email = entries[0]["address"].lower()
    texts = []
    text_ok = True
    for index in oracle["text_body"]:
        kind, value = _body(oracle["parts"][index])
        if kind != "Text":
            text_ok = False  # stalwart shows HTML converted by its own rules
        else:
            texts.append(str(value))
    attachments = []
    for index in oracle["attachments"]:
        part = oracle["parts"][index]
        kind, value = _body(part)
        name = _param(_header(part, "content_disposition"), "filename") or _param(
            _header(part, "content_type"), "name"
        )
        size = (
            len(value) if kind in {"Binary", "InlineBinary"} and isinstance(value, list) else None
        )
        attachments.append((name, size))
    return {
        "subject": subject.get("Text", "") if isinstance(subject, dict) else "",
        "sender": sender_email,
        "text": normalize("\n".join(texts)) if text_ok and texts else None,
        "attachments": attachments,
    }


def stalwart_cases() -> list[tuple[Path, Path]]:
    return [
        (eml, eml.with_suffix(".json"))
        for eml in _files("stalwart_mailparser", "*/*.eml")
        if eml.with_suffix(".json").exists()
    ]


def compare_stalwart(parsed: ParsedMail, expected: dict[str, object]) -> dict[str, bool | None]:
    """Per field: True (match), False (differs), None (the oracle gives nothing to compare)."""
    result: dict[str, bool | None] = {
        "subject": _same_text(parsed.subject, str(expected["subject"])),
        "sender": parsed.from_email == expected["sender"] if expected["sender"] else None,
    }
    text = expected["text"]
    # Our text goes on with the text of attached (forwarded) messages: compare the start.
    result["text"] = None if text is None else _same_text(parsed.text_body, str(text), prefix=True)
    wanted = expected["attachments"]
    assert isinstance(wanted, list)
    names = [a.filename for a in parsed.attachments]
    named = [(n, s) for n, s in wanted if n]
    result["attachment_names"] = (
        all(any(_same_name(n, got) for got in names) for n, _ in named) if named else None
    )
    sized = [s for _, s in wanted if s is not None]
    result["attachment_sizes"] = (
        Counter(sized) <= Counter(len(a.content) for a in parsed.attachments) if sized else None
    )
    return result


def _same_text(got: str, expected: str, prefix: bool = False) -> bool:
    """Whitespace-normalized equality; stalwart writes U+FFFD where it could not decode
    8-bit text that we do decode, so that character matches any one character."""
    got, expected = normalize(got), normalize(expected)
    pattern = ".".join(re.escape(piece) for piece in expected.split("\ufffd"))
    matcher = re.match if prefix else re.fullmatch
    return matcher(pattern, got, re.DOTALL) is not None


def _same_name(expected: str, got: str) -> bool:
    # We drop paths from names; stalwart keeps "C:\\TEMP\\x.png" (as "C:TEMPx.png").
    tail = normalize(expected.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    if _same_text(got, tail):
        return True
    return len(got) > 4 and tail.endswith(normalize(got))


# --- talon reply oracle ----------------------------------------------------------------

TALON = MAIL_DIR / "talon_fixtures" / "tests" / "fixtures"
# talon's own tests expect "Hello" for each standard reply without a *_reply_text file,
# and this sentence for each quoted HTML reply in html_replies/.
_TALON_DEFAULT_REPLY = "Hello"
_TALON_HTML_REPLY = "Hi. I am fine.\n\nThanks,\nAlex"


def talon_cases() -> list[tuple[str, str, str, bool]]:
    """(case name, reply text to strip, expected result, keep_signature)."""
    cases: list[tuple[str, str, str, bool]] = []
    for eml in sorted((TALON / "standard_replies").glob("*.eml")):
        parsed = parse_message(eml.read_bytes())
        expected_file = eml.with_name(eml.stem + "_reply_text")
        expected = (
            expected_file.read_text().strip() if expected_file.exists() else _TALON_DEFAULT_REPLY
        )
        # talon extracts quotations only, so its expected texts keep signatures.
        cases.append((eml.name, parsed.text_body, expected, True))
        cases.append((eml.name + " (signature too)", parsed.text_body, "Hello", False))
    for page in sorted((TALON / "html_replies").glob("*.html")):
        cases.append((page.name, html_to_text(page.read_text()), _TALON_HTML_REPLY, True))
    body = TALON / "signature" / "emails" / "stripped" / "jeff_body"
    signature = body.with_name("jeff_signature")
    if body.exists() and signature.exists():
        text = body.read_text()
        expected = text[: text.rindex(signature.read_text().strip())].strip()
        cases.append(("signature/jeff", text, expected, False))
    return cases


def talon_passes(text: str, expected: str, keep_signature: bool) -> bool:
    got = strip_reply(text, keep_signature=keep_signature)
    return re.sub(r"\s", "", got) == re.sub(r"\s", "", expected)


# --- sisimai bounce oracle -------------------------------------------------------------

SISIMAI = MAIL_DIR / "sisimai_bounces"


def bounce_scores(parsed: dict[Path, ParsedMail]) -> dict[str, float | int]:
    """Agreement with sisimai: detection, hard/soft, reason; not-bounce false positives."""
    expected = json.loads((SISIMAI / "expected.json").read_text())
    detected = hard_ok = reason_ok = status_ok = status_total = total = 0
    for name, entries in expected.items():
        path = SISIMAI / "maildir" / "bsd" / name
        if path not in parsed or not entries:
            continue
        mail = parsed[path]
        want = entries[0]
        total += 1
        if want["reason"] == "vacation":
            ok = mail.bounce is None and mail.automated == "auto-reply"
            detected += ok
            hard_ok += ok
            reason_ok += ok
            continue
        bounce = mail.bounce
        if bounce is None:
            continue
        detected += 1
        hard_ok += bounce.hard == want["hardbounce"]
        reason_ok += bounce.reason == want["reason"]
        if not re.fullmatch(r"\d\.0\.9\d\d", want["status"]):  # sisimai's own pseudo codes
            status_total += 1
            status_ok += bounce.status == want["status"]
    bsd = [p for p in parsed if p.parent == SISIMAI / "maildir" / "bsd"]
    not_bounces = [p for p in parsed if p.parent == SISIMAI / "maildir" / "not"]
    return {
        "bounces": total,
        "detected": detected / total,
        "hard_soft": hard_ok / total,
        "reason": reason_ok / total,
        "status": status_ok / status_total if status_total else 0.0,
        "bsd_automated": sum(bool(parsed[p].automated) for p in bsd) / len(bsd),
        "not_bounce_files": len(not_bounces),
        "not_bounce_false_positives": sum(parsed[p].bounce is not None for p in not_bounces),
    }


# --- "without loss" --------------------------------------------------------------------

_WORD = re.compile(r"[A-Za-z]{4,}")


def _leaves(part: Message) -> list[Message]:
    if part.is_multipart() and not part.get_content_type().startswith("message/"):
        return [leaf for child in part.get_payload() for leaf in _leaves(child)]
    return [part]


def lost_parts(raw: bytes, parsed: ParsedMail) -> list[str]:
    """Leaf MIME parts (read independently of the parser) found neither in the text, in
    the HTML, nor as an attachment of the same decoded bytes. Empty list = no loss."""
    raw = re.sub(rb"\A(?:From [^\n]*\n)?(?:[ \t]*\r?\n)*", b"", raw)
    message = message_from_bytes(raw, policy=compat32)
    shown = (parsed.text_body + "\n" + html_to_text(parsed.html_body)).lower()
    by_size = Counter(len(a.content) for a in parsed.attachments)
    contents = {a.content for a in parsed.attachments}
    types = Counter(a.content_type for a in parsed.attachments)
    lost = []
    for leaf in _leaves(message):
        ctype = leaf.get_content_type()
        if ctype.startswith("message/"):
            if types[ctype] or any(
                a.content_type.startswith("message/") for a in parsed.attachments
            ):
                continue
            lost.append(ctype)
            continue
        if ctype == "application/ms-tnef" and any("winmail.dat" in d for d in parsed.defects):
            continue
        data = leaf.get_payload(decode=True) or b""
        if not data.strip():
            continue
        if data in contents or (by_size[len(data)] and not ctype.startswith("text/")):
            continue
        if ctype.startswith("text/"):
            text = data.decode("latin-1")
            if ctype == "text/html":
                text = html_to_text(text)
            words = [w.lower() for w in _WORD.findall(text)]
            if words:
                found = sum(w in shown for w in words)
                if found >= 0.9 * len(words):
                    continue
            elif parsed.text_body.strip() or parsed.html_body.strip():
                continue
        lost.append(f"{ctype} ({len(data)} bytes)")
    return lost


def zbateson_file_matches(parsed: dict[Path, ParsedMail]) -> tuple[int, int]:
    """Attachments named like a file in zbateson_mmp/files/: how many have its bytes."""
    expected = {
        p.name.lower(): p.read_bytes() for p in (MAIL_DIR / "zbateson_mmp" / "files").glob("*")
    }
    same = total = 0
    for path, mail in parsed.items():
        if path.parent.name != "zbateson_mmp":
            continue
        for attachment in mail.attachments:
            want = expected.get(attachment.filename.lower())
            if want is None or attachment.filename.lower() == "winmail.dat":
                continue
            total += 1
            got = attachment.content
            if attachment.content_type.startswith("text/"):
                got, want = (
                    got.replace(b"\r\n", b"\n").strip(),
                    want.replace(b"\r\n", b"\n").strip(),
                )
            same += got == want
    return same, total
