//! Notes: campaign updates our chapters publish, and posts from the chapters we
//! follow. Other object types that carry text (`Page`, `Article`, `Event`) are
//! read the same way.

use serde::{Deserialize, Serialize};
use url::Url;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NoteJson {
    #[serde(rename = "type", deserialize_with = "super::lenient::type_name")]
    pub kind: String,
    pub id: Url,
    pub attributed_to: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, with = "super::one_or_many_ser")]
    pub to: Vec<Url>,
    #[serde(default, with = "super::one_or_many_ser")]
    pub cc: Vec<Url>,
    /// A reply (a Lemmy comment, a Mastodon reply): what it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<Url>,
    /// FEP-1b12: the group it was posted in (Lemmy's community).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::lenient::first_id"
    )]
    pub audience: Option<Url>,
    /// A campaign update: the campaign it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<Url>,
}

/// Object types whose text we keep.
pub const NOTE_TYPES: &[&str] = &["Note", "Page", "Article", "Event", "Question"];

/// An organizer's plain text as the HTML `content` other servers display:
/// escaped, paragraphs from blank lines, line breaks kept.
pub fn plain_text_to_html(text: &str) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;")
    };
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", escape(p).replace('\n', "<br>")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_becomes_escaped_paragraphs() {
        assert_eq!(
            plain_text_to_html("Picket at 6am <Gate 3>\nBring water\n\nSolidarity & thanks"),
            "<p>Picket at 6am &lt;Gate 3&gt;<br>Bring water</p><p>Solidarity &amp; thanks</p>"
        );
    }
}
