//! Times people can trust, and a page for every call and strike: a chapter's
//! time zone, a picket posted in local time read at the same wall-clock time
//! on another instance, the call's and strike's own pages, and who of the
//! chapter is coming, for its organizers only.

use super::{assert_self_contained, member_page, page, post_call, submit, HTML};
use crate::federation::{create_chapter, follow_and_wait};
use crate::helpers::{fresh_database, spawn_instance_on, wait_for};
use crate::members::{browser, join};
use unionhall_domain::Role;
use unionhall_store::calls;

/// The first `/call/N` link of a page.
fn call_link(html: &str) -> String {
    let start = html.find("href=\"/call/").expect("a link to a call") + "href=\"".len();
    html[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_picket_posted_in_new_york_time_reads_the_same_on_another_instance() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    create_chapter(&b, "millers").await;
    follow_and_wait(&b, &a, "bakers").await;
    let ada = join(&a, "bakers", Role::Admin, "ada").await;
    let sam = join(&b, "millers", Role::Member, "sam").await;

    // The bakers' admin sets their zone; a name that is no zone changes nothing.
    let (status, text, _) = submit(
        &ada,
        "/groups/bakers/time-zone",
        &[("time_zone", "Mars/Base")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(text.contains("is not a time zone"), "{text}");
    let (status, _, location) = submit(
        &ada,
        "/groups/bakers/time-zone",
        &[("time_zone", "America/New_York")],
    )
    .await;
    assert_eq!(status, 303);
    let (_, people) = member_page(&ada, &location.unwrap()).await;
    assert!(
        people.contains("<strong>America/New_York</strong>"),
        "{people}"
    );
    assert!(people.contains("Done: the time zone is set."));
    // A member of the chapter may not change it.
    let member = join(&a, "bakers", Role::Member, "morgan").await;
    let (status, ..) = submit(&member, "/groups/bakers/time-zone", &[("time_zone", "UTC")]).await;
    assert_eq!(status, 403);

    // The form says which clocks its times are on; 02:30 on the morning
    // clocks go forward does not exist there, and is refused next to its field.
    let (_, form) = member_page(&ada, "/chapters/bakers/calls/new").await;
    assert!(form.contains("America/New_York time"), "{form}");
    let picket = |starts: &'static str| {
        vec![
            ("kind", "picket"),
            ("title", "Picket at gate 3"),
            ("address", "Gate 3, 40 River Road"),
            ("people", "10"),
            ("starts_at", starts),
            ("ends_at", "2037-03-08T09:00"),
        ]
    };
    let (status, text, _) = submit(
        &ada,
        "/chapters/bakers/calls/new",
        &picket("2037-03-08T02:30"),
    )
    .await;
    assert_eq!(status, 400);
    assert!(text.contains("id=\"starts_at-error\""), "{text}");
    assert!(text.contains("clocks skip"), "{text}");
    assert!(
        text.contains("value=\"2037-03-08T02:30\""),
        "what was typed is kept"
    );
    let (status, ..) = submit(
        &ada,
        "/chapters/bakers/calls/new",
        &picket("2037-03-08T06:00"),
    )
    .await;
    assert_eq!(status, 303);

    // On the wire: UTC times and the zone they were posted in.
    let call = calls::all(&a.store).await.unwrap().pop().unwrap();
    let json: serde_json::Value = browser()
        .get(call.ap_id.clone())
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json["startTime"], "2037-03-08T10:00:00.000Z", "06:00 EDT");
    assert_eq!(json["timezone"], "America/New_York");

    // Sam reads in Berlin time: the picket is at 06:00 on the clocks at the
    // gate, and 11:00 on his.
    let (status, text, _) =
        submit(&sam, "/account/time-zone", &[("time_zone", "Nowhere/Land")]).await;
    assert_eq!(status, 400);
    assert!(text.contains("is not a time zone"), "{text}");
    let (_, account) = member_page(&sam, "/account").await;
    assert!(
        account.contains("<strong>UTC</strong> time, your chapter"),
        "unchanged: {account}"
    );
    let (status, _, location) = submit(
        &sam,
        "/account/time-zone",
        &[("time_zone", "Europe/Berlin")],
    )
    .await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/account?done=time-zone"))
    );
    let (_, account) = member_page(&sam, "/account").await;
    assert!(account.contains("<strong>Europe/Berlin</strong>"));
    wait_for("the call to reach B", 10, || async {
        member_page(&sam, "/").await.1.contains("Picket at gate 3")
    })
    .await;
    let (_, board) = member_page(&sam, "/").await;
    let there = "Sun 8 Mar 2037, 06:00 to 09:00 EDT";
    let his = "(your time: Sun 8 Mar 2037, 11:00 to 14:00 CET)";
    assert!(board.contains(there) && board.contains(his), "{board}");
    assert!(board.contains("Where:</strong> Gate 3, 40 River Road"));

    // The card leads to the call's own page, with the map a link away.
    let link = call_link(&board);
    let (status, call_page) = member_page(&sam, &link).await;
    assert_eq!(status, 200);
    assert_self_contained(&call_page);
    assert!(
        call_page.contains(there) && call_page.contains(his),
        "{call_page}"
    );
    assert!(call_page
        .contains("href=\"https://www.openstreetmap.org/search?query=Gate+3%2C+40+River+Road\""));
    assert!(call_page.contains("0 of 10 people") || call_page.contains("No pledges yet"));

    // Pledging from the page comes back to it, and it says so.
    let (status, _, location) = submit(
        &sam,
        &format!("/calls/{}/pledge", &link["/call/".len()..]),
        &[("chapter", "millers"), ("kind", "attend"), ("back", "call")],
    )
    .await;
    assert_eq!(status, 303);
    let location = location.unwrap();
    assert_eq!(location, format!("{link}?done=pledged"));
    let (_, call_page) = member_page(&sam, &location).await;
    assert!(call_page.contains("Done: your pledge is counted."));
    assert!(
        call_page.contains("You pledged: I&#39;ll be there"),
        "{call_page}"
    );

    // A person following the call's id from elsewhere gets its page, and the
    // chapter's calendar links there too.
    let response = browser()
        .get(call.ap_id.clone())
        .header("accept", HTML)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let to = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(to, format!("/call/{}", call.id));
    let (status, _, visitor_page) = page(&a, &to).await;
    assert_eq!(status, 200);
    assert!(
        visitor_page.contains(there),
        "a visitor reads the chapter's own clocks"
    );
    let (_, _, calendar) = page(&a, "/actors/bakers/calendar.ics").await;
    assert!(
        calendar.contains(&format!("URL:{}", a.at(&to))),
        "{calendar}"
    );
}

