//! Running a chapter and an instance from the pages: picket shifts added to a
//! strike, a roster imported from a spreadsheet, an invitation tied to a member
//! record, roles and the audit log, and the admin's federation controls.

use super::{assert_self_contained, member_page, page_of, submit, submit_for_invitation};
use crate::federation::create_chapter;
use crate::helpers::{fresh_database, spawn_instance_on};
use crate::members::{accept, join, join_instance_admin, set_cookie, PASSWORD};
use unionhall_domain::Role;

#[tokio::test]
async fn an_organizer_adds_picket_shifts_to_a_strike() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let olga = join(&a, "bakers", Role::Organizer, "olga").await;
    let (status, _, location) = submit(
        &olga,
        "/chapters/bakers/strikes/new",
        &[("employer", "Acme Bakeries"), ("workplace", "Plant 2")],
    )
    .await;
    assert_eq!(status, 303);
    let manage = location.unwrap();
    let (_, page) = member_page(&olga, &manage).await;
    assert_self_contained(&page);
    let shifts = manage.replace("/manage", "/shifts");
    let (status, text, _) = submit(
        &olga,
        &shifts,
        &[
            ("address", "Gate 3"),
            ("starts", "tomorrow"),
            ("needed", "4"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        text.contains("Starts: needs a date and a time, such as 2026-12-01T06:00"),
        "{text}"
    );
    for (address, starts, ends) in [
        ("Gate 3", "2037-12-01T06:00", "2037-12-01T10:00"),
        ("Gate 3", "2037-12-01T10:00", "2037-12-01T14:00"),
        ("Main entrance", "2037-12-01T06:00", "2037-12-01T10:00"),
    ] {
        let (status, text, location) = submit(
            &olga,
            &shifts,
            &[
                ("address", address),
                ("starts", starts),
                ("ends", ends),
                ("needed", "6"),
            ],
        )
        .await;
        assert_eq!(status, 303, "{text}");
        let (_, page) = member_page(&olga, &location.unwrap()).await;
        assert!(page.contains("followers see the new shift"));
    }
    // Two picket lines, three shifts, each a call people pledge to.
    let (_, chapter) = page_of(&a, "/actors/bakers").await;
    assert_eq!(chapter.matches("<h4>Picket line:").count(), 2, "{chapter}");
    assert_eq!(chapter.matches("6 people needed").count(), 3);
    assert_eq!(chapter.matches("Picket line at Gate 3").count(), 2);
    // Once the strike has ended, no more shifts.
    let status_path = manage.replace("/manage", "/status");
    let (status, _, _) = submit(
        &olga,
        &status_path,
        &[
            ("status", "ended"),
            ("text", "Back to work"),
            ("confirmed", "yes"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (status, text, _) = submit(
        &olga,
        &shifts,
        &[
            ("address", "Gate 3"),
            ("starts", "2037-12-02T06:00"),
            ("ends", "2037-12-02T10:00"),
            ("needed", "6"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(text.contains("no more shifts"));
}

#[tokio::test]
async fn an_admin_imports_the_roster_and_invites_a_member_to_their_record() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let ada = join(&a, "bakers", Role::Admin, "ada").await;
    let sam = join(&a, "bakers", Role::Member, "sam").await;
    for path in ["/login", "/invite/uhi_not_one"] {
        let (_, page) = page_of(&a, path).await;
        assert_self_contained(&page);
    }

    let (status, form) = member_page(&ada, "/chapters/bakers/import").await;
    assert_eq!(status, 200);
    assert_self_contained(&form);
    // One bad line: nothing imported, the text kept, the line named.
    let bad = "name,department,assessment\nRosa Parks,Ovens,2\nJoe Hill,Packing,9\n";
    let (status, text, _) = submit(&ada, "/chapters/bakers/import", &[("text", bad)]).await;
    assert_eq!(status, 400);
    assert!(
        text.contains("line 3") && text.contains("Joe Hill,Packing,9"),
        "{text}"
    );
    let (_, roster) = member_page(&ada, "/chapters/bakers/roster").await;
    assert!(roster.contains("0 shown"));
    let good = "name,department,assessment\nRosa Parks,Ovens,2\nJoe Hill,Packing,3\n";
    let (status, _, location) = submit(&ada, "/chapters/bakers/import", &[("text", good)]).await;
    assert_eq!(status, 303, "post, then redirect");
    let done = location.unwrap();
    // Reloading the page it lands on says what was done and imports nothing.
    for _ in 0..2 {
        let (_, page) = member_page(&ada, &done).await;
        assert!(page.contains("2 added, 0 updated"), "{page}");
    }
    let (_, roster) = member_page(&ada, "/chapters/bakers/roster").await;
    assert!(roster.contains("2 shown"), "{roster}");
    // A member may not import.
    let (status, _) = member_page(&sam, "/chapters/bakers/import").await;
    assert_eq!(status, 403);

    // Rosa is invited to log in and see her own record.
    let (_, roster) = member_page(&ada, "/chapters/bakers/roster?q=Rosa").await;
    let member = roster
        .split("href=\"")
        .map(|rest| rest.split('"').next().unwrap())
        .find(|path| {
            path.strip_prefix("/chapters/bakers/members/")
                .is_some_and(|id| id.parse::<i64>().is_ok())
        })
        .expect("a member's page")
        .to_owned();
    let (_, record) = member_page(&ada, &member).await;
    let start = record
        .find("href=\"/groups/bakers/invites?member=")
        .unwrap()
        + 6;
    let invite_page = record[start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let (status, form) = member_page(&ada, &invite_page).await;
    assert_eq!(status, 200);
    assert_self_contained(&form);
    let id = invite_page.rsplit('=').next().unwrap();
    assert!(form.contains(&format!("value=\"{id}\"")));
    assert!(form.contains("value=\"admin\""), "an admin may make admins");
    let (text, shown_at) = submit_for_invitation(
        &ada,
        "/groups/bakers/invites",
        &[("role", "member"), ("member_id", id)],
    )
    .await;
    // Reloading the page makes no second invitation and shows no link.
    let (status, again) = member_page(&ada, &shown_at).await;
    assert_eq!(status, 200);
    assert!(!again.contains("/invite/uhi_") && again.contains("shown only once"));
    let start = text.find("<code>").unwrap() + "<code>".len();
    let link: url::Url = text[start..].split('<').next().unwrap().parse().unwrap();
    let joined = accept(&link, "rosa", PASSWORD).await;
    assert_eq!(joined.status().as_u16(), 303);
    let rosa =
        crate::members::account_from_cookie(&a.url, set_cookie(&joined, "uh_session").unwrap())
            .await;
    let (status, me) = rosa.get("/api/v1/me/record").await;
    assert_eq!(status, 200);
    assert_eq!(me["name"], "Rosa Parks", "{me}");
    // Her board leads to the list of coworkers she talks to.
    let (_, board) = member_page(&rosa, "/").await;
    assert!(
        board.contains("href=\"/chapters/bakers/my-list\""),
        "{board}"
    );
    let (status, _) = member_page(&rosa, "/chapters/bakers/my-list").await;
    assert_eq!(status, 200);
    let (_, board) = member_page(&sam, "/").await;
    assert!(!board.contains("/my-list"), "sam has no record of his own");
    // A member cannot hand out roles.
    let (status, _) = member_page(&sam, "/groups/bakers/invites").await;
    assert_eq!(status, 403);

    // Roles: ada makes sam an organizer; the last admin cannot step down.
    // The chapter's admin finds its people from the account page.
    let (_, account) = member_page(&ada, "/account").await;
    assert!(
        account.contains("href=\"/groups/bakers/people\""),
        "{account}"
    );
    let (status, people) = member_page(&ada, "/groups/bakers/people").await;
    assert_eq!(status, 200);
    assert_self_contained(&people);
    assert!(people.contains("<td>sam</td><td>member</td>"), "{people}");
    let (status, _, _) = submit(
        &ada,
        "/groups/bakers/roles",
        &[("username", "sam"), ("role", "organizer")],
    )
    .await;
    assert_eq!(status, 200);
    let (_, people) = member_page(&ada, "/groups/bakers/people").await;
    assert!(people.contains("<td>sam</td><td>organizer</td>"));
    let (status, text, _) = submit(
        &ada,
        "/groups/bakers/roles",
        &[("username", "ada"), ("role", "none")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(text.contains("last one"));
    // The audit log shows the import, the invitation and the role change.
    let (status, audit) = member_page(&ada, "/groups/bakers/audit").await;
    assert_eq!(status, 200);
    assert_self_contained(&audit);
    // In words, not the codes the log keeps.
    for action in [
        "imported into the roster",
        "made an invitation",
        "changed a role",
    ] {
        assert!(audit.contains(action), "{action} missing: {audit}");
    }
    assert!(!audit.contains("roster.imported"), "{audit}");
    let (status, _) = member_page(&sam, "/groups/bakers/audit").await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn the_admin_page_runs_federation_and_creates_a_union_body() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let ada = join_instance_admin(&a, "bakers", Role::Admin, "ada").await;
    // A chapter's admin does not run the instance: not a page, not a form.
    let bea = join(&a, "bakers", Role::Admin, "bea").await;
    let (status, _) = member_page(&bea, "/admin").await;
    assert_eq!(status, 403);
    let (status, _, _) = submit(&bea, "/admin/mode", &[("mode", "allowlist")]).await;
    assert_eq!(status, 403);
    let (status, _, _) = submit(
        &bea,
        "/admin/chapters",
        &[("handle", "ovens"), ("name", "Oven workers")],
    )
    .await;
    assert_eq!(status, 403);
    assert!(a.members.group("ovens").await.is_err());

    let (text, _) = submit_for_invitation(
        &ada,
        "/admin/chapters",
        &[
            ("kind", "union"),
            ("handle", "foodunion"),
            ("name", "Food union"),
        ],
    )
    .await;
    assert!(text.contains("Union body @foodunion created."), "{text}");
    assert!(text.contains("/invite/uhi_"), "{text}");
    let body = a.members.group("foodunion").await.unwrap();
    assert_eq!(body.kind, unionhall_domain::ActorKind::Union);

    for (path, fields) in [
        (
            "/admin/block",
            vec![("domain", "spam.example"), ("reason", "spam")],
        ),
        (
            "/admin/allow",
            vec![("domain", "friends.example"), ("change", "add")],
        ),
        ("/admin/mode", vec![("mode", "allowlist")]),
    ] {
        let (status, _, _) = submit(&ada, path, &fields).await;
        assert_eq!(status, 303, "{path}");
    }
    let (_, admin) = member_page(&ada, "/admin").await;
    assert_self_contained(&admin);
    assert!(admin.contains("Mode: <strong>allowlist</strong>"));
    assert!(admin.contains("<strong>spam.example</strong>"));
    assert!(admin.contains("<strong>friends.example</strong>"));
    // Her own chapter's accounts page is linked; the new body's is not: she
    // has no role in it (its first admin comes by the invitation made with
    // it), and the page would refuse her.
    assert!(admin.contains("href=\"/groups/bakers/people\""));
    assert!(admin.contains("@foodunion") && !admin.contains("/groups/foodunion/"));
    assert!(admin.contains("Its accounts and audit log are for its own admins."));
    let (status, _) = member_page(&ada, "/groups/foodunion/people").await;
    assert_eq!(status, 403);
    for (path, fields) in [
        ("/admin/unblock", vec![("domain", "spam.example")]),
        (
            "/admin/allow",
            vec![("domain", "friends.example"), ("change", "remove")],
        ),
        ("/admin/mode", vec![("mode", "open")]),
    ] {
        let (status, _, _) = submit(&ada, path, &fields).await;
        assert_eq!(status, 303, "{path}");
    }
    let (_, admin) = member_page(&ada, "/admin").await;
    assert!(admin.contains("Mode: <strong>open</strong>"));
    assert!(!admin.contains("spam.example") && !admin.contains("friends.example"));
    let (status, _, _) = submit(&ada, "/admin/mode", &[("mode", "closed")]).await;
    assert_eq!(status, 400);

    // A report from another server, dealt with.
    let mut conn = a.store.acquire().await.unwrap();
    unionhall_store::reports::insert(
        &mut conn,
        &"https://other.example/flags/1".parse().unwrap(),
        &"https://other.example/actor".parse().unwrap(),
        "<b>harassment</b> in a post",
        &["https://127.0.0.2/posts/x".parse().unwrap()],
    )
    .await
    .unwrap();
    drop(conn);
    let (_, admin) = member_page(&ada, "/admin").await;
    assert!(admin.contains("&#60;b&#62;harassment"), "escaped: {admin}");
    let start = admin.find("name=\"id\" value=\"").unwrap() + 17;
    let id = admin[start..].split('"').next().unwrap().to_owned();
    let (status, _, _) = submit(&ada, "/admin/reports/resolve", &[("id", &id)]).await;
    assert_eq!(status, 303);
    let (_, admin) = member_page(&ada, "/admin").await;
    assert!(admin.contains("No open report."));
    let (status, _, _) = submit(&ada, "/admin/reports/resolve", &[("id", &id)]).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_roster_comes_in_pages_that_keep_the_filters() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let olga = join(&a, "bakers", Role::Organizer, "olga").await;
    let mut csv = String::from("name,department\n");
    for n in 0..450 {
        let department = if n % 3 == 0 { "Ovens" } else { "Packing" };
        csv.push_str(&format!("Worker {n:03},{department}\n"));
    }
    let (status, text, _) = submit(&olga, "/chapters/bakers/import", &[("text", &csv)]).await;
    assert_eq!(status, 303, "{text}");

    let (_, first) = member_page(&olga, "/chapters/bakers/roster").await;
    assert_self_contained(&first);
    assert!(first.contains("1–200 of 450 shown"), "{first}");
    assert_eq!(
        first.matches("href=\"/chapters/bakers/members/").count() - 1,
        200
    );
    assert!(!first.contains("Previous page"));
    // The way to the rest is on the page itself (it was inside <title>).
    let content = first.split("<main id=\"main\">").nth(1).unwrap();
    assert!(content.contains(">Next page</a>"), "{first}");
    // Sorted by the columns organizers use; the order stays in the pages'
    // addresses.
    let (_, newest) = member_page(&olga, "/chapters/bakers/roster?sort=newest").await;
    let at = |page: &str, name: &str| page.find(name).unwrap_or(usize::MAX);
    assert!(
        at(&newest, "Worker 449") < at(&newest, "Worker 448"),
        "{newest}"
    );
    assert!(newest.contains("sort=newest&#38;page=2"), "{newest}");
    assert!(newest.contains("<strong>newest first</strong>"));
    let (_, by_department) = member_page(&olga, "/chapters/bakers/roster?sort=department").await;
    assert!(at(&by_department, "Worker 003") < at(&by_department, "Worker 001"));
    let (_, last) = member_page(&olga, "/chapters/bakers/roster?page=3").await;
    assert!(last.contains("401–450 of 450 shown") && !last.contains("Next page"));
    // A page past the end shows the last one.
    let (_, past) = member_page(&olga, "/chapters/bakers/roster?page=99").await;
    assert!(past.contains("401–450 of 450 shown"));
    // The filter stays in the next page's address.
    let (_, ovens) = member_page(&olga, "/chapters/bakers/roster?department=Ovens").await;
    assert!(ovens.contains("1–150 of 150 shown") && !ovens.contains("Next page"));
    let (_, packing) = member_page(&olga, "/chapters/bakers/roster?department=Packing").await;
    assert!(packing.contains("1–200 of 300 shown"));
    assert!(
        packing.contains("department=Packing&#38;page=2"),
        "{packing}"
    );
}

#[tokio::test]
async fn the_admin_pastes_a_block_list_and_an_unreadable_one_is_refused_whole() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let ada = join_instance_admin(&a, "bakers", Role::Admin, "ada").await;
    let list = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n\
                *.spam.example,suspend,true,true,Spam <b>wave</b>,false\n\
                loud.example,silence,false,false,,false\n";

    let (status, page, _) = submit(
        &ada,
        "/admin/blocks/import",
        &[("list", &format!("{list}https://x.example/,suspend\n"))],
    )
    .await;
    assert_eq!(status, 400);
    assert!(page.contains("line 4"), "{page}");
    assert!(
        !page.contains("<strong>spam.example</strong>"),
        "nothing blocked"
    );

    let (status, _, location) = submit(&ada, "/admin/blocks/import", &[("list", list)]).await;
    assert_eq!(status, 303);
    let (_, page) = member_page(&ada, &location.unwrap()).await;
    assert_self_contained(&page);
    assert!(
        page.contains("Blocked 1 servers; 0 were blocked already; 1 rows skipped"),
        "{page}"
    );
    assert!(page.contains("<strong>spam.example</strong>"));
    assert!(
        page.contains("Spam &#60;b&#62;wave"),
        "the reason, escaped: {page}"
    );
    assert!(page.contains("href=\"/api/v1/admin/federation/blocks.csv\""));
    a.stop().await;
}

#[tokio::test]
async fn an_organizer_corrects_a_record_and_an_admin_erases_one_after_confirming() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let ada = join(&a, "bakers", Role::Admin, "ada").await;
    let olga = join(&a, "bakers", Role::Organizer, "olga").await;
    let (status, _, location) = submit(
        &olga,
        "/chapters/bakers/members/new",
        &[
            ("name", "Rosa Parks"),
            ("department", "Ovens"),
            ("assessment", "3"),
            ("dues", "behind"),
            ("tags", "leader, nights"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let member = location.unwrap();
    let (_, page) = member_page(&olga, &member).await;
    assert!(
        page.contains("leader, nights") && page.contains("behind"),
        "{page}"
    );
    assert!(page.contains("Correct this record") && !page.contains("/erase"));

    // The form starts from the record; a mistake is shown next to its field
    // and changes nothing.
    let (status, form) = member_page(&olga, &format!("{member}/edit")).await;
    assert_eq!(status, 200);
    assert_self_contained(&form);
    assert!(
        form.contains("value=\"Rosa Parks\"")
            && form.contains("<option value=\"behind\" selected>")
    );
    let fields = |assessment: &'static str| {
        [
            ("name", "Rosa Parks"),
            ("department", "Ovens"),
            ("assessment", assessment),
            ("dues", "paid"),
            ("tags", "leader"),
        ]
    };
    let (status, text, _) = submit(&olga, &format!("{member}/edit"), &fields("9")).await;
    assert_eq!(status, 400);
    assert!(text.contains("id=\"assessment-error\""), "{text}");
    let (status, _, to) = submit(&olga, &format!("{member}/edit"), &fields("1")).await;
    assert_eq!((status, to.as_deref()), (303, Some(member.as_str())));
    let (_, page) = member_page(&olga, &member).await;
    assert!(page.contains("<dt>Assessment</dt><dd>1</dd>"), "{page}");
    assert!(page.contains("<dt>Dues</dt><dd>paid</dd>") && !page.contains("nights"));

    // Only an admin erases, and only after saying yes.
    let (status, _, _) = submit(&olga, &format!("{member}/erase"), &[]).await;
    assert_eq!(status, 403);
    let (_, page) = member_page(&ada, &member).await;
    assert_self_contained(&page);
    assert!(page.contains(&format!("action=\"{member}/erase\"")));
    let (status, question, _) = submit(&ada, &format!("{member}/erase"), &[]).await;
    assert_eq!(status, 200);
    assert!(
        question.contains("Erase the record of Rosa Parks?")
            && question.contains("cannot be undone")
    );
    assert_eq!(
        member_page(&ada, &member).await.0,
        200,
        "asking erased nothing"
    );
    let (status, _, to) = submit(&ada, &format!("{member}/erase"), &[("confirmed", "yes")]).await;
    assert_eq!(status, 303);
    assert_eq!(to.as_deref(), Some("/chapters/bakers/roster?erased=1"));
    assert_eq!(member_page(&ada, &member).await.0, 404);
    a.stop().await;
}

/// An admin asked "who has looked at my record?" opens the record's page,
/// follows its link to the log about that record, and reaches its oldest
/// entry however many there are.
#[tokio::test]
async fn an_admin_reads_who_looked_at_one_record_back_to_its_first_entry() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let ada = join(&a, "bakers", Role::Admin, "ada").await;
    let olga = join(&a, "bakers", Role::Organizer, "olga").await;
    let (_, rosa) = ada
        .post(
            "/api/v1/chapters/bakers/members",
            serde_json::json!({"name": "Rosa"}),
        )
        .await;
    let rosa = rosa["id"].as_i64().unwrap();
    for _ in 0..300 {
        olga.get(&format!("/api/v1/chapters/bakers/members/{rosa}"))
            .await;
    }

    let record = format!("/chapters/bakers/members/{rosa}");
    let log = format!("/groups/bakers/audit?member={rosa}");
    let (_, page) = member_page(&ada, &record).await;
    assert!(page.contains(&format!("href=\"{log}\"")), "{page}");
    let (_, page) = member_page(&olga, &record).await;
    assert!(
        !page.contains("/audit"),
        "organizers do not read the log: {page}"
    );

    let (status, first) = member_page(&ada, &log).await;
    assert_eq!(status, 200);
    assert_self_contained(&first);
    assert_eq!(
        first.matches("opened a member record").count(),
        300,
        "one page"
    );
    assert!(!first.contains("added a member record"));
    let older = first
        .split("<a href=\"")
        .map(|rest| rest.split('"').next().unwrap().replace("&#38;", "&"))
        .find(|href| href.contains("before="))
        .expect("a link to older entries");
    assert!(older.contains(&format!("member={rosa}")), "{older}");
    let (status, last) = member_page(&ada, &older).await;
    assert_eq!(status, 200);
    assert!(last.contains("added a member record"), "{last}");
    assert!(
        last.contains("opened a member record"),
        "olga's first look (Ada's own opens went first)"
    );
    assert!(
        !last.contains("before="),
        "the first entry is on the last page"
    );

    let (status, page) = member_page(&ada, "/groups/bakers/audit?member=Rosa").await;
    assert_eq!(status, 400);
    assert!(
        page.contains("The record number is a number such as 12"),
        "{page}"
    );
}
