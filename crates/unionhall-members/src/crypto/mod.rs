//! The cryptography of accounts and member records, each part behind a small API:
//! password hashing (argon2id), sealing records at rest (AES-256-GCM with a key
//! ring, so keys can rotate), and the random secrets behind invitations, sessions,
//! API tokens and CSRF tokens.

pub mod password;
pub mod sealing;
pub mod secrets;
pub mod totp;
