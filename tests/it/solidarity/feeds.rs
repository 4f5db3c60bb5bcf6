//! A chapter's Atom feed and calendar, as a feed reader and a calendar app get
//! them: public things only.

use crate::federation::create_chapter;
use crate::helpers::spawn_instance;
use crate::members::join;
use serde_json::json;
use unionhall_domain::Role;

#[tokio::test]
async fn a_chapter_has_an_atom_feed_and_a_calendar_of_its_public_pickets() {
    let instance = spawn_instance().await;
    create_chapter(&instance, "bakers").await;
    let organizer = join(&instance, "bakers", Role::Organizer, "olga").await;
    unionhall_federation::activities::post::publish_note(
        &instance.data,
        "bakers",
        "Open meeting <Tuesday>",
    )
    .await
    .unwrap();
    organizer
        .post(
            "/api/v1/chapters/bakers/calls",
            json!({"call": {"kind": "picket", "title": "Picket, gate 3", "starts_at": 2_145_155_200_000i64,
                            "ends_at": 2_145_158_800_000i64, "place": {"address": "Gate 3; Mill Road"}}}),
        )
        .await;
    organizer
        .post(
            "/api/v1/chapters/bakers/calls",
            json!({"call": {"kind": "turnout", "title": "Followers only", "starts_at": 2_145_155_200_000i64},
                   "audience": "followers"}),
        )
        .await;

    let atom = instance
        .client
        .get(instance.at("/actors/bakers/feed.atom"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        atom.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let atom = atom.text().await.unwrap();
    assert!(
        atom.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">"),
        "{atom}"
    );
    assert!(
        atom.contains("Open meeting &amp;lt;Tuesday&amp;gt;"),
        "{atom}"
    );
    assert!(
        atom.contains("<title>Picket: Picket, gate 3</title>"),
        "{atom}"
    );
    assert!(!atom.contains("Followers only"), "only public things");

    let ics = instance
        .client
        .get(instance.at("/actors/bakers/calendar.ics"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        ics.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    let ics = ics.text().await.unwrap();
    assert!(ics.contains("BEGIN:VEVENT\r\n"), "{ics}");
    assert!(
        ics.contains("SUMMARY:Picket: Picket\\, gate 3\r\n"),
        "{ics}"
    );
    assert!(ics.contains("LOCATION:Gate 3\\; Mill Road\r\n"), "{ics}");
    assert!(ics.contains("DTSTART:20371223T042640Z\r\n"), "{ics}");
    assert!(!ics.contains("Followers only"));
    let missing = instance
        .client
        .get(instance.at("/actors/nobody/calendar.ics"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    instance.stop().await;
}
