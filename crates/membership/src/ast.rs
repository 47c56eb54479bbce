//! The parsed rule tree, its structural equality and its canonical text.

use std::fmt;

use crate::eval::Matcher;
use crate::property::Property;

/// A comparison operator, as written without its hyphen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Op {
    Eq,
    Ne,
    StartsWith,
    NotStartsWith,
    EndsWith,
    NotEndsWith,
    Contains,
    NotContains,
    Match,
    NotMatch,
    In,
    NotIn,
}

/// The comparison an [`Op`] makes before negation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Test {
    Eq,
    StartsWith,
    EndsWith,
    Contains,
    Match,
    In,
}

/// Canonical spellings; lookups are case-insensitive.
pub(crate) const OPERATORS: [(&str, Op); 12] = [
    ("eq", Op::Eq),
    ("ne", Op::Ne),
    ("startsWith", Op::StartsWith),
    ("notStartsWith", Op::NotStartsWith),
    ("endsWith", Op::EndsWith),
    ("notEndsWith", Op::NotEndsWith),
    ("contains", Op::Contains),
    ("notContains", Op::NotContains),
    ("match", Op::Match),
    ("notMatch", Op::NotMatch),
    ("in", Op::In),
    ("notIn", Op::NotIn),
];

impl Op {
    pub(crate) fn from_name(name: &str) -> Option<Op> {
        OPERATORS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, op)| *op)
    }

    pub(crate) fn name(self) -> &'static str {
        OPERATORS
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("eq", |(n, _)| n)
    }

    /// The underlying test and whether the operator negates it.
    pub(crate) fn split(self) -> (Test, bool) {
        match self {
            Op::Eq => (Test::Eq, false),
            Op::Ne => (Test::Eq, true),
            Op::StartsWith => (Test::StartsWith, false),
            Op::NotStartsWith => (Test::StartsWith, true),
            Op::EndsWith => (Test::EndsWith, false),
            Op::NotEndsWith => (Test::EndsWith, true),
            Op::Contains => (Test::Contains, false),
            Op::NotContains => (Test::Contains, true),
            Op::Match => (Test::Match, false),
            Op::NotMatch => (Test::Match, true),
            Op::In => (Test::In, false),
            Op::NotIn => (Test::In, true),
        }
    }
}

/// A literal on the right of an operator.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Str(String),
    List(Vec<String>),
}

/// What a comparison looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Subject {
    /// A single-valued device property.
    Property(Property),
    /// `_`: one value of the collection an `-any` / `-all` iterates.
    Element,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Quantifier {
    Any,
    All,
}

/// A byte range in the parsed text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Span {
    pub(crate) offset: usize,
    pub(crate) len: usize,
}

/// `subject op value`, with its evaluator compiled at parse time.
#[derive(Clone, Debug)]
pub(crate) struct Comparison {
    pub(crate) subject: Subject,
    pub(crate) op: Op,
    pub(crate) value: Value,
    /// One span per string literal in `value`, in order (for warnings).
    pub(crate) literal_spans: Vec<Span>,
    pub(crate) matcher: Matcher,
}

/// Structural: spans and compiled matchers are derived from the rest and ignored.
impl PartialEq for Comparison {
    fn eq(&self, other: &Self) -> bool {
        self.subject == other.subject && self.op == other.op && self.value == other.value
    }
}

impl Eq for Comparison {}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Node {
    /// Two or more operands, none of them an `And` (chains are flattened).
    And(Vec<Node>),
    /// Two or more operands, none of them an `Or`.
    Or(Vec<Node>),
    Not(Box<Node>),
    Compare(Comparison),
    /// `device.<multi-valued property> -any|-all (<predicate on _>)`.
    Collection {
        property: Property,
        quantifier: Quantifier,
        predicate: Box<Node>,
    },
}

impl Node {
    /// Builds an `And` from operands, flattening nested `And`s; one operand is returned as is.
    pub(crate) fn and(operands: Vec<Node>) -> Node {
        Self::chain(operands, true)
    }

