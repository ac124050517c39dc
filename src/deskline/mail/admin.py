from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from deskline.mail.models import (
    AcknowledgementTemplate,
    Bounce,
    DeskAddress,
    Mailbox,
    OutboundMail,
    RawMail,
)


class MailboxForm(forms.ModelForm):
    # Write-only: the stored secret is never rendered back; blank keeps it.
    secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="password or OAuth2 access token; leave blank to keep the current one",
    )

    class Meta:
        model = Mailbox
        fields = [
            "name", "desk", "protocol", "host", "port", "tls", "username", "auth", "secret",
            "folder", "after_import", "move_to", "enabled",
        ]  # fmt: skip

    def clean_secret(self) -> str:
        value = self.cleaned_data.get("secret") or ""
        if not value and self.instance.pk:
            return self.instance.secret
        return value


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = ["name", "desk", "protocol", "host", "username", "enabled", "last_polled_at"]
    list_filter = ["protocol", "enabled"]
    readonly_fields = ["last_polled_at", "last_error"]


@admin.register(DeskAddress)
class DeskAddressAdmin(admin.ModelAdmin):
    list_display = [
        "email", "desk", "primary", "forwards_open_for_original_sender", "requester_from_reply_to",
    ]  # fmt: skip
    list_filter = ["desk"]
    search_fields = ["email"]


@admin.register(AcknowledgementTemplate)
class AcknowledgementTemplateAdmin(admin.ModelAdmin):
    list_display = ["desk", "language", "enabled", "subject"]


@admin.register(Bounce)
class BounceAdmin(admin.ModelAdmin):
    list_display = ["address", "hard", "status", "reason", "count", "last_at"]
    list_filter = ["hard", "reason"]
    search_fields = ["address"]


@admin.register(RawMail)
class RawMailAdmin(admin.ModelAdmin):
    list_display = ["id", "state", "reason", "source", "sender", "subject", "received_at"]
    list_filter = ["state", "source"]
    search_fields = ["message_id", "sender", "subject"]
    exclude = ["raw"]
    readonly_fields = [f.name for f in RawMail._meta.fields if f.name != "raw"]
    actions = ["reprocess_selected"]

    @admin.action(description="Process the selected mail again")
    def reprocess_selected(self, request: HttpRequest, queryset: QuerySet[RawMail]) -> None:
        from deskline.mail.services.intake import reprocess

        done = 0
        for raw_mail in queryset.exclude(state="processed"):
            done += reprocess(raw_mail.pk).state != "failed"
        self.message_user(request, f"{done} mail processed", messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(OutboundMail)
class OutboundMailAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "to", "state", "attempts", "created_at", "sent_at"]
    list_filter = ["state", "kind"]
    readonly_fields = [f.name for f in OutboundMail._meta.fields]
