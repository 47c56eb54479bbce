//! Recursive-descent parser: tokens → [`Node`], with every check that needs the source position.

use crate::ast::{Comparison, Node, OPERATORS, Op, Quantifier, Span, Subject, Test, Value};
use crate::error::{RuleError, line_column};
use crate::eval::{Folded, Matcher};
use crate::lexer::{BACKSLASH_HELP, Tok, Token, tokenize};
use crate::property::{Lookup, Property, PropertyKind};

/// Entra refuses rule bodies longer than this many characters.
pub const MAX_RULE_CHARS: usize = 3072;

/// Deeper nesting than this is refused, so that hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

/// Compiled-program and lazy-DFA budgets for one `-match` pattern. Rules are at most 3,072
/// characters, but counted repetitions (`a{1000}{1000}`) can still ask for gigabytes.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
const REGEX_DFA_LIMIT: usize = 1 << 20;

pub(crate) fn parse_rule(text: &str) -> Result<Node, RuleError> {
    if let Some((offset, _)) = text.char_indices().nth(MAX_RULE_CHARS) {
        return Err(RuleError::new(
            offset,
            text.len() - offset,
            format!(
                "rule is {} characters long; Entra accepts at most {MAX_RULE_CHARS}, so shorten it \
                 (for example, combine values with `-in [...]`)",
                text.chars().count()
            ),
        ));
    }
    let tokens = tokenize(text)?;
    if tokens.len() == 1 {
        return Err(RuleError::new(0, text.len(), "rule is empty; write a condition")
            .with_help("for a group tag: (device.devicePhysicalIds -any (_ -eq \"[OrderID]:Sales\"))"));
    }
    let mut parser = Parser {
        text,
        tokens,
        pos: 0,
        depth: 0,
    };
    let node = parser.or(Context::Device)?;
    parser.expect_end()?;
    Ok(node)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    /// Top level: comparisons on `device.<property>`.
    Device,
    /// Inside `-any (...)` / `-all (...)`: comparisons on `_`.
    Element,
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token<'a>>,
    pos: usize,
    depth: usize,
}

fn is_keyword(tok: &Tok<'_>, keyword: &str) -> bool {
    matches!(tok, Tok::Dash(w) if w.eq_ignore_ascii_case(keyword))
}

