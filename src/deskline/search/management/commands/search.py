from django.core.management.base import BaseCommand, CommandError, CommandParser

from deskline.search import indexing


class Command(BaseCommand):
    help = "Search index maintenance: `search reindex [--kind ticket|message|article|user]`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["reindex"])
        parser.add_argument(
            "--kind",
            action="append",
            default=[],
            help="only these kinds (repeatable); all by default",
        )

    def handle(self, *args: object, action: str, kind: list[str], **options: object) -> None:
        unknown = set(kind) - set(indexing.reindexers)
        if unknown:
            known = sorted(indexing.reindexers)
            raise CommandError(f"unknown kind {sorted(unknown)}; one of {known}")
        for name, count in indexing.reindex(kind or None).items():
            self.stdout.write(f"{name}: {count} indexed")
