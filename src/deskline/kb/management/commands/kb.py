import json
import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from deskline.kb.models import Article
from deskline.kb.transfer import export_articles, import_articles
from deskline.tickets.services.fields import resolve_desk


class Command(BaseCommand):
    help = (
        "Knowledge base files: `kb import FILE.json --desk SLUG` and "
        "`kb export --desk SLUG [FILE.json]`, a list of "
        "{title, body, language, category, visibility}."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["import", "export"])
        parser.add_argument("file", nargs="?", help="JSON file (export: stdout when omitted)")
        parser.add_argument("--desk", required=True, help="desk slug or id")
        parser.add_argument(
            "--state", default="published", help="state of imported articles (default published)"
        )

    def handle(self, *args: object, **options: object) -> None:
        try:
            desk = resolve_desk(str(options["desk"]))
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        if options["action"] == "export":
            data = export_articles(Article.objects.filter(desk=desk).order_by("pk"))
            text = json.dumps(data, ensure_ascii=False, indent=1)
            if options["file"]:
                Path(str(options["file"])).write_text(text + "\n", encoding="utf-8")
            else:
                sys.stdout.write(text + "\n")
            return
        if not options["file"]:
            raise CommandError("import needs a FILE.json")
        try:
            items = json.loads(Path(str(options["file"])).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {options['file']}: {exc}") from None
        try:
            created = import_articles(desk, items, actor=None, state=str(options["state"]))
        except ValidationError as exc:
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            raise CommandError(f"nothing imported: {problems}") from None
        self.stdout.write(f"{len(created)} articles imported into {desk.slug}")
