//! Splits rule text into tokens, decoding string literals.

use crate::error::RuleError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Tok<'a> {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    /// A double-quoted string, decoded.
    Str(String),
    /// `-` followed by letters: an operator or logical keyword, without the hyphen.
    Dash(&'a str),
    /// Letters, digits, `_` and `.`: a property (`device.displayName`), `_`, `null`, `true`,
    /// `false`, or an operator written without its hyphen.
    Word(&'a str),
    End,
}

#[derive(Clone, Debug)]
pub(crate) struct Token<'a> {
    pub(crate) tok: Tok<'a>,
    pub(crate) offset: usize,
    pub(crate) len: usize,
    /// For strings: the raw text before the closing quote ended with `\`, the usual sign that the
    /// author tried to escape a quote the C way.
    pub(crate) backslash_before_close: bool,
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

/// Characters that typography turns hyphens into when rules are copied from web pages.
fn is_fancy_dash(c: char) -> bool {
    matches!(c, '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE63}' | '\u{FF0D}')
}

fn is_fancy_quote(c: char) -> bool {
    matches!(
        c,
        '\u{2018}'..='\u{201F}' | '\u{2032}' | '\u{2033}' | '\u{00AB}' | '\u{00BB}'
    )
}

/// Added to errors that follow a string ending in `\"`.
pub(crate) const BACKSLASH_HELP: &str =
    "a backslash does not escape a double quote in a rule; write `` `\" `` (backtick, quote) instead";

pub(crate) fn tokenize(text: &str) -> Result<Vec<Token<'_>>, RuleError> {
    let mut tokens = Vec::new();
    tokenize_into(text, &mut tokens).map_err(|error| {
        let after_backslash = tokens
            .iter()
            .any(|t| t.backslash_before_close && matches!(t.tok, Tok::Str(_)));
        if after_backslash && error.help.is_none() {
            error.with_help(BACKSLASH_HELP)
        } else {
            error
        }
    })?;
    Ok(tokens)
}

fn tokenize_into<'a>(text: &'a str, tokens: &mut Vec<Token<'a>>) -> Result<(), RuleError> {
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let simple = match c {
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            '[' => Some(Tok::LBracket),
            ']' => Some(Tok::RBracket),
            ',' => Some(Tok::Comma),
            _ => None,
        };
        if let Some(tok) = simple {
            chars.next();
            tokens.push(Token {
                tok,
                offset: start,
                len: 1,
                backslash_before_close: false,
            });
            continue;
        }
        if c == '"' {
            tokens.push(string(text, start)?);
            // Skip the characters the string consumed.
            let end = tokens.last().map_or(start + 1, |t| t.offset + t.len);
            while chars.peek().is_some_and(|&(i, _)| i < end) {
                chars.next();
            }
            continue;
        }
        if c == '-' || is_fancy_dash(c) {
            chars.next();
            let word_start = start + c.len_utf8();
            let mut end = word_start;
            while let Some(&(i, w)) = chars.peek() {
                if !w.is_ascii_alphabetic() {
                    break;
                }
                end = i + w.len_utf8();
                chars.next();
            }
            let word = &text[word_start..end];
            if is_fancy_dash(c) {
                return Err(RuleError::new(
                    start,
                    end - start,
                    format!("`{c}` is not a hyphen; write operators with a plain `-`"),
                )
                .with_help(format!("write `-{word}`")));
            }
            if word.is_empty() {
                return Err(RuleError::new(
                    start,
                    1,
                    "expected an operator name after `-`, such as `-eq` or `-and`",
                ));
            }
            tokens.push(Token {
                tok: Tok::Dash(word),
                offset: start,
                len: end - start,
                backslash_before_close: false,
            });
            continue;
        }
        if is_word_char(c) || c == '$' {
            chars.next();
            let mut end = start + c.len_utf8();
            while let Some(&(i, w)) = chars.peek() {
                if !is_word_char(w) {
                    break;
                }
                end = i + w.len_utf8();
                chars.next();
            }
            let word = &text[start..end];
            if let Some(rest) = word.strip_prefix('$') {
                return Err(RuleError::new(
                    start,
                    end - start,
                    format!("`{word}` is not a rule keyword; write `{rest}` without `$`"),
                ));
            }
            tokens.push(Token {
                tok: Tok::Word(word),
                offset: start,
                len: end - start,
                backslash_before_close: false,
            });
            continue;
        }
        let error = if c == '\'' {
            RuleError::new(
                start,
                1,
                "strings in rules use double quotes `\"`, not single quotes",
            )
        } else if is_fancy_quote(c) {
            RuleError::new(
                start,
                c.len_utf8(),
                format!("`{c}` is a typographic quote; write strings with straight double quotes `\"`"),
            )
        } else {
            RuleError::new(
                start,
                c.len_utf8(),
                format!(
                    "unexpected character `{}`; expected a property, operator, value or parenthesis",
                    c.escape_debug()
                ),
            )
        };
        return Err(error);
    }
    tokens.push(Token {
        tok: Tok::End,
        offset: text.len(),
        len: 0,
        backslash_before_close: false,
    });
    Ok(())
}

