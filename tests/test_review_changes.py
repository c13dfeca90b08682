""""Changed since version N was built" compares normalised data: exactly who and what changed, in
words; a save that changes nothing lists nobody (a missing if_needed equals an empty list)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from scheduler.extensions import db
from scheduler.i18n import DAY_NAMES
from scheduler.models import Center
from scheduler.services import planning
from scheduler.services.review import data_changes
from solver.scenario import Scenario, build_scenario


def _center(app: Flask, make_center: Callable[..., int]) -> int:
    return make_center("North")  # small.json: nobody has if_needed, so the file has no such key


def test_one_answer_with_an_if_needed_time_lists_that_person_alone(app: Flask, make_center: Callable[..., int]) -> None:
    cid = _center(app, make_center)
    with app.app_context():
        center = db.session.get(Center, cid)
        assert center is not None
        built_from = planning.read_center(center).to_dict()  # as a version stores it
        assert all("if_needed" not in p for p in built_from["participants"])
        person = planning.read_center(center).participants[0]
        extra = next(s.id for s in planning.read_center(center).slots if s.id not in person.available)
        assert planning.save_availability(center, "participants", person.id, person.available, [extra]).ok
        db.session.commit()
        now = planning.read_center(center)
        # Everyone's exported record now carries "if_needed": [] ...
        assert all("if_needed" in p for p in now.to_dict()["participants"])
        changes = data_changes(build_scenario(built_from), now)
        # ... but only the one person changed.
        # ... in words: the time as the pages write it, never its code.
        slot = now.slot(extra)
        when = f"{DAY_NAMES[slot.day_code]} {slot.start // 60:02d}:{slot.start % 60:02d}–{slot.end // 60:02d}:" \
               f"{slot.end % 60:02d}"
        assert changes.changed["participants"] == [f"{person.name} (times if need be: added {when})"]
        assert not any(changes.added.values()) and not any(changes.removed.values()) and changes.other == []
        assert all(changes.changed[s] == [] for s in ("slots", "rooms", "activities", "facilitators"))


def test_saving_unchanged_answers_lists_nobody(app: Flask, make_center: Callable[..., int]) -> None:
    cid = _center(app, make_center)
    with app.app_context():
        center = db.session.get(Center, cid)
        assert center is not None
        built_from = planning.read_center(center).to_dict()
        person = planning.read_center(center).participants[3]
        result = planning.save_item(center, "participants", person.id,
                                    {"available": list(person.available), "if_needed": [],
                                     "preferences": list(person.preferences)})
        assert result.ok
        db.session.commit()
        changes = data_changes(build_scenario(built_from), planning.read_center(center))
        assert not changes.any


def test_changes_name_the_fields_and_values_in_words(app: Flask, make_center: Callable[..., int]) -> None:
    cid = _center(app, make_center)
    with app.app_context():
        center = db.session.get(Center, cid)
        assert center is not None
        before = planning.read_center(center)
        room = before.rooms[0]
        assert planning.save_item(center, "rooms", room.id, {"capacity": room.capacity + 3}).ok
        assert planning.save_settings(center, {"timezone": "Europe/Lisbon"}).ok
        db.session.commit()
        changes = data_changes(before, planning.read_center(center))
        assert changes.changed["rooms"] == [f"{room.name} (capacity: {room.capacity} → {room.capacity + 3})"]
        assert changes.other == [f"Center: time zone: {before.center.timezone} → Europe/Lisbon"]


def test_a_list_in_another_order_is_no_change_but_a_new_ranking_is(app: Flask, make_center: Callable[..., int]
                                                                   ) -> None:
    """Times, needs and languages are sets: stored in another order (a file, the CSV, the API), they
    are the same answers. Wanted activities are ranked: their order is the answer."""
    center_id = make_center("North")
    with app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None
        before = planning.read_center(center)
        person = next(p for p in before.participants if len(p.available) > 1 and len(p.preferences) > 1)
        def with_person(**fields: object) -> Scenario:
            data = before.to_dict()
            data["participants"] = [{**p, **fields} if p["id"] == person.id else p for p in data["participants"]]
            return build_scenario(data)

        assert data_changes(before, with_person(available=list(reversed(person.available)))).any is False
        reranked = with_person(preferences=list(reversed(person.preferences)))
        found = data_changes(before, reranked)
        assert found.count == 1 and found.changed["participants"][0].startswith(f"{person.name} (wanted activities: ")
        names = {a.id: a.name for a in before.activities}
        assert all(names[code] in found.changed["participants"][0] for code in person.preferences)


def test_a_new_pair_is_named_by_its_people(app: Flask, make_center: Callable[..., int]) -> None:
    center_id = make_center("North")
    with app.app_context():
        center = db.session.get(Center, center_id)
        assert center is not None
        before = planning.read_center(center)
        first, second = before.participants[:2]
        data = before.to_dict()
        data["keep_apart"] = [*data.get("keep_apart", []), [first.id, second.id]]
        found = data_changes(before, build_scenario(data))
        assert found.other == [f"kept apart: added {first.name} + {second.name}"]
