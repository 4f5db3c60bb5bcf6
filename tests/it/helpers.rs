//! Starting instances and databases for tests.

use std::sync::atomic::{AtomicU32, Ordering};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use unionhall::startup::Application;
use unionhall::Settings;
use unionhall_store::Store;
use url::Url;

/// A fresh, empty database for one test: a SQLite file in a temp folder, or a new
/// uniquely named database on the PostgreSQL server in UNIONHALL_TEST_POSTGRES_URL.
/// Either kind is removed when the value is dropped, so that a long run of the
/// suite does not fill the PostgreSQL server with thousands of databases.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    /// The server URL and name of a PostgreSQL database this value created.
    created_on: Option<(String, String)>,
}

impl TestDb {
    /// An existing database, owned by someone else (nothing is removed).
    pub fn at(url: String) -> Self {
        Self {
            url,
            _dir: None,
            created_on: None,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((server, name)) = self.created_on.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot be blocked on: the
        // database is dropped from a thread with a runtime of its own. FORCE
        // closes what an instance that is still shutting down holds open.
        let dropped = std::thread::spawn(move || {
            use sqlx::{Connection, Executor};
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&server).await?;
                conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await
                    .map(|_| ())
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop a test database: {e}");
        }
    }
}

pub fn postgres_server() -> Option<String> {
    std::env::var("UNIONHALL_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

pub async fn fresh_database() -> TestDb {
    use sqlx::{Connection, Executor};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    match postgres_server() {
        Some(server) => {
            let name = format!(
                "uh_test_{}_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .subsec_nanos()
            );
            let mut conn = sqlx::PgConnection::connect(&server)
                .await
                .expect("connect to UNIONHALL_TEST_POSTGRES_URL");
            conn.execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .expect("create test database");
            let mut url = Url::parse(&server).expect("postgres url");
            url.set_path(&name);
            TestDb {
                url: url.to_string(),
                _dir: None,
                created_on: Some((server, name)),
            }
        }
        None => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("unionhall.db").display());
            TestDb {
                url,
                _dir: Some(dir),
                created_on: None,
            }
        }
    }
}

/// Opens (without migrating) a test database through the store API.
pub async fn open_store(db: &TestDb) -> Store {
    Store::connect(&unionhall_store::ConnectOptions {
        url: db.url.clone(),
        max_connections: 4,
        connect_timeout: std::time::Duration::from_secs(10),
    })
    .await
    .expect("open test database")
}

/// The member-data key of test instances (32 bytes, base64).
pub const TEST_MEMBER_KEY: &str = "dGVzdCBtZW1iZXIga2V5IC0gbm90IGZvciB1c2UgISE=";

/// Settings for a test instance: given database, public URL on the bound address,
/// private peers allowed (loopback), logs only with TEST_LOG.
pub fn test_settings(db: &TestDb, public_url: &str, extra: &[(&str, &str)]) -> Settings {
    let mut env: Vec<(String, String)> = [
        ("UNIONHALL_DATABASE__URL", db.url.as_str()),
        ("UNIONHALL_INSTANCE__PUBLIC_URL", public_url),
        ("UNIONHALL_FEDERATION__ALLOW_PRIVATE_PEERS", "true"),
        ("UNIONHALL_HTTP__SHUTDOWN_GRACE_SECONDS", "5"),
        ("UNIONHALL_DATABASE__MAX_CONNECTIONS", "4"),
        // Retries and polls in seconds, not minutes, so that tests of peers
        // coming back finish quickly.
        ("UNIONHALL_FEDERATION__RETRY_BASE_SECONDS", "1"),
        ("UNIONHALL_FEDERATION__RETRY_MAX_SECONDS", "2"),
        ("UNIONHALL_FEDERATION__QUEUE_POLL_MS", "100"),
        ("UNIONHALL_FEDERATION__REQUEST_TIMEOUT_SECONDS", "5"),
        // One fixed member-data key, so that a second process or a restart of
        // a test instance opens what the first one sealed.
        ("UNIONHALL_MEMBERS__KEY", TEST_MEMBER_KEY),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Settings::load(None, env).expect("test settings")
}

/// The name a test instance on `ip` goes by: ActivityPub wants domain names, so
/// each loopback address gets one, pinned through `federation.hosts`.
pub fn host_name(ip: std::net::IpAddr) -> String {
    format!("uh-{}.test", ip.to_string().replace(['.', ':'], "-"))
}

/// An HTTP client that knows the test instances' names.
pub fn test_client() -> reqwest::Client {
    test_client_builder().build().expect("test client")
}

/// The builder of [`test_client`], for clients that need more settings.
pub fn test_client_builder() -> reqwest::ClientBuilder {
    (1..=9).fold(reqwest::Client::builder(), |builder, n| {
        let ip = std::net::IpAddr::from([127, 0, 0, n]);
        builder.resolve(&host_name(ip), std::net::SocketAddr::new(ip, 0))
    })
}

/// A running in-process instance.
pub struct TestInstance {
    pub url: Url,
    pub addr: std::net::SocketAddr,
    pub data: unionhall_federation::Data,
    pub members: unionhall_members::Members,
    pub client: reqwest::Client,
    pub store: Store,
    pub db: TestDb,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<unionhall::Result<()>>>,
}

impl TestInstance {
    pub fn at(&self, path: &str) -> Url {
        self.url.join(path).expect("path")
    }

    /// Stops the server gracefully and waits for it; returns the database so a
    /// test can start another instance on it.
    pub async fn stop(mut self) -> TestDb {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await
                .expect("server task")
                .expect("server ran cleanly");
        }
        self.db
    }
}

pub async fn spawn_instance() -> TestInstance {
    spawn_instance_on("127.0.0.1", fresh_database().await).await
}

/// Starts an instance on `ip` (any 127.x address) and a free port, on `db`.
pub async fn spawn_instance_on(ip: &str, db: TestDb) -> TestInstance {
    let listener = std::net::TcpListener::bind((ip, 0)).expect("bind test port");
    spawn_instance_with(listener, db).await
}

/// Starts an instance again at the address it had (its ids embed the port).
pub async fn respawn_instance_at(addr: std::net::SocketAddr, db: TestDb) -> TestInstance {
    let listener = std::net::TcpListener::bind(addr).expect("bind the old address again");
    spawn_instance_with(listener, db).await
}

/// A second server process of the same instance: same database, same public
/// URL (as behind one reverse proxy), its own port and delivery workers.
pub async fn spawn_second_process(first: &TestInstance) -> TestInstance {
    let listener = std::net::TcpListener::bind((first.addr.ip(), 0)).expect("bind test port");
    let public_url = first.url.as_str().trim_end_matches('/').to_owned();
    spawn(listener, TestDb::at(first.db.url.clone()), Some(public_url)).await
}

/// [`spawn_second_process`] with settings of its own, as `UNIONHALL_*`
/// variables (the first process's, for a faithful copy).
pub async fn spawn_second_process_configured(
    first: &TestInstance,
    extra: &[(&str, &str)],
) -> TestInstance {
    let listener = std::net::TcpListener::bind((first.addr.ip(), 0)).expect("bind test port");
    let public_url = first.url.as_str().trim_end_matches('/').to_owned();
    spawn_with(
        listener,
        TestDb::at(first.db.url.clone()),
        Some(public_url),
        true,
        extra,
    )
    .await
}

/// An instance on 127.0.0.1 known as `localhost:PORT`, a name other programs
/// (the Fedify peer) resolve without help.
pub async fn spawn_localhost_instance() -> TestInstance {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind test port");
    let url = format!(
        "http://localhost:{}",
        listener.local_addr().expect("addr").port()
    );
    spawn(listener, fresh_database().await, Some(url)).await
}

/// Starts an instance listening on `listener` but known to the world by
/// `public_url` (a recording proxy in front of it, say).
pub async fn spawn_instance_behind(
    listener: std::net::TcpListener,
    db: TestDb,
    public_url: String,
) -> TestInstance {
    spawn(listener, db, Some(public_url)).await
}

async fn spawn_instance_with(listener: std::net::TcpListener, db: TestDb) -> TestInstance {
    spawn(listener, db, None).await
}

/// An instance on `ip` as in production: private peers not allowed, so only
/// the pinned test names (uh-127-0-0-N.test) are reachable on loopback.
pub async fn spawn_guarded_instance_on(ip: &str, db: TestDb) -> TestInstance {
    let listener = std::net::TcpListener::bind((ip, 0)).expect("bind test port");
    spawn_with(listener, db, None, false, &[]).await
}

/// An instance on `ip` with settings of its own, as `UNIONHALL_*` variables.
/// [`respawn_instance_at`] with settings of its own.
pub async fn respawn_configured_instance_at(
    addr: std::net::SocketAddr,
    db: TestDb,
    extra: &[(&str, &str)],
) -> TestInstance {
    let listener = std::net::TcpListener::bind(addr).expect("bind the old address again");
    spawn_with(listener, db, None, true, extra).await
}

pub async fn spawn_configured_instance_on(
    ip: &str,
    db: TestDb,
    extra: &[(&str, &str)],
) -> TestInstance {
    let listener = std::net::TcpListener::bind((ip, 0)).expect("bind test port");
    spawn_with(listener, db, None, true, extra).await
}

async fn spawn(
    listener: std::net::TcpListener,
    db: TestDb,
    public_url: Option<String>,
) -> TestInstance {
    spawn_with(listener, db, public_url, true, &[]).await
}

async fn spawn_with(
    listener: std::net::TcpListener,
    db: TestDb,
    public_url: Option<String>,
    allow_private_peers: bool,
    extra: &[(&str, &str)],
) -> TestInstance {
    if std::env::var("TEST_LOG").is_ok() {
        let _ = unionhall::telemetry::init(&unionhall::settings::LogSettings {
            format: unionhall::settings::LogFormat::Pretty,
            level: "debug".into(),
        });
    }
    let addr = listener.local_addr().expect("addr");
    let public_url =
        public_url.unwrap_or_else(|| format!("http://{}:{}", host_name(addr.ip()), addr.port()));
    let mut settings = test_settings(&db, &public_url, extra);
    settings.federation.allow_private_peers = allow_private_peers;
    settings.federation.hosts = (1..=9)
        .map(|n| {
            let ip = std::net::IpAddr::from([127, 0, 0, n]);
            (host_name(ip), ip)
        })
        .collect();
    let app = Application::build_with_listener(settings, listener)
        .await
        .expect("build instance");
    let store = app.store().clone();
    let data = app.federation_data();
    let members = app.members().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    TestInstance {
        url: Url::parse(&public_url).expect("url"),
        addr,
        data,
        members,
        client: test_client(),
        store,
        db,
        stop: Some(stop),
        task: Some(task),
    }
}

/// Polls `check` until it returns true, for at most `seconds`; panics with
/// `what` otherwise. Federation is asynchronous: tests wait for its effects.
pub async fn wait_for<F, Fut>(what: &str, seconds: u64, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while std::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("timed out after {seconds} s waiting for: {what}");
}

/// A TCP proxy that records every byte passing through it, both ways: put in
/// front of an instance, it captures everything that instance receives from
/// and sends to the network.
pub struct RecordingProxy {
    pub bytes: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
}

impl RecordingProxy {
    /// Accepts on `listener` and forwards each connection to `target`.
    pub fn start(listener: std::net::TcpListener, target: std::net::SocketAddr) -> Self {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let bytes = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        listener.set_nonblocking(true).unwrap();
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        let record = bytes.clone();
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let record = record.clone();
                tokio::spawn(async move {
                    let Ok(outbound) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    let (in_read, in_write) = inbound.into_split();
                    let (out_read, out_write) = outbound.into_split();
                    let pump = |mut from: tokio::net::tcp::OwnedReadHalf,
                                mut to: tokio::net::tcp::OwnedWriteHalf,
                                record: std::sync::Arc<std::sync::Mutex<Vec<u8>>>| async move {
                        let mut buf = vec![0u8; 16 * 1024];
                        while let Ok(n) = from.read(&mut buf).await {
                            if n == 0 {
                                break;
                            }
                            record.lock().unwrap().extend_from_slice(&buf[..n]);
                            if to.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown().await;
                    };
                    let up = pump(in_read, out_write, record.clone());
                    let down = pump(out_read, in_write, record);
                    tokio::join!(up, down);
                });
            }
        });
        Self { bytes }
    }

    pub fn captured(&self) -> Vec<u8> {
        self.bytes.lock().unwrap().clone()
    }
}

