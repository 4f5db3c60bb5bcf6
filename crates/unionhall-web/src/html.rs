//! The little HTML made without templates: escaping, the text of a post's
//! HTML, and the shell of the instance actor's plain page.

use axum::response::Html;

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The text of a post's HTML (received posts are not trusted: pages show their
/// text, escaped, never their markup).
pub use unionhall_domain::text::text_of;

/// A complete page around `body`, which must already be escaped HTML, in the
/// look of the templated ones.
pub fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"/static/unionhall.css\"></head>\
         <body><header class=\"top\"><a class=\"brand\" href=\"/\">Unionhall</a></header>\
         <main id=\"main\">{body}</main></body></html>",
        escape(title)
    ))
}
