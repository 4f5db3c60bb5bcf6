//! Limits that hold across several processes of one instance: a remote actor
//! gets its hourly allowance of reports once, not once per process.

use super::create_chapter;
use crate::helpers::{
    fresh_database, spawn_configured_instance_on, spawn_instance_on,
    spawn_second_process_configured, TestInstance,
};
use serde_json::json;
use unionhall_federation::signatures::{signed_post_headers, Signer};
use unionhall_store::actors::ActorRow;

/// Posts `body` signed by `actor` to the process `to`, addressed (and signed)
/// as the instance's public URL, as a proxy in front of both would pass it.
async fn post_to(to: &TestInstance, public: &TestInstance, actor: &ActorRow, body: &[u8]) -> u16 {
    let url = public.at("/inbox");
    let key = Signer::default()
        .key(
            actor.ap_id.as_str(),
            actor.private_key_pem.as_deref().unwrap(),
        )
        .unwrap();
    let headers = signed_post_headers(&key, &actor.public_key_id, &url, body).unwrap();
    let response = reqwest::Client::new()
        .post(format!("http://{}/inbox", to.addr))
        // The signed headers carry the public Host.
        .headers(headers)
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

#[tokio::test]
async fn two_processes_share_one_actors_hourly_report_allowance() {
    let limits = [("UNIONHALL_FEDERATION__REPORTS_PER_ACTOR_PER_HOUR", "3")];
    let first = spawn_configured_instance_on("127.0.0.2", fresh_database().await, &limits).await;
    let second = spawn_second_process_configured(&first, &limits).await;
    let b = spawn_instance_on("127.0.0.3", fresh_database().await).await;
    let bakers = create_chapter(&first, "bakers").await;
    let mallory = create_chapter(&b, "mallory").await;
    let flag = |n: usize| {
        json!({"type": "Flag", "id": format!("{}/flags/{n}", mallory.ap_id), "actor": mallory.ap_id,
            "object": [bakers.ap_id], "content": format!("report {n}")})
        .to_string()
        .into_bytes()
    };
    // Two reports reach the first process, the third the second: each process
    // alone has room for more, together the actor's three are spent.
    for (n, process) in [(0, &first), (1, &first), (2, &second)] {
        assert_eq!(post_to(process, &first, &mallory, &flag(n)).await, 202);
    }
    assert_eq!(post_to(&second, &first, &mallory, &flag(3)).await, 429);
    assert_eq!(post_to(&first, &first, &mallory, &flag(4)).await, 429);
    assert_eq!(
        unionhall_store::reports::list(&first.store, 10)
            .await
            .unwrap()
            .len(),
        3
    );
    second.stop().await;
    first.stop().await;
    b.stop().await;
}
