//! A password reset asked for by email address: found through the keyed tag
//! stored beside the sealed address, the same answer for an unknown one, and
//! still found after the member-data key rotates; a mail waiting through the
//! rotation is still sent.

use super::smtp::SmtpServer;
use super::{
    confirm_address, forgot, instance_mailing_through, mails, sqlx_attempts, strip_tokens,
};
use crate::federation::create_chapter;
use crate::helpers::{respawn_configured_instance_at, test_settings, wait_for, TEST_MEMBER_KEY};
use crate::members::join;
use reqwest::StatusCode;
use unionhall_domain::Role;
use unionhall_members::crypto::sealing::{encode_key, generate_key};

#[tokio::test]
async fn a_reset_is_asked_for_by_address_and_found_again_after_the_key_rotates() {
    if !SmtpServer::available() {
        return;
    }
    let mut smtp = SmtpServer::start("127.0.0.9").await;
    let a = instance_mailing_through(&smtp, &[]).await;
    create_chapter(&a, "bakers").await;
    let ada = join(&a, "bakers", Role::Member, "ada").await;
    let bea = join(&a, "bakers", Role::Member, "bea").await;
    confirm_address(&ada, "Ada@Example.org", &smtp, 1).await;
    confirm_address(&bea, "bea@example.org", &smtp, 2).await;

    // Typed as she remembers it, in another case, with spaces.
    let (status, known) = forgot(&a, " ada@example.ORG ").await;
    assert_eq!(status, StatusCode::OK);
    let reset = &mails(&smtp, 3).await[2];
    assert_eq!(reset.header("To").as_deref(), Some("Ada@Example.org"));
    assert!(reset.subject().starts_with("Reset your password"));
    assert!(
        reset.text().contains("the account ada "),
        "names the account"
    );
    assert!(reset.link(a.at("/reset/").as_str()).is_some());

    // An address no account has: the same page, and nothing mailed.
    let (status, unknown) = forgot(&a, "nobody@example.org").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(strip_tokens(&known), strip_tokens(&unknown));
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(smtp.received().len(), 3);

    // The mail server is down when she asks again: the mail waits, sealed
    // with the old key, through the rotation.
    smtp.stop();
    let (status, _) = forgot(&a, "ada@example.org").await;
    assert_eq!(status, StatusCode::OK);
    let store = a.store.clone();
    wait_for("a failed attempt", 20, || {
        let store = store.clone();
        async move { sqlx_attempts(&store).await > 0 }
    })
    .await;

    // The member-data key rotates; the instance then starts with the new key
    // alone.
    let addr = a.addr;
    let db = a.stop().await;
    let dir = tempfile::tempdir().unwrap();
    let old_key = dir.path().join("old.key");
    std::fs::write(&old_key, format!("{TEST_MEMBER_KEY}\n")).unwrap();
    let new_key = encode_key(&generate_key().unwrap());
    let rotating = test_settings(
        &db,
        "http://127.0.0.2:1",
        &[
            ("UNIONHALL_MEMBERS__KEY", new_key.as_str()),
            (
                "UNIONHALL_MEMBERS__PREVIOUS_KEY_FILES",
                old_key.to_str().unwrap(),
            ),
        ],
    );
    let store = unionhall::startup::open_store(&rotating).await.unwrap();
    let members = unionhall::startup::open_members(&rotating, &store)
        .await
        .unwrap();
    let rotated = members.rotate_key().await.unwrap();
    assert_eq!(rotated.account_links, 2, "both addresses re-sealed");
    assert_eq!(rotated.mails, 4, "three sent, one waiting");
    store.close().await;

    smtp.resume().await;
    let mut settings = smtp.settings();
    settings.push(("UNIONHALL_MEMBERS__KEY", new_key.clone()));
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = respawn_configured_instance_at(addr, db, &settings).await;
    let waited = &mails(&smtp, 4).await[3];
    assert_eq!(waited.header("To").as_deref(), Some("Ada@Example.org"));
    assert!(waited.subject().starts_with("Reset your password"));
    // Found by the tag the rotation renewed.
    let (status, _) = forgot(&a, "ada@example.org").await;
    assert_eq!(status, StatusCode::OK);
    let again = &mails(&smtp, 5).await[4];
    assert_eq!(again.header("To").as_deref(), Some("Ada@Example.org"));

    // An address stored before there were tags (migration 30) is tagged at
    // the next start.
    let mut conn = a.store.acquire().await.unwrap();
    sqlx::query("UPDATE account_emails SET lookup = NULL")
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    let db = a.stop().await;
    let a = respawn_configured_instance_at(addr, db, &settings).await;
    let (status, _) = forgot(&a, "bea@example.org").await;
    assert_eq!(status, StatusCode::OK);
    let bea_reset = &mails(&smtp, 6).await[5];
    assert_eq!(bea_reset.header("To").as_deref(), Some("bea@example.org"));
    a.stop().await;
}
