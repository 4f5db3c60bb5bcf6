//! What an operator watches: /metrics behind its token, with every family the
//! docs describe and no user-typed string in a label; `unionhall status`.

use crate::cli::{run_beside_servers, unionhall};
use crate::federation::{create_chapter, follow_and_wait};
use crate::helpers::{fresh_database, spawn_configured_instance_on, spawn_instance_on, wait_for};
use unionhall_federation::activities::post::publish_note;

const TOKEN: &str = "metrics-secret-for-tests";

#[tokio::test]
async fn metrics_need_the_token_and_name_routes_not_paths() {
    let a = spawn_configured_instance_on(
        "127.0.0.2",
        fresh_database().await,
        &[("UNIONHALL_HTTP__METRICS_TOKEN", TOKEN)],
    )
    .await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    create_chapter(&b, "millers").await;
    follow_and_wait(&b, &a, "bakers").await;
    publish_note(&a.data, "bakers", "Picket at gate 3")
        .await
        .unwrap();
    // A path someone typed must not become a label.
    let typed = a
        .client
        .get(a.at("/actors/Xq7TypedByAStranger"))
        .send()
        .await
        .unwrap();
    assert_eq!(typed.status(), 404);
    // Nor a method someone made up.
    let made_up = reqwest::Method::from_bytes(b"XQ7MADEUP").unwrap();
    a.client
        .request(made_up, a.at("/actors/bakers"))
        .send()
        .await
        .unwrap();

    let scrape = |token: Option<&str>| {
        let mut request = a.client.get(a.at("/metrics"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(scrape(None).await.unwrap().status(), 401);
    assert_eq!(scrape(Some("guess")).await.unwrap().status(), 401);
    // The Create reaches B; its outcome is counted when the worker records it.
    let mut text = String::new();
    for _ in 0..100 {
        text = scrape(Some(TOKEN)).await.unwrap().text().await.unwrap();
        if text.contains("peer=\"uh-127-0-0-3.test:") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    for family in [
        "unionhall_http_requests_total{method=\"GET\",route=\"/actors/{handle}\",status=\"404\"}",
        "unionhall_http_request_duration_seconds_bucket{method=\"POST\",route=\"/inbox\"",
        "unionhall_inbox_activities_total{outcome=\"accepted\"}",
        // The peer's host and port (tests run on ports).
        "unionhall_deliveries_total{peer=\"uh-127-0-0-3.test:",
        "unionhall_deliveries_pending ",
        "unionhall_deliveries_dead ",
        "unionhall_delivery_oldest_pending_seconds ",
        "unionhall_db_connections{state=\"idle\"}",
        "unionhall_http_requests_total{method=\"other\",route=\"/actors/{handle}\"",
        // Alerted on: there from the start, even never incremented.
        "unionhall_inbox_activities_total{outcome=\"busy\"}",
        "# HELP unionhall_http_requests_total ",
        "# HELP unionhall_deliveries_pending ",
        &format!(
            "unionhall_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        ),
        "process_resident_memory_bytes ",
        "process_open_fds ",
        "process_max_fds ",
        "process_start_time_seconds ",
    ] {
        assert!(text.contains(family), "{family} missing from:\n{text}");
    }
    assert!(!text.contains("Xq7TypedByAStranger"));
    assert!(!text.to_lowercase().contains("xq7madeup"));
    // Every family says what it is.
    for family in text
        .lines()
        .filter(|line| line.starts_with("# TYPE "))
        .map(|line| line.split(' ').nth(2).unwrap())
    {
        assert!(
            text.contains(&format!("# HELP {family} ")),
            "{family} has no # HELP line"
        );
    }

    // Without a token configured there is no /metrics at all.
    let none = b
        .client
        .get(b.at("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 404);
}

#[tokio::test]
async fn status_shows_the_queue_and_the_dead_by_peer() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    create_chapter(&b, "millers").await;
    follow_and_wait(&b, &a, "bakers").await;
    b.stop().await;
    publish_note(&a.data, "bakers", "While B is down")
        .await
        .unwrap();
    wait_for("a first failed attempt", 10, || async {
        unionhall_store::deliveries::health(&a.store)
            .await
            .unwrap()
            .pending
            == 1
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let mut status = unionhall(dir.path());
    status
        .env("UNIONHALL_DATABASE__URL", &a.db.url)
        .env("UNIONHALL_LOG__LEVEL", "error")
        .arg("status");
    let (output, stderr) = run_beside_servers(status).await;
    assert!(output.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("deliveries pending 1, oldest waiting"),
        "{stdout}"
    );
    assert!(stdout.contains("dead deliveries 0"), "{stdout}");

    // A delivery waiting longer than allowed needs attention, and the peer
    // behind it is named.
    wait_for("B to be backed off", 10, || async {
        !unionhall_store::deliveries::health(&a.store)
            .await
            .unwrap()
            .backed_off
            .is_empty()
    })
    .await;
    let mut status = unionhall(dir.path());
    status
        .env("UNIONHALL_DATABASE__URL", &a.db.url)
        .env("UNIONHALL_LOG__LEVEL", "error")
        .args(["status", "--max-wait-minutes", "0"]);
    let (output, stderr) = run_beside_servers(status).await;
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("a delivery has waited")
            && stderr.contains("peers backed off now: uh-127-0-0-3.test:"),
        "{stderr}"
    );

    // Once a delivery is given up, status says so, and exits 1: a monitor
    // can act on it. The JSON form carries the same figures.
    crate::members::raw_sql(
        &a,
        "UPDATE deliveries SET dead_at = 1 WHERE dead_at IS NULL AND delivered_at IS NULL",
    )
    .await
    .unwrap();
    let mut status = unionhall(dir.path());
    status
        .env("UNIONHALL_DATABASE__URL", &a.db.url)
        .env("UNIONHALL_LOG__LEVEL", "error")
        .args(["status", "--json"]);
    let (output, stderr) = run_beside_servers(status).await;
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("needs attention: 1 dead deliveries"),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        (json["pending"].as_i64(), json["dead"].as_i64()),
        (Some(0), Some(1))
    );
    assert_eq!(json["needs_attention"].as_array().unwrap().len(), 1);
}