/// Reads the double-quoted string that starts at byte `start`.
///
/// Escapes, per Entra's rule documentation: a backtick escapes a double quote (`` `" ``), and a
/// single quote is written twice (`''`). A backtick before anything else (including a single
/// quote, which field reports say then matches nothing) and a lone single quote (reported to match
/// inconsistently) are refused rather than guessed at.
fn string(text: &str, start: usize) -> Result<Token<'_>, RuleError> {
    let mut value = String::new();
    let mut rest = text[start + 1..].char_indices().peekable();
    let mut previous = None;
    while let Some((i, c)) = rest.next() {
        let at = start + 1 + i;
        match c {
            '"' => {
                return Ok(Token {
                    tok: Tok::Str(value),
                    offset: start,
                    len: at + 1 - start,
                    backslash_before_close: previous == Some('\\'),
                });
            }
            '`' => match rest.next() {
                Some((_, escaped @ ('"' | '`'))) => value.push(escaped),
                Some((_, '\'')) => {
                    return Err(RuleError::new(
                        at,
                        2,
                        "a backtick-escaped single quote is unreliable in Entra; write the single quote twice: `''`",
                    ));
                }
                Some((_, other)) => {
                    return Err(RuleError::new(
                        at,
                        1 + other.len_utf8(),
                        format!(
                            "unsupported escape `` `{} ``; a backtick may only escape `\"` or another backtick",
                            other.escape_debug()
                        ),
                    )
                    .with_help("write two backticks (``` `` ```) for a literal backtick"));
                }
                None => break,
            },
            '\'' => {
                if rest.peek().is_some_and(|&(_, n)| n == '\'') {
                    rest.next();
                    value.push('\'');
                } else {
                    return Err(RuleError::new(
                        at,
                        1,
                        "a single quote inside a string must be written twice (`''`); Entra matches a lone one inconsistently",
                    ));
                }
            }
            _ => value.push(c),
        }
        previous = Some(c);
    }
    Err(RuleError::new(
        start,
        text.len() - start,
        "this string is not closed; add a closing `\"`",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<Tok<'_>> {
        tokenize(text)
            .expect("valid")
            .into_iter()
            .map(|t| t.tok)
            .collect()
    }

    #[test]
    fn splits_a_group_tag_rule() {
        assert_eq!(
            toks(r#"(device.devicePhysicalIds -any (_ -eq "[OrderID]:Sales"))"#),
            vec![
                Tok::LParen,
                Tok::Word("device.devicePhysicalIds"),
                Tok::Dash("any"),
                Tok::LParen,
                Tok::Word("_"),
                Tok::Dash("eq"),
                Tok::Str("[OrderID]:Sales".into()),
                Tok::RParen,
                Tok::RParen,
                Tok::End,
            ]
        );
    }

    #[test]
    fn decodes_documented_escapes() {
        assert_eq!(toks(r#""a`"b""#)[0], Tok::Str("a\"b".into()));
        assert_eq!(toks(r#""O''Brien""#)[0], Tok::Str("O'Brien".into()));
        assert_eq!(toks("\"a``b\"")[0], Tok::Str("a`b".into()));
        assert_eq!(toks(r#""C:\path\d+""#)[0], Tok::Str(r"C:\path\d+".into()));
    }

    #[test]
    fn refuses_ambiguous_quotes_with_their_position() {
        let e = tokenize(r#"x -eq "Bob's""#).expect_err("lone quote");
        assert_eq!((e.offset, e.len), (10, 1));
        let e = tokenize(r#"x -eq "a`'b""#).expect_err("backtick quote");
        assert_eq!((e.offset, e.len), (8, 2));
        let e = tokenize(r#"x -eq "a`nb""#).expect_err("unknown escape");
        assert_eq!(e.offset, 8);
        let e = tokenize(r#"x -eq 'a'"#).expect_err("single-quoted");
        assert_eq!(e.offset, 6);
        let e = tokenize("x -eq \u{201C}a\u{201D}").expect_err("smart quote");
        assert_eq!(e.offset, 6);
    }

    #[test]
    fn unterminated_string_spans_to_the_end() {
        let e = tokenize(r#"x -eq "abc"#).expect_err("open string");
        assert_eq!((e.offset, e.len), (6, 4));
    }

    #[test]
    fn en_dash_is_reported_with_the_fix() {
        let e = tokenize("x \u{2013}eq \"a\"").expect_err("en dash");
        assert_eq!(e.offset, 2);
        assert_eq!(e.help.as_deref(), Some("write `-eq`"));
    }

    #[test]
    fn dollar_keywords_are_refused() {
        let e = tokenize("x -eq $null").expect_err("$null");
        assert_eq!((e.offset, e.len), (6, 5));
    }

    #[test]
    fn flags_a_backslash_before_the_closing_quote() {
        let t = tokenize(r#""a\" b"#).expect("lexes");
        assert!(t[0].backslash_before_close);
    }
}
