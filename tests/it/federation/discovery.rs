use super::create_chapter;
use crate::helpers::spawn_instance;
use serde_json::Value;

#[tokio::test]
async fn webfinger_nodeinfo_and_content_negotiation() {
    let a = spawn_instance().await;
    let chapter = create_chapter(&a, "bakers").await;
    let domain = a.data.urls.domain();

    let get_json = |url: url::Url| {
        let client = a.client.clone();
        async move {
            client
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let finger = get_json(a.at(&format!(
        "/.well-known/webfinger?resource=acct:bakers@{domain}"
    )))
    .await;
    assert_eq!(finger["subject"], format!("acct:bakers@{domain}"));
    assert_eq!(finger["links"][0]["href"], chapter.ap_id.as_str());
    let instance = get_json(a.at(&format!(
        "/.well-known/webfinger?resource=acct:{domain}@{domain}"
    )))
    .await;
    assert_eq!(
        instance["links"][0]["href"],
        a.data.urls.instance_actor().as_str()
    );
    // A resource we do not serve is not found, whatever its scheme; only a
    // malformed acct: is a bad request. Every answer may be read by a page in
    // a browser (RFC 7033 section 5).
    for (resource, status) in [
        (format!("acct:bakers@{domain}"), 200),
        ("acct:nobody@".to_owned() + &domain, 404),
        ("acct:bakers@elsewhere.example".into(), 404),
        (format!("mailto:bakers@{domain}"), 404),
        ("did:example:123".into(), 404),
        ("bakers".into(), 404),
        ("acct:bakers".into(), 400),
    ] {
        let mut url = a.at("/.well-known/webfinger");
        url.query_pairs_mut().append_pair("resource", &resource);
        let response = a.client.get(url).send().await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{resource}");
        assert_eq!(
            response.headers()["access-control-allow-origin"],
            "*",
            "{resource}"
        );
    }

    // Servers get ActivityPub JSON, without any private key.
    for accept in [
        "application/activity+json",
        "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
    ] {
        let response = a
            .client
            .get(chapter.ap_id.clone())
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()["content-type"],
            "application/activity+json"
        );
        let text = response.text().await.unwrap();
        assert!(!text.contains("PRIVATE KEY"), "{text}");
        let actor: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(actor["type"], "Group");
        assert_eq!(actor["preferredUsername"], "bakers");
        assert_eq!(actor["inbox"], a.at("/actors/bakers/inbox").as_str());
        assert_eq!(actor["endpoints"]["sharedInbox"], a.at("/inbox").as_str());
        assert_eq!(actor["publicKey"]["owner"], chapter.ap_id.as_str());
        assert!(actor["publicKey"]["publicKeyPem"]
            .as_str()
            .unwrap()
            .contains("BEGIN PUBLIC KEY"));
    }
    let app: Value = a
        .client
        .get(a.at("/actor"))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(app["type"], "Application");

    // People get a page.
    let page = a
        .client
        .get(chapter.ap_id.clone())
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(html.contains("Chapter bakers") && html.contains(&format!("@bakers@{domain}")));

    let links = get_json(a.at("/.well-known/nodeinfo")).await;
    let nodeinfo = get_json(links["links"][0]["href"].as_str().unwrap().parse().unwrap()).await;
    assert_eq!(nodeinfo["version"], "2.1");
    assert_eq!(nodeinfo["software"]["name"], "unionhall");
    assert_eq!(nodeinfo["usage"]["users"]["total"], 1);

    let missing = a.client.get(a.at("/actors/nobody")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    a.stop().await;
}
