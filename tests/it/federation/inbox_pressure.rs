//! The inbox under more than it can take: refusals are 429 or 503 with
//! Retry-After, memory stays flat, and what was accepted is stored exactly once.
//! Forged signatures naming unknown actors cost one fetch, not one per request.

use super::{create_chapter, follow_and_wait};
use crate::helpers::{fresh_database, host_name, spawn_configured_instance_on, spawn_instance_on};
use axum::routing::get;
use serde_json::json;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::SystemTime;
use unionhall_federation::signatures::{signed_post_headers_at, Signer};
use unionhall_store::posts;
use url::Url;

/// Resident memory of this process, in KiB (nextest runs each test alone).
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_flood_gets_429_and_503_and_what_was_accepted_is_stored_once() {
    let a = spawn_configured_instance_on(
        "127.0.0.2",
        fresh_database().await,
        &[
            ("UNIONHALL_FEDERATION__INBOX_MAX_IN_FLIGHT", "2"),
            ("UNIONHALL_FEDERATION__INBOX_PER_INSTANCE_PER_MINUTE", "80"),
            ("UNIONHALL_FEDERATION__INBOX_PER_IP_PER_MINUTE", "450"),
        ],
    )
    .await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    create_chapter(&a, "bakers").await;
    let strikers = create_chapter(&b, "strikers").await;
    follow_and_wait(&a, &b, "strikers").await;

    // Four times what the per-server limit lets through, 32 at a time.
    let key = Signer::default()
        .key(
            strikers.ap_id.as_str(),
            strikers.private_key_pem.as_deref().unwrap(),
        )
        .unwrap();
    let inbox = a.at("/inbox");
    let public = "https://www.w3.org/ns/activitystreams#Public";
    let before = rss_kib();
    let slots = Arc::new(tokio::sync::Semaphore::new(32));
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..320 {
        let note = b.at(&format!("/posts/flood-{n}"));
        let body = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": b.at(&format!("/activities/flood-{n}")), "type": "Create",
            "actor": strikers.ap_id, "to": [public],
            "object": {"id": note, "type": "Note", "attributedTo": strikers.ap_id,
                "to": [public], "content": format!("<p>flood {n}</p>"),
                "published": "2026-11-26T00:00:00Z"}
        })
        .to_string();
        let headers = signed_post_headers_at(
            &key,
            &strikers.public_key_id,
            &inbox,
            body.as_bytes(),
            SystemTime::now(),
        )
        .unwrap();
        let (client, inbox, slots) = (a.client.clone(), inbox.clone(), slots.clone());
        tasks.spawn(async move {
            let _slot = slots.acquire_owned().await.unwrap();
            // A sender tries again when the inbox is busy (sooner than the
            // Retry-After asks, to keep the test short); a 429 it leaves for later.
            let mut busy = 0;
            loop {
                let response = client
                    .post(inbox.clone())
                    .headers(headers.clone())
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                let retry_after = response.headers().get("retry-after").is_some();
                if status == 503 && busy < 100 {
                    busy += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    continue;
                }
                return (note, status, retry_after, busy);
            }
        });
    }
    let mut by_status: HashMap<u16, usize> = HashMap::new();
    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    let mut busy_answers = 0;
    while let Some(result) = tasks.join_next().await {
        let (note, status, retry_after, busy) = result.unwrap();
        busy_answers += busy;
        *by_status.entry(status).or_default() += 1;
        match status {
            202 => accepted.push(note),
            429 => {
                assert!(retry_after, "{status} without Retry-After");
                refused.push(note);
            }
            other => panic!("unexpected {other}"),
        }
    }
    let grown_mib = rss_kib().saturating_sub(before) / 1024;
    eprintln!(
        "final statuses {by_status:?} after {busy_answers} 503s; memory grew {grown_mib} MiB"
    );
    assert!(
        by_status.get(&429).copied().unwrap_or(0) > 0,
        "{by_status:?}"
    );
    assert!(busy_answers > 0, "no 503 with 2 slots and 32 senders");
    assert!(accepted.len() >= 70, "{} accepted", accepted.len());
    // 80 a minute, plus what refilled while the flood lasted.
    assert!(accepted.len() < 160, "{} accepted", accepted.len());
    assert!(grown_mib < 64, "memory grew {grown_mib} MiB");

    let stored = posts::by_author(&a.store, &strikers.ap_id).await.unwrap();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for post in &stored {
        *counts.entry(post.ap_id.to_string()).or_default() += 1;
    }
    for note in &accepted {
        assert_eq!(
            counts.get(note.as_str()),
            Some(&1),
            "{note} accepted once, stored once"
        );
    }
    for note in &refused {
        assert!(
            !counts.contains_key(note.as_str()),
            "{note} was refused but stored"
        );
    }

    // The per-address limit, for a client behind a proxy on this machine: the
    // proxy's X-Forwarded-For names it. 450 at once, then about one in eight.
    let mut statuses = Vec::new();
    for _ in 0..500 {
        let response = a
            .client
            .post(a.at("/inbox"))
            .header("x-forwarded-for", "203.0.113.9")
            .body("{}")
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert!(statuses[..450].iter().all(|s| *s == 401), "unsigned: 401");
    let limited = statuses[450..].iter().filter(|s| **s == 429).count();
    assert!(limited >= 20, "then mostly 429: {:?}", &statuses[450..]);
}

#[tokio::test]
async fn forged_signatures_naming_an_unknown_actor_cost_one_fetch() {
    let a = spawn_instance_on("127.0.0.2", fresh_database().await).await;
    let chapter = create_chapter(&a, "bakers").await;
    // A server that knows no actors and counts how often it is asked.
    let asked = Arc::new(AtomicUsize::new(0));
    let count = asked.clone();
    let app = axum::Router::new().route(
        "/actors/{name}",
        get(move || {
            let count = count.clone();
            async move {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                axum::http::StatusCode::NOT_FOUND
            }
        }),
    );
    let ip: std::net::IpAddr = [127, 0, 0, 6].into();
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let ghost = Url::parse(&format!("http://{}:{port}/actors/ghost", host_name(ip))).unwrap();

    let keys = activitypub_federation::http_signatures::generate_actor_keypair().unwrap();
    let key = Signer::default()
        .key(ghost.as_str(), &keys.private_key)
        .unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..40 {
        let body = json!({"type": "Follow", "id": format!("{ghost}/follows/{n}"),
            "actor": ghost, "object": chapter.ap_id})
        .to_string();
        let inbox = a.at("/inbox");
        let headers = signed_post_headers_at(
            &key,
            &format!("{ghost}#main-key"),
            &inbox,
            body.as_bytes(),
            SystemTime::now(),
        )
        .unwrap();
        let client = a.client.clone();
        tasks.spawn(async move {
            let response = client.post(inbox).headers(headers).body(body).send().await;
            response.unwrap().status().as_u16()
        });
    }
    while let Some(status) = tasks.join_next().await {
        let status = status.unwrap();
        assert!((400..500).contains(&status), "forged follow got {status}");
    }
    assert_eq!(
        asked.load(Ordering::SeqCst),
        1,
        "forty forgeries, one fetch"
    );
}
