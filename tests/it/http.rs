use crate::helpers::spawn_instance;
use reqwest::StatusCode;
use serde_json::Value;

async fn error_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let body: Value = response.json().await.expect("error body is JSON");
    assert_eq!(body["error"]["status"], status.as_u16(), "{body}");
    assert!(body["error"]["code"].is_string(), "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    (status, body)
}

#[tokio::test]
async fn probes_say_alive_and_ready() {
    let app = spawn_instance().await;
    let health = app.client.get(app.at("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let ready = app.client.get(app.at("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    app.stop().await;
}

#[tokio::test]
async fn unknown_routes_and_methods_get_the_json_error_shape() {
    let app = spawn_instance().await;
    let (status, body) = error_of(
        app.client
            .get(app.at("/no/such/thing"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    let (status, body) =
        error_of(app.client.delete(app.at("/healthz")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["error"]["code"], "method_not_allowed");
    app.stop().await;
}

#[tokio::test]
async fn oversize_bodies_are_refused_before_they_are_read() {
    let app = spawn_instance().await;
    let too_big = vec![b'x'; 1024 * 1024 + 1];
    let response = app
        .client
        .post(app.at("/healthz"))
        .body(too_big)
        .send()
        .await
        .unwrap();
    let (status, body) = error_of(response).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["error"]["code"], "payload_too_large");
    app.stop().await;
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_keeps_a_given_one() {
    let app = spawn_instance().await;
    let made = app.client.get(app.at("/healthz")).send().await.unwrap();
    let id = made.headers().get("x-request-id").expect("request id made");
    assert!(!id.is_empty());
    let kept = app
        .client
        .get(app.at("/healthz"))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(kept.headers()["x-request-id"], "trace-me-42");
    app.stop().await;
}

#[tokio::test]
async fn a_stopped_instance_restarts_on_the_same_database() {
    let app = spawn_instance().await;
    let first = unionhall_store::instance::get(&app.store, unionhall_store::instance::CREATED_AT)
        .await
        .unwrap()
        .expect("first start recorded");
    let db = app.stop().await;
    let again = crate::helpers::spawn_instance_on("127.0.0.1", db).await;
    let ready = again.client.get(again.at("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    let second =
        unionhall_store::instance::get(&again.store, unionhall_store::instance::CREATED_AT)
            .await
            .unwrap();
    assert_eq!(second.as_deref(), Some(first.as_str()));
    again.stop().await;
}

/// A request under way when the stop signal comes is finished and answered
/// before the server exits.
#[tokio::test]
async fn a_graceful_stop_finishes_the_request_in_flight() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_instance().await;
    let addr = app.addr;
    let body = br#"{"type": "Follow", "id": "http://x.example/1"}"#;
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /inbox HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/activity+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..10]).await.unwrap();
    // Half the body is sent; now the server is told to stop.
    let stopping = tokio::spawn(app.stop());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !stopping.is_finished(),
        "the server waits for the request in flight"
    );
    stream.write_all(&body[10..]).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(
        response.starts_with("HTTP/1.1 401"),
        "a complete answer: {response}"
    );
    stopping.await.unwrap();
}
