//! The Unionhall server and its admin command line.
//!
//! `main.rs` only parses arguments and reports errors; everything else is here so
//! that tests can start instances in-process ([`startup::Application`]).

pub mod cli;
mod error;
pub mod settings;
pub mod startup;
pub mod telemetry;

pub use error::{Error, Result};
pub use settings::Settings;
