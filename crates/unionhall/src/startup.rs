//! Building an instance from its settings and running it until told to stop.
//!
//! Split in two (`build` binds and migrates, `run_until_stopped` serves) so that a
//! test can bind port 0, learn the address, and start several instances in one
//! process.

use crate::{Error, Result, Settings};
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use unionhall_store::{instance, ConnectOptions, Store};
use unionhall_web::{AppState, WebConfig};
use url::Url;

pub struct Application {
    listener: tokio::net::TcpListener,
    local_addr: SocketAddr,
    settings: Settings,
    store: Store,
    state: AppState,
}

impl Application {
    /// Opens and migrates the database, then binds `http.listen`.
    pub async fn build(settings: Settings) -> Result<Self> {
        let addr = settings.http.listen;
        let listener = std::net::TcpListener::bind(addr).map_err(|err| Error::listen(addr, err))?;
        Self::build_with_listener(settings, listener).await
    }

    /// Like [`Application::build`] on a socket the caller bound already (tests bind
    /// port 0 first, so the public URL can name the real port).
    pub async fn build_with_listener(
        settings: Settings,
        listener: std::net::TcpListener,
    ) -> Result<Self> {
        let addr = listener.local_addr().map_err(Error::Serve)?;
        listener
            .set_nonblocking(true)
            .map_err(|err| Error::listen(addr, err))?;
        let listener =
            tokio::net::TcpListener::from_std(listener).map_err(|err| Error::listen(addr, err))?;
        let store = open_store(&settings).await?;
        store.migrate().await?;
        remember_public_url(&store, &settings.instance.public_url).await?;
        let members = open_members(&settings, &store).await?;
        // Metrics recorded from here on reach /metrics.
        unionhall_web::metrics_handle();
        let federation =
            unionhall_federation::configure(store.clone(), settings.federation(), members.sealer())
                .await?;
        let state = AppState::new(
            store.clone(),
            WebConfig {
                public_url: settings.instance.public_url.clone(),
                instance_name: settings.instance.name.clone(),
                body_limit_bytes: settings.http.body_limit_bytes,
                metrics_token: settings.http.metrics_token.clone(),
                trusted_proxies: settings
                    .http
                    .trusted_proxies
                    .iter()
                    .filter_map(|p| unionhall_web::client_ip::Cidr::parse(p).ok())
                    .collect(),
            },
            federation,
            members,
        );
        Ok(Self {
            listener,
            local_addr: addr,
            settings,
            store,
            state,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn public_url(&self) -> &Url {
        &self.settings.instance.public_url
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The members service, for tests and admin commands run in-process.
    pub fn members(&self) -> &unionhall_members::Members {
        &self.state.members
    }

    /// The federation context, for tests and admin commands run in-process.
    pub fn federation_data(&self) -> unionhall_federation::Data {
        self.state.federation_data()
    }

    /// Serves and delivers until `shutdown` completes, then lets in-flight
    /// requests and deliveries finish for at most `http.shutdown_grace_seconds`
    /// and closes the database.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        let grace = Duration::from_secs(self.settings.http.shutdown_grace_seconds);
        let stopping = std::sync::Arc::new(tokio::sync::Notify::new());
        let notify = stopping.clone();
        let (stop_workers, workers_stopped) = tokio::sync::watch::channel(false);
        let worker = unionhall_federation::delivery::worker::spawn(
            self.state.federation_data().app_data().clone(),
            workers_stopped.clone(),
        );
        let pruning = spawn_pruning(
            self.store.clone(),
            self.settings.retention_ages(),
            Duration::from_secs(self.settings.retention.every_minutes * 60),
            workers_stopped.clone(),
        );
        let backfills = unionhall_federation::activities::backfill::spawn_runner(
            self.state.federation_data(),
            workers_stopped.clone(),
        );
        let closer = unionhall_federation::activities::over::spawn_closer(
            self.state.federation_data(),
            workers_stopped.clone(),
        );
        let mail = match self.settings.mail_settings()? {
            Some(mail) => Some(unionhall_mail::worker::spawn(
                self.store.clone(),
                self.state.members.clone(),
                unionhall_mail::Mailer::new(&mail).map_err(|err| Error::Config(err.to_string()))?,
                mail,
                workers_stopped,
            )),
            None => None,
        };
        let router = unionhall_web::router(self.state);
        // The peer address reaches handlers (the inbox limits clients by it).
        let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
        let server = axum::serve(self.listener, service).with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down: finishing requests in flight");
            notify.notify_one();
        });
        let outcome = tokio::select! {
            result = server => result.map_err(Error::Serve),
            () = async { stopping.notified().await; tokio::time::sleep(grace).await } => {
                tracing::warn!(seconds = grace.as_secs(), "requests still in flight after the grace period; stopping anyway");
                Ok(())
            }
        };
        let _ = stop_workers.send(true);
        if tokio::time::timeout(grace, worker).await.is_err() {
            tracing::warn!(
                "deliveries still in flight after the grace period; they will be retried"
            );
        }
        // A backfill cut short is taken up again when its lease ends.
        let _ = tokio::time::timeout(grace, backfills).await;
        let _ = tokio::time::timeout(grace, pruning).await;
        // A call left open is closed on the next start.
        let _ = tokio::time::timeout(grace, closer).await;
        // A message cut short is sent again once its lease ends.
        if let Some(mail) = mail {
            let _ = tokio::time::timeout(grace, mail).await;
        }
        self.store.close().await;
        outcome
    }
}

/// Prunes finished rows (the store's `retention`) a few seconds after the
/// start, then every `every`, until `stop` turns true. A failure is logged and tried
/// again next time: nothing depends on it but disk space.
fn spawn_pruning(
    store: Store,
    ages: unionhall_store::retention::Ages,
    every: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut wait = Duration::from_secs(5).min(every);
        loop {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.wait_for(|stopped| *stopped) => return,
            }
            match unionhall_store::retention::prune(&store, &ages).await {
                Ok(pruned) if pruned.total() > 0 => tracing::info!(?pruned, "pruned old rows"),
                Ok(_) => {}
                Err(err) => tracing::warn!("pruning old rows failed: {err}"),
            }
            wait = every;
        }
    })
}

