//! A stand-in for another fediverse server: actors with their own RSA key
//! (any name under `/users/` is one, all sharing the key), served the way
//! Mastodon serves one, an inbox that records what it is sent
//! and answers a Follow with an Accept, and (in authorized-fetch mode) signed
//! GETs required as Mastodon requires them: covering `(request-target)`,
//! `host` and `date`, checked with the `rsa` crate, independently of the
//! signer under test.

use crate::helpers::{host_name, test_client};
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use unionhall_federation::integrity;
use unionhall_federation::signatures::{rfc9421, signed_post_headers_at, Signer};
use url::Url;

#[derive(Clone)]
pub struct StandIn(Arc<Shared>);

/// How it signs what it sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signing {
    /// draft-cavage `rsa-sha256`, as Mastodon.
    Cavage,
    /// RFC 9421 with its RSA key (`rsa-v1_5-sha256`), as Fedify.
    Rfc9421Rsa,
    /// RFC 9421 with its Ed25519 key.
    Rfc9421Ed25519,
}

/// How it answers GETs of its actor.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Fetching {
    /// To anyone, as most servers do.
    Open,
    /// Only to GETs signed as Mastodon's authorized fetch requires.
    SignedOnly,
    /// To no one (a server that blocks ours): 401 whatever the signature.
    Refused,
}

pub struct Shared {
    pub base: Url,
    pub actor: Url,
    name: String,
    actor_type: String,
    private_pem: String,
    public_pem: String,
    /// PKCS#8 of its Ed25519 key, published as a FEP-521a Multikey.
    ed25519: Vec<u8>,
    fetching: Fetching,
    /// Every activity its inbox was sent, in order.
    received: Mutex<Vec<Value>>,
    /// Every GET of its actor: the status it answered, and why when it refused.
    fetches: Mutex<Vec<(u16, String)>>,
    /// The signatures its inbox takes (all, unless told otherwise).
    takes: Mutex<Vec<Signing>>,
    /// Every POST to its inbox: how it was signed, and the status answered.
    knocks: Mutex<Vec<(Option<Signing>, u16)>>,
    /// Every GET of an actor: how it was signed, and the status answered.
    gets: Mutex<Vec<(Option<Signing>, u16)>>,
    /// Its actors' `publicKey` has no `id`, as ActivityPods publishes it.
    key_without_id: std::sync::atomic::AtomicBool,
    client: reqwest::Client,
}

