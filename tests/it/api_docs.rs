//! The API documentation tells the truth: every route in docs/openapi.json is
//! served (a stranger gets 401, not 404 or 405), is described in docs/api.md,
//! and the server hands out the same OpenAPI file.

use crate::helpers::spawn_instance;
use serde_json::Value;

fn openapi() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/openapi.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn routes() -> Vec<(String, String)> {
    let doc = openapi();
    let mut out = Vec::new();
    for (path, methods) in doc["paths"].as_object().unwrap() {
        for method in methods.as_object().unwrap().keys() {
            out.push((method.to_uppercase(), path.clone()));
        }
    }
    out
}

#[tokio::test]
async fn every_documented_route_is_served_and_refuses_strangers() {
    let instance = spawn_instance().await;
    let served: Value = instance
        .client
        .get(instance.at("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served, openapi());
    let routes = routes();
    assert!(routes.len() > 40, "{routes:?}");
    for (method, path) in routes {
        let concrete = path
            .replace("{handle}", "bakers")
            .replace("{id}", "1")
            .replace("{username}", "rosa");
        let response = instance
            .client
            .request(method.parse().unwrap(), instance.at(&concrete))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{method} {path}");
    }
}

#[test]
fn every_documented_route_is_described_for_people() {
    let api_md =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api.md")).unwrap();
    for (method, path) in routes() {
        assert!(
            api_md.contains(&format!("{method} {path}")),
            "docs/api.md does not describe {method} {path}"
        );
    }
}