pub async fn open_store(settings: &Settings) -> Result<Store> {
    Ok(Store::connect(&ConnectOptions {
        url: settings.database.url.clone(),
        max_connections: settings.database.max_connections,
        connect_timeout: Duration::from_secs(settings.database.connect_timeout_seconds),
    })
    .await?)
}

/// The members service, with its key ring checked against the database
/// (`keys::open_keyring`): a missing or different key stops the start with a
/// clear message.
pub async fn open_members(
    settings: &Settings,
    store: &Store,
) -> Result<unionhall_members::Members> {
    let keyring = unionhall_members::keys::open_keyring(store, &settings.member_keys()).await?;
    let members = unionhall_members::Members::new(store.clone(), keyring, settings.member_policy());
    // Accounts linked to records by an older release, in plain text.
    let sealed = members.seal_plain_links().await?;
    if sealed > 0 {
        tracing::info!(
            sealed,
            "sealed the links of accounts to their member records"
        );
    }
    let tagged = members.tag_untagged_addresses().await?;
    if tagged > 0 {
        tracing::info!(tagged, "tagged email addresses so a reset can find them");
    }
    Ok(members)
}

/// Remote servers keep the ids we hand out, and ids embed the public URL, so a
/// changed URL breaks every follow: warn about it at start.
async fn remember_public_url(store: &Store, public_url: &Url) -> Result<()> {
    let first = instance::remember_first_start(store, public_url.as_str()).await?;
    if first != public_url.as_str() {
        tracing::warn!(
            first = %first,
            now = %public_url,
            "instance.public_url differs from the one this database was set up with; \
             remote servers still use the old one, so federation with them will break"
        );
    }
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM (systemd, container runtimes).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
