//! A chapter's own words for where and when people work: the departments and
//! shifts its roster already uses. Forms offer these, so that "Ovens", "ovens"
//! and "Ovens " do not become three departments that filters and the chart
//! count apart.

/// The distinct values among `values`, ignoring case and surrounding spaces
/// (the first spelling met wins), sorted without regard to case; empty values
/// left out.
pub fn distinct<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut seen = std::collections::BTreeMap::new();
    for value in values {
        let value = value.trim();
        if !value.is_empty() {
            seen.entry(value.to_lowercase())
                .or_insert_with(|| value.to_owned());
        }
    }
    seen.into_values().collect()
}

/// `typed` as the chapter already spells it when one of `known` is the same
/// word in another case; otherwise `typed` trimmed (a new word).
pub fn in_known_spelling(typed: &str, known: &[String]) -> String {
    let typed = typed.trim();
    known
        .iter()
        .find(|k| k.eq_ignore_ascii_case(typed))
        .cloned()
        .unwrap_or_else(|| typed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_values_ignore_case_and_spaces_and_keep_the_first_spelling() {
        let values = ["Ovens", "ovens ", "", "Packing", " Night"];
        assert_eq!(distinct(values), vec!["Night", "Ovens", "Packing"]);
    }

    #[test]
    fn a_typed_word_takes_the_known_spelling() {
        let known = vec!["Ovens".to_owned()];
        assert_eq!(in_known_spelling(" OVENS", &known), "Ovens");
        assert_eq!(in_known_spelling("Loading dock ", &known), "Loading dock");
    }
}
