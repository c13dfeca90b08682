"""A short glossary of the words the coordinator's pages use, linked from every signed-in page."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from flask_login import login_required

bp = Blueprint("glossary", __name__)

# (anchor, word, meaning), in the order someone meets them when planning a term. The anchors are
# stable, so a page can link to one word (/glossary#pin).
TERMS = (
    ("term", _l("Term"), _l("The weeks the groups run, from a start date to an end date. Holidays inside it "
                            "have no meetings.")),
    ("slot", _l("Weekly slot"), _l("A time in the week when groups can meet, for example Monday 09:00 to "
                                   "10:15. The same slots repeat every week of the term.")),
    ("activity", _l("Activity"), _l("What the center offers, for example art therapy. An activity has one or more "
                                    "groups; each group meets in its own slots.")),
    ("group", _l("Group"), _l("A few participants and their facilitators who meet for one activity, in the same "
                              "room and at the same times each week.")),
    ("meeting", _l("Meeting"), _l("One date on which a group meets. One meeting can be cancelled, or led by "
                                  "someone else, without changing the others.")),
    ("facilitator", _l("Facilitator"), _l("A member of staff who leads groups. Their skills and languages decide "
                                          "which groups they can lead.")),
    ("participant", _l("Participant"), _l("A person who takes part in groups. They say when they can come and "
                                          "which activities they want, most wanted first.")),
    ("if-need-be", _l("If need be"), _l("A time someone can manage, but would rather not. It is used only when "
                                        "there is no better way.")),
    ("pairs", _l("Kept apart, joining together"), _l("Two participants who must never be in the same group, or "
                                                     "who should be in the same group.")),
    ("version", _l("Version"), _l("One schedule built from the planning data: its groups, their times, rooms, "
                                  "facilitators and members. Each build makes a new version.")),
    ("draft", _l("Draft and published"), _l("A new version is a draft, seen only by coordinators. Publishing it "
                                            "makes it the schedule that facilitators, participants and their "
                                            "calendars see.")),
    ("score", _l("Score"), _l("How much a version misses of what people asked for (lower is better). The best "
                              "possible score says how close it is to perfect.")),
    ("pin", _l("Pin"), _l("A part of a version to keep when the schedule is built again: a group's times, room, "
                          "facilitators or members, or the groups of one participant.")),
    ("cover", _l("Cover"), _l("When a facilitator cannot lead a meeting, a colleague leads it instead. A swap is "
                              "two facilitators trading meetings.")),
    ("waiting-list", _l("Waiting list"), _l("Participants who want an activity but have no place in it yet. When "
                                            "a seat is free, it is offered to the first one on the list who fits.")),
    ("personal-link", _l("Personal link"), _l("The private address a participant uses to open their own page, "
                                              "without a password. It can be sent again or stopped.")),
    ("outbox", _l("Outbox"), _l("Every email the scheduler has sent or is waiting to send.")),
    ("audit-log", _l("Audit log"), _l("A record of who changed what, and when, including who looked at a "
                                      "person's data.")),
)


@bp.get("/glossary")
@login_required
def index() -> str:
    return render_template("glossary/index.html", terms=TERMS)
