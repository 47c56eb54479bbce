//! Parser and evaluator for Microsoft Entra ID dynamic membership rules, as Windows Autopilot
//! device groups use them.
//!
//! hangar uses it to predict, offline, which dynamic device groups every known device lands in
//! (`hangar-config` routing), to measure how many devices a rule change affects, and to compare
//! rules while ignoring layout (`hangar-plan`).
//!
//! ```
//! use hangar_membership::{KnownDevice, group_tag_rule, parse};
//!
//! let rule = parse(r#"device.devicePhysicalIDs -any _ -eq "[OrderID]:Sales""#)?;
//! assert!(rule.matches(&KnownDevice::new("5CG1234").with_group_tag("sales")));
//! assert_eq!(rule.exact_group_tag(), Some("Sales"));
//! assert_eq!(rule.canonical(), group_tag_rule("Sales"));
//! # Ok::<(), hangar_membership::RuleError>(())
//! ```
//!
//! # What it does not do
//!
//! - **User rules.** Only `device.` properties; `user.` rules, "Direct Reports" rules and
//!   `memberOf` (which depends on other groups) are refused with an explanation.
//! - **Date comparisons.** `-le` / `-ge` only apply to `user.employeeHireDate`.
//! - **.NET regular expressions in full.** `-match` uses the `regex` crate: the common syntax
//!   works; look-around and back-references are refused at parse time rather than guessed at.
//! - **Tenant access.** It is pure: no IO, no Graph, no clock.
//!
//! # Grammar
//!
//! Keywords and operators are case-insensitive; property names are not (see below).
//! Whitespace (including line breaks) separates tokens anywhere.
//!
//! ```text
//! rule        = or_expr                                   (at most 3,072 characters)
//! or_expr     = and_expr { "-or" and_expr }
//! and_expr    = not_expr { "-and" not_expr }
//! not_expr    = "-not" not_expr | "(" or_expr ")" | comparison | collection
//! comparison  = "device." property operator value
//! collection  = "device." ("devicePhysicalIds" | "devicePhysicalIDs") ("-any" | "-all") predicate
//! predicate   = "(" elem_or ")"                           (elem_* = the same grammar on `_`)
//!             | "_" operator value                        (parenthesis-free form)
//! elem_atom   = "_" operator value
//! operator    = ["-"] ( "eq" | "ne" | "startsWith" | "notStartsWith" | "endsWith"
//!             | "notEndsWith" | "contains" | "notContains" | "match" | "notMatch"
//!             | "in" | "notIn" )
//! value       = string | "null" | "true" | "false" | "[" string { "," string } "]"
//! string      = '"' { char | '`"' | '``' | "''" } '"'
//! ```
//!
//! Precedence, highest first, as Entra documents it: comparisons, `-not`, `-and`, `-or`,
//! `-any`/`-all`. Because `-any`/`-all` bind loosest, `A -any _ -eq "x" -and B` could mean
//! `A -any (_ -eq "x" -and B)`; hangar refuses that form and asks for parentheses. A
//! parenthesised predicate (`A -any (_ -eq "x") -and B`) ends at its closing parenthesis.
//! Operators may be written without the hyphen (`eq`), as Entra documents; logical operators
//! may not. Values type-check against the property: strings are quoted, booleans
//! (`accountEnabled`, `isRooted`) are bare `true`/`false`, `null` only with `-eq`/`-ne`, lists
//! only with `-in`/`-notIn`, and `devicePhysicalIds` only through `-any`/`-all`.
//!
//! # Case and quoting rules, and their sources
//!
//! Source unless noted: Microsoft Entra docs, "Manage rules for dynamic membership groups"
//! (`entra-docs/docs/identity/users/groups-dynamic-membership.md`), sections "Supported
//! values", "Operator precedence", "Rules for devices".
//!
//! - **String comparisons and `-match` are case-insensitive** ("Regex and string operations
//!   aren't case sensitive"). Literals are folded to lower case once, at parse time. Field
//!   evidence agrees for `-eq`: Microsoft's documented group-tag rule tests `[OrderID]:`, while
//!   device objects seen in the field carry `[OrderId]:`, and tenants route by that rule.
//! - **`[ZTDID]` casing.** memdocs PR #2416 (2022) changed the Autopilot docs to
//!   `-contains "[ZTDID]"`, saying the value is case-sensitive; the Entra docs still show
//!   `[ZTDId]`, and device objects seen in the field carry `[ZTDID]:…`. The sources conflict, so hangar evaluates as the Entra rule docs say
//!   (case-insensitively, which routes as Microsoft's examples expect) and [`Rule::warnings`]
//!   flags (`ztdid-casing`) every `[ZTDID]` literal not written exactly `[ZTDID]`: that spelling
//!   matches under either reading, so it is the safe one to write.
//! - **Property names are case-sensitive** ("Ensure that property names are correctly
//!   formatted as shown, because they're case sensitive"). hangar accepts exactly the documented
//!   spellings, plus `devicePhysicalIDs`, which Microsoft's own examples use alongside
//!   `devicePhysicalIds`. Any other casing is an error that names the right spelling; the
//!   object prefix must be `device.`. Both spellings of `devicePhysicalIds` are one property, so
//!   rules that differ only in that spelling compare equal.
//! - **Operators and keywords** (`-EQ`, `-And`, `NULL`, `True`) are accepted in any case; Entra's
//!   own docs mix `-startsWith`/`-startswith` and `-EndsWith`/`-endsWith`.
//! - **Quoting.** Strings use double quotes. Inside them a backtick escapes a double quote
//!   (`` `" ``) and a single quote is written twice (`''`), as the docs say. A backtick before
//!   anything else, a backtick-escaped single quote, and a lone single quote are refused:
//!   MicrosoftDocs/azure-docs#68441 reports a lone `'` matching inconsistently and `` `' ``
//!   matching nothing. A backslash is an ordinary character (regexes need it); the newer docs'
//!   mention of backslash escapes contradicts their own backtick example, so hangar never
//!   writes one and hints at the backtick when a `\"` breaks a rule. Single-quoted strings and
//!   typographic quotes or dashes (from copying web pages) are refused with the fix.
//! - **Null.** `-eq null` holds when the property is null; every negated operator is the exact
//!   negation of its positive form, so a null property satisfies `-ne "x"` and `-notIn [...]`.
//!   Entra does not document how other operators treat null; hangar lets null pass no positive
//!   test.
//! - **Collections.** `-any` is false and `-all` true on a device without physical ids.
//! - **Length.** Rule bodies over 3,072 characters are refused, as Entra refuses them.
//! - **Non-ASCII text** folds with Unicode lower-case mapping; Entra does not document its
//!   folding beyond "not case sensitive".
//! - **`systemLabels`** is treated as a single string, as the Entra rule docs use it
//!   (`device.systemLabels -startsWith "M365Managed"`), although Graph models it as a list.
//!
//! # Canonical text and equality
//!
//! [`Rule`] equality is structural: whitespace, redundant parentheses, `-and`/`-or` grouping
//! (both are associative), hyphen-less operators and keyword case do not matter; string
//! literals compare exactly, case included, since changing `Sales` to `sales` is a change a
//! plan should show. [`Rule::canonical`] writes the one text hangar uses for a rule; it parses
//! back to an equal rule, and for a group-tag rule it is exactly [`group_tag_rule`].
#![warn(missing_docs)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod ast;
mod device;
mod error;
mod eval;
mod lexer;
mod parser;
mod property;

