from django.core.management.base import BaseCommand, CommandError, CommandParser

from deskline.accounts.models import ApiToken, User
from deskline.accounts.services import create_api_token, revoke_api_token


class Command(BaseCommand):
    help = "Create, list or revoke API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="print a new token for a user")
        create.add_argument("--email", required=True)
        create.add_argument("--name", default="cli")
        listing = sub.add_parser("list", help="list a user's tokens")
        listing.add_argument("--email", required=True)
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix")

    def _user(self, email: str) -> User:
        user = User.objects.filter(email=email.strip().lower(), is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {email}")
        return user

    def handle(self, *args: object, **options: str) -> None:
        action = options["action"]
        if action == "create":
            self.stdout.write(create_api_token(self._user(options["email"]), name=options["name"]))
        elif action == "list":
            for token in ApiToken.objects.filter(user=self._user(options["email"])):
                state = "revoked" if token.revoked_at else "active"
                self.stdout.write(
                    f"{token.prefix}…\t{token.name}\t{state}\t{token.created_at:%Y-%m-%d}"
                )
        else:
            token = ApiToken.objects.filter(
                prefix=options["prefix"], revoked_at__isnull=True
            ).first()
            if token is None:
                raise CommandError(f"no active token starting with {options['prefix']}")
            revoke_api_token(token, actor=None)
            self.stdout.write(f"revoked {token.prefix}…")
