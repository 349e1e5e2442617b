//! What text a request may carry at all, whatever it is for: no control
//! characters, except a tab or a line break in a multi-line field of a body
//! (a reason, a note). None belongs in an email, a name or a token;
//! PostgreSQL cannot store NUL; and a line break in a one-line value could
//! reach a `Location` header (a token, `next`, `back`). One rule for query
//! strings, forms and JSON bodies alike.

/// Fields whose text may span lines (a `<textarea>`).
pub const MULTI_LINE_FIELDS: &[&str] = &["reason", "note", "description"];

/// Whether the field `name` with `value` holds a forbidden character.
/// `in_body`: the field came in a request body (a query string is one line).
pub fn has_forbidden_char(name: &str, value: &str, in_body: bool) -> bool {
    let breaks_allowed = in_body && MULTI_LINE_FIELDS.contains(&name);
    let allowed = |c: char| breaks_allowed && matches!(c, '\t' | '\n' | '\r');
    name.chars().any(char::is_control) || value.chars().any(|c| c.is_control() && !allowed(c))
}

/// `text` without the characters that show as nothing, or change how the
/// text around them is shown: Unicode's default-ignorable code points (soft
/// hyphens, zero-width spaces and joiners, bidirectional marks, overrides
/// and isolates, variation selectors, tags, the byte-order mark) and the
/// blanks that look like a space or like nothing (Hangul fillers, the
/// braille blank, interlinear annotation marks). Free text written by
/// someone who is not signed in reaches the support desk's screens, and
/// names are compared for uniqueness: such characters could make a note
/// read differently than it is, or two names look alike.
pub fn without_format_chars(text: &str) -> String {
    text.chars().filter(|c| !is_invisible(*c)).collect()
}

fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFFB}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_formatting_is_dropped_from_free_text() {
        assert_eq!(
            without_format_chars("phone\u{202E}nelots\u{200B} lost\u{FEFF}"),
            "phonenelots lost"
        );
        assert_eq!(without_format_chars("Zoë — 電話"), "Zoë — 電話");
        // Soft hyphens, variation selectors, tags, fillers and the braille blank too.
        assert_eq!(
            without_format_chars("Help\u{AD}desk\u{FE0F}\u{E0041}\u{3164}\u{2800}"),
            "Helpdesk"
        );
    }

    #[test]
    fn only_multi_line_fields_of_a_body_take_line_breaks() {
        assert!(!has_forbidden_char("reason", "line one\r\nline\ttwo", true));
        assert!(has_forbidden_char("reason", "line one\nline two", false));
        assert!(has_forbidden_char("reason", "nul\0", true));
        assert!(has_forbidden_char("name", "line one\ntwo", true));
        assert!(has_forbidden_char("email", "a\u{85}@example.com", true));
        assert!(has_forbidden_char("x\u{7f}", "1", true));
        assert!(!has_forbidden_char("next", "/admin?q=a b", false));
    }
}
