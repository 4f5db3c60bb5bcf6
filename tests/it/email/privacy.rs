//! The privacy capture test, extended to mail (DESIGN.md invariant 1): every
//! byte between the instance and its mail server is recorded by a proxy, over
//! a scenario sending each kind of mail there is, and searched for the data
//! of members other than each mail's own recipient.

use super::smtp::SmtpServer;
use super::{ada_with_an_address, forgot, mails, picket_in, pledge_to_come};
use crate::helpers::{fresh_database, spawn_configured_instance_on, RecordingProxy};
use crate::members::{join, marked_record};
use reqwest::StatusCode;
use unionhall_domain::Role;

#[tokio::test]
async fn no_other_members_data_reaches_the_mail_server() {
    if !SmtpServer::available() {
        return;
    }
    let smtp = SmtpServer::start("127.0.0.9").await;
    let listener = std::net::TcpListener::bind("127.0.0.9:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let proxy = RecordingProxy::start(
        listener,
        format!("127.0.0.9:{}", smtp.port).parse().unwrap(),
    );
    let mut settings = smtp.settings();
    settings.retain(|(key, _)| *key != "UNIONHALL_EMAIL__PORT");
    settings.push(("UNIONHALL_EMAIL__PORT", port));
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = spawn_configured_instance_on("127.0.0.2", fresh_database().await, &settings).await;

    // Ada is sent every kind of mail there is; the roster holds a marked
    // record, an organizer has an account, and Ben pledged to the same picket.
    let ada = ada_with_an_address(&a, &smtp).await;
    let organizer = join(&a, "bakers", Role::Organizer, "organizer-omar").await;
    let marker = "Zq7Private";
    let (status, _) = organizer
        .post(
            "/api/v1/chapters/bakers/members",
            marked_record(marker, "555 0199"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let ben = join(&a, "bakers", Role::Member, "ben-the-baker").await;
    let picket = picket_in(&a, 3_600_000).await;
    pledge_to_come(&ada, picket.id).await;
    pledge_to_come(&ben, picket.id).await;
    let (status, _) = forgot(&a, "ada").await;
    assert_eq!(status, StatusCode::OK);
    // Confirmation, reminder, reset: all Ada's.
    let received = mails(&smtp, 3).await;
    assert_eq!(received.len(), 3);

    let recorded = proxy.bytes.lock().unwrap().clone();
    // The recording holds the conversation: Ada's own address is in it.
    let own = b"ada@example.org";
    assert!(recorded.windows(own.len()).any(|w| w == own));
    let decoded: Vec<String> = received.iter().map(|m| m.text()).collect();
    for never in [
        marker,
        "555 0199",
        "5550199",
        "ben-the-baker",
        "organizer-omar",
    ] {
        assert!(
            !recorded.windows(never.len()).any(|w| w == never.as_bytes()),
            "{never} went to the mail server"
        );
        for text in &decoded {
            assert!(!text.contains(never), "{never} in a mail: {text}");
        }
    }
    a.stop().await;
}
