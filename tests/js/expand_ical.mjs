// Expands calendar feeds with ical.js (Thunderbird's parser), as a calendar app would.
//   node tests/js/expand_ical.mjs FROM TO FILE...   (FROM, TO: ISO dates, both inclusive)
// Prints one JSON object: for each file, every occurrence whose local date (in its own zone) falls from
// FROM to TO, with its start as a UTC instant, its local wall-clock start and zone, summary,
// description and location.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const [from, to, ...files] = process.argv.slice(2);
const localDay = (time) => time.toString().slice(0, 10);

function expand(text) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  for (const zone of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(zone);
  }
  const events = calendar.getAllSubcomponents("vevent");
  // A feed holds many series: each takes only the overrides (RECURRENCE-ID) with its own UID, as
  // Thunderbird groups them.
  const overrides = new Map();
  for (const component of events.filter((c) => c.hasProperty("recurrence-id"))) {
    const uid = component.getFirstPropertyValue("uid");
    overrides.set(uid, [...(overrides.get(uid) || []), component]);
  }
  const found = [];
  for (const component of events.filter((c) => !c.hasProperty("recurrence-id"))) {
    const uid = component.getFirstPropertyValue("uid");
    const event = new ICAL.Event(component, { strictExceptions: true, exceptions: overrides.get(uid) || [] });
    const iterator = event.iterator();
    for (let next = iterator.next(); next && localDay(next) <= to; next = iterator.next()) {
      const details = event.getOccurrenceDetails(next);
      if (localDay(details.startDate) < from || localDay(details.startDate) > to) continue;
      found.push({
        uid: event.uid,
        start: details.startDate.toJSDate().toISOString(),
        local: details.startDate.toString(),
        zone: details.startDate.zone ? details.startDate.zone.tzid : null,
        summary: details.item.summary,
        description: details.item.description || "",
        location: details.item.location || "",
        cancelled: (details.item.component.getFirstPropertyValue("status") || "") === "CANCELLED",
      });
    }
  }
  return found;
}

const result = {};
for (const file of files) {
  result[file] = expand(readFileSync(file, "utf8"));
}
process.stdout.write(JSON.stringify(result));
