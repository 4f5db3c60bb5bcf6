//! Database URLs carry passwords; they are masked wherever a URL is shown or logged.

/// `postgres://user:secret@host/db` -> `postgres://user:***@host/db`, and a
/// `password=` in the query masked too. Done on the text, not through a URL
/// parser: a password that is not percent-encoded may hold `@`, `/`, `#` or
/// `?`, which a parser takes for the host, the path or the query, leaving
/// part of the password in plain sight. The user information ends at the
/// last `@`. Strings without a password are returned unchanged.
pub fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let rest = match rest.rfind('@') {
        Some(at) => match rest[..at].split_once(':') {
            Some((user, _password)) => format!("{user}:***{}", &rest[at..]),
            None => rest.to_owned(),
        },
        None => rest.to_owned(),
    };
    let rest = match rest.split_once('?') {
        Some((before, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => {
                        format!("{key}=***")
                    }
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{before}?{}", query.join("&"))
        }
        None => rest,
    };
    format!("{scheme}://{rest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_only_the_password() {
        assert_eq!(
            mask_password("postgres://uh:s3cret@db.example:5432/uh"),
            "postgres://uh:***@db.example:5432/uh"
        );
        assert_eq!(
            mask_password("sqlite://data/unionhall.db"),
            "sqlite://data/unionhall.db"
        );
        assert_eq!(mask_password("postgres://uh@db/uh"), "postgres://uh@db/uh");
    }

    #[test]
    fn a_password_with_the_characters_of_a_url_is_masked_whole() {
        for password in ["p@ss@word", "pa/ss", "pa#ss", "pa?ss", "p:w"] {
            let masked = mask_password(&format!("postgres://uh:{password}@db:5432/uh"));
            assert_eq!(masked, "postgres://uh:***@db:5432/uh", "{password}");
        }
        assert_eq!(
            mask_password("postgres://db/uh?user=uh&password=s3cret&sslmode=require"),
            "postgres://db/uh?user=uh&password=***&sslmode=require"
        );
    }
}
