"""Compare: key figures side by side and a plain verdict, worked out from the figures themselves."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from scheduler.extensions import db
from scheduler.models import ScheduleVersion
from scheduler.services import review, versions
from tests.large_center import large

__all__ = ["large"]  # the fixture


def figures(app: Flask, center_id: int, number: int) -> review.Figures:
    with app.app_context():
        row = db.session.query(ScheduleVersion).filter_by(center_id=center_id, number=number).one()
        data = versions.version_data(row)
        return review.version_view(data.scenario, data.schedule).figures


def test_the_verdict_names_the_version_with_more_people_placed(client: FlaskClient, app: Flask, large: int) -> None:
    one, two = figures(app, large, 1), figures(app, large, 2)
    html = client.get(f"/centers/{large}/schedule/compare?a=1&b=2").get_data(as_text=True)
    verdict = re.search(r'<p class="verdict" id="verdict"><strong>([^<]+)</strong>', html)
    assert verdict is not None
    sentence = verdict.group(1)
    if one.covered != two.covered:
        better = 2 if two.covered > one.covered else 1
        difference = abs(two.covered - one.covered)
        person = "person" if difference == 1 else "people"
        assert sentence.startswith(f"Version {better} is better: {difference} more {person} placed"), sentence
    elif one.first_choice != two.first_choice:
        assert "more first choice" in sentence, sentence
    # The figures side by side, with the better one marked.
    table = html[html.index("Key figures side by side"):html.index("</table>")]
    assert f"<td>{one.covered}" in table and f"<td>{two.covered}" in table
    assert "(better)" in table and not re.search(r"\bact\d+-\d+", table)


def test_a_version_compared_with_itself_is_as_good(client: FlaskClient, large: int) -> None:
    html = client.get(f"/centers/{large}/schedule/compare?a=2&b=2").get_data(as_text=True)
    assert "Versions 2 and 2 are as good as each other" in html and "Nobody moved." in html
    assert "Both were built on the same data" in html and "built on different data" not in html


def test_people_who_moved_are_paged_and_searchable(client: FlaskClient, large: int) -> None:
    html = client.get(f"/centers/{large}/schedule/compare?a=1&b=2").get_data(as_text=True)
    moved = html[html.index('id="moved"'):]
    assert len(re.findall(r'<tr><th scope="row">', moved)) <= 50
    name = re.search(r'<tr><th scope="row">([^<]+)</th>', moved)
    if name:
        found = client.get(f"/centers/{large}/schedule/compare?a=1&b=2&q={name.group(1)}").get_data(as_text=True)
        assert name.group(1) in found.split('id="moved"')[1]
