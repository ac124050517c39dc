"""Service messages stay lazy until shown: the language active then is the one read."""

import pickle

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from deskline.core.errors import Conflict, english, lazy_message


def test_a_message_is_translated_where_it_is_shown_not_where_it_is_raised():
    with translation.override("ar"):  # e.g. raised while an Arabic request runs
        error = Conflict(lazy_message(_("%(ticket)s is closed"), ticket="IT-7"))
    with translation.override("zh-hans"):
        assert str(error) == "工单 IT-7 已关闭"
    with translation.override("en"):
        assert str(error) == "IT-7 is closed"
    assert english(error) == "IT-7 is closed"


def test_validation_errors_carry_lazy_messages_by_field():
    error = ValidationError(
        {
            "tier": lazy_message(_("there is no tier below L%(tier)s"), tier=1),
            "reason": _("a reason is required"),
        }
    )
    with translation.override("ar"):
        assert error.message_dict == {
            "tier": ["لا يوجد مستوى أدنى من L1"],
            "reason": ["السبب مطلوب"],
        }
    with translation.override("en"):
        assert sorted(error.messages) == ["a reason is required", "there is no tier below L1"]
    with translation.override("ar"):
        # Logs and stored records read the same for everyone.
        assert "there is no tier below L1" in english(error)


def test_the_values_are_put_in_as_given_and_a_message_survives_pickling():
    text = lazy_message(_("%(value)r is not one of %(choices)s"), value="x", choices=["a", "b"])
    copied = pickle.loads(pickle.dumps(text))
    with translation.override("en"):
        assert str(copied) == "'x' is not one of ['a', 'b']"
