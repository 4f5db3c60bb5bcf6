//! Block lists as Mastodon admins share them: imported over the API and at the
//! command line, wildcards and comments kept, and exported in the same format.

use super::{acct, create_chapter, follow_and_wait};
use crate::cli::{assert_one_line_failure, run_beside_servers, unionhall};
use crate::helpers::{fresh_database, host_name, spawn_instance_on, TestInstance};
use crate::members::{join_instance_admin, Account};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use unionhall_domain::Role;

const HEADER: &str = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate";

async fn import(admin: &Account, list: &str, content_type: &str) -> (StatusCode, Value) {
    let response = admin
        .request(Method::POST, "/api/v1/admin/federation/blocks/import")
        .header("content-type", content_type)
        .body(list.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or_default())
}

/// The blocked domains and their reasons, as the admin API shows them.
async fn blocked(admin: &Account) -> Vec<(String, String)> {
    let (status, policy) = admin.get("/api/v1/admin/federation").await;
    assert_eq!(status, StatusCode::OK, "{policy}");
    policy["blocked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["domain"].as_str().unwrap().to_owned(),
                b["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn cli(instance: &TestInstance, args: &[&str]) -> std::process::Command {
    let mut command = unionhall(std::env::temp_dir().as_path());
    command
        .env("UNIONHALL_DATABASE__URL", &instance.db.url)
        .env("UNIONHALL_MEMBERS__KEY", crate::helpers::TEST_MEMBER_KEY)
        .env("UNIONHALL_INSTANCE__PUBLIC_URL", instance.url.as_str())
        .env("UNIONHALL_LOG__LEVEL", "error")
        .args(args);
    command
}

#[tokio::test]
async fn an_admin_imports_a_mastodon_list_and_a_listed_server_is_cut_off() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let c = spawn_instance_on("127.0.0.4", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    create_chapter(&c, "brewers").await;
    follow_and_wait(&a, &c, "brewers").await;
    let ada = join_instance_admin(&a, "bakers", Role::Admin, "ada").await;
    let c_domain = host_name(c.addr.ip());
    let list = format!(
        "{HEADER}\r\n\
         *.{c_domain},suspend,true,true,\"Union-busting consultants, see thread\",false\r\n\
         loud.example,silence,false,false,,false\r\n\
         sp**.example,suspend,true,true,,true\r\n"
    );

    // One unreadable row refuses the whole list, and nothing changes.
    let (status, body) = import(
        &ada,
        &format!("{list}https://x.example/,suspend\n"),
        "text/csv",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("line 5") && message.contains("nothing was imported"),
        "{message}"
    );
    assert_eq!(blocked(&ada).await, vec![]);
    let (status, _) = import(&ada, &list, "text/plain").await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a list is sent as text/csv"
    );

    let (status, body) = import(&ada, &list, "text/csv").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["blocked"], serde_json::json!([c_domain]));
    assert_eq!(
        body["skipped"].as_array().unwrap().len(),
        2,
        "silenced and obfuscated: {body}"
    );
    assert_eq!(
        body["following_removed"], 1,
        "A's follow of C's chapter ended"
    );
    assert_eq!(
        blocked(&ada).await,
        vec![(
            c_domain.clone(),
            "Union-busting consultants, see thread".to_owned()
        )]
    );
    // C is refused at once.
    let err =
        unionhall_federation::activities::follow::follow_remote(&a.data, &acct(&c, "brewers"))
            .await
            .unwrap_err();
    assert!(err.to_string().contains("does not federate"), "{err}");

    // Again, with silenced domains too: C keeps its reason, loud.example joins.
    let again = format!(
        "{HEADER}\n{c_domain},suspend,true,true,other words,false\nloud.example,silence,,,,\n"
    );
    let (status, body) = import_silenced_too(&ada, &again).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["blocked"], serde_json::json!(["loud.example"]));
    assert_eq!(body["already_blocked"], 1);
    // In the order of their names.
    let expected = vec![
        ("loud.example".to_owned(), String::new()),
        (
            c_domain.clone(),
            "Union-busting consultants, see thread".to_owned(),
        ),
    ];
    assert_eq!(blocked(&ada).await, expected);

    // Exported as Mastodon does, over the API and at the command line alike.
    let response = ada
        .request(Method::GET, "/api/v1/admin/federation/blocks.csv")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let exported = response.text().await.unwrap();
    assert_eq!(
        exported,
        format!(
            "{HEADER}\nloud.example,suspend,true,true,,false\n\
             {c_domain},suspend,true,true,\"Union-busting consultants, see thread\",false\n"
        )
    );
    let (output, stderr) = run_beside_servers(cli(&a, &["federation", "export-blocks"])).await;
    assert!(output.status.success(), "{stderr}");
    assert_eq!(String::from_utf8(output.stdout).unwrap(), exported);

    // Another instance takes the file at the command line; a bad file is
    // refused in one line that names the row.
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("blocks.csv");
    std::fs::write(&file, format!("{exported}not a domain,suspend\n")).unwrap();
    let path = file.to_str().unwrap().to_owned();
    let (output, stderr) =
        run_beside_servers(cli(&b, &["federation", "import-blocks", &path])).await;
    assert_one_line_failure(&output, &stderr, "line 4");
    std::fs::write(&file, &exported).unwrap();
    let (output, stderr) =
        run_beside_servers(cli(&b, &["federation", "import-blocks", &path])).await;
    assert!(output.status.success(), "{stderr}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("2 domains blocked, 0 blocked already, 0 skipped"),
        "{stdout}"
    );
    let on_b = unionhall_store::policy::load(&b.store).await.unwrap().1;
    let on_b: Vec<(String, String)> = on_b.into_iter().map(|b| (b.domain, b.reason)).collect();
    assert_eq!(on_b, expected);
    for instance in [a, b, c] {
        instance.stop().await;
    }
}

async fn import_silenced_too(admin: &Account, list: &str) -> (StatusCode, Value) {
    let response = admin
        .request(
            Method::POST,
            "/api/v1/admin/federation/blocks/import?include_silenced=true",
        )
        .header("content-type", "text/csv")
        .body(list.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or_default())
}
