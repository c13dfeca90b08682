"""Hypothesis strategies: small random but valid scenario dicts, in the interchange format.

Small on purpose (at most 6 slots, 4 activities, 15 participants) so CP-SAT settles each one in
well under a second, yet every feature of the format shows up: if-needed slots, languages, room
features and needs, two facilitators per group, min_groups, keep-apart and keep-together pairs.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

DAYS = ("MO", "TU", "WE", "TH", "FR")
FEATURES = ("accessible", "piano", "kitchen")
SKILLS = ("art", "music", "cbt")
LANGUAGES = ("es", "en")
CENTER = {"name": "Prop", "timezone": "Europe/Madrid", "term_start": "2027-01-11", "term_end": "2027-04-02",
          "holidays": ["2027-03-19"]}


def subset(items: tuple[str, ...] | list[str], max_size: int | None = None) -> st.SearchStrategy[list[str]]:
    """Distinct items in a random order."""
    return st.lists(st.sampled_from(list(items)), unique=True, max_size=len(items) if max_size is None else max_size)


def rare_subset(items: tuple[str, ...]) -> st.SearchStrategy[list[str]]:
    """Often nothing, sometimes one or two: features and languages are the exception."""
    return st.one_of(st.just([]), subset(items, 2))


@st.composite
def slots(draw: st.DrawFn) -> list[dict[str, str]]:
    days = draw(st.lists(st.sampled_from(DAYS), min_size=2, max_size=4, unique=True))
    count = draw(st.integers(min_value=max(2, len(days)), max_value=6))
    # Every chosen day gets a slot, the rest go anywhere; slots of one day are two hours apart.
    on_day = list(days) + [draw(st.sampled_from(days)) for _ in range(count - len(days))]
    result = []
    for day in sorted(set(on_day), key=DAYS.index):
        for k in range(on_day.count(day)):
            start = 9 + 2 * k
            result.append({"id": f"{day}-{start:02d}00", "day": day, "start": f"{start:02d}:00",
                           "end": f"{start + 1:02d}:30"})
    return result


@st.composite
def availability(draw: st.DrawFn, slot_ids: list[str]) -> dict[str, list[str]]:
    """``available`` and ``if_needed``: disjoint sets of slot ids, mostly available so groups can form."""
    kinds = draw(st.lists(st.sampled_from(["available", "available", "available", "if_needed", "no"]),
                          min_size=len(slot_ids), max_size=len(slot_ids)))
    return {key: [s for s, kind in zip(slot_ids, kinds, strict=True) if kind == key]
            for key in ("available", "if_needed")}


def pairs(ids: list[str]) -> st.SearchStrategy[list[list[str]]]:
    """A few distinct pairs of distinct participants."""
    return st.lists(
        st.lists(st.sampled_from(ids), min_size=2, max_size=2, unique=True),
        max_size=3, unique_by=lambda pair: frozenset(pair),
    )


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    slot_list = draw(slots())
    slot_ids = [s["id"] for s in slot_list]

    rooms = [
        {"id": f"r{i}", "name": f"Room {i}", "capacity": draw(st.integers(1, 12)),
         "features": draw(rare_subset(FEATURES))}
        for i in range(draw(st.integers(1, 3)))
    ]

    activities = []
    for i in range(draw(st.integers(1, 4))):
        min_size = draw(st.integers(1, 3))
        max_groups = draw(st.integers(1, 2))
        activity: dict[str, Any] = {
            "id": f"a{i}", "name": f"Activity {i}", "sessions_per_week": draw(st.integers(1, 2)),
            "min_size": min_size, "max_size": draw(st.integers(min_size, min_size + 5)), "max_groups": max_groups,
            "required_skills": draw(subset(SKILLS, 1)), "facilitators_per_group": draw(st.sampled_from([1, 1, 1, 2])),
            "room_features": draw(st.one_of(st.just([]), st.just([]), subset(FEATURES, 1))),
        }
        if draw(st.integers(0, 7)) == 0:
            activity["min_groups"] = draw(st.integers(0, max_groups))
        if draw(st.integers(0, 3)) == 0:
            activity["language"] = draw(st.sampled_from(LANGUAGES))
        activities.append(activity)
    activity_ids = [a["id"] for a in activities]

    facilitators = []
    for i in range(draw(st.integers(1, 4))):
        facilitators.append({
            "id": f"f{i}", "name": f"Facilitator {i}", "email": f"f{i}@example.org",
            "skills": draw(st.lists(st.sampled_from(SKILLS), unique=True, min_size=1)), **draw(availability(slot_ids)),
            "max_sessions_per_week": draw(st.sampled_from([0, 1, 2, 3, 4, 6])), "languages": draw(subset(LANGUAGES)),
        })

    participants = []
    for i in range(draw(st.integers(3, 15))):
        wants = st.lists(st.sampled_from(activity_ids), unique=True, min_size=draw(st.sampled_from([0, 1, 1, 1])))
        participants.append({
            "id": f"p{i}", "name": f"Participant {i}", "email": f"p{i}@example.org", **draw(availability(slot_ids)),
            "preferences": draw(wants), "max_groups": draw(st.sampled_from([0, 1, 1, 2, 2])),
            "needs": draw(st.one_of(st.just([]), st.just([]), subset(FEATURES, 1))),
            "languages": draw(st.one_of(st.just([]), subset(LANGUAGES, 1), st.just(list(LANGUAGES)))),
        })
    participant_ids = [p["id"] for p in participants]

    return {
        "format": "sociotherapy-scenario/1",
        "center": dict(CENTER),
        "slots": slot_list,
        "rooms": rooms,
        "activities": activities,
        "facilitators": facilitators,
        "participants": participants,
        "keep_apart": draw(pairs(participant_ids)),
        "keep_together": draw(pairs(participant_ids)),
    }
