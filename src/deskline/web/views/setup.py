"""Setup pages for the day-to-day configuration of desks: teams, agents and roles,
categories, custom fields and statuses. Admins manage every desk and create desks;
supervisors manage their own desks."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deskline.accounts.models import User
from deskline.accounts.services import record_audit
from deskline.core.email_fields import EmailAddressFormField
from deskline.core.errors import Forbidden
from deskline.desks.models import Category, CustomField, Desk, DeskMembership, Team
from deskline.desks.services import (
    REQUESTER_VISIBILITY,
    create_custom_field,
    may_change_desk_field,
    may_show_fields_to_requesters,
    set_desk_role,
    update_custom_field,
    update_desk,
)
from deskline.tickets.models import StatusDefinition
from deskline.web.labels import choices
from deskline.web.permissions import can_manage_desk, managed_desk_ids


class DeskForm(forms.ModelForm):
    class Meta:
        model = Desk
        fields = ["name", "slug", "prefix", "visibility", "description", "is_active"]
        labels = {
            "name": gettext_lazy("Name"),
            "slug": gettext_lazy("Slug (in the portal address)"),
            "prefix": gettext_lazy("Ticket number prefix"),
            "visibility": gettext_lazy("Visibility"),
            "description": gettext_lazy("Description"),
            "is_active": gettext_lazy("Active"),
        }


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name", "slug", "tier"]
        labels = {
            "name": gettext_lazy("Name"),
            "slug": gettext_lazy("Slug"),
            "tier": gettext_lazy("Tier"),
        }


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ["name", "slug", "parent"]
        labels = {
            "name": gettext_lazy("Name"),
            "slug": gettext_lazy("Slug"),
            "parent": gettext_lazy("Parent category"),
        }


class FieldForm(forms.ModelForm):
    choices_text = forms.CharField(
        label=gettext_lazy("Choices (one per line)"), required=False, widget=forms.Textarea
    )

    class Meta:
        model = CustomField
        fields = ["key", "label", "field_type", "required", "visible_to_requester", "position"]
        labels = {
            "key": gettext_lazy("Key"),
            "label": gettext_lazy("Label"),
            "field_type": gettext_lazy("Type"),
            "required": gettext_lazy("Required"),
            "visible_to_requester": gettext_lazy("Visible to requesters"),
            "position": gettext_lazy("Position"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["choices_text"].initial = "\n".join(self.instance.choices)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        lines = (data.get("choices_text") or "").splitlines()
        self.instance.choices = [line.strip() for line in lines if line.strip()]
        return data


class StatusForm(forms.ModelForm):
    class Meta:
        model = StatusDefinition
        fields = ["name", "slug", "base_status"]
        labels = {
            "name": gettext_lazy("Name"),
            "slug": gettext_lazy("Slug"),
            "base_status": gettext_lazy("Behaves like"),
        }


class MemberForm(forms.Form):
    email = EmailAddressFormField(label=gettext_lazy("Email"))
    role = forms.ChoiceField(label=gettext_lazy("Role"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("instance", None)
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", _("No role (remove)")), *choices("role")]
        self.fields["role"].required = False


KINDS: dict[str, tuple[type, Any]] = {
    "teams": (TeamForm, Team),
    "categories": (CategoryForm, Category),
    "fields": (FieldForm, CustomField),
    "statuses": (StatusForm, StatusDefinition),
    "agents": (MemberForm, DeskMembership),
}


def _managed_desk(request: HttpRequest, slug: str) -> Desk:
    desk = Desk.objects.filter(slug=slug).first()
    if desk is None or not can_manage_desk(request.user, desk):
        raise Http404
    return desk


@login_required
def setup_home(request: HttpRequest) -> HttpResponse:
    ids = managed_desk_ids(request.user)
    # An admin without desks (a fresh install) comes here to create the first one.
    if not ids and not request.user.is_superuser:
        raise Http404
    return render(request, "web/setup/home.html", {"desks": Desk.objects.filter(pk__in=ids)})


@login_required
def desk_detail(request: HttpRequest, slug: str) -> HttpResponse:
    desk = _managed_desk(request, slug)
    context = {
        "desk": desk,
        "teams": Team.objects.filter(desk=desk),
        "categories": Category.objects.filter(desk=desk),
        "fields": CustomField.objects.filter(desk=desk),
        "statuses": StatusDefinition.objects.filter(desk=desk),
        "members": DeskMembership.objects.filter(desk=desk).select_related("user"),
    }
    return render(request, "web/setup/desk.html", context)


@login_required
def desk_edit(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    desk = _managed_desk(request, slug) if slug else None
    if desk is None and not request.user.is_superuser:
        raise Http404
    form = DeskForm(request.POST or None, instance=desk)
    if desk is not None:
        for name, field in form.fields.items():
            # Shown, not offered: the service refuses them to supervisors anyway.
            field.disabled = not may_change_desk_field(request.user, desk, name)
    if request.method == "POST" and form.is_valid():
        saved = _save_desk(request, desk, form)
        if saved is not None:
            messages.success(request, _("Saved."))
            return redirect("web:setup_desk", slug=saved.slug)
    title = _("Edit desk") if desk else _("New desk")
    context = {"form": form, "title": title, "desk": desk}
    return render(request, "web/setup/form.html", context, status=422 if form.errors else 200)


def _save_desk(request: HttpRequest, desk: Desk | None, form: DeskForm) -> Desk | None:
    if desk is None:
        with transaction.atomic():
            saved = form.save()
            record_audit(request.user, "desk.created", saved, data={"slug": saved.slug})
        return saved
    changes = {name: form.cleaned_data[name] for name in form.changed_data}
    try:
        return update_desk(desk, changes, actor=request.user)
    except Forbidden as exc:
        form.add_error(None, str(exc))
        return None


def _field_form(request: HttpRequest, desk: Desk, field: CustomField | None) -> FieldForm:
    shows = may_show_fields_to_requesters(request.user)
    # A supervisor's new field starts hidden from requesters, as the service makes it.
    instance = field or CustomField(desk=desk, visible_to_requester=shows)
    form = FieldForm(request.POST or None, instance=instance)
    visible = field is not None and field.visible_to_requester
    # Shown, not offered, where the service would refuse it: a supervisor may hide a
    # field an admin showed, not show one.
    form.fields[REQUESTER_VISIBILITY].disabled = not shows and not visible
    return form


def _save_field(
    request: HttpRequest, desk: Desk, field: CustomField | None, form: FieldForm
) -> bool:
    values = {name: form.cleaned_data[name] for name in form.Meta.fields}
    values["choices"] = form.instance.choices  # FieldForm.clean read the lines
    try:
        if field is None:
            create_custom_field(desk, actor=request.user, **values)
        else:
            update_custom_field(field, values, actor=request.user)
    except Forbidden as exc:
        form.add_error(REQUESTER_VISIBILITY, str(exc))
        return False
    except ValidationError as exc:
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
        return False
    return True


def _save_member(request: HttpRequest, desk: Desk, form: MemberForm) -> bool:
    user = User.objects.filter(email=form.cleaned_data["email"]).first()  # normalized
    if user is None:
        form.add_error("email", _("No user with this email."))
        return False
    try:
        set_desk_role(desk, user, form.cleaned_data["role"] or None, actor=request.user)
    except Forbidden as exc:
        form.add_error("role", str(exc))
        return False
    return True


@login_required
def item_edit(
    request: HttpRequest, slug: str, kind: str, item_id: int | None = None
) -> HttpResponse:
    desk = _managed_desk(request, slug)
    if kind not in KINDS:
        raise Http404
    form_class, model = KINDS[kind]
    instance = None
    if item_id is not None:
        instance = model.objects.filter(pk=item_id, desk=desk).first()
        if instance is None:
            raise Http404
    if kind == "agents":
        initial = {"email": instance.user.email, "role": instance.role} if instance else None
        form = MemberForm(request.POST or None, initial=initial)
    elif kind == "fields":
        form = _field_form(request, desk, instance)
    else:
        form = form_class(request.POST or None, instance=instance or model(desk=desk))
        if kind == "categories":
            form.fields["parent"].queryset = Category.objects.filter(desk=desk)
    if request.method == "POST" and "delete" in request.POST and instance is not None:
        if kind == "agents":
            try:
                set_desk_role(desk, instance.user, None, actor=request.user)
            except Forbidden as exc:
                form.add_error(None, str(exc))
                context = {"form": form, "desk": desk, "title": desk.name, "deletable": True}
                return render(request, "web/setup/form.html", context, status=403)
        else:
            instance.delete()
            record_audit(request.user, f"{kind}.deleted", desk, data={"id": item_id})
        messages.success(request, _("Deleted."))
        return redirect("web:setup_desk", slug=desk.slug)
    if request.method == "POST" and form.is_valid():
        if kind == "agents":
            saved = _save_member(request, desk, form)
        elif kind == "fields":
            saved = _save_field(request, desk, instance, form)
        else:
            with transaction.atomic():
                form.save()
                record_audit(request.user, f"{kind}.saved", desk, data={"id": form.instance.pk})
            saved = True
        if saved:
            messages.success(request, _("Saved."))
            return redirect("web:setup_desk", slug=desk.slug)
    context = {"form": form, "desk": desk, "title": desk.name, "deletable": instance is not None}
    return render(request, "web/setup/form.html", context, status=422 if form.errors else 200)