impl<'a> Parser<'a> {
    fn peek(&self) -> &Token<'a> {
        // `tokens` always ends with `End`, and `pos` never moves past it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn next(&mut self) -> Token<'a> {
        let token = self.peek().clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        token
    }

    fn previous(&self) -> Option<&Token<'a>> {
        self.pos.checked_sub(1).map(|i| &self.tokens[i])
    }

    fn error_at(&self, token: &Token<'_>, message: impl Into<String>) -> RuleError {
        RuleError::new(token.offset, token.len, message)
    }

    fn enter(&mut self, token: &Token<'_>) -> Result<(), RuleError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error_at(
                token,
                format!("rule nests deeper than {MAX_DEPTH} levels; remove redundant parentheses or `-not`s"),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn or(&mut self, ctx: Context) -> Result<Node, RuleError> {
        let mut operands = vec![self.and(ctx)?];
        while is_keyword(&self.peek().tok, "or") {
            self.next();
            operands.push(self.and(ctx)?);
        }
        Ok(Node::or(operands))
    }

    fn and(&mut self, ctx: Context) -> Result<Node, RuleError> {
        let mut operands = vec![self.not(ctx)?];
        while is_keyword(&self.peek().tok, "and") {
            self.next();
            operands.push(self.not(ctx)?);
        }
        Ok(Node::and(operands))
    }

    fn not(&mut self, ctx: Context) -> Result<Node, RuleError> {
        if is_keyword(&self.peek().tok, "not") {
            let token = self.next();
            self.enter(&token)?;
            let inner = self.not(ctx)?;
            self.leave();
            return Ok(Node::Not(Box::new(inner)));
        }
        self.primary(ctx)
    }

    fn primary(&mut self, ctx: Context) -> Result<Node, RuleError> {
        let token = self.next();
        match &token.tok {
            Tok::LParen => {
                self.enter(&token)?;
                let inner = self.or(ctx)?;
                self.leave();
                let close = self.peek().clone();
                if close.tok != Tok::RParen {
                    let (line, column) = line_column(self.text, token.offset);
                    return Err(self.unexpected(
                        &close,
                        &format!("expected `)` to close the `(` at line {line}, column {column}"),
                    ));
                }
                self.next();
                Ok(inner)
            }
            Tok::Word(word) => self.comparison_or_collection(&token, word, ctx),
            Tok::End => Err(self.error_at(&token, "rule ends where a condition was expected; complete it")),
            Tok::RParen => Err(self.error_at(&token, "expected a condition before `)`")),
            _ => Err(self.error_at(
                &token,
                "expected a condition, such as `device.deviceOSType -eq \"Windows\"` or `(...)`",
            )),
        }
    }

    /// An error for an unexpected token, with a hint when the previous string looks like a
    /// C-style escape attempt.
    fn unexpected(&self, token: &Token<'_>, message: &str) -> RuleError {
        let mut error = self.error_at(token, message);
        match &token.tok {
            Tok::Word(w) if ["and", "or", "not"].iter().any(|k| k.eq_ignore_ascii_case(w)) => {
                error = error.with_help(format!(
                    "logical operators need a hyphen: write `-{}`",
                    w.to_ascii_lowercase()
                ));
            }
            _ => {}
        }
        if self.tokens[..self.pos.min(self.tokens.len())]
            .iter()
            .any(|t| t.backslash_before_close && matches!(t.tok, Tok::Str(_)))
        {
            error = error.with_help(BACKSLASH_HELP);
        }
        error
    }

    fn expect_end(&mut self) -> Result<(), RuleError> {
        let token = self.peek().clone();
        match token.tok {
            Tok::End => Ok(()),
            Tok::RParen => Err(self.error_at(&token, "this `)` has no matching `(`; remove it")),
            _ => Err(self.unexpected(&token, "expected `-and`, `-or` or the end of the rule")),
        }
    }

    fn comparison_or_collection(
        &mut self,
        token: &Token<'a>,
        word: &'a str,
        ctx: Context,
    ) -> Result<Node, RuleError> {
        let subject = match ctx {
            Context::Element => {
                if word != "_" {
                    let message = if word.starts_with("device.") {
                        "inside `-any (...)` / `-all (...)` conditions test `_`, one value of the collection; \
                         close the parentheses before testing another property"
                    } else {
                        "expected `_` (one value of the collection) inside `-any (...)` / `-all (...)`"
                    };
                    return Err(self.error_at(token, message));
                }
                Subject::Element
            }
            Context::Device => {
                let property = self.property(token, word)?;
                if property.kind() == PropertyKind::PhysicalIds {
                    return self.collection(token, property);
                }
                Subject::Property(property)
            }
        };
        let op_token = self.next();
        let op = self.operator(&op_token, word, subject)?;
        let value_start = self.peek().offset;
        let (value, literal_spans) = self.value(op)?;
        let value_end = self.previous().map_or(value_start, |t| t.offset + t.len);
        let value_span = Span {
            offset: value_start,
            len: value_end - value_start,
        };
        let matcher = self.check(subject, op, &op_token, &value, value_span)?;
        Ok(Node::Compare(Comparison {
            subject,
            op,
            value,
            literal_spans,
            matcher,
        }))
    }

    fn property(&self, token: &Token<'_>, word: &str) -> Result<Property, RuleError> {
        if word == "_" {
            return Err(self.error_at(
                token,
                "`_` stands for one value of a collection and is only valid inside `-any (...)` or `-all (...)`",
            ));
        }
        let Some((object, name)) = word.split_once('.') else {
            let lower = word.to_ascii_lowercase();
            let message = if ["null", "true", "false"].contains(&lower.as_str()) {
                format!("a rule must start each condition with a property, not `{word}`")
            } else if Op::from_name(word).is_some() {
                format!("`{word}` needs a property before it, such as `device.displayName -{word} ...`")
            } else if lower == "direct" {
                "\"Direct Reports\" rules select users, not devices".to_string()
            } else {
                format!("expected a property such as `device.displayName`, found `{word}`")
            };
            return Err(self.error_at(token, message));
        };
        if object != "device" {
            let message = if object.eq_ignore_ascii_case("device") {
                format!("write the object name in lower case: `device.{name}`")
            } else if object.eq_ignore_ascii_case("user") {
                "device groups can only test `device.` properties; Entra does not allow user properties in a device rule"
                    .to_string()
            } else {
                format!("unknown object `{object}`; device rules test `device.<property>`")
            };
            return Err(RuleError::new(token.offset, object.len(), message));
        }
        let name_offset = token.offset + object.len() + 1;
        let name_error = |message: String| RuleError::new(name_offset, name.len(), message);
        match Property::lookup(name) {
            Lookup::Found(p) => Ok(p),
            Lookup::WrongCase(canonical) => Err(name_error(format!(
                "property names are case-sensitive in Entra: write `{canonical}`"
            ))
            .with_help(format!("device.{canonical}"))),
            Lookup::Refused(why) => Err(name_error(why.to_string())),
            Lookup::Unknown(suggestion) => {
                let error = name_error(format!("unknown device property `{name}`"));
                Err(match suggestion {
                    Some(s) => error.with_help(format!("did you mean `{s}`?")),
                    None => error.with_help("device rules can test devicePhysicalIds, deviceOSType, displayName, enrollmentProfileName, deviceOwnership and the other properties Entra lists for devices"),
                })
            }
        }
    }

    fn collection(&mut self, property_token: &Token<'_>, property: Property) -> Result<Node, RuleError> {
        let token = self.next();
        let quantifier = match &token.tok {
            Tok::Dash(w) | Tok::Word(w) if w.eq_ignore_ascii_case("any") => Quantifier::Any,
            Tok::Dash(w) | Tok::Word(w) if w.eq_ignore_ascii_case("all") => Quantifier::All,
            Tok::Dash(w) | Tok::Word(w) if Op::from_name(w).is_some() => {
                return Err(self
                    .error_at(
                        &token,
                        format!(
                            "`{}` holds several values; test them with `-any` or `-all`",
                            property.canonical()
                        ),
                    )
                    .with_help(format!(
                        "device.{} -any (_ -{} ...)",
                        property.canonical(),
                        Op::from_name(w).map_or("eq", Op::name)
                    )));
            }
            _ => {
                return Err(self.error_at(
                    &token,
                    format!(
                        "expected `-any` or `-all` after `{}`",
                        &self.text[property_token.offset..property_token.offset + property_token.len]
                    ),
                ));
            }
        };
        self.enter(&token)?;
        let start = self.peek().clone();
        let predicate = match &start.tok {
            Tok::LParen => self.primary(Context::Element)?,
            Tok::Word("_") => {
                // The parenthesis-free form, `-any _ -eq "x"`: exactly one comparison.
                let node = self.primary(Context::Element)?;
                let after = self.peek().clone();
                if is_keyword(&after.tok, "and") || is_keyword(&after.tok, "or") {
                    return Err(self
                        .error_at(
                            &after,
                            "after the parenthesis-free `-any _ ...` form this operator is ambiguous \
                             (Entra gives `-any`/`-all` the lowest precedence); put the condition on `_` in parentheses",
                        )
                        .with_help(format!("(device.{} -any (_ ...)) {} ...", property.canonical(), &self.text[after.offset..after.offset + after.len])));
                }
                node
            }
            _ => {
                return Err(self.error_at(
                    &start,
                    "expected `(` or `_` after `-any` / `-all`, as in `-any (_ -eq \"...\")`",
                ));
            }
        };
        self.leave();
        Ok(Node::Collection {
            property,
            quantifier,
            predicate: Box::new(predicate),
        })
    }

    fn operator(&self, token: &Token<'_>, subject_text: &str, subject: Subject) -> Result<Op, RuleError> {
        let (word, dashed) = match &token.tok {
            Tok::Dash(w) => (*w, true),
            Tok::Word(w) => (*w, false),
            Tok::End => {
                return Err(self.error_at(
                    token,
                    format!("`{subject_text}` needs an operator and a value, such as `-eq \"...\"`"),
                ));
            }
            _ => {
                return Err(self.error_at(
                    token,
                    format!("expected an operator such as `-eq` after `{subject_text}`"),
                ));
            }
        };
        if let Some(op) = Op::from_name(word) {
            return Ok(op);
        }
        let lower = word.to_ascii_lowercase();
        let message = match lower.as_str() {
            "le" | "ge" | "lt" | "gt" => format!(
                "`-{lower}` only compares dates (`user.employeeHireDate`); device properties have none, use -eq, -startsWith or -in"
            ),
            "not" => "`-not` negates a condition and cannot compare a value; write `-ne`".to_string(),
            "and" | "or" => format!("`{subject_text}` needs an operator and a value before `-{lower}`"),
            "any" | "all" => match subject {
                Subject::Property(p) => format!(
                    "`-{lower}` applies to multi-valued properties such as `devicePhysicalIds`; `{}` holds one value",
                    p.canonical()
                ),
                Subject::Element => format!("`_` is one value; `-{lower}` cannot be applied to it"),
            },
            _ if !dashed => {
                return Err(self.error_at(
                    token,
                    format!("expected an operator such as `-eq` after `{subject_text}`, found `{word}`"),
                ));
            }
            _ => {
                let best = OPERATORS
                    .iter()
                    .map(|(n, _)| (strsim::jaro_winkler(&lower, &n.to_ascii_lowercase()), *n))
                    .max_by(|a, b| a.0.total_cmp(&b.0))
                    .filter(|(score, _)| *score >= 0.8);
                let error = self.error_at(token, format!("unknown operator `-{word}`"));
                return Err(match best {
                    Some((_, name)) => error.with_help(format!("did you mean `-{name}`?")),
                    None => error.with_help("operators: -eq -ne -startsWith -notStartsWith -endsWith -notEndsWith -contains -notContains -match -notMatch -in -notIn"),
                });
            }
        };
        Err(self.error_at(token, message))
    }

    fn value(&mut self, op: Op) -> Result<(Value, Vec<Span>), RuleError> {
        let token = self.next();
        let span = Span {
            offset: token.offset,
            len: token.len,
        };
        match &token.tok {
            Tok::Str(s) => Ok((Value::Str(s.clone()), vec![span])),
            Tok::Word(w) => {
                let lower = w.to_ascii_lowercase();
                match lower.as_str() {
                    "null" => Ok((Value::Null, vec![])),
                    "true" => Ok((Value::Bool(true), vec![])),
                    "false" => Ok((Value::Bool(false), vec![])),
                    _ => Err(self
                        .error_at(
                            &token,
                            format!("string values need double quotes: write `\"{w}\"`"),
                        )
                        .with_help(format!("\"{w}\""))),
                }
            }
            Tok::LBracket => {
                let mut items = Vec::new();
                let mut spans = Vec::new();
                loop {
                    let item = self.next();
                    match &item.tok {
                        Tok::Str(s) => {
                            items.push(s.clone());
                            spans.push(Span {
                                offset: item.offset,
                                len: item.len,
                            });
                        }
                        Tok::RBracket if items.is_empty() => {
                            return Err(RuleError::new(
                                token.offset,
                                item.offset + 1 - token.offset,
                                "this list is empty; list at least one value",
                            ));
                        }
                        _ => return Err(self.error_at(&item, "list items must be double-quoted strings")),
                    }
                    let separator = self.next();
                    match separator.tok {
                        Tok::Comma => {}
                        Tok::RBracket => break,
                        Tok::End => {
                            return Err(RuleError::new(
                                token.offset,
                                1,
                                "this list is not closed; add `]`",
                            ));
                        }
                        _ => return Err(self.error_at(&separator, "expected `,` or `]` in the list")),
                    }
                }
                Ok((Value::List(items), spans))
            }
            Tok::End => Err(self.error_at(
                &token,
                format!("`-{}` needs a value; add one, such as `\"...\"`", op.name()),
            )),
            _ => Err(self.error_at(
                &token,
                format!("expected a value after `-{}`, such as `\"...\"`", op.name()),
            )),
        }
    }

    /// Checks that the value suits the operator and the property, and prepares the matcher.
    fn check(
        &self,
        subject: Subject,
        op: Op,
        op_token: &Token<'_>,
        value: &Value,
        span: Span,
    ) -> Result<Matcher, RuleError> {
        let (test, _) = op.split();
        let value_error = |message: String| RuleError::new(span.offset, span.len, message);
        let op_name = op.name();
        let kind = match subject {
            Subject::Property(p) => p.kind(),
            Subject::Element => PropertyKind::String,
        };
        match value {
            Value::List(_) if test != Test::In => Err(value_error(format!(
                "a list needs `-in` or `-notIn`, not `-{op_name}`"
            ))),
            Value::List(items) => {
                if kind == PropertyKind::Bool {
                    return Err(value_error(
                        "boolean properties compare with `-eq true` or `-eq false`, not a list".into(),
                    ));
                }
                Ok(Matcher::List(items.iter().map(|s| Folded::new(s)).collect()))
            }
            _ if test == Test::In => Err(value_error(format!(
                "`-{op_name}` needs a list, such as `[\"a\", \"b\"]`"
            ))),
            Value::Null => {
                if subject == Subject::Element {
                    return Err(value_error(
                        "collection values are never null; compare `_` with a string".into(),
                    ));
                }
                if test != Test::Eq {
                    return Err(value_error(format!(
                        "`null` only works with `-eq` or `-ne`, not `-{op_name}`"
                    )));
                }
                Ok(Matcher::Null)
            }
            Value::Bool(b) => {
                if kind != PropertyKind::Bool {
                    let word = if *b { "true" } else { "false" };
                    return Err(value_error(format!(
                        "this property holds text; quote the value: `\"{word}\"`"
                    )));
                }
                if test != Test::Eq {
                    return Err(self.error_at(op_token, "boolean properties only support `-eq` and `-ne`"));
                }
                Ok(Matcher::Bool(*b))
            }
            Value::Str(s) => {
                if kind == PropertyKind::Bool {
                    let lower = s.to_ascii_lowercase();
                    let help = if lower == "true" || lower == "false" {
                        lower
                    } else {
                        "true".into()
                    };
                    return Err(value_error(
                        "boolean properties compare with unquoted `true` or `false`".into(),
                    )
                    .with_help(format!("write {help} without quotes")));
                }
                if test == Test::Match {
                    return compile_regex(s).map(Matcher::Regex).map_err(value_error);
                }
                Ok(Matcher::Text(Folded::new(s)))
            }
        }
    }
}

fn compile_regex(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(pattern)
        // Entra documents regex matching as case-insensitive.
        .case_insensitive(true)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_DFA_LIMIT)
        .nest_limit(u32::try_from(MAX_DEPTH).unwrap_or(64))
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(limit) => format!(
                "this regular expression compiles to more than {limit} bytes; simplify it (or use -startsWith / -eq)"
            ),
            regex::Error::Syntax(detail) => {
                let reason = detail.lines().rev().find_map(|l| l.strip_prefix("error: ")).unwrap_or("invalid syntax");
                format!(
                    "hangar cannot evaluate this regular expression ({reason}); it supports the common subset of \
                     .NET syntax, without look-around or back-references"
                )
            }
            _ => "hangar cannot evaluate this regular expression; simplify it".to_string(),
        })
}