/// Every log line of this process at debug level, while this value lives,
/// captured for a test to search (the privacy scenario searches them for member
/// data and secrets; others, for what an operator is told). None if another
/// subscriber was installed first (TEST_LOG). One capture serves the whole
/// process (a global subscriber is set once), each value reading from where
/// it started; when the last is dropped, logging is switched off again: under
/// `cargo test` the other tests of the process would otherwise pay for debug
/// logging.
pub struct LogCapture {
    capture: &'static Capture,
    start: usize,
}

struct Capture {
    buffer: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    filter: tracing_subscriber::reload::Handle<
        tracing_subscriber::EnvFilter,
        tracing_subscriber::Registry,
    >,
    /// Captures alive: logging is on while there is one.
    live: std::sync::Mutex<usize>,
}

static CAPTURE: std::sync::OnceLock<Option<Capture>> = std::sync::OnceLock::new();

struct CaptureWriter(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CaptureWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogCapture {
    pub fn install() -> Option<Self> {
        let capture = CAPTURE.get_or_init(Capture::install).as_ref()?;
        let mut live = capture.live.lock().unwrap();
        *live += 1;
        let _ = capture
            .filter
            .modify(|f| *f = tracing_subscriber::EnvFilter::new("debug"));
        Some(Self {
            capture,
            start: capture.buffer.lock().unwrap().len(),
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.capture.buffer.lock().unwrap()[self.start..]).into_owned()
    }
}

impl Capture {
    fn install() -> Option<Self> {
        use tracing_subscriber::layer::SubscriberExt;
        let buffer = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let shared = buffer.clone();
        let (filter, handle) =
            tracing_subscriber::reload::Layer::new(tracing_subscriber::EnvFilter::new("off"));
        let subscriber = tracing_subscriber::registry().with(filter).with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(move || CaptureWriter(shared.clone())),
        );
        tracing::subscriber::set_global_default(subscriber).ok()?;
        Some(Self {
            buffer,
            filter: handle,
            live: std::sync::Mutex::new(0),
        })
    }
}

impl Drop for LogCapture {
    fn drop(&mut self) {
        let mut live = self.capture.live.lock().unwrap();
        *live -= 1;
        if *live == 0 {
            let _ = self
                .capture
                .filter
                .modify(|f| *f = tracing_subscriber::EnvFilter::new("off"));
        }
    }
}

/// The first column of each row `sql` selects from `db`, read straight from
/// the database (as someone holding it would).
pub async fn column_of<T>(db: &TestDb, sql: &str) -> Vec<T>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    use sqlx::{Connection, Row};
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    sqlx::query(sql)
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}
