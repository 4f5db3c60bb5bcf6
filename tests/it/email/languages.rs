//! Mail in its reader's language: the one chosen on the account page or
//! through the API, else the server's (`[email] language`), times written in
//! the reader's words and zone.

use super::smtp::SmtpServer;
use super::{
    change_mail, confirm_address, forgot, instance_mailing_through, mails, picket_in,
    pledge_to_come,
};
use crate::federation::create_chapter;
use crate::members::join;
use reqwest::{Method, StatusCode};
use serde_json::json;
use unionhall_domain::{Language, Role, Zone};

#[tokio::test]
async fn a_member_who_reads_spanish_gets_her_mail_in_spanish() {
    if !SmtpServer::available() {
        return;
    }
    let smtp = SmtpServer::start("127.0.0.9").await;
    let a = instance_mailing_through(&smtp, &[]).await;
    create_chapter(&a, "bakers").await;
    let ada = join(&a, "bakers", Role::Member, "ada").await;

    // She chooses Spanish on her account page, then gives her address.
    let saved = ada
        .request(Method::POST, "/account/mail")
        .form(&[
            ("csrf", ada.csrf.as_str()),
            ("reminders", "on"),
            ("news", "daily"),
            ("language", "es"),
        ])
        .send()
        .await
        .unwrap();
    assert!(saved.status().is_redirection());
    let page = crate::federation::reach::page_as(&ada, "/account").await;
    assert!(
        page.contains("<option value=\"es\" lang=\"es\" selected>Español</option>"),
        "{page}"
    );
    confirm_address(&ada, "ada@example.org", &smtp, 1).await;
    let confirm = &mails(&smtp, 1).await[0];
    let subject = confirm.subject();
    assert!(
        subject.starts_with("Confirma tu dirección de correo en"),
        "{subject}"
    );
    assert!(confirm.text().contains("<html lang=\"es\">"));

    // A picket in an hour, in her zone and her words.
    let zone = ada
        .request(Method::POST, "/account/time-zone")
        .form(&[
            ("csrf", ada.csrf.as_str()),
            ("time_zone", "America/Mexico_City"),
        ])
        .send()
        .await
        .unwrap();
    assert!(zone.status().is_redirection());
    let picket = picket_in(&a, 3_600_000).await;
    pledge_to_come(&ada, picket.id).await;
    let reminder = mails(&smtp, 2).await.remove(1);
    let record = unionhall_federation::activities::call::record_of(&picket).unwrap();
    let when = Zone::parse("America/Mexico_City").unwrap().show_span_in(
        Language::Es,
        record.starts_at.unwrap(),
        record.ends_at,
    );
    let text = reminder.text();
    assert!(
        text.contains(&format!("Cuándo: {when}")),
        "{when} in {text}"
    );
    assert!(text.contains("Dónde: Gate 3, 100 Mill Road"), "{text}");
    assert!(text.contains("No más recordatorios:"), "{text}");
    let subject = reminder.subject();
    assert!(
        subject.starts_with("Recordatorio: Piquete: Picket the bakery gate"),
        "{subject}"
    );
    assert!(subject.contains(&when), "{subject}");

    // A language the server does not write is refused and changes nothing.
    let (status, _) = change_mail(&ada, json!({"news": "off", "language": "de"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, mail) = ada.get("/api/v1/me/mail").await;
    assert_eq!(
        (mail["language"].clone(), mail["news"].clone()),
        (json!("es"), json!("daily"))
    );
    // "" goes back to the server's.
    let (status, mail) = change_mail(&ada, json!({"language": ""})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mail["language"], json!(null));
    assert_eq!(mail["server_language"], json!("en"));
    a.stop().await;
}

#[tokio::test]
async fn accounts_that_chose_no_language_are_written_to_in_the_servers() {
    if !SmtpServer::available() {
        return;
    }
    let smtp = SmtpServer::start("127.0.0.9").await;
    let a = instance_mailing_through(&smtp, &[("UNIONHALL_EMAIL__LANGUAGE", "fr")]).await;
    create_chapter(&a, "bakers").await;
    let ada = join(&a, "bakers", Role::Member, "ada").await;
    confirm_address(&ada, "ada@example.org", &smtp, 1).await;
    let (status, _) = forgot(&a, "ada").await;
    assert_eq!(status, StatusCode::OK);
    let all = mails(&smtp, 2).await;
    assert!(all[0]
        .text()
        .contains("Pour confirmer qu'elle est bien la vôtre"));
    let reset = all[1].text();
    assert!(
        reset.contains("Quelqu'un a demandé à changer le mot de passe du compte ada"),
        "{reset}"
    );
    assert!(reset.contains("<html lang=\"fr\">"), "{reset}");
    a.stop().await;
}
