//! A real SMTP server for the tests: aiosmtpd (from PyPI; `.ci/run` installs
//! it), keeping what it is sent in a Maildir (`tests/smtp/handlers.py`).
//! Without it the email tests pass over nothing unless UNIONHALL_TEST_SMTP=1,
//! which CI sets: there a missing server fails them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct SmtpServer {
    pub port: u16,
    pub ip: String,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl SmtpServer {
    /// Whether the tests can start one (or must, under CI).
    pub fn available() -> bool {
        let found = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found && std::env::var("UNIONHALL_TEST_SMTP").as_deref() == Ok("1") {
            panic!("UNIONHALL_TEST_SMTP=1 but aiosmtpd is not installed (pip install aiosmtpd)");
        }
        found
    }

    /// Starts one on `ip` and a free port.
    pub async fn start(ip: &str) -> Self {
        let port = std::net::TcpListener::bind((ip, 0))
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut server = Self {
            port,
            ip: ip.to_owned(),
            dir: tempfile::tempdir().expect("maildir"),
            child: None,
        };
        server.resume().await;
        server
    }

    /// Stops it (a mail server that is down).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, keeping what it received.
    pub async fn resume(&mut self) {
        let handlers = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/smtp");
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("{}:{}", self.ip, self.port))
            .args(["-c", "handlers.Maildir"])
            .arg(self.dir.path())
            .env("PYTHONPATH", handlers)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        self.child = Some(child);
        for _ in 0..100 {
            if tokio::net::TcpStream::connect((self.ip.as_str(), self.port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("aiosmtpd did not start on {}:{}", self.ip, self.port);
    }

    /// Settings that send through it (plain SMTP: a server on this machine).
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("UNIONHALL_EMAIL__SERVER", self.ip.clone()),
            ("UNIONHALL_EMAIL__PORT", self.port.to_string()),
            ("UNIONHALL_EMAIL__SECURITY", "none".into()),
            (
                "UNIONHALL_EMAIL__FROM",
                "Bakers Local 12 <unionhall@bakers.example>".into(),
            ),
            ("UNIONHALL_EMAIL__RETRY_BASE_SECONDS", "1".into()),
            ("UNIONHALL_EMAIL__POLL_MS", "100".into()),
            ("UNIONHALL_EMAIL__SCAN_SECONDS", "1".into()),
        ]
    }

    /// Every message received, raw, oldest first.
    pub fn received(&self) -> Vec<Received> {
        let mut files: Vec<PathBuf> = ["new", "cur"]
            .iter()
            .filter_map(|d| std::fs::read_dir(self.dir.path().join(d)).ok())
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort_by_key(|f| std::fs::metadata(f).and_then(|m| m.modified()).ok());
        files
            .iter()
            .filter_map(|f| std::fs::read_to_string(f).ok())
            .map(|raw| Received { raw })
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One message as it arrived.
pub struct Received {
    pub raw: String,
}

impl Received {
    /// The value of header `name` (the first, unfolded).
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.raw.split("\r\n\r\n").next().unwrap_or_default();
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }

    /// The whole message with quoted-printable undone (soft line breaks
    /// joined, `=XX` decoded): what a reader sees of its parts' text.
    pub fn text(&self) -> String {
        let joined = self.raw.replace("=\r\n", "");
        let bytes = joined.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if bytes[i] == b'=' && i + 2 < bytes.len() {
                if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The first link in the text that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> Option<String> {
        let text = self.text();
        let start = text.find(prefix)?;
        Some(
            text[start..]
                .split(|c: char| c.is_whitespace() || c == '"' || c == '<')
                .next()?
                .to_owned(),
        )
    }
}