use std::fmt;

use ast::{Node, Op, Quantifier, Subject, Test, Value};

pub use device::KnownDevice;
pub use error::{RuleError, RuleWarning};
pub use eval::DeviceAttributes;
pub use parser::MAX_RULE_CHARS;
pub use property::{canonical_property_name, property_names};

/// The `devicePhysicalIds` prefix Intune's group tag is stored under, as Microsoft's rules
/// write it.
pub const ORDER_ID_PREFIX: &str = "[OrderID]:";

/// A parsed, type-checked dynamic membership rule, ready to evaluate.
///
/// Equality is structural; see the crate docs. To key a map by rule, use
/// [`canonical`](Self::canonical) text, which is equal exactly when rules are. A `Rule` is
/// `Send + Sync`, so routing may share one across threads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    root: Node,
}

/// Parses a rule, checking it as Entra would (syntax, properties, value types, length), and
/// prepares it for fast evaluation.
pub fn parse(text: &str) -> Result<Rule, RuleError> {
    parser::parse_rule(text).map(|root| Rule { root })
}

/// The rule hangar generates for `membership: {groupTag: X}`:
/// `(device.devicePhysicalIds -any (_ -eq "[OrderID]:X"))`, with `X` escaped as Entra
/// documents (`` `" `` for `"`, `''` for `'`, ``` `` ``` for a backtick).
///
/// Microsoft's escaping rules are thinly documented and partly contradictory (see the crate
/// docs); [`group_tag_needs_escaping`] tells callers when a tag depends on them.
pub fn group_tag_rule(tag: &str) -> String {
    let mut out = String::from("(device.devicePhysicalIds -any (_ -eq ");
    ast::write_quoted(&mut out, &format!("{ORDER_ID_PREFIX}{tag}"));
    out.push_str("))");
    out
}

/// Whether a group tag contains a character (`"`, `'` or a backtick) that its rule must escape.
/// Such tags work as documented, but the documentation is thin; config validation may want to
/// warn about them.
pub fn group_tag_needs_escaping(tag: &str) -> bool {
    tag.contains(['"', '\'', '`'])
}

