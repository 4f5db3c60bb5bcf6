//! What the benchmarks share: light HTTP receivers, instances on throwaway
//! SQLite files, the signing ceiling, memory figures. Each benchmark uses a
//! part of it.

#![allow(dead_code)]

use std::net::IpAddr;
use std::time::{Duration, Instant};

/// A receiver as light as HTTP/1.1 allows, so that it takes as little as it
/// can of the cores the sender measured here shares: it reads each request on
/// a keep-alive connection to the end of its body and answers `202`, after
/// `delay` if given. (An axum server took 13 to 14 µs of CPU a delivery.)
pub async fn answer_202(listener: tokio::net::TcpListener, delay: Option<Duration>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const ACCEPTED: &[u8] = b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n";
    loop {
        let Ok((mut connection, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(async move {
            let mut buffer = Vec::with_capacity(4096);
            let mut chunk = [0u8; 4096];
            loop {
                // Whole requests in the buffer: answer each.
                while let Some(whole) = whole_message(&buffer, "POST /inbox/") {
                    buffer.drain(..whole);
                    if let Some(delay) = delay {
                        tokio::time::sleep(delay).await;
                    }
                    if connection.write_all(ACCEPTED).await.is_err() {
                        return;
                    }
                }
                match connection.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(read) => buffer.extend_from_slice(&chunk[..read]),
                }
            }
        });
    }
}

/// The length of the HTTP/1.1 message at the start of `buffer` once all of it
/// is there (head and `content-length` body); its head must start with `start`.
pub fn whole_message(buffer: &[u8], start: &str) -> Option<usize> {
    let end = buffer.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&buffer[..end]).expect("head");
    assert!(head.starts_with(start), "expected {start}, got {head}");
    let whole = end + 4 + content_length(head);
    (buffer.len() >= whole).then_some(whole)
}

pub fn content_length(head: &str) -> usize {
    head.lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0)
}

pub fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// RSA-2048 signatures per second with aws-lc-rs, one thread per core, for 2 s.
pub fn signing_ceiling() -> (f64, usize) {
    use unionhall_federation::signatures::{sign, Signer};
    let keys = activitypub_keys();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let signer = Signer::default();
    let key = signer.key("bench", &keys).expect("key");
    let message = vec![b'x'; 200];
    let start = Instant::now();
    let counts: Vec<usize> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let key = key.clone();
                let message = &message;
                scope.spawn(move || {
                    let mut n = 0;
                    while start.elapsed() < Duration::from_secs(2) {
                        sign(&key, message).expect("sign");
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let total: usize = counts.iter().sum();
    (total as f64 / start.elapsed().as_secs_f64(), threads)
}

/// Ed25519 signatures per second with aws-lc-rs on all cores (RFC 9421
/// deliveries to peers that take them).
pub fn ed25519_signing_ceiling() -> f64 {
    use aws_lc_rs::signature::Ed25519KeyPair;
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&aws_lc_rs::rand::SystemRandom::new()).expect("key");
    let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("key");
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let message = vec![b'x'; 200];
    let start = Instant::now();
    let total: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (key, message) = (&key, &message);
                scope.spawn(move || {
                    let mut n = 0;
                    while start.elapsed() < Duration::from_secs(2) {
                        std::hint::black_box(key.sign(message));
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).sum()
    });
    total as f64 / start.elapsed().as_secs_f64()
}

pub fn activitypub_keys() -> String {
    activitypub_federation::http_signatures::generate_actor_keypair()
        .expect("keypair")
        .private_key
}

pub fn host_name(ip: IpAddr) -> String {
    format!("r-{}.bench", ip.to_string().replace('.', "-"))
}

pub type Running = (
    unionhall_federation::Data,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<unionhall::Result<()>>,
);

/// A chapter of the instance whose federation data this is.
pub async fn new_chapter(
    data: &unionhall_federation::FederationShared,
    handle: &str,
) -> unionhall_store::actors::ActorRow {
    unionhall_federation::actors::create_group(
        data,
        unionhall_federation::actors::NewGroup {
            kind: unionhall_domain::ActorKind::Chapter,
            handle: unionhall_domain::Handle::parse(handle).expect("handle"),
            name: format!("Chapter {handle}"),
            summary: String::new(),
            manually_approves_followers: false,
        },
    )
    .await
    .expect("chapter")
}

/// Starts an instance called `name` on `ip` with a fresh SQLite file, knowing
/// the peers in `hosts`.
pub async fn instance(
    ip: [u8; 4],
    name: &str,
    dir: &std::path::Path,
    hosts: std::collections::BTreeMap<String, IpAddr>,
) -> Running {
    let listener = std::net::TcpListener::bind((IpAddr::from(ip), 0)).expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let public_url = format!("http://{name}:{port}");
    let db = format!("sqlite://{}", dir.join(format!("{name}.db")).display());
    // The member-data key goes with the throwaway database, never into the
    // source tree (cargo runs benchmarks in the package's folder).
    let key_file = dir.join(format!("{name}-member-records.key"));
    let key_file = key_file.display().to_string();
    let env: Vec<(String, String)> = [
        ("UNIONHALL_DATABASE__URL", db.as_str()),
        ("UNIONHALL_MEMBERS__KEY_FILE", key_file.as_str()),
        ("UNIONHALL_INSTANCE__PUBLIC_URL", public_url.as_str()),
        ("UNIONHALL_FEDERATION__ALLOW_PRIVATE_PEERS", "true"),
        ("UNIONHALL_FEDERATION__QUEUE_POLL_MS", "50"),
        // The ingest measures how fast the inbox works, not its rate limits.
        ("UNIONHALL_FEDERATION__INBOX_PER_IP_PER_MINUTE", "100000000"),
        (
            "UNIONHALL_FEDERATION__INBOX_PER_INSTANCE_PER_MINUTE",
            "100000000",
        ),
        ("UNIONHALL_FEDERATION__INBOX_MAX_IN_FLIGHT", "256"),
        ("UNIONHALL_LOG__LEVEL", "error"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut settings = unionhall::Settings::load(None, env).expect("settings");
    settings.federation.hosts = hosts;
    let app = unionhall::startup::Application::build_with_listener(settings, listener)
        .await
        .expect("instance");
    let data = app.federation_data();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    (data, stop, task)
}
