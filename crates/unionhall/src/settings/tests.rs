use super::*;
use std::collections::BTreeSet;
use std::io::Write;

fn env(vars: &[(&str, &str)]) -> Vec<(String, String)> {
    vars.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn keys(value: &toml::Value, prefix: &str, out: &mut BTreeSet<String>) {
    if let toml::Value::Table(table) = value {
        for (k, v) in table {
            let path = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            keys(v, &path, out);
            if !v.is_table() {
                out.insert(path);
            }
        }
    }
}

#[test]
fn the_default_file_holds_exactly_the_settings_keys() {
    let settings = Settings::load(None, env(&[])).expect("defaults load");
    let (mut in_file, mut in_struct) = (BTreeSet::new(), BTreeSet::new());
    keys(
        &layers::parse(DEFAULT_TOML, "defaults").expect("toml"),
        "",
        &mut in_file,
    );
    keys(
        &toml::Value::try_from(&settings).expect("serialize"),
        "",
        &mut in_struct,
    );
    assert_eq!(in_file, in_struct);
}

#[test]
fn every_default_key_is_explained_by_a_comment() {
    let lines: Vec<&str> = DEFAULT_TOML.lines().map(str::trim).collect();
    for (i, line) in lines.iter().enumerate() {
        let is_key = !line.is_empty() && !line.starts_with('#') && !line.starts_with('[');
        if is_key {
            assert!(
                i > 0 && lines[i - 1].starts_with('#'),
                "config/default.toml: `{line}` has no comment above it"
            );
        }
    }
}

#[test]
fn defaults_serve_locally_on_sqlite() {
    let s = Settings::load(None, env(&[])).expect("defaults load");
    assert_eq!(s.http.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(s.instance.public_url.as_str(), "http://localhost:8080/");
    assert_eq!(s.database.url, "sqlite://data/unionhall.db");
    assert!(!s.federation.allow_private_peers);
}

#[test]
fn a_file_then_the_environment_override_the_defaults() {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    writeln!(
        file,
        "[http]\nlisten = \"127.0.0.2:9000\"\n[log]\nformat = \"json\""
    )
    .expect("write");
    let s = Settings::load(
        Some(file.path()),
        env(&[
            ("UNIONHALL_HTTP__LISTEN", "127.0.0.3:9001"),
            ("UNIONHALL_DATABASE__MAX_CONNECTIONS", "3"),
            ("UNIONHALL_FEDERATION__ALLOW_PRIVATE_PEERS", "true"),
            ("UNIONHALL_TEST_POSTGRES_URL", "not a setting, ignored"),
            ("PATH", "/usr/bin"),
        ]),
    )
    .expect("load");
    assert_eq!(s.http.listen.to_string(), "127.0.0.3:9001");
    assert_eq!(s.log.format, LogFormat::Json);
    assert_eq!(s.database.max_connections, 3);
    assert!(s.federation.allow_private_peers);
}

#[test]
fn maps_such_as_federation_hosts_take_any_key_but_need_valid_values() {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    writeln!(
        file,
        "[federation]\nhosts = {{ \"a.test\" = \"127.0.0.2\" }}"
    )
    .expect("write");
    let s = Settings::load(Some(file.path()), env(&[])).expect("load");
    assert_eq!(s.federation.hosts["a.test"].to_string(), "127.0.0.2");
    let message = load_err(
        Some("[federation]\nhosts = { \"a.test\" = \"not an ip\" }\n"),
        &[],
    );
    assert!(message.contains("federation.hosts"), "{message}");
}

fn load_err(file: Option<&str>, vars: &[(&str, &str)]) -> String {
    let mut tmp = tempfile::NamedTempFile::new().expect("temp file");
    if let Some(text) = file {
        tmp.write_all(text.as_bytes()).expect("write");
    }
    let path = file.map(|_| tmp.path());
    match Settings::load(path, env(vars)) {
        Ok(_) => panic!("loaded although it should not: {file:?} {vars:?}"),
        Err(err) => err.to_string(),
    }
}

/// A config file (if any), environment variables, and what the error must say.
type BadCase<'a> = (Option<&'a str>, &'a [(&'a str, &'a str)], &'a str);

#[test]
fn bad_values_are_refused_with_where_they_came_from() {
    let cases: &[BadCase] = &[
        (
            None,
            &[("UNIONHALL_DATABASE__MAX_CONNECTIONS", "many")],
            "UNIONHALL_DATABASE__MAX_CONNECTIONS: expected integer",
        ),
        (
            None,
            &[("UNIONHALL_DATABSE__URL", "x")],
            "unknown setting `databse.url`",
        ),
        (
            None,
            &[("UNIONHALL_HTTP__LISTEN", "localhost")],
            "setting `http.listen`",
        ),
        (
            None,
            &[("UNIONHALL_LOG__FORMAT", "xml")],
            "setting `log.format`",
        ),
        (
            None,
            &[("UNIONHALL_DATABASE__URL", "mysql://x@y/z")],
            "setting `database.url`",
        ),
        (
            None,
            &[("UNIONHALL_INSTANCE__PUBLIC_URL", "ftp://x.org")],
            "instance.public_url",
        ),
        (
            None,
            &[("UNIONHALL_INSTANCE__PUBLIC_URL", "https://x.org/uh")],
            "no path",
        ),
        (
            None,
            &[("UNIONHALL_DATABASE__MAX_CONNECTIONS", "0")],
            "at least 1",
        ),
        (
            Some("[http]\nlisten = 8080\n"),
            &[],
            "setting `http.listen`",
        ),
        (
            Some("[http]\nlisen = \"127.0.0.1:1\"\n"),
            &[],
            "unknown setting `http.lisen`",
        ),
        (Some("[http\n"), &[], "is not valid TOML"),
        (
            Some("[email]\nserver = \"mail.test\"\nfrom = \"a@b.test\"\nsecurity = \"none\"\nca_file = \"/etc/passwd\"\n"),
            &[],
            "setting `email.ca_file`: is for security",
        ),
        (
            Some("[email]\nserver = \"mail.test\"\nfrom = \"a@b.test\"\nca_file = \"/nonexistent/ca.pem\"\n"),
            &[],
            "setting `email.ca_file`: cannot read /nonexistent/ca.pem",
        ),
        (
            Some("[email]\nserver = \"mail.test\"\nfrom = \"a@b.test\"\nca_file = \"/etc/passwd\"\n"),
            &[],
            "setting `email.ca_file`: /etc/passwd holds no PEM certificate",
        ),
        (
            Some("[email]\nserver = \"mail.test\"\nfrom = \"a@b.test\"\nlanguage = \"de\"\n"),
            &[],
            "setting `email.language`: must be en, es or fr",
        ),
    ];
    for (file, vars, expected) in cases {
        let message = load_err(*file, vars);
        assert!(
            message.contains(expected),
            "{message:?} should mention {expected:?}"
        );
        assert!(!message.contains('\n'), "{message:?} should be one line");
    }
}

#[test]
fn a_missing_config_file_is_named() {
    let err = Settings::load(Some(Path::new("/nonexistent/uh.toml")), env(&[]))
        .expect_err("missing file");
    assert!(err.to_string().contains("/nonexistent/uh.toml"));
}

#[test]
fn printed_settings_mask_the_database_password() {
    let s = Settings::load(
        None,
        env(&[("UNIONHALL_DATABASE__URL", "postgres://uh:hunter2@db/uh")]),
    )
    .expect("load");
    let shown = s.to_masked_toml().expect("toml");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("postgres://uh:***@db/uh"), "{shown}");
}