impl std::ops::Deref for StandIn {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl StandIn {
    /// Starts one on `ip` (127.0.0.x) and a free port, with actor `name` of
    /// type `actor_type`, answering GETs of its actor as `fetching` says.
    pub async fn start(ip: &str, name: &str, actor_type: &str, fetching: Fetching) -> Self {
        let listener = tokio::net::TcpListener::bind((ip, 0)).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let base =
            Url::parse(&format!("http://{}:{}", host_name(addr.ip()), addr.port())).expect("url");
        let actor = base.join(&format!("/users/{name}")).expect("url");
        let keys = activitypub_federation::http_signatures::generate_actor_keypair().expect("keys");
        let stand_in = StandIn(Arc::new(Shared {
            base,
            actor,
            name: name.to_owned(),
            actor_type: actor_type.to_owned(),
            private_pem: keys.private_key,
            public_pem: keys.public_key,
            ed25519: Ed25519KeyPair::generate_pkcs8(&aws_lc_rs::rand::SystemRandom::new())
                .expect("ed25519")
                .as_ref()
                .to_vec(),
            fetching,
            received: Mutex::default(),
            fetches: Mutex::default(),
            takes: Mutex::new(vec![
                Signing::Cavage,
                Signing::Rfc9421Rsa,
                Signing::Rfc9421Ed25519,
            ]),
            knocks: Mutex::default(),
            gets: Mutex::default(),
            key_without_id: std::sync::atomic::AtomicBool::new(false),
            client: test_client(),
        }));
        let app = Router::new()
            .route("/.well-known/webfinger", get(webfinger))
            .route("/users/{name}", get(actor_document))
            .route("/users/{name}/inbox", post(inbox))
            .with_state(stand_in.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        stand_in
    }

    /// `@name@host:port`, for WebFinger.
    pub fn acct(&self) -> String {
        format!(
            "@{}@{}:{}",
            self.name,
            self.base.host_str().unwrap_or_default(),
            self.base.port().unwrap_or(80)
        )
    }

    pub fn received(&self) -> Vec<Value> {
        self.received.lock().unwrap().clone()
    }

    pub fn received_of_type(&self, kind: &str) -> Vec<Value> {
        self.received()
            .into_iter()
            .filter(|a| a["type"] == kind)
            .collect()
    }

    /// From now on, its inbox (and, unless it insists on draft-cavage GETs
    /// or refuses all, its actors) takes only requests signed one of these
    /// ways (401 for the others, as a server that does not speak them
    /// answers).
    pub fn takes_only(&self, signings: &[Signing]) {
        *self.takes.lock().unwrap() = signings.to_vec();
    }

    /// From now on its actors publish their key without an `id`
    /// (ActivityPods).
    pub fn publish_keys_without_id(&self) {
        self.key_without_id
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// How each GET of its actors was signed, and what it answered.
    pub fn gets(&self) -> Vec<(Option<Signing>, u16)> {
        self.gets.lock().unwrap().clone()
    }

    /// How each POST to its inbox was signed, and what it answered.
    pub fn knocks(&self) -> Vec<(Option<Signing>, u16)> {
        self.knocks.lock().unwrap().clone()
    }

    /// What each GET of the actor was answered: (status, reason).
    pub fn fetches(&self) -> Vec<(u16, String)> {
        self.fetches.lock().unwrap().clone()
    }

    /// The PKCS#8 of its actors' Ed25519 key.
    pub fn ed25519_pkcs8(&self) -> &[u8] {
        &self.ed25519
    }

    /// Its actor called `name`.
    pub fn actor_of(&self, name: &str) -> Url {
        self.base.join(&format!("/users/{name}")).expect("url")
    }

    /// POSTs `activity` to `inbox` as its main actor, signed; the status and
    /// the answer's body.
    pub async fn send(&self, inbox: &Url, activity: &Value) -> (u16, String) {
        self.send_as(&self.name, inbox, activity).await
    }

    /// POSTs `activity` to `inbox` as its actor `name`, signed.
    pub async fn send_as(&self, name: &str, inbox: &Url, activity: &Value) -> (u16, String) {
        self.send_signed(name, inbox, activity, Signing::Cavage)
            .await
    }

    /// POSTs `activity` to `inbox` as its actor `name`, signed as `signing`
    /// says.
    pub async fn send_signed(
        &self,
        name: &str,
        inbox: &Url,
        activity: &Value,
        signing: Signing,
    ) -> (u16, String) {
        let body = serde_json::to_vec(activity).expect("json");
        let actor = self.actor_of(name);
        let rsa = Signer::default()
            .key(actor.as_str(), &self.private_pem)
            .expect("key");
        let ed25519 = Ed25519KeyPair::from_pkcs8(&self.ed25519).expect("ed25519");
        let created = unionhall_federation::signatures::unix_now();
        let headers = match signing {
            Signing::Cavage => signed_post_headers_at(
                &rsa,
                &format!("{actor}#main-key"),
                inbox,
                &body,
                SystemTime::now(),
            ),
            Signing::Rfc9421Rsa => rfc9421::signed_headers(
                rfc9421::SigningKey::Rsa(&rsa),
                &format!("{actor}#main-key"),
                "POST",
                inbox,
                Some(&body),
                created,
            ),
            Signing::Rfc9421Ed25519 => rfc9421::signed_headers(
                rfc9421::SigningKey::Ed25519(&ed25519),
                &format!("{actor}#ed25519-key"),
                "POST",
                inbox,
                Some(&body),
                created,
            ),
        }
        .expect("sign");
        deliver(&self.client, inbox, body, headers).await
    }

    /// Checks a GET's signature as Mastodon's authorized fetch does.
    async fn check_signed_get(&self, path: &str, headers: &HeaderMap) -> Result<(), String> {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .ok_or(format!("no {name} header"))
        };
        let signature = header("signature")?;
        let fields: std::collections::HashMap<&str, &str> = signature
            .split("\",")
            .filter_map(|part| part.split_once('='))
            .map(|(k, v)| (k.trim(), v.trim_matches('"')))
            .collect();
        let covered: Vec<&str> = fields
            .get("headers")
            .ok_or("no headers")?
            .split(' ')
            .collect();
        for required in ["(request-target)", "host", "date"] {
            if !covered.contains(&required) {
                return Err(format!("the signature does not cover {required}"));
            }
        }
        let date = httpdate::parse_http_date(&header("date")?).map_err(|e| e.to_string())?;
        let age = SystemTime::now()
            .duration_since(date)
            .unwrap_or_else(|ahead| ahead.duration());
        if age > Duration::from_secs(300) {
            return Err("Date too far from now".into());
        }
        let mut lines = Vec::new();
        for name in &covered {
            let value = match *name {
                "(request-target)" => format!("get {path}"),
                other => header(other)?,
            };
            lines.push(format!("{name}: {value}"));
        }
        let key_id =
            Url::parse(fields.get("keyId").ok_or("no keyId")?).map_err(|e| e.to_string())?;
        let signer: Value = self
            .client
            .get(key_id.clone())
            .header("accept", "application/activity+json")
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let pem = signer["publicKey"]["publicKeyPem"]
            .as_str()
            .ok_or("the signer has no publicKeyPem")?;
        let key = RsaPublicKey::from_public_key_pem(pem).map_err(|e| e.to_string())?;
        let signature = base64::engine::general_purpose::STANDARD
            .decode(fields.get("signature").ok_or("no signature")?)
            .map_err(|e| e.to_string())?;
        key.verify(
            Pkcs1v15Sign::new::<Sha256>(),
            &Sha256::digest(lines.join("\n").as_bytes()),
            &signature,
        )
        .map_err(|_| "the signature does not verify".to_owned())
    }

    fn actor_json(&self, name: &str) -> Value {
        let actor = self.actor_of(name);
        json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": actor,
            "type": self.actor_type,
            "preferredUsername": name,
            "name": format!("{name} (stand-in)"),
            "inbox": format!("{actor}/inbox"),
            "outbox": format!("{actor}/outbox"),
            "followers": format!("{actor}/followers"),
            "publicKey": if self.key_without_id.load(std::sync::atomic::Ordering::Relaxed) {
                json!({"owner": actor, "publicKeyPem": self.public_pem})
            } else {
                json!({"id": format!("{actor}#main-key"), "owner": actor, "publicKeyPem": self.public_pem})
            },
            "assertionMethod": [{
                "id": format!("{actor}#ed25519-key"), "type": "Multikey", "controller": actor,
                "publicKeyMultibase": integrity::multibase_key(
                    Ed25519KeyPair::from_pkcs8(&self.ed25519).expect("ed25519").public_key().as_ref()
                ),
            }],
        })
    }
}

