//! Device name templates: `ENG-%SERIAL%`, `KSK-%RAND:5%`.
//!
//! Windows computer names are at most 15 characters of letters, digits and hyphens, and not
//! all digits. A template is checked for what it alone decides (characters, macros, fixed
//! length) and expanded per device (with the real serial) for the length.

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Literal text.
    Text(String),
    /// `%SERIAL%`: the device's serial number.
    Serial,
    /// `%RAND:N%`: N random letters and digits.
    Random(u32),
}

/// A problem in a template, with its byte range in the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// Byte offset in the template.
    pub offset: usize,
    /// Length in bytes.
    pub len: usize,
    /// What is wrong.
    pub message: String,
    /// Whether it is a macro problem (else a character problem).
    pub is_macro: bool,
}

/// Splits a template into parts, or says what is wrong with it.
pub fn parse(template: &str) -> Result<Vec<Part>, TemplateError> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = template;
    let mut offset = 0;
    while let Some(ch) = rest.chars().next() {
        if ch == '%' {
            let close = rest[1..].find('%').map(|index| index + 1);
            let Some(close) = close else {
                return Err(TemplateError {
                    offset,
                    len: rest.len(),
                    message: "unclosed `%`: macros are `%SERIAL%` or `%RAND:N%`".to_owned(),
                    is_macro: true,
                });
            };
            let body = &rest[1..close];
            let part = if body.eq_ignore_ascii_case("SERIAL") {
                Part::Serial
            } else if let Some(count) = body.strip_prefix("RAND:").or_else(|| body.strip_prefix("rand:")) {
                match count.parse::<u32>() {
                    Ok(count @ 1..=14) => Part::Random(count),
                    _ => {
                        return Err(TemplateError {
                            offset,
                            len: close + 1,
                            message: format!("`%{body}%`: N in `%RAND:N%` must be a number from 1 to 14"),
                            is_macro: true,
                        });
                    }
                }
            } else {
                return Err(TemplateError {
                    offset,
                    len: close + 1,
                    message: format!("unknown macro `%{body}%`: use `%SERIAL%` or `%RAND:N%`"),
                    is_macro: true,
                });
            };
            if !text.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut text)));
            }
            parts.push(part);
            offset += close + 1;
            rest = &rest[close + 1..];
            continue;
        }
        if !(ch.is_ascii_alphanumeric() || ch == '-') {
            return Err(TemplateError {
                offset,
                len: ch.len_utf8(),
                message: format!("`{ch}` is not allowed in a device name: use letters, digits and hyphens"),
                is_macro: false,
            });
        }
        text.push(ch);
        offset += ch.len_utf8();
        rest = &rest[ch.len_utf8()..];
    }
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
    Ok(parts)
}

/// Expands a template for one serial; `%RAND:N%` becomes N `#` placeholders.
pub fn expand(parts: &[Part], serial: &str) -> String {
    let mut name = String::new();
    for part in parts {
        match part {
            Part::Text(text) => name.push_str(text),
            Part::Serial => name.push_str(serial),
            Part::Random(count) => name.extend(std::iter::repeat_n('#', *count as usize)),
        }
    }
    name
}

/// Length of the parts that do not depend on the device.
pub fn fixed_len(parts: &[Part]) -> usize {
    parts
        .iter()
        .map(|part| match part {
            Part::Text(text) => text.len(),
            Part::Serial => 0,
            Part::Random(count) => *count as usize,
        })
        .sum()
}

/// Whether every name the template can produce is digits only (given the serials it will
/// see): no letter or hyphen in the text, no random part (which may produce letters), and every
/// serial all digits.
pub fn can_be_all_digits<'a>(parts: &[Part], mut serials: impl Iterator<Item = &'a str>) -> bool {
    let text_digits = parts.iter().all(|part| match part {
        Part::Text(text) => text.bytes().all(|b| b.is_ascii_digit()),
        Part::Serial => true,
        Part::Random(_) => false,
    });
    let uses_serial = parts.contains(&Part::Serial);
    text_digits && (!uses_serial || serials.any(|serial| serial.bytes().all(|b| b.is_ascii_digit())))
}

/// Windows' limit on computer names.
pub const MAX_NAME: usize = 15;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_parse_and_expand() {
        let parts = parse("ENG-%SERIAL%").unwrap();
        assert_eq!(expand(&parts, "5CG1234ABC"), "ENG-5CG1234ABC");
        assert_eq!(fixed_len(&parts), 4);
        let parts = parse("KSK-%RAND:5%").unwrap();
        assert_eq!(expand(&parts, "x"), "KSK-#####");
        assert!(parse("A_B").is_err_and(|e| !e.is_macro && e.offset == 1));
        assert!(parse("A-%RAND:0%").is_err_and(|e| e.is_macro));
        assert!(parse("A-%RAND:x%").is_err_and(|e| e.is_macro));
        assert!(parse("A-%FOO%").is_err_and(|e| e.is_macro && e.offset == 2 && e.len == 5));
        assert!(parse("A-%SERIAL").is_err());
    }

    #[test]
    fn all_digit_names() {
        assert!(can_be_all_digits(&parse("123").unwrap(), std::iter::empty()));
        assert!(!can_be_all_digits(
            &parse("1-%RAND:3%").unwrap(),
            std::iter::empty()
        ));
        assert!(can_be_all_digits(
            &parse("12%SERIAL%").unwrap(),
            ["999"].into_iter()
        ));
        assert!(!can_be_all_digits(
            &parse("12%SERIAL%").unwrap(),
            ["9X9"].into_iter()
        ));
    }
}
