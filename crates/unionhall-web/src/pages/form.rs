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
    /// The words already in use, offered in a list, with a box beside it
    /// (`{name}_new`, holding `other`) for a new one; none for a plain input.
    pub choices: Vec<String>,
    pub other: String,
}

impl Field {
    /// This field as a choice among `choices` or a new word `other`, when
    /// there is anything to choose from.
    pub fn choosing(self, choices: &[String], other: &str) -> Self {
        Self {
            choices: choices.to_vec(),
            other: other.to_owned(),
            ..self
        }
    }

    pub fn is_chosen(&self, choice: &str) -> bool {
        self.other.trim().is_empty() && choice.eq_ignore_ascii_case(self.value.trim())
    }
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
        choices: Vec::new(),
        other: String::new(),
    }
}

/// What a `datetime-local` input sends (`2026-12-01T06:00`), read on the
/// clocks of `zone`, as Unix milliseconds; None when left empty. A mistake
/// names its field.
pub(crate) fn date_time(
    zone: unionhall_domain::Zone,
    field: &'static str,
    text: &str,
) -> Result<Option<i64>, crate::AppError> {
    match text.trim() {
        "" => Ok(None),
        t => Ok(Some(zone.local_to_millis(field, t)?)),
    }
}

/// A sum as people type it ("20", "20.5", "$20,05"), in hundredths of the
/// currency; at most two decimals (a comma may stand for the point), more
/// than zero. None when it cannot be read.
pub(crate) fn cents(text: &str) -> Option<u64> {
    let text = text.trim().trim_start_matches(['$', '€', '£']);
    let (whole, fraction) = text.split_once(['.', ',']).unwrap_or((text, ""));
    if whole.is_empty() || fraction.len() > 2 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u64 = whole.parse().ok()?;
    let fraction: u64 = format!("{fraction:0<2}").parse().ok()?;
    whole
        .checked_mul(100)?
        .checked_add(fraction)
        .filter(|c| *c > 0)
}

#[cfg(test)]
mod money_tests {
    use super::cents;

    #[test]
    fn sums_read_as_people_type_them() {
        assert_eq!(cents("20"), Some(2000));
        assert_eq!(cents("20.5"), Some(2050));
        assert_eq!(cents("$20,05"), Some(2005));
        assert_eq!(cents("1250.50"), Some(125_050));
        for bad in ["", "0", "abc", "1.234", "-5", ".5", "5,000"] {
            assert_eq!(cents(bad), None, "{bad:?}");
        }
    }
}
