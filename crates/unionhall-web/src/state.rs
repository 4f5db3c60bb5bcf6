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
}

#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<WebConfig>,
}

impl AppState {
    pub fn new(store: Store, config: WebConfig) -> Self {
        Self {
            store,
            config: Arc::new(config),
        }
    }
}
