"""Why someone has no group, on the pages: the solver's reasons said again in the reader's language,
with activities and times by name (the schedule file keeps the solver's English)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import force_locale

from scheduler.services import left_out, review
from solver.explain import explain_unassigned
from solver.scenario import build_scenario
from solver.schedule import load_schedule


def person(code: str, name: str, times: list[str], wants: list[str], **more: Any) -> dict[str, Any]:
    return {"id": code, "name": name, "email": f"{code}@example.org", "available": times, "preferences": wants,
            "max_groups": 1, **more}


SCENARIO = build_scenario({
    "format": "sociotherapy-scenario/1",
    "center": {"name": "Tiny", "timezone": "Europe/Madrid", "term_start": "2027-01-11", "term_end": "2027-04-05"},
    "slots": [{"id": "MO-0900", "day": "MO", "start": "09:00", "end": "10:15"},
              {"id": "TU-0900", "day": "TU", "start": "09:00", "end": "10:15"}],
    "rooms": [{"id": "room1", "name": "Garden room", "capacity": 10, "features": []}],
    "activities": [
        {"id": "act1", "name": "Community choir", "sessions_per_week": 1, "min_size": 2, "max_size": 2,
         "max_groups": 1, "facilitators_per_group": 1},
        {"id": "act2", "name": "Grief support", "sessions_per_week": 1, "min_size": 2, "max_size": 6,
         "max_groups": 1, "facilitators_per_group": 1, "language": "es"}],
    "facilitators": [{"id": "fac1", "name": "Rosa Vidal", "email": "rosa@example.org", "skills": [],
                      "available": ["MO-0900"], "max_sessions_per_week": 2}],
    "participants": [person("p1", "Ana Ruiz", ["MO-0900"], ["act1"]), person("p2", "Bea Soto", ["MO-0900"], ["act1"]),
                     person("p3", "Carla Gil", ["MO-0900"], ["act1"]), person("p4", "Dana Mora", [], ["act1"]),
                     person("p5", "Eva Lara", ["MO-0900"], ["act2"]), person("p6", "Flor Paz", ["MO-0900"], []),
                     person("p7", "Gala Rey", ["TU-0900"], ["act1", "act2"], languages=["es"])],
})
SCHEDULE = load_schedule({
    "format": "sociotherapy-schedule/1", "status": "FEASIBLE",
    "groups": [{"id": "act1-1", "activity": "act1", "sessions": ["MO-0900"], "room": "room1",
                "facilitators": ["fac1"], "members": ["p1", "p2"]}],
})


def test_each_reason_in_english_and_in_spanish(app: Flask) -> None:
    with app.test_request_context():
        with force_locale("en"):
            english = left_out.reasons(SCENARIO, SCHEDULE)
        with force_locale("es"):
            spanish = left_out.reasons(SCENARIO, SCHEDULE)
    assert english == {
        "p3": "Wants only Community choir: its one group meets Monday 09:00–10:15 and is full.",
        "p4": "They gave no times at which they can come: ask them when they can.",
        "p5": "Wants only Grief support: it is held in Spanish, which they do not list.",
        "p6": "No wanted activities yet: add the ones they want.",
        "p7": "Community choir: they can come on too few days when a facilitator can run it (1 day a week needed); "
              "Grief support: they can come on too few days when a facilitator can run it (1 day a week needed).",
    }
    assert spanish == {
        "p3": "Solo quiere Community choir: su único grupo se reúne el lunes 09:00–10:15 y está lleno.",
        "p4": "No ha indicado ninguna hora a la que pueda venir: pregúntele cuándo puede.",
        "p5": "Solo quiere Grief support: se imparte en español, que no figura entre sus idiomas.",
        "p6": "Aún no tiene actividades deseadas: añada las que quiere.",
        "p7": "Community choir: puede venir muy pocos días en que un facilitador pueda dirigirla (se necesita 1 día "
              "a la semana); Grief support: puede venir muy pocos días en que un facilitador pueda dirigirla (se "
              "necesita 1 día a la semana).",
    }
    # The schedule file keeps the solver's English, for the same people.
    assert set(explain_unassigned(SCENARIO, SCHEDULE)) == set(english)


def test_the_version_page_shows_the_readers_words(app: Flask) -> None:
    with app.test_request_context(), force_locale("es"):  # the page reads them in its own request
        reasons = {code: why for code, _name, why in review.version_view(SCENARIO, SCHEDULE).unassigned}
    assert reasons["p4"].startswith("No ha indicado ninguna hora")
    assert all("too few" not in why and "wants only" not in why for why in reasons.values())


def test_several_groups_are_counted_by_why_not_listed_one_by_one(app: Flask) -> None:
    data = SCENARIO.to_dict()
    data["activities"][0]["max_groups"] = 3
    data["facilitators"][0]["available"] = ["MO-0900", "TU-0900"]
    data["participants"] = [person("p1", "Ana Ruiz", ["MO-0900", "TU-0900"], ["act1"]),
                            person("p2", "Bea Soto", ["MO-0900", "TU-0900"], ["act1"]),
                            person("p3", "Carla Gil", ["MO-0900"], ["act1"]),
                            person("p4", "Dana Mora", ["MO-0900"], ["act1"])]
    scenario = build_scenario(data)
    schedule = load_schedule({
        "format": "sociotherapy-schedule/1", "status": "FEASIBLE",
        "groups": [{"id": "act1-1", "activity": "act1", "sessions": ["MO-0900"], "room": "room1",
                    "facilitators": ["fac1"], "members": ["p1", "p3"]},
                   {"id": "act1-2", "activity": "act1", "sessions": ["TU-0900"], "room": "room1",
                    "facilitators": ["fac1"], "members": ["p2"]}]})
    with app.test_request_context():
        with force_locale("en"):
            english = left_out.reasons(scenario, schedule)
        with force_locale("es"):
            spanish = left_out.reasons(scenario, schedule)
    assert english == {"p4": "Wants only Community choir: 1 group meets when they cannot come, 1 group is full."}
    assert spanish == {"p4": "Solo quiere Community choir: 1 grupo se reúne cuando no puede venir, 1 grupo está lleno."}
