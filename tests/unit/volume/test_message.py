"""User message texts: cinder's action/detail ids and wording, and its fallbacks."""

from stratus.services.volume.message import Action, Detail, Field, user_message


def _fields(cls: type) -> list[Field]:
    return [f for f in vars(cls).values() if isinstance(f, Field)]


def test_ids_are_unique_three_digit_codes() -> None:
    for cls in (Action, Detail):
        ids = [f.id for f in _fields(cls)]
        assert len(ids) == len(set(ids))
        assert all(len(i) == 3 and i.isdigit() for i in ids)


def test_user_message_joins_action_and_detail_as_cinder_does() -> None:
    text = user_message(Action.SCHEDULE_ALLOCATE_VOLUME.id, Detail.NO_BACKEND_AVAILABLE.id)
    assert text == "schedule allocate volume:Could not find any available weighted backend."


def test_unknown_ids_fall_back() -> None:
    assert user_message("999", "999") == "unknown action:An unknown error occurred."
    assert user_message(None, None) == "unknown action:An unknown error occurred."
