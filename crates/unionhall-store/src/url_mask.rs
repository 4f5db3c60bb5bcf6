//! Database URLs carry passwords; they are masked wherever a URL is shown or logged.

/// `postgres://user:secret@host/db` -> `postgres://user:***@host/db`. Strings that
/// are not URLs with a password are returned unchanged.
pub fn mask_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Setting a password only fails for URLs that cannot have one, which
            // this one evidently can.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
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
}