/// The group tag in an `[OrderID]:<tag>` literal (prefix matched case-insensitively, as Entra
/// compares it).
fn order_id_tag(literal: &str) -> Option<&str> {
    let prefix = literal.get(..ORDER_ID_PREFIX.len())?;
    prefix
        .eq_ignore_ascii_case(ORDER_ID_PREFIX)
        .then(|| &literal[ORDER_ID_PREFIX.len()..])
}

impl Rule {
    /// Whether the device satisfies the rule. Allocation-free; see the crate docs for the case
    /// and null rules.
    pub fn matches(&self, device: &(impl DeviceAttributes + ?Sized)) -> bool {
        self.root.matches(device)
    }

    /// `Some(tag)` when the rule is exactly one group-tag test,
    /// `device.devicePhysicalIds -any (_ -eq "[OrderID]:<tag>")`, however it is spelled,
    /// cased or parenthesised. The tag keeps the case the rule wrote.
    pub fn exact_group_tag(&self) -> Option<&str> {
        let Node::Collection {
            quantifier: Quantifier::Any,
            predicate,
            ..
        } = &self.root
        else {
            return None;
        };
        let Node::Compare(c) = &**predicate else {
            return None;
        };
        match (&c.subject, c.op, &c.value) {
            (Subject::Element, Op::Eq, Value::Str(literal)) => order_id_tag(literal),
            _ => None,
        }
    }

    /// Every group tag the rule tests for equality anywhere: the `<tag>` of each
    /// `"[OrderID]:<tag>"` literal used with `-eq`, `-ne`, `-in` or `-notIn` on
    /// `devicePhysicalIds` values, in order of appearance, without duplicates. Whether the test
    /// includes or excludes the tag (`-not`, `-ne`, `-all`) is not considered; use
    /// [`matches`](Self::matches) for routing.
    pub fn group_tags(&self) -> Vec<&str> {
        let mut tags: Vec<&str> = Vec::new();
        self.root.visit(None, &mut |c, under| {
            if under.is_none() || c.op.split().0 != Test::Eq && c.op.split().0 != Test::In {
                return;
            }
            let literals: &[String] = match &c.value {
                Value::Str(s) => std::slice::from_ref(s),
                Value::List(items) => items,
                _ => &[],
            };
            for tag in literals.iter().filter_map(|l| order_id_tag(l)) {
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
            }
        });
        tags
    }

    /// The canonical text of the rule; `parse(&rule.canonical()) == Ok(rule)`.
    pub fn canonical(&self) -> String {
        let mut out = String::new();
        ast::write_node(&mut out, &self.root, false);
        out
    }

    /// Findings about a valid rule that probably does not do what its author wants. Offsets
    /// refer to the text this rule was parsed from (not to its canonical text).
    ///
    /// - `ztdid-casing`: a `[ZTDID]` literal written in another case; see the crate docs.
    /// - `group-tag-partial-match`: `-contains`, `-startsWith`, `-endsWith` or `-match` on an
    ///   `[OrderID]:<tag>` literal, which also matches longer tags (`Sales` matches `Sales-EU`).
    pub fn warnings(&self) -> Vec<RuleWarning> {
        let mut warnings = Vec::new();
        self.root.visit(None, &mut |c, under| {
            if under.is_none() {
                return;
            }
            let literals: &[String] = match &c.value {
                Value::Str(s) => std::slice::from_ref(s),
                Value::List(items) => items,
                _ => &[],
            };
            for (literal, span) in literals.iter().zip(&c.literal_spans) {
                if let Some(prefix) = literal.get(..7)
                    && prefix.eq_ignore_ascii_case("[ZTDID]")
                    && prefix != "[ZTDID]"
                {
                    warnings.push(RuleWarning {
                        code: "ztdid-casing",
                        offset: span.offset,
                        len: span.len,
                        message: format!(
                            "write `[ZTDID]` as Graph stores it, not `{prefix}`: Entra documents string tests as \
                             case-insensitive, but field reports (memdocs PR #2416) say this one is not"
                        ),
                    });
                }
                let (test, _) = c.op.split();
                let partial = matches!(test, Test::Contains | Test::StartsWith | Test::EndsWith | Test::Match);
                if let Some(tag) = order_id_tag(literal).filter(|t| partial && !t.is_empty()) {
                    warnings.push(RuleWarning {
                        code: "group-tag-partial-match",
                        offset: span.offset,
                        len: span.len,
                        message: format!(
                            "`-{}` also matches other group tags that include `{tag}`; use `-eq` to route exactly one tag",
                            c.op.name()
                        ),
                    });
                }
            }
        });
        warnings
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

impl std::str::FromStr for Rule {
    type Err = RuleError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse(text)
    }
}

#[cfg(test)]
mod tests;
