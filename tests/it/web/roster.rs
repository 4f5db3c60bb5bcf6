//! The roster as an organizer works through it: ticking people to assign or
//! tag them at once, the orders by last conversation and by who is
//! responsible, and departments and shifts chosen from the chapter's own.

use super::{assert_self_contained, member_page, submit};
use crate::federation::create_chapter;
use crate::helpers::{fresh_database, spawn_instance_on};
use crate::members::{join, Account};
use unionhall_domain::Role;

/// Adds a record from the form; its id.
async fn add(organizer: &Account, fields: &[(&str, &str)]) -> String {
    let (status, text, location) = submit(organizer, "/chapters/bakers/members/new", fields).await;
    assert_eq!(status, 303, "{text}");
    location.unwrap().rsplit('/').next().unwrap().to_owned()
}

#[tokio::test]
async fn an_organizer_ticks_people_and_assigns_or_tags_them_at_once() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let olga = join(&a, "bakers", Role::Organizer, "olga").await;
    let ines = add(&olga, &[("name", "Ines Lead"), ("committee", "organizing")]).await;
    let rosa = add(&olga, &[("name", "Rosa Example")]).await;
    let tom = add(&olga, &[("name", "Tom Example")]).await;
    let ana = add(&olga, &[("name", "Ana Example")]).await;

    let back = "/chapters/bakers/roster?sort=assigned&page=1";
    let (_, roster) = member_page(&olga, back).await;
    assert_self_contained(&roster);
    assert!(roster.contains(&format!("<option value=\"{ines}\">Ines Lead</option>")));
    let (status, _, to) = submit(
        &olga,
        "/chapters/bakers/roster/selected",
        &[
            ("id", &rosa),
            ("id", &tom),
            ("act", "assign"),
            ("assignee", &ines),
            ("back", back),
        ],
    )
    .await;
    assert_eq!(status, 303);
    // Back on the same page, in the same order, saying what happened.
    let to = to.unwrap();
    assert!(
        to.starts_with(back) && to.ends_with("&done=assigned&changed=2"),
        "{to}"
    );
    let (_, roster) = member_page(&olga, &to).await;
    assert!(roster.contains("2 record(s) reassigned."), "{roster}");
    assert_eq!(roster.matches("· with Ines Lead").count(), 2, "{roster}");
    // By who is responsible: no one first, then Ines's people.
    let at = |name: &str| roster.find(&format!("<strong>{name}</strong>")).unwrap();
    assert!(at("Ana Example") < at("Rosa Example") && at("Ana Example") < at("Tom Example"));

    let (status, _, to) = submit(
        &olga,
        "/chapters/bakers/roster/selected",
        &[
            ("id", &rosa),
            ("id", &ana),
            ("act", "tag"),
            ("tag", "nights"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert!(to.unwrap().ends_with("&done=tagged&changed=2"));
    for (id, tagged) in [(&rosa, true), (&ana, true), (&tom, false)] {
        let (_, page) = member_page(&olga, &format!("/chapters/bakers/members/{id}")).await;
        assert_eq!(
            page.contains("<dt>Tags</dt><dd>nights</dd>"),
            tagged,
            "{page}"
        );
    }
    a.stop().await;
}

#[tokio::test]
async fn ticking_nothing_or_someone_elsewhere_is_refused_and_changes_nothing() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    create_chapter(&a, "brewers").await;
    let olga = join(&a, "bakers", Role::Organizer, "olga").await;
    let rosa = add(&olga, &[("name", "Rosa Example")]).await;
    let (status, text, _) = submit(
        &olga,
        "/chapters/bakers/roster/selected",
        &[("act", "tag"), ("tag", "nights")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(text.contains("tick the people first"), "{text}");
    let (status, text, _) = submit(
        &olga,
        "/chapters/bakers/roster/selected",
        &[
            ("id", &rosa),
            ("id", "99999"),
            ("act", "tag"),
            ("tag", "nights"),
        ],
    )
    .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("no member 99999 on this roster"), "{text}");
    let (_, page) = member_page(&olga, &format!("/chapters/bakers/members/{rosa}")).await;
    assert!(!page.contains("nights"), "one unknown record refuses all");
    // Only organizers of that chapter.
    let bea = join(&a, "brewers", Role::Organizer, "bea_brewer").await;
    let (status, _, _) = submit(
        &bea,
        "/chapters/bakers/roster/selected",
        &[("id", &rosa), ("act", "tag"), ("tag", "nights")],
    )
    .await;
    assert_eq!(status, 403);
    a.stop().await;
}

#[tokio::test]
async fn the_roster_puts_those_not_talked_to_longest_first() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let olga = join(&a, "bakers", Role::Organizer, "olga").await;
    let recent = add(&olga, &[("name", "Recent Talk")]).await;
    let old = add(&olga, &[("name", "Old Talk")]).await;
    add(&olga, &[("name", "Never Talked")]).await;
    for (id, date) in [
        (&recent, "2026-11-20"),
        (&old, "2026-03-02"),
        (&recent, "2026-01-05"),
    ] {
        let (status, text, _) = submit(
            &olga,
            &format!("/chapters/bakers/members/{id}/one-on-ones"),
            &[("date", date), ("by", "olga")],
        )
        .await;
        assert_eq!(status, 303, "{text}");
    }
    let (_, roster) = member_page(&olga, "/chapters/bakers/roster?sort=last_conversation").await;
    let at = |name: &str| roster.find(&format!("<strong>{name}</strong>")).unwrap();
    assert!(at("Never Talked") < at("Old Talk") && at("Old Talk") < at("Recent Talk"));
    assert!(
        roster.contains("never talked to") && roster.contains("last talked 2026-11-20"),
        "{roster}"
    );
    a.stop().await;
}

/// Two processes serve one chapter: a conversation logged through one moves
/// the record in the other's "last conversation" order at once (the dates
/// it keeps are read again when the chapter's conversations change).
#[tokio::test]
async fn a_conversation_logged_through_another_process_moves_the_record_at_once() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let olga = join(&a, "bakers", Role::Organizer, "olga").await;
    let rosa = add(&olga, &[("name", "Rosa Example")]).await;
    add(&olga, &[("name", "Sam Example")]).await;
    let second = crate::helpers::spawn_second_process(&a).await;
    let mut olga_there = olga.clone();
    olga_there.base = format!(
        "http://{}:{}",
        crate::helpers::host_name(second.addr.ip()),
        second.addr.port()
    )
    .parse()
    .unwrap();
    let order = "/chapters/bakers/roster?sort=last_conversation";
    let (_, roster) = member_page(&olga_there, order).await;
    assert_eq!(roster.matches("never talked to").count(), 2, "{roster}");

    let (status, text, _) = submit(
        &olga,
        &format!("/chapters/bakers/members/{rosa}/one-on-ones"),
        &[("date", "2026-11-20"), ("by", "olga")],
    )
    .await;
    assert_eq!(status, 303, "{text}");
    let (_, roster) = member_page(&olga_there, order).await;
    assert!(roster.contains("last talked 2026-11-20"), "{roster}");
    let at = |name: &str| roster.find(&format!("<strong>{name}</strong>")).unwrap();
    assert!(
        at("Sam Example") < at("Rosa Example"),
        "never talked to first"
    );
    second.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn departments_and_shifts_are_chosen_from_the_chapters_own() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let olga = join(&a, "bakers", Role::Organizer, "olga").await;
    // The first record names them; the form then offers them.
    add(
        &olga,
        &[
            ("name", "Rosa Example"),
            ("department", "Ovens"),
            ("shift", "Nights"),
        ],
    )
    .await;
    let (_, form) = member_page(&olga, "/chapters/bakers/members/new").await;
    assert_self_contained(&form);
    assert!(
        form.contains("<select id=\"department\" name=\"department\">"),
        "{form}"
    );
    assert!(form.contains("<option>Ovens</option>") && form.contains("<option>Nights</option>"));
    // A new word is added; one typed in another case takes the known spelling.
    let tom = add(
        &olga,
        &[
            ("name", "Tom Example"),
            ("department_new", " ovens"),
            ("shift_new", "Days"),
        ],
    )
    .await;
    let (_, page) = member_page(&olga, &format!("/chapters/bakers/members/{tom}")).await;
    assert!(
        page.contains("<dt>Department</dt><dd>Ovens</dd>")
            && page.contains("<dt>Shift</dt><dd>Days</dd>"),
        "{page}"
    );
    // The roster's filter offers the same words, once each.
    let (_, roster) = member_page(&olga, "/chapters/bakers/roster").await;
    assert_eq!(
        roster.matches("<option>Ovens</option>").count(),
        1,
        "{roster}"
    );
    assert!(roster.contains("<option>Days</option>"));
    let (_, ovens) = member_page(&olga, "/chapters/bakers/roster?department=Ovens").await;
    assert!(ovens.contains("2 shown") && ovens.contains("<option selected>Ovens</option>"));
    a.stop().await;
}
