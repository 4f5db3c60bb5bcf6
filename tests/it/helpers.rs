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
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// An existing database, owned by someone else (nothing is removed).
    pub fn at(url: String) -> Self {
        Self { url, _dir: None }
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
            }
        }
        None => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("unionhall.db").display());
            TestDb {
                url,
                _dir: Some(dir),
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

/// Settings for a test instance: given database, public URL on the bound address,
/// private peers allowed (loopback), logs only with TEST_LOG.
pub fn test_settings(db: &TestDb, public_url: &str, extra: &[(&str, &str)]) -> Settings {
    let mut env = vec![
        ("UNIONHALL_DATABASE__URL".to_owned(), db.url.clone()),
        (
            "UNIONHALL_INSTANCE__PUBLIC_URL".to_owned(),
            public_url.to_owned(),
        ),
        (
            "UNIONHALL_FEDERATION__ALLOW_PRIVATE_PEERS".to_owned(),
            "true".to_owned(),
        ),
        (
            "UNIONHALL_HTTP__SHUTDOWN_GRACE_SECONDS".to_owned(),
            "5".to_owned(),
        ),
        (
            "UNIONHALL_DATABASE__MAX_CONNECTIONS".to_owned(),
            "4".to_owned(),
        ),
    ];
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Settings::load(None, env).expect("test settings")
}

/// A running in-process instance.
pub struct TestInstance {
    pub url: Url,
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
    if std::env::var("TEST_LOG").is_ok() {
        let _ = unionhall::telemetry::init(&unionhall::settings::LogSettings {
            format: unionhall::settings::LogFormat::Pretty,
            level: "debug".into(),
        });
    }
    let listener = std::net::TcpListener::bind((ip, 0)).expect("bind test port");
    let addr = listener.local_addr().expect("addr");
    let public_url = format!("http://{addr}");
    let settings = test_settings(&db, &public_url, &[]);
    let app = Application::build_with_listener(settings, listener)
        .await
        .expect("build instance");
    let store = app.store().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    TestInstance {
        url: Url::parse(&public_url).expect("url"),
        client: reqwest::Client::new(),
        store,
        db,
        stop: Some(stop),
        task: Some(task),
    }
}
