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
    tls: Encryption,
}

/// How the test server protects its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encryption {
    /// Plain SMTP, no STARTTLS offered.
    Plain,
    /// STARTTLS offered, and required before any mail is taken.
    StartTls,
    /// TLS from the first byte (SMTPS).
    Tls,
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
        Self::start_with(ip, Encryption::Plain).await
    }

    /// Starts one protected by `tls`, with a certificate for `ip` issued by
    /// a test authority of its own (`ca_file()`).
    pub async fn start_with(ip: &str, tls: Encryption) -> Self {
        let port = std::net::TcpListener::bind((ip, 0))
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut server = Self {
            port,
            ip: ip.to_owned(),
            dir: tempfile::tempdir().expect("maildir"),
            child: None,
            tls,
        };
        if tls != Encryption::Plain {
            issue_certificate(server.dir.path(), ip);
        }
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
        let mut command = Command::new("python3");
        command
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("{}:{}", self.ip, self.port));
        let (cert, key) = (
            self.dir.path().join("server.pem"),
            self.dir.path().join("server.key"),
        );
        match self.tls {
            Encryption::Plain => {}
            Encryption::StartTls => {
                command
                    .arg("--tlscert")
                    .arg(&cert)
                    .arg("--tlskey")
                    .arg(&key);
            }
            Encryption::Tls => {
                command
                    .arg("--smtpscert")
                    .arg(&cert)
                    .arg("--smtpskey")
                    .arg(&key);
            }
        }
        let child = command
            .args(["-c", "handlers.Maildir"])
            .arg(self.dir.path().join("mail"))
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

    /// The test authority's certificate, which issued the server's.
    pub fn ca_file(&self) -> String {
        self.dir.path().join("ca.pem").display().to_string()
    }

    /// Settings that send through it: plain SMTP to a plain server (one on
    /// this machine); to an encrypted one, TLS as it speaks it, trusting
    /// its authority.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        let security = match self.tls {
            Encryption::Plain => "none",
            Encryption::StartTls => "starttls",
            Encryption::Tls => "tls",
        };
        let mut settings = vec![
            ("UNIONHALL_EMAIL__SERVER", self.ip.clone()),
            ("UNIONHALL_EMAIL__PORT", self.port.to_string()),
            ("UNIONHALL_EMAIL__SECURITY", security.into()),
            (
                "UNIONHALL_EMAIL__FROM",
                "Bakers Local 12 <unionhall@bakers.example>".into(),
            ),
            ("UNIONHALL_EMAIL__RETRY_BASE_SECONDS", "1".into()),
            ("UNIONHALL_EMAIL__POLL_MS", "100".into()),
            ("UNIONHALL_EMAIL__SCAN_SECONDS", "1".into()),
        ];
        if self.tls != Encryption::Plain {
            settings.push(("UNIONHALL_EMAIL__CA_FILE", self.ca_file()));
        }
        settings
    }

    /// Every message received, raw, oldest first.
    pub fn received(&self) -> Vec<Received> {
        let mut files: Vec<PathBuf> = ["new", "cur"]
            .iter()
            .filter_map(|d| std::fs::read_dir(self.dir.path().join("mail").join(d)).ok())
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

/// Makes a test authority (`ca.pem`) and a certificate it issued for `ip`
/// (`server.pem`, `server.key`) in `dir`, with the openssl command.
fn issue_certificate(dir: &Path, ip: &str) {
    let run = |args: &[&str]| {
        let status = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("the openssl command");
        assert!(status.success(), "openssl {args:?}");
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    run(&[
        &["req", "-x509"][..],
        &ec,
        &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2"],
        &["-subj", "/CN=Unionhall test mail authority"],
        &[
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ],
    ]
    .concat());
    run(&[
        &["req"][..],
        &ec,
        &[
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=test mail server",
        ],
    ]
    .concat());
    std::fs::write(
        dir.join("server.ext"),
        format!("subjectAltName=IP:{ip}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"),
    )
    .expect("write server.ext");
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
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

    /// The subject as a mail program shows it: RFC 2047 encoded words
    /// (`=?utf-8?b?...?=`, as lettre writes what is not ASCII) decoded.
    pub fn subject(&self) -> String {
        use base64::Engine;
        let decode = |word: &str| -> Option<String> {
            let inner = word.strip_prefix("=?")?.strip_suffix("?=")?;
            let mut parts = inner.splitn(3, '?');
            let (_charset, encoding, text) = (parts.next()?, parts.next()?, parts.next()?);
            let bytes = match encoding {
                "b" | "B" => base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .ok()?,
                _ => text.replace('_', " ").into_bytes(),
            };
            String::from_utf8(bytes).ok()
        };
        let mut out = String::new();
        let mut last_encoded = false;
        for word in self.header("Subject").unwrap_or_default().split(' ') {
            let decoded = decode(word);
            // The space between two encoded words is not part of the text.
            let joined = last_encoded && decoded.is_some();
            if !out.is_empty() && !joined {
                out.push(' ');
            }
            last_encoded = decoded.is_some();
            out.push_str(&decoded.unwrap_or_else(|| word.to_owned()));
        }
        out
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
