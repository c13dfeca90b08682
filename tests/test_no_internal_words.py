"""No internal code or field name on a page a person reads: the main pages of the large example
scenario, rendered, their visible text scanned for group codes (act4-2), slot codes (MO-0900),
field names (max_size) and raw event names (swap.requested) or JSON."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from flask.testing import FlaskClient

from tests.large_center import large

__all__ = ["large"]  # the fixture

INTERNAL = re.compile(
    r"\bact\d+-\d+\b|\b(MO|TU|WE|TH|FR|SA|SU)-\d{4}\b"
    r"|\b(max_size|min_size|max_groups|min_groups|sessions_per_week|facilitators_per_group|required_skills"
    r"|room_features|max_sessions_per_week|if_needed|answered_at|calendar_label)\b"
    r"|\b(swap|meeting|person|seat|member|center|api_key|attendance)\.[a-z_]+\b|\{\"")


class VisibleText(HTMLParser):
    """What a reader sees or hears: text outside script and style, plus the attributes read aloud."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.hidden += 1
        for name, value in attrs:
            if name in ("aria-label", "title", "alt", "placeholder") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


PAGES = ["", "answers/", "participants/", "participants/?left_out=1", "facilitators/", "activities/",
         "schedule/", "schedule/versions/2", "schedule/versions/2?section=rosters",
         "schedule/versions/2?section=left-out", "schedule/versions/2?section=facilitators",
         "schedule/versions/2?section=rooms", "schedule/versions/2?section=pins&q=participant+1",
         "schedule/compare?a=1&b=2", "schedule/pins", "audit"]


@pytest.mark.parametrize("scanner", [INTERNAL])
def test_the_scanner_catches_what_it_looks_for(scanner: re.Pattern[str]) -> None:
    for leak in ("Community choir (act4-2)", "max_size: 12", "swap.requested", "MO-0900", '{"status": 1}'):
        assert scanner.search(visible(f"<p>{leak}</p>")), leak
    assert not scanner.search(visible('<p id="group-act4-2">Community choir, group 2</p><script>x.y_z</script>'))


def test_main_pages_at_600_people_show_no_internal_words(client: FlaskClient, large: int) -> None:
    # Something in the audit log: a pin (and the pages' own 'looked at' entries).
    client.post(f"/centers/{large}/schedule/versions/2/pins/participant", data={"participant": "p1"})
    leaks = {}
    for page in PAGES:
        response = client.get(f"/centers/{large}/{page}")
        assert response.status_code == 200, page
        found = sorted({m.group(0) for m in INTERNAL.finditer(visible(response.get_data(as_text=True)))})
        if found:
            leaks[page] = found[:5]
    assert leaks == {}
