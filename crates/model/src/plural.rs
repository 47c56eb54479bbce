//! Counts in messages: `1 device`, `2 devices`, never `1 devices`.
//!
//! Every crate that words a count for people uses these, so the plural is decided in one place.
//! Nouns are passed in both forms: English plurals are irregular (`policy`/`policies`).

/// `n` with the singular or plural noun: `count(1, "device", "devices")` is `1 device`.
pub fn count(n: usize, singular: &str, plural: &str) -> String {
    format!("{n} {}", noun(n, singular, plural))
}

/// The singular or plural noun alone, for sentences that put the number elsewhere.
pub fn noun<'a>(n: usize, singular: &'a str, plural: &'a str) -> &'a str {
    if n == 1 { singular } else { plural }
}

/// A verb that agrees with `n`: `verb(1, "moves", "move")`.
pub fn verb<'a>(n: usize, singular: &'a str, plural: &'a str) -> &'a str {
    noun(n, singular, plural)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_everything_else_plural() {
        assert_eq!(count(0, "device", "devices"), "0 devices");
        assert_eq!(count(1, "device", "devices"), "1 device");
        assert_eq!(count(2, "policy", "policies"), "2 policies");
        assert_eq!(verb(1, "moves", "move"), "moves");
        assert_eq!(verb(3, "moves", "move"), "move");
    }
}
