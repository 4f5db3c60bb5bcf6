//! Email: the SMTP transport (`transport.rs`) and the workers that send what
//! the durable mail queue holds (`worker.rs`). What a message says, and when
//! one is written, is decided where it is caused (the members crate's
//! `email.rs`): this crate only sends, retries and gives up.

mod error;
mod settings;
pub mod transport;
pub mod worker;

pub use error::{Error, Result};
pub use settings::{MailSettings, Security};
pub use transport::{Mailer, Refusal};
