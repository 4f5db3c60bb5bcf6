//! The text of HTML received or published (a post's `content`): its tags
//! dropped and its few entities read, for pages that show text and never
//! markup, and for titles made from a post's first line.

/// The text of `html`, its whitespace collapsed to single spaces.
pub fn text_of(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let text = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text of the first line of `html` that has any (lines end at `<br>`
/// and `</p>`).
pub fn first_line_of(html: &str) -> String {
    html.replace("<br>", "\n")
        .replace("</p>", "\n")
        .lines()
        .map(text_of)
        .find(|line| !line.is_empty())
        .unwrap_or_default()
}

/// The paragraphs of `html` as text (a paragraph ends at `</p>` or at two
/// `<br>` in a row), the empty ones left out: a post's page shows them apart.
pub fn paragraphs_of(html: &str) -> Vec<String> {
    html.replace("</p>", "\n\n")
        .replace("<br><br>", "\n\n")
        .split("\n\n")
        .map(text_of)
        .filter(|paragraph| !paragraph.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_go_and_entities_are_read() {
        assert_eq!(
            text_of("<p>Picket &amp; rally<br>at <b>gate 3</b></p>"),
            "Picket & rally at gate 3"
        );
        assert_eq!(
            first_line_of("<p></p><p>Picket &amp; rally<br>Saturday</p>"),
            "Picket & rally"
        );
    }

    #[test]
    fn paragraphs_stay_apart() {
        assert_eq!(
            paragraphs_of("<p>Day three</p><p></p><p>The night <b>shift</b><br>too</p>"),
            ["Day three", "The night shift too"]
        );
        assert_eq!(paragraphs_of("One<br><br>Two"), ["One", "Two"]);
    }
}
