//! Text people type that others will see: names.

/// Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069):
/// in a name they can reverse what follows it on a page or in an email ("text
/// spoofing"). The marks that only hint a direction (U+200E, U+200F, U+061C) stay:
/// Arabic text uses them.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A name as kept: trimmed, without bidi controls and control characters (NUL
/// included), inner runs of spaces kept as typed; `None` when nothing is left.
pub fn clean_name(raw: &str, max_chars: usize) -> Option<String> {
    let cleaned: String = raw
        .chars()
        .filter(|c| !is_bidi_control(*c) && !c.is_control())
        .take(max_chars)
        .collect();
    let trimmed = cleaned.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_and_controls_go_direction_marks_stay() {
        assert_eq!(
            clean_name("Sara\u{202E}moc.live", 200).as_deref(),
            Some("Saramoc.live")
        );
        assert_eq!(clean_name("a\u{0}b", 200).as_deref(), Some("ab"));
        assert_eq!(clean_name(" \u{2067}\u{2069} ", 200), None);
        assert_eq!(
            clean_name("سارة\u{200F} علي", 200).as_deref(),
            Some("سارة\u{200F} علي")
        );
        assert_eq!(clean_name("abcdef", 3).as_deref(), Some("abc"));
    }
}
