//! What the fuzz targets share: checking every diagnostic's snippet.

use hangar_config::Loaded;
use hangar_config::snippet::{MAX_COLUMNS, Secrets};

/// Builds the snippet of every diagnostic, as `validate` prints them, and checks what a
/// renderer relies on: labels inside the text on character boundaries, no NUL, no raw control
/// character, no line wider than the cut, and the planted secret never shown.
pub fn check_snippets(loaded: &Loaded, secret: &str) {
    let secrets = Secrets::new([secret.to_owned()]);
    for diagnostic in &loaded.diagnostics {
        let mut spans = vec![diagnostic.span];
        spans.extend(diagnostic.labels.iter().map(|label| label.span));
        let Ok(snippet) = loaded.sources.snippet(&spans, 2, &secrets) else {
            continue;
        };
        assert!(!snippet.text.contains(secret), "secret shown: {:?}", snippet.text);
        for line in snippet.text.lines() {
            assert!(
                line.chars().count() <= MAX_COLUMNS + 2 + 10,
                "line too wide: {line:?}"
            );
            assert!(
                !line.chars().any(|c| c != '\t' && hangar_model_control(c)),
                "control character shown: {line:?}"
            );
        }
        for (start, len) in snippet.spans.iter().flatten() {
            let end = start + len;
            assert!(end <= snippet.text.len(), "label past the text");
            assert!(snippet.text.is_char_boundary(*start) && snippet.text.is_char_boundary(end));
        }
    }
}

fn hangar_model_control(c: char) -> bool {
    (c as u32) < 0x20
        || (0x7f..=0x9f).contains(&(c as u32))
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}
