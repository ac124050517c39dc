"""Who may change a desk's settings: supervisors its name and description, admins all."""

import pytest
from django.core.exceptions import ValidationError

from deskline.accounts.models import AuditEntry
from deskline.core.errors import Forbidden
from deskline.desks.models import Role
from deskline.desks.services import update_desk


@pytest.mark.parametrize(
    "change",
    [{"visibility": "external"}, {"slug": "it2"}, {"prefix": "ITX"}, {"is_active": False}],
)
def test_a_supervisor_may_not_change_who_sees_the_desk(it_desk, agent_on, change):
    supervisor = agent_on(it_desk, Role.SUPERVISOR)
    with pytest.raises(Forbidden, match=f"only admins may change a desk's {next(iter(change))}"):
        # Together with a change they may make: the whole update is refused.
        update_desk(it_desk, {"name": "IT help", **change}, actor=supervisor)
    it_desk.refresh_from_db()
    assert (it_desk.name, it_desk.visibility, it_desk.slug, it_desk.prefix, it_desk.is_active) == (
        "IT",
        "internal",
        "it",
        "IT",
        True,
    )


def test_supervisors_rename_their_desk_and_admins_change_the_rest(
    it_desk, support_desk, agent_on, admin_user
):
    supervisor = agent_on(it_desk, Role.SUPERVISOR)
    update_desk(it_desk, {"name": "IT help", "description": "Laptops"}, actor=supervisor)
    with pytest.raises(Forbidden):  # not their desk
        update_desk(support_desk, {"name": "Mine"}, actor=supervisor)
    with pytest.raises(Forbidden):  # an agent of the desk is no supervisor
        update_desk(it_desk, {"name": "Ours"}, actor=agent_on(it_desk, Role.AGENT))
    # An unchanged value is no change, whoever sends it back.
    update_desk(it_desk, {"visibility": "internal", "name": "IT help"}, actor=supervisor)
    update_desk(it_desk, {"visibility": "external", "prefix": "ITS"}, actor=admin_user)
    it_desk.refresh_from_db()
    assert (it_desk.name, it_desk.visibility, it_desk.prefix) == ("IT help", "external", "ITS")
    audited = AuditEntry.objects.filter(action="desk.updated").order_by("id")
    assert [e.data["fields"] for e in audited] == [
        ["description", "name"],
        ["prefix", "visibility"],
    ]


def test_a_bad_desk_setting_names_its_field(it_desk, admin_user):
    with pytest.raises(ValidationError) as refused:
        update_desk(it_desk, {"visibility": "everyone"}, actor=admin_user)
    assert set(refused.value.message_dict) == {"visibility"}
    with pytest.raises(ValidationError) as refused:
        update_desk(it_desk, {"next_sequence": 1}, actor=admin_user)
    assert set(refused.value.message_dict) == {"next_sequence"}
