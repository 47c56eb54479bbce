//! Evaluating a parsed rule against a device, without allocating.

use regex::Regex;

use crate::ast::{Comparison, Node, Quantifier, Subject, Test};

/// The device data a rule reads.
///
/// Implement it for whatever holds devices (a CSV row, a Graph device). Both methods are
/// called once per comparison, so they should be cheap: a `match` on the name and a field
/// borrow, no allocation.
pub trait DeviceAttributes {
    /// A single-valued property by its canonical name (as listed by
    /// [`property_names`](crate::property_names), e.g. `"deviceOSType"`,
    /// `"enrollmentProfileName"`, `"extensionAttribute3"`), or `None` when it is null or
    /// unknown. Boolean properties (`accountEnabled`, `isRooted`) return `"true"` or `"false"`.
    fn property(&self, name: &str) -> Option<&str>;

    /// Every `devicePhysicalIds` value, e.g. `"[OrderId]:Sales"`, `"[ZTDID]:<id>"`,
    /// `"[PurchaseOrderId]:123"`. Build the slice once per device, not per call.
    fn physical_ids(&self) -> &[String];
}

/// A comparison's right-hand side, prepared at parse time: string literals are case-folded once,
/// regular expressions compiled once.
#[derive(Clone, Debug)]
pub(crate) enum Matcher {
    /// `-eq null` / `-ne null`: true when the property is null.
    Null,
    Bool(bool),
    Text(Folded),
    List(Vec<Folded>),
    Regex(Regex),
}

/// A literal folded to lower case, with a flag for the ASCII fast path.
#[derive(Clone, Debug)]
pub(crate) struct Folded {
    lower: Box<str>,
    ascii: bool,
}

impl Folded {
    pub(crate) fn new(s: &str) -> Folded {
        let lower: String = s.chars().flat_map(char::to_lowercase).collect();
        let ascii = lower.is_ascii();
        Folded {
            lower: lower.into_boxed_str(),
            ascii,
        }
    }
}

impl Node {
    pub(crate) fn matches(&self, device: &(impl DeviceAttributes + ?Sized)) -> bool {
        match self {
            Node::And(nodes) => nodes.iter().all(|n| n.matches(device)),
            Node::Or(nodes) => nodes.iter().any(|n| n.matches(device)),
            Node::Not(inner) => !inner.matches(device),
            Node::Compare(c) => match c.subject {
                Subject::Property(p) => c.test(device.property(p.canonical())),
                // The parser never puts `_` outside a collection predicate.
                Subject::Element => false,
            },
            Node::Collection {
                quantifier,
                predicate,
                ..
            } => {
                // devicePhysicalIds is the only collection property.
                let mut values = device.physical_ids().iter();
                match quantifier {
                    Quantifier::Any => values.any(|v| predicate.matches_element(v)),
                    Quantifier::All => values.all(|v| predicate.matches_element(v)),
                }
            }
        }
    }

    fn matches_element(&self, value: &str) -> bool {
        match self {
            Node::And(nodes) => nodes.iter().all(|n| n.matches_element(value)),
            Node::Or(nodes) => nodes.iter().any(|n| n.matches_element(value)),
            Node::Not(inner) => !inner.matches_element(value),
            Node::Compare(c) => c.test(Some(value)),
            // The parser never nests collections.
            Node::Collection { .. } => false,
        }
    }
}

impl Comparison {
    /// Applies the comparison to a property value (`None` = null). Negated operators are the
    /// exact negation of their positive form, so a null property satisfies `-ne "x"` and
    /// `-notContains "x"`.
    fn test(&self, value: Option<&str>) -> bool {
        let (test, negated) = self.op.split();
        let positive = match (&self.matcher, value) {
            (Matcher::Null, v) => v.is_none(),
            (_, None) => false,
            (Matcher::Bool(b), Some(v)) => {
                if *b {
                    v.eq_ignore_ascii_case("true")
                } else {
                    v.eq_ignore_ascii_case("false")
                }
            }
            (Matcher::Text(lit), Some(v)) => match test {
                Test::Eq | Test::In | Test::Match => equals(v, lit),
                Test::StartsWith => starts_with(v, lit),
                Test::EndsWith => ends_with(v, lit),
                Test::Contains => contains(v, lit),
            },
            (Matcher::List(items), Some(v)) => items.iter().any(|lit| equals(v, lit)),
            (Matcher::Regex(re), Some(v)) => re.is_match(v),
        };
        positive != negated
    }
}

// Case-insensitive comparisons against a pre-folded literal. Entra documents string
// operations as case-insensitive without saying how non-ASCII text folds; hangar uses Unicode
// lower-case mapping, with a byte-wise fast path for the usual all-ASCII case.

fn lower_chars(s: &str) -> impl DoubleEndedIterator<Item = char> + '_ {
    s.chars().flat_map(char::to_lowercase)
}

fn equals(value: &str, lit: &Folded) -> bool {
    if lit.ascii && value.is_ascii() {
        return value.eq_ignore_ascii_case(&lit.lower);
    }
    lower_chars(value).eq(lit.lower.chars())
}

fn starts_with(value: &str, lit: &Folded) -> bool {
    if lit.ascii && value.is_ascii() {
        let n = lit.lower.len();
        return value.len() >= n && value.as_bytes()[..n].eq_ignore_ascii_case(lit.lower.as_bytes());
    }
    let mut folded = lower_chars(value);
    lit.lower.chars().all(|c| folded.next() == Some(c))
}

fn ends_with(value: &str, lit: &Folded) -> bool {
    if lit.ascii && value.is_ascii() {
        let n = lit.lower.len();
        return value.len() >= n
            && value.as_bytes()[value.len() - n..].eq_ignore_ascii_case(lit.lower.as_bytes());
    }
    let mut folded = value.chars().rev().flat_map(|c| c.to_lowercase().rev());
    lit.lower.chars().rev().all(|c| folded.next() == Some(c))
}

fn contains(value: &str, lit: &Folded) -> bool {
    if lit.lower.is_empty() {
        return true;
    }
    if lit.ascii && value.is_ascii() {
        let needle = lit.lower.as_bytes();
        return value
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle));
    }
    value.char_indices().any(|(i, _)| starts_with(&value[i..], lit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_comparisons_ignore_case() {
        let lit = Folded::new("[ZTDId]");
        assert!(equals("[ztdid]", &lit));
        assert!(starts_with("[ZTDID]:abc", &lit));
        assert!(!starts_with("[ZTD", &lit));
        assert!(ends_with("x[ztdID]", &lit));
        assert!(contains("ab[Ztdid]cd", &lit));
        assert!(!contains("ab[Ztdi", &lit));
    }

    #[test]
    fn non_ascii_text_folds_too() {
        let lit = Folded::new("ÉCOLE");
        assert!(equals("école", &lit));
        assert!(starts_with("ÉcoleX", &lit));
        assert!(ends_with("x-École", &lit));
        assert!(contains("une école ici", &lit));
        assert!(!equals("ecole", &lit));
        // An ASCII literal can match a non-ASCII value whose lower case is ASCII (Kelvin sign).
        assert!(equals("\u{212A}", &Folded::new("k")));
    }

    #[test]
    fn empty_literals() {
        let lit = Folded::new("");
        assert!(equals("", &lit));
        assert!(starts_with("x", &lit));
        assert!(ends_with("x", &lit));
        assert!(contains("x", &lit));
    }
}
