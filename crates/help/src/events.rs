//! Calendar invitations for events (`.ics`, RFC 5545) through the `icalendar` crate.

use chrono::NaiveDateTime;
use icalendar::{Calendar, Component, Event, EventLike};

/// What an invitation says about an event.
#[derive(Debug, Clone)]
pub struct Invitation<'a> {
    /// Stable across mails for the same event, so calendars update rather than duplicate it.
    pub uid: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    /// Wall-clock time at the event's place: written as "floating" time, which calendars show
    /// as is (the site stores no time zones; events are local).
    pub starts: NaiveDateTime,
    pub minutes: i64,
    /// A street address, or the online link.
    pub location: &'a str,
    /// The event's page on the site.
    pub url: &'a str,
}

/// The `.ics` text of an invitation.
pub fn invitation_ics(inv: &Invitation<'_>) -> String {
    let event = Event::new()
        .uid(inv.uid)
        .summary(inv.title)
        .description(inv.description)
        .starts(inv.starts)
        .ends(inv.starts + chrono::Duration::minutes(inv.minutes.max(1)))
        .location(inv.location)
        .url(inv.url)
        .done();
    let mut calendar = Calendar::new();
    calendar.push(event);
    calendar.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invitation_has_the_event_times_as_floating_times_and_escaped_text() {
        let starts = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default().naive_utc();
        let ics = invitation_ics(&Invitation {
            uid: "event-7@demail",
            title: "Atelier; quitter Gmail, ensemble",
            description: "Apportez votre ordinateur",
            starts,
            minutes: 90,
            location: "Rennes",
            url: "https://demail.example/evenements/7",
        });
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
        assert!(ics.contains("UID:event-7@demail\r\n"));
        assert!(ics.contains(&format!("DTSTART:{}\r\n", starts.format("%Y%m%dT%H%M%S"))), "{ics}");
        let ends = starts + chrono::Duration::minutes(90);
        assert!(ics.contains(&format!("DTEND:{}\r\n", ends.format("%Y%m%dT%H%M%S"))));
        assert!(ics.contains("SUMMARY:Atelier\\; quitter Gmail\\, ensemble\r\n"), "{ics}");
    }
}
