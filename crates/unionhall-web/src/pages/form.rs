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
