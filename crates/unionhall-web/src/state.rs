//! What every handler can reach.

use std::sync::Arc;
use unionhall_store::Store;
use url::Url;

/// The part of the settings the HTTP layer needs.
#[derive(Debug, Clone)]
pub struct WebConfig {
    pub public_url: Url,
    pub instance_name: String,
    pub body_limit_bytes: usize,
    /// Bearer token of /metrics; empty: no /metrics.
    pub metrics_token: String,
    /// The proxies whose X-Forwarded-For is believed (`client_ip.rs`).
    pub trusted_proxies: Vec<crate::client_ip::Cidr>,
}

impl WebConfig {
    /// Cookies carry `Secure` when the instance is served over https (always, in
    /// production); a plain-http instance on a laptop would otherwise lose them.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}

/// What every handler can reach. Every request clones it (axum's `State`), so
/// it is one shared allocation: a clone is one reference count, not one per
/// field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub store: Store,
    pub config: Arc<WebConfig>,
    pub federation: unionhall_federation::Config,
    pub urls: unionhall_federation::urls::Urls,
    pub members: unionhall_members::Members,
    /// Failed logins per client address (the members service counts them per
    /// username): ten times what one username may fail, in the same window.
    pub(crate) login_limiter: Arc<crate::login_limit::LoginLimiter>,
    /// Requests for a reset link by mail per client address: a few an hour.
    pub(crate) reset_limiter: Arc<crate::login_limit::LoginLimiter>,
}

/// Requests for a reset link by mail one client address may make an hour.
const RESET_REQUESTS_PER_HOUR: u32 = 5;

impl AppState {
    pub fn new(
        store: Store,
        config: WebConfig,
        federation: unionhall_federation::Config,
        members: unionhall_members::Members,
    ) -> Self {
        let policy = members.policy();
        let login_limiter = Arc::new(crate::login_limit::LoginLimiter::new(
            policy.login_max_failures.saturating_mul(10),
            std::time::Duration::from_secs(policy.login_window_minutes.saturating_mul(60)),
        ));
        let reset_limiter = Arc::new(crate::login_limit::LoginLimiter::new(
            RESET_REQUESTS_PER_HOUR,
            std::time::Duration::from_secs(3600),
        ));
        Self(Arc::new(Shared {
            login_limiter,
            reset_limiter,
            members,
            store,
            urls: unionhall_federation::urls::Urls::new(config.public_url.clone()),
            config: Arc::new(config),
            federation,
        }))
    }

    /// Per-request federation context (counts fetches made on its behalf).
    pub fn federation_data(&self) -> unionhall_federation::Data {
        self.federation.to_request_data()
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}