async fn webfinger(State(s): State<StandIn>) -> Json<Value> {
    Json(json!({
        "subject": format!("acct:{}", s.acct().trim_start_matches('@')),
        "links": [{"rel": "self", "type": "application/activity+json", "href": s.actor}],
    }))
}

async fn actor_document(
    State(s): State<StandIn>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> (StatusCode, [(&'static str, &'static str); 1], Json<Value>) {
    let kind = [("content-type", "application/activity+json")];
    let signing = signing_of(&headers);
    let verdict = match s.fetching {
        Fetching::Open
            if signing.is_none_or(|signing| s.takes.lock().unwrap().contains(&signing)) =>
        {
            Ok(())
        }
        Fetching::Open => Err("not a signature this server takes".to_owned()),
        Fetching::SignedOnly => {
            s.check_signed_get(&format!("/users/{name}"), &headers)
                .await
        }
        Fetching::Refused => Err("this server does not talk to yours".to_owned()),
    };
    let status = if verdict.is_ok() { 200 } else { 401 };
    s.gets.lock().unwrap().push((signing, status));
    if let Err(reason) = verdict {
        s.fetches.lock().unwrap().push((401, reason.clone()));
        return (
            StatusCode::UNAUTHORIZED,
            kind,
            Json(json!({"error": reason})),
        );
    }
    s.fetches.lock().unwrap().push((200, String::new()));
    (StatusCode::OK, kind, Json(s.actor_json(&name)))
}

/// How a request was signed, by its headers (the inbox does not check the
/// signature itself: what is tested is which way we sign).
fn signing_of(headers: &HeaderMap) -> Option<Signing> {
    match headers.get("signature-input").and_then(|v| v.to_str().ok()) {
        Some(input) if input.contains("alg=\"ed25519\"") => Some(Signing::Rfc9421Ed25519),
        Some(_) => Some(Signing::Rfc9421Rsa),
        None => headers.contains_key("signature").then_some(Signing::Cavage),
    }
}

async fn inbox(
    State(s): State<StandIn>,
    headers: HeaderMap,
    Json(activity): Json<Value>,
) -> StatusCode {
    let signing = signing_of(&headers);
    let taken = signing.is_some_and(|signing| s.takes.lock().unwrap().contains(&signing));
    let status = if taken {
        StatusCode::ACCEPTED
    } else {
        StatusCode::UNAUTHORIZED
    };
    s.knocks.lock().unwrap().push((signing, status.as_u16()));
    if !taken {
        return status;
    }
    s.received.lock().unwrap().push(activity.clone());
    if activity["type"] == "Follow" {
        tokio::spawn(async move { accept(s, activity).await });
    }
    status
}

/// Answers a Follow with an Accept, at the follower's inbox.
async fn accept(s: StandIn, follow: Value) {
    let Some(follower) = follow["actor"].as_str() else {
        return;
    };
    let Ok(follower) = s
        .client
        .get(follower)
        .header("accept", "application/activity+json")
        .send()
        .await
    else {
        return;
    };
    let follower: Value = follower.json().await.unwrap_or_default();
    let Some(inbox) = follower["inbox"].as_str().and_then(|i| Url::parse(i).ok()) else {
        return;
    };
    let accept = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}#accepts/{}", s.actor, uuid_ish()),
        "type": "Accept",
        "actor": s.actor,
        "object": follow,
    });
    s.send(&inbox, &accept).await;
}

/// POSTs `body` to `inbox` with its signature `headers`, as a server
/// delivers an activity; the status and the answer's body.
pub(crate) async fn deliver(
    client: &reqwest::Client,
    inbox: &Url,
    body: Vec<u8>,
    headers: reqwest::header::HeaderMap,
) -> (u16, String) {
    let response = client
        .post(inbox.clone())
        .header("content-type", "application/activity+json")
        .headers(headers)
        .body(body)
        .send()
        .await
        .expect("post");
    (
        response.status().as_u16(),
        response.text().await.unwrap_or_default(),
    )
}

fn uuid_ish() -> u128 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos()
}
