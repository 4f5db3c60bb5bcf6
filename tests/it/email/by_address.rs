//! A password reset asked for by email address: found through the keyed tag
//! stored beside the sealed address, the same answer for an unknown one, and
//! still found after the member-data key rotates.

use super::smtp::SmtpServer;
use super::{confirm_address, forgot, instance_mailing_through, mails, strip_tokens};
use crate::federation::create_chapter;
use crate::helpers::{respawn_configured_instance_at, test_settings, TEST_MEMBER_KEY};
use crate::members::join;
use reqwest::StatusCode;
use unionhall_domain::Role;
use unionhall_members::crypto::sealing::{encode_key, generate_key};

#[tokio::test]
async fn a_reset_is_asked_for_by_address_and_found_again_after_the_key_rotates() {
    if !SmtpServer::available() {
        return;
    }
    let smtp = SmtpServer::start("127.0.0.9").await;
    let a = instance_mailing_through(&smtp, &[]).await;
    create_chapter(&a, "bakers").await;
    let ada = join(&a, "bakers", Role::Member, "ada").await;
    confirm_address(&ada, "Ada@Example.org", &smtp, 1).await;

    // Typed as she remembers it, in another case, with spaces.
    let (status, known) = forgot(&a, " ada@example.ORG ").await;
    assert_eq!(status, StatusCode::OK);
    let reset = &mails(&smtp, 2).await[1];
    assert_eq!(reset.header("To").as_deref(), Some("Ada@Example.org"));
    assert!(reset
        .header("Subject")
        .unwrap()
        .starts_with("Reset your password"));
    assert!(reset.text().contains("ada"), "names the account");
    assert!(reset.link(a.at("/reset/").as_str()).is_some());

    // An address no account has: the same page, and nothing mailed.
    let (status, unknown) = forgot(&a, "nobody@example.org").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(strip_tokens(&known), strip_tokens(&unknown));
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(smtp.received().len(), 2);

    // The member-data key rotates; the instance then starts with the new key
    // alone, and the address is found by its new tag.
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
    assert_eq!(rotated.account_links, 1, "the address re-sealed");
    store.close().await;

    let mut settings = smtp.settings();
    settings.push(("UNIONHALL_MEMBERS__KEY", new_key.clone()));
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = respawn_configured_instance_at(addr, db, &settings).await;
    let (status, _) = forgot(&a, "ada@example.org").await;
    assert_eq!(status, StatusCode::OK);
    let again = &mails(&smtp, 3).await[2];
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
    let (status, _) = forgot(&a, "ada@example.org").await;
    assert_eq!(status, StatusCode::OK);
    mails(&smtp, 4).await;
    a.stop().await;
}