    pub(crate) fn or(operands: Vec<Node>) -> Node {
        Self::chain(operands, false)
    }

    fn chain(operands: Vec<Node>, is_and: bool) -> Node {
        let mut flat = Vec::with_capacity(operands.len());
        for node in operands {
            match node {
                Node::And(inner) if is_and => flat.extend(inner),
                Node::Or(inner) if !is_and => flat.extend(inner),
                other => flat.push(other),
            }
        }
        if flat.len() == 1 {
            return flat.pop().expect("one operand");
        }
        if is_and { Node::And(flat) } else { Node::Or(flat) }
    }

    /// Every comparison in the tree, with the collection property it is under (if any).
    pub(crate) fn visit<'a>(
        &'a self,
        under: Option<Property>,
        f: &mut impl FnMut(&'a Comparison, Option<Property>),
    ) {
        match self {
            Node::And(nodes) | Node::Or(nodes) => nodes.iter().for_each(|n| n.visit(under, f)),
            Node::Not(inner) => inner.visit(under, f),
            Node::Compare(c) => f(c, under),
            Node::Collection {
                property, predicate, ..
            } => predicate.visit(Some(*property), f),
        }
    }
}

/// Writes `s` as a double-quoted rule string, escaping as Entra documents: `` `" `` for a double
/// quote, `''` for a single quote, and `` `` `` for a backtick.
pub(crate) fn write_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("`\""),
            '`' => out.push_str("``"),
            '\'' => out.push_str("''"),
            _ => out.push(c),
        }
    }
    out.push('"');
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Str(s) => write_quoted(out, s),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_quoted(out, item);
            }
            out.push(']');
        }
    }
}

fn write_comparison(out: &mut String, c: &Comparison) {
    match c.subject {
        Subject::Property(p) => {
            out.push_str("device.");
            out.push_str(p.canonical());
        }
        Subject::Element => out.push('_'),
    }
    out.push_str(" -");
    out.push_str(c.op.name());
    out.push(' ');
    write_value(out, &c.value);
}

/// Canonical text. At device level every comparison and collection test is parenthesised, so
/// that `group_tag_rule` output is already canonical; inside `-any (...)` comparisons on `_`
/// are bare. Nested `-and` / `-or` groups are always parenthesised, `-not` is always followed by
/// a parenthesised operand (or another `-not`).
pub(crate) fn write_node(out: &mut String, node: &Node, element: bool) {
    match node {
        Node::And(nodes) | Node::Or(nodes) => {
            let joiner = if matches!(node, Node::And(_)) {
                " -and "
            } else {
                " -or "
            };
            for (i, n) in nodes.iter().enumerate() {
                if i > 0 {
                    out.push_str(joiner);
                }
                write_operand(out, n, element);
            }
        }
        Node::Not(inner) => {
            out.push_str("-not ");
            match &**inner {
                Node::Not(_) => write_node(out, inner, element),
                Node::Compare(c) if element => {
                    out.push('(');
                    write_comparison(out, c);
                    out.push(')');
                }
                _ => write_operand(out, inner, element),
            }
        }
        Node::Compare(c) if element => write_comparison(out, c),
        Node::Compare(c) => {
            out.push('(');
            write_comparison(out, c);
            out.push(')');
        }
        Node::Collection {
            property,
            quantifier,
            predicate,
        } => {
            out.push_str("(device.");
            out.push_str(property.canonical());
            out.push_str(match quantifier {
                Quantifier::Any => " -any (",
                Quantifier::All => " -all (",
            });
            write_node(out, predicate, true);
            out.push_str("))");
        }
    }
}

/// An operand of `-and`, `-or` or `-not`: groups get parentheses, atoms are written as they are
/// (device-level atoms carry their own).
fn write_operand(out: &mut String, node: &Node, element: bool) {
    match node {
        Node::And(_) | Node::Or(_) => {
            out.push('(');
            write_node(out, node, element);
            out.push(')');
        }
        _ => write_node(out, node, element),
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        write_node(&mut s, self, false);
        f.write_str(&s)
    }
}
