//! Mail over TLS against a real encrypted mail server (aiosmtpd with a
//! certificate from a test authority): STARTTLS and TLS from the first byte
//! deliver; a server that offers no STARTTLS, or whose certificate does not
//! check, gets nothing in plain text and the mail waits.

use super::smtp::{Encryption, SmtpServer};
use super::{ada_with_an_address, instance_mailing_through, set_address, sqlx_attempts};
use crate::federation::create_chapter;
use crate::helpers::{fresh_database, spawn_configured_instance_on, wait_for, TestInstance};
use crate::members::join;
use reqwest::StatusCode;
use unionhall_domain::Role;

#[tokio::test]
async fn mail_goes_over_starttls_to_a_server_that_requires_it() {
    if !SmtpServer::available() {
        return;
    }
    // The server refuses any mail before STARTTLS: arriving is proof of it.
    let smtp = SmtpServer::start_with("127.0.0.9", Encryption::StartTls).await;
    let a = instance_mailing_through(&smtp, &[]).await;
    ada_with_an_address(&a, &smtp).await;
    a.stop().await;
}

#[tokio::test]
async fn mail_goes_over_tls_from_the_first_byte() {
    if !SmtpServer::available() {
        return;
    }
    let smtp = SmtpServer::start_with("127.0.0.9", Encryption::Tls).await;
    let a = instance_mailing_through(&smtp, &[]).await;
    ada_with_an_address(&a, &smtp).await;
    a.stop().await;
}

/// An instance sending to `smtp` with `security`, trusting only the
/// system's authorities; Ada asks it to confirm her address.
async fn ada_asks_through(smtp: &SmtpServer, security: &str) -> TestInstance {
    let mut settings = smtp.settings();
    settings.retain(|(key, _)| *key != "UNIONHALL_EMAIL__CA_FILE");
    settings.retain(|(key, _)| *key != "UNIONHALL_EMAIL__SECURITY");
    settings.push(("UNIONHALL_EMAIL__SECURITY", security.into()));
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = spawn_configured_instance_on("127.0.0.2", fresh_database().await, &settings).await;
    create_chapter(&a, "bakers").await;
    let ada = join(&a, "bakers", Role::Member, "ada").await;
    let (status, _) = set_address(&ada, "ada@example.org").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let store = a.store.clone();
    wait_for("a failed attempt", 20, || {
        let store = store.clone();
        async move { sqlx_attempts(&store).await > 1 }
    })
    .await;
    a
}

#[tokio::test]
async fn nothing_goes_in_plain_text_to_a_server_that_offers_no_starttls() {
    if !SmtpServer::available() {
        return;
    }
    let smtp = SmtpServer::start_with("127.0.0.9", Encryption::Plain).await;
    let a = ada_asks_through(&smtp, "starttls").await;
    assert!(smtp.received().is_empty(), "nothing sent in plain text");
    let stats = unionhall_store::mail_queue::stats(&a.store).await.unwrap();
    assert_eq!(
        (stats.waiting, stats.sent, stats.failed),
        (1, 0, 0),
        "the mail waits"
    );
    a.stop().await;
}

#[tokio::test]
async fn nothing_goes_to_a_server_whose_certificate_does_not_check() {
    if !SmtpServer::available() {
        return;
    }
    // Its authority is not the system's, and the instance was not told of it.
    let smtp = SmtpServer::start_with("127.0.0.9", Encryption::Tls).await;
    let a = ada_asks_through(&smtp, "tls").await;
    assert!(smtp.received().is_empty());
    let mut conn = a.store.acquire().await.unwrap();
    let why: String = sqlx::query_scalar("SELECT failure FROM mail_queue WHERE sent_at IS NULL")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert!(why.to_lowercase().contains("certificate"), "{why}");
    drop(conn);
    a.stop().await;
}
