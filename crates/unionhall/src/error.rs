//! The one error type of the binary crate: what can stop a command, phrased for the
//! person who typed it.

use std::net::SocketAddr;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad setting, with where it came from; the message says what to change.
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Store(#[from] unionhall_store::Error),
    #[error(transparent)]
    Federation(#[from] unionhall_federation::Error),
    #[error(transparent)]
    Members(#[from] unionhall_members::Error),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: SocketAddr, reason: String },
    #[error("{0}")]
    Usage(String),
    #[error("server error: {0}")]
    Serve(std::io::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn listen(addr: SocketAddr, err: std::io::Error) -> Self {
        let reason = match err.kind() {
            std::io::ErrorKind::AddrInUse => format!(
                "the address is already in use (is another Unionhall running?); \
                 stop that program or set another address with [http] listen or \
                 UNIONHALL_HTTP__LISTEN ({err})"
            ),
            std::io::ErrorKind::AddrNotAvailable => format!(
                "this machine has no such address; set [http] listen or \
                 UNIONHALL_HTTP__LISTEN to one of its addresses ({err})"
            ),
            std::io::ErrorKind::PermissionDenied => format!(
                "permission denied (ports below 1024 need privileges; use a higher port \
                 behind a reverse proxy) ({err})"
            ),
            _ => err.to_string(),
        };
        Self::Listen { addr, reason }
    }
}
