//! Unionhall's one integration-test binary: instances started for real (in-process
//! or as the `unionhall` binary), talking HTTP on loopback, each test on a fresh
//! database. SQLite by default; set UNIONHALL_TEST_POSTGRES_URL to a server URL
//! (e.g. postgres://postgres@localhost) to run every test on PostgreSQL instead.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

// The API's documentation matches the routes the server has.
mod api_docs;
mod backup;
// The command line as an admin uses it: config layers, bad input, start and stop.
mod cli;
// Mail through a real SMTP server: confirmations, resets, failures.
pub(crate) mod email;
// Real instances on loopback following, delivering, refusing bad input.
mod federation;
// Accounts, roles, the roster, encryption at rest and the privacy capture test.
mod members;
mod operating;
// Calls for support and pledges between three instances.
pub(crate) mod solidarity;
// The HTTP skeleton: probes, error shape, body limit, request ids.
mod http;
// The store API behaves the same on both backends.
mod store;
mod upgrade;
mod web;
