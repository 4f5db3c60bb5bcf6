//! What form pages share: one input with what was typed and, when the server
//! refused it, the error shown next to it; and the `?done=` a form that
//! succeeded redirects to.

/// `?done=KEY` after a form that worked: each page turns its own fixed keys
/// into a confirmation, so nothing from the address is shown as it is.
#[derive(serde::Deserialize)]
pub(crate) struct Done {
    pub done: Option<String>,
}

pub(crate) struct Field {
    pub name: &'static str,
    pub label: &'static str,
    /// The input's type ("text", "date", ...), or "textarea".
    pub kind: &'static str,
    pub long: bool,
    pub value: String,
    pub invalid: bool,
    pub message: String,
}

/// A field of a form, marked invalid if `problem` (field, message) is about it.
pub(crate) fn field(
    problem: Option<&(String, String)>,
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    value: &str,
) -> Field {
    let (invalid, message) = match problem {
        Some((about, message)) if about == name => (true, message.clone()),
        _ => (false, String::new()),
    };
    Field {
        name,
        label,
        kind,
        long: kind == "textarea",
        value: value.to_owned(),
        invalid,
        message,
    }
}

/// What a `datetime-local` input sends (`2026-12-01T06:00`, read as UTC), as
/// Unix milliseconds; None when left empty. A mistake names its field.
pub(crate) fn date_time(field: &str, text: &str) -> Result<Option<i64>, crate::AppError> {
    match text.trim() {
        "" => Ok(None),
        t => chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M")
            .ok()
            .map(|t| Some(t.and_utc().timestamp_millis()))
            .ok_or_else(|| crate::AppError::Invalid {
                field: field.into(),
                message: format!("{field}: a date and time such as 2026-12-01T06:00"),
            }),
    }
}