/// From the sign-in sheet, an organizer keeps who pledged on their records
/// as a tag (the pledges themselves are forgotten a month after the call); a
/// member may not, and one who pledged without a record is counted apart.
#[tokio::test]
async fn an_organizer_tags_the_records_of_who_pledged_from_the_sign_in_sheet() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let olga = join(&a, "bakers", Role::Organizer, "olga").await;
    let sam = join(&a, "bakers", Role::Member, "sam").await;
    let tess = join(&a, "bakers", Role::Member, "tess").await;
    // Sam's account is linked to his record (by an invitation naming it).
    let (status, created) = olga
        .post(
            "/api/v1/chapters/bakers/members",
            crate::members::marked_record("S", "+1 555 0101"),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{created}");
    let record_id = created["id"].as_i64().unwrap();
    let group = a.members.group("bakers").await.unwrap();
    let invite = a
        .members
        .create_invite(None, &group, Role::Member, Some(record_id))
        .await
        .unwrap();
    let link = a.url.join(&format!("/invite/{}", invite.token)).unwrap();
    assert_eq!(
        crate::members::accept_logged_in(&sam, &link)
            .await
            .status()
            .as_u16(),
        303
    );
    let id = post_call(&a, "bakers", "Turn out for the hearing", 20).await;
    for who in [&sam, &tess] {
        let pledge = &[("chapter", "bakers"), ("kind", "attend")];
        let (status, ..) = submit(who, &format!("/calls/{id}/pledge"), pledge).await;
        assert_eq!(status, 303);
    }

    let (_, sheet) = member_page(&olga, &format!("/call/{id}")).await;
    assert!(sheet.contains("Tag their records"), "{sheet}");
    assert!(
        sheet.contains("value=\"Turn out for the hearing "),
        "{sheet}"
    );
    let (_, seen) = member_page(&sam, &format!("/call/{id}")).await;
    assert!(!seen.contains("Tag their records"));
    let tag = &[("chapter", "bakers"), ("tag", "came to the hearing")];
    let path = format!("/calls/{id}/tag-pledgers");
    let (status, ..) = submit(&sam, &path, tag).await;
    assert_eq!(status, 403, "a member may not change the roster");
    let (status, _, location) = submit(&olga, &path, tag).await;
    assert_eq!(status, 303);
    let (_, done) = member_page(&olga, &location.unwrap()).await;
    assert!(done.contains("Done: 1 record newly tagged."), "{done}");
    assert!(done.contains("1 who pledged have no record"), "{done}");
    let (_, record) = olga
        .get(&format!("/api/v1/chapters/bakers/members/{record_id}"))
        .await;
    assert_eq!(
        record["tags"],
        serde_json::json!(["tagS", "came to the hearing"])
    );
    // Again: nothing new to tag; an empty tag is refused.
    let (_, _, location) = submit(&olga, &path, tag).await;
    let (_, again) = member_page(&olga, &location.unwrap()).await;
    assert!(again.contains("Done: 0 records newly tagged."), "{again}");
    let (status, ..) = submit(&olga, &path, &[("chapter", "bakers"), ("tag", " ")]).await;
    assert_eq!(status, 400);

    // The same through the API: the sheet, then a tag.
    let sheet_path = format!("/api/v1/calls/{id}/pledgers/bakers");
    let (status, sheet) = olga.get(&sheet_path).await;
    assert_eq!(status.as_u16(), 200, "{sheet}");
    let names: Vec<&str> = sheet
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap_or("-"))
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"NameS") && names.contains(&"-"), "{sheet}");
    let (status, _) = sam.get(&sheet_path).await;
    assert_eq!(status.as_u16(), 403);
    let tag_path = format!("{sheet_path}/tag");
    let (status, body) = olga
        .post(&tag_path, serde_json::json!({"tag": "kept by the API"}))
        .await;
    assert_eq!(status.as_u16(), 200, "{body}");
    assert_eq!(body, serde_json::json!({"tagged": 1, "without_record": 1}));
    let (status, _) = olga
        .post(&tag_path, serde_json::json!({"label": "x"}))
        .await;
    assert_eq!(status.as_u16(), 400);
    let (status, _) = olga
        .post(
            "/api/v1/calls/9999/pledgers/bakers/tag",
            serde_json::json!({"tag": "x"}),
        )
        .await;
    assert_eq!(status.as_u16(), 404);
    let (_, record) = olga
        .get(&format!("/api/v1/chapters/bakers/members/{record_id}"))
        .await;
    assert_eq!(
        record["tags"],
        serde_json::json!(["tagS", "came to the hearing", "kept by the API"])
    );
}

