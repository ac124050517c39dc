from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from deskline.accounts.services import create_admin


class Command(BaseCommand):
    help = "Create an admin (or make an existing user one) without prompts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", default="")

    def handle(self, *args: object, **options: str) -> None:
        if len(options["password"]) < 8:
            raise CommandError("--password must have at least 8 characters")
        try:
            user = create_admin(options["email"], options["password"], name=options["name"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(f"admin {user.email} is ready")
