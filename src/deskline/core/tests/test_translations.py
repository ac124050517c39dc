"""Every UI string has an Arabic and a Simplified Chinese translation.

makemessages runs on a copy of the package so that strings added since the .po files were
last updated show up as untranslated, without touching the real locale files."""

import ast
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

import deskline

LANGUAGES = ("ar", "zh_Hans")
TOOLS = ("xgettext", "msgmerge", "msguniq", "msgattrib")


def parse_po(path: Path) -> list[dict[str, object]]:
    """Entries of a .po file as {ctxt, id, strs, fuzzy}; obsolete (#~) entries are skipped."""
    entries: list[dict[str, object]] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        fuzzy = False
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                fuzzy = fuzzy or "fuzzy" in line
            elif line.startswith("#"):
                continue
            elif line.startswith('"') and key:
                fields[key] += ast.literal_eval(line)
            elif " " in line:
                key, _, rest = line.partition(" ")
                fields[key] = ast.literal_eval(rest)
        if fields.get("msgid"):
            strs = [v for k, v in fields.items() if k.startswith("msgstr")]
            entries.append(
                {"ctxt": fields.get("msgctxt"), "id": fields["msgid"], "strs": strs, "fuzzy": fuzzy}
            )
    return entries


def missing_translations(path: Path) -> list[str]:
    """A line per entry that is fuzzy or has an empty msgstr (any plural form)."""
    out = []
    for e in parse_po(path):
        if e["fuzzy"] or not all(e["strs"]):
            label = f"[{e['ctxt']}] {e['id']!r}" if e["ctxt"] else repr(e["id"])
            out.append(f"{'fuzzy' if e['fuzzy'] else 'untranslated'}: {label}")
    return out


def test_parse_po_reports_empty_plural_form_and_fuzzy_entries(tmp_path: Path) -> None:
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: ar\\n"\n\n'
        'msgid "Done"\nmsgstr "تم"\n\n'
        '#, fuzzy, python-format\nmsgid "Hi %(n)s"\nmsgstr "مرحبا %(n)s"\n\n'
        'msgctxt "menu"\nmsgid "File"\nmsgid_plural "Files"\nmsgstr[0] "ملف"\nmsgstr[1] ""\n\n'
        '#~ msgid "Old"\n#~ msgstr ""\n',
        encoding="utf-8",
    )
    assert missing_translations(po) == ["fuzzy: 'Hi %(n)s'", "untranslated: [menu] 'File'"]


def test_every_ui_string_is_translated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    absent = [tool for tool in TOOLS if shutil.which(tool) is None]
    if absent:
        pytest.skip(
            f"GNU gettext tools not installed ({', '.join(absent)}): apt-get install gettext"
        )
    source = Path(deskline.__file__).parent
    copy = tmp_path / "deskline"
    # Tests hold no UI strings; deskline-data is a run-time folder a local run may leave there.
    shutil.copytree(
        source, copy, ignore=shutil.ignore_patterns("tests", "__pycache__", "deskline-data")
    )
    monkeypatch.chdir(copy)
    # Only the copy's locale folder may be written, never the package's own.
    with override_settings(LOCALE_PATHS=[str(copy / "locale")]):
        call_command("makemessages", locale=list(LANGUAGES), no_obsolete=True, verbosity=0)
    report = []
    for lang in LANGUAGES:
        missing = missing_translations(copy / "locale" / lang / "LC_MESSAGES" / "django.po")
        report += [f"{lang} {line}" for line in missing]
    assert not report, (
        f"{len(report)} UI strings lack a translation; run `deskline makemessages -l ar "
        "-l zh_Hans` in src/deskline, translate them, then `deskline compilemessages`:\n"
        + "\n".join(report)
    )


# Messages no page shows: the JSON API's own (English by contract, api/middleware.py) and
# those of machine-facing paths (mail intake, inbound alert hooks, import files and the
# help center's deflection events, which its own script sends).
UNSHOWN = ("api/", "management/", "mail/services/intake.py", "automation/services/inbound.py")
UNSHOWN += ("kb/transfer.py", "kb/deflection.py")
REFUSALS = {"Conflict", "Forbidden", "ValidationError", "_error"}


def unmarked_messages(source: str) -> list[int]:
    """Lines raising a refusal whose message is a plain or f-string literal: shown on a page
    it would read in English whatever the reader's language."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = getattr(node.func, "id", getattr(node.func, "attr", None))
        if name not in REFUSALS:
            continue
        given = node.args[1] if name == "_error" and len(node.args) > 1 else node.args[0]
        messages = given.values if isinstance(given, ast.Dict) else [given]
        for message in messages:
            literal = isinstance(message, ast.Constant) and isinstance(message.value, str)
            if literal or isinstance(message, ast.JoinedStr):
                lines.append(message.lineno)
    return lines


def test_unmarked_messages_are_found() -> None:
    source = (
        'raise Conflict(f"{n} is closed")\n'
        'raise ValidationError({"a": "plain", "b": _("marked")})\n'
        'raise _error("tier", lazy_message(_("no %(t)s"), t=1))\n'
        "raise Forbidden(_('marked'))\n"
    )
    assert unmarked_messages(source) == [1, 2]


def test_every_message_a_page_can_show_is_marked_for_translation() -> None:
    """With test_every_ui_string_is_translated: every refusal a page shows is translated."""
    root = Path(deskline.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        skipped = ("tests/", "migrations/", *UNSHOWN)
        if any(part in relative for part in skipped):
            continue
        found += [f"{relative}:{line}" for line in unmarked_messages(path.read_text())]
    assert not found, (
        "mark these messages with gettext_lazy (and lazy_message for values, "
        "core/errors.py), then translate them:\n" + "\n".join(found)
    )