#[tokio::test]
async fn organizers_see_who_of_their_chapter_is_coming_and_no_one_else_does() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let olga = join(&a, "bakers", Role::Organizer, "olga").await;
    let sam = join(&a, "bakers", Role::Member, "sam").await;
    let tess = join(&a, "bakers", Role::Member, "tess").await;
    let id = post_call(&a, "bakers", "Turn out for the hearing", 20).await;
    for who in [&sam, &tess] {
        let (status, ..) = submit(
            who,
            &format!("/calls/{id}/pledge"),
            &[("chapter", "bakers"), ("kind", "attend")],
        )
        .await;
        assert_eq!(status, 303);
    }

    let (status, sheet) = member_page(&olga, &format!("/call/{id}")).await;
    assert_eq!(status, 200);
    assert_self_contained(&sheet);
    assert!(sheet.contains("Who is coming from @bakers"), "{sheet}");
    assert!(sheet.contains("<td>sam</td>") && sheet.contains("<td>tess</td>"));
    assert!(sheet.contains("2 pledged"));

    // A member sees the total, not the names; a visitor the same.
    let (_, seen) = member_page(&sam, &format!("/call/{id}")).await;
    assert!(!seen.contains("Who is coming") && !seen.contains("<td>tess</td>"));
    assert!(seen.contains("2 of 20 people"), "{seen}");
    let (status, _, visited) = page(&a, &format!("/call/{id}")).await;
    assert_eq!(status, 200);
    assert!(!visited.contains("tess") && !visited.contains("I'll be there"));

    // Each look is in the audit log.
    let admin = join(&a, "bakers", Role::Admin, "ada").await;
    let (_, audit) = member_page(&admin, "/groups/bakers/audit").await;
    assert!(audit.contains("looked at who pledged to a call"), "{audit}");

    // A call nobody posted is not there.
    let (status, ..) = page(&a, "/call/9999").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_strike_has_a_page_with_its_demands_shifts_and_history() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let ada = join(&a, "bakers", Role::Admin, "ada").await;
    submit(
        &ada,
        "/groups/bakers/time-zone",
        &[("time_zone", "Europe/Berlin")],
    )
    .await;
    let (status, _, location) = submit(
        &ada,
        "/chapters/bakers/strikes/new",
        &[
            ("employer", "Big Bread"),
            ("demands", "A contract\nSafe staffing"),
            ("picket_address", "Gate 3"),
            ("shift_starts", "2037-12-01T06:00"),
            ("shift_ends", "2037-12-01T10:00"),
            ("shift_needed", "4"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let id = location.unwrap().split('/').nth(2).unwrap().to_owned();
    let (status, _, strike) = page(&a, &format!("/strike/{id}")).await;
    assert_eq!(status, 200);
    assert_self_contained(&strike);
    assert!(strike.contains("<li>A contract</li>") && strike.contains("<li>Safe staffing</li>"));
    assert!(
        strike.contains("Tue 1 Dec 2037, 06:00 to 10:00 CET, Gate 3"),
        "{strike}"
    );
    assert!(strike.contains("Strike announced"), "its history");
    // The shift is a call with a page of its own.
    let shift = call_link(&strike);
    let (status, _, shift_page) = page(&a, &shift).await;
    assert_eq!(status, 200);
    assert!(
        shift_page.contains(&format!("href=\"/strike/{id}\"")),
        "{shift_page}"
    );
    // The board's card links to the strike's page.
    let (_, board) = member_page(&ada, "/").await;
    assert!(board.contains(&format!("href=\"/strike/{id}\"")));
}

#[tokio::test]
async fn an_organizer_corrects_a_pickets_time_and_members_elsewhere_read_the_new_one() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    create_chapter(&b, "millers").await;
    follow_and_wait(&b, &a, "bakers").await;
    let ada = join(&a, "bakers", Role::Admin, "ada").await;
    let sam = join(&b, "millers", Role::Member, "sam").await;
    let (status, ..) = submit(
        &ada,
        "/groups/bakers/time-zone",
        &[("time_zone", "America/Chicago")],
    )
    .await;
    assert_eq!(status, 303);
    let picket = |starts: &'static str, address: &'static str| {
        vec![
            ("kind", "picket"),
            ("title", "Picket at the depot"),
            ("address", address),
            ("people", "12"),
            ("starts_at", starts),
            ("ends_at", "2037-12-14T10:00"),
        ]
    };
    let (status, ..) = submit(
        &ada,
        "/chapters/bakers/calls/new",
        &picket("2037-12-14T07:00", "Depot gate"),
    )
    .await;
    assert_eq!(status, 303);
    let id = calls::all(&a.store).await.unwrap().pop().unwrap().id;

    // The call's page leads to the form, filled on the chapter's clocks.
    let (_, call_page) = member_page(&ada, &format!("/call/{id}")).await;
    assert!(call_page.contains(&format!("href=\"/calls/{id}/edit\"")));
    let (status, form) = member_page(&ada, &format!("/calls/{id}/edit")).await;
    assert_eq!(status, 200);
    assert_self_contained(&form);
    assert!(
        form.contains("value=\"2037-12-14T07:00\"") && form.contains("America/Chicago time"),
        "{form}"
    );
    // A mistake is shown next to its field and changes nothing.
    let mut wrong = picket("2037-12-14T06:00", "North gate");
    wrong[3] = ("people", "none");
    let (status, text, _) = submit(&ada, &format!("/calls/{id}/edit"), &wrong).await;
    assert_eq!(status, 400);
    assert!(text.contains("id=\"goal-error\""), "{text}");
    // Members may not correct it.
    let morgan = join(&a, "bakers", Role::Member, "morgan").await;
    let (status, ..) = submit(
        &morgan,
        &format!("/calls/{id}/edit"),
        &picket("2037-12-14T06:00", "North gate"),
    )
    .await;
    assert_eq!(status, 403);

    let (status, _, to) = submit(
        &ada,
        &format!("/calls/{id}/edit"),
        &picket("2037-12-14T06:00", "North gate"),
    )
    .await;
    assert_eq!(
        (status, to.as_deref()),
        (303, Some(format!("/call/{id}?done=corrected").as_str()))
    );
    let (_, call_page) = member_page(&ada, &to.unwrap()).await;
    assert!(call_page.contains("the call is corrected"), "{call_page}");
    // Sam, on the other instance, reads the new time and place.
    let new_time = "Mon 14 Dec 2037, 06:00 to 10:00 CST";
    wait_for("the correction to reach B", 10, || async {
        member_page(&sam, "/").await.1.contains(new_time)
    })
    .await;
    let (_, board) = member_page(&sam, "/").await;
    assert!(board.contains("North gate") && !board.contains("Depot gate"));
    // A withdrawn call is no longer corrected.
    let (status, ..) = submit(
        &ada,
        &format!("/calls/{id}/status"),
        &[("status", "withdrawn"), ("confirmed", "yes")],
    )
    .await;
    assert_eq!(status, 303);
    let (status, _) = member_page(&ada, &format!("/calls/{id}/edit")).await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn a_picket_typed_with_last_years_date_is_refused_next_to_its_field() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let ada = join(&a, "bakers", Role::Organizer, "ada").await;
    let (status, text, _) = submit(
        &ada,
        "/chapters/bakers/calls/new",
        &[
            ("kind", "picket"),
            ("title", "Picket at gate 3"),
            ("starts_at", "2025-03-08T06:00"),
            ("ends_at", "2025-03-08T09:00"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(text.contains("id=\"ends_at-error\""), "{text}");
    assert!(
        text.contains("Ends: is in the past, so the call would be over already"),
        "{text}"
    );
    assert!(
        text.contains("value=\"2025-03-08T06:00\""),
        "what was typed is kept"
    );
    assert!(calls::all(&a.store).await.unwrap().is_empty());
    a.stop().await;
}
