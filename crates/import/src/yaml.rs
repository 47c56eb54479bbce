//! A small YAML writer for the documents `hangar import` produces: block maps and lists of
//! scalars, keys in the order given, every string either plain (when YAML cannot read it as
//! anything but that string) or double-quoted with escapes. Writing by hand rather than through
//! a serializer keeps the output idiomatic (the layout of the bundled examples) and
//! byte-for-byte stable across versions of a dependency.

use serde_json::Value;

/// A value in a document.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A scalar (string, number, boolean).
    Scalar(Value),
    /// A list of scalars (written as a block list; `[]` when empty).
    List(Vec<Value>),
    /// A map, keys in order.
    Map(Vec<(String, Node)>),
}

/// One document: its keys in order and the comment lines above it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// Comment lines (without `# `) written above the document.
    pub comments: Vec<String>,
    /// Keys in order.
    pub entries: Vec<(String, Node)>,
}

impl Document {
    /// Sets `path` (dotted: `oobe.userType`) to `node`, creating the maps on the way; keys keep
    /// the order they were first set in.
    pub fn set(&mut self, path: &str, node: Node) {
        set(&mut self.entries, path, node);
    }
}

fn set(entries: &mut Vec<(String, Node)>, path: &str, node: Node) {
    match path.split_once('.') {
        None => match entries.iter_mut().find(|(key, _)| key == path) {
            Some(entry) => entry.1 = node,
            None => entries.push((path.to_owned(), node)),
        },
        Some((first, rest)) => {
            let index = match entries.iter().position(|(key, _)| key == first) {
                Some(index) => index,
                None => {
                    entries.push((first.to_owned(), Node::Map(Vec::new())));
                    entries.len() - 1
                }
            };
            if !matches!(entries[index].1, Node::Map(_)) {
                entries[index].1 = Node::Map(Vec::new());
            }
            if let Node::Map(inner) = &mut entries[index].1 {
                set(inner, rest, node);
            }
        }
    }
}

/// A file of documents separated by `---`, starting with the schema comment editors read.
pub fn file(schema: &str, head: &[String], documents: &[Document]) -> String {
    let mut out = format!("# yaml-language-server: $schema={schema}\n");
    for line in head {
        comment(&mut out, line);
    }
    for (index, document) in documents.iter().enumerate() {
        if index > 0 {
            out.push_str("---\n");
        }
        for line in &document.comments {
            comment(&mut out, line);
        }
        write_entries(&mut out, &document.entries, 0);
    }
    out
}

fn comment(out: &mut String, line: &str) {
    out.push_str("# ");
    // A comment ends at the line end: a name with a line break must not end it early.
    out.push_str(&line.replace(['\n', '\r'], " "));
    out.push('\n');
}

fn write_entries(out: &mut String, entries: &[(String, Node)], indent: usize) {
    for (key, node) in entries {
        out.push_str(&" ".repeat(indent));
        out.push_str(key);
        out.push(':');
        match node {
            Node::Scalar(value) => {
                out.push(' ');
                out.push_str(&scalar(value));
                out.push('\n');
            }
            Node::List(items) if items.is_empty() => out.push_str(" []\n"),
            Node::List(items) => {
                out.push('\n');
                for item in items {
                    out.push_str(&" ".repeat(indent + 2));
                    out.push_str("- ");
                    out.push_str(&scalar(item));
                    out.push('\n');
                }
            }
            Node::Map(inner) if inner.is_empty() => out.push_str(" {}\n"),
            Node::Map(inner) => {
                out.push('\n');
                write_entries(out, inner, indent + 2);
            }
        }
    }
}

/// A scalar as YAML; an object as a flow map (`{target: X, filter: Y}`, `target` first, then
/// the other keys in order), as an assignment entry with a filter is written.
pub fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) => string(text),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by_key(|key| (key.as_str() != "target", key.as_str()));
            let entries: Vec<String> = keys
                .into_iter()
                .map(|key| format!("{}: {}", flow_string(key), flow_scalar(&map[key.as_str()])))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        Value::Null => "null".to_owned(),
        other => other.to_string(),
    }
}

/// A string, plain when that reads back as the same string, else double-quoted.
pub fn string(text: &str) -> String {
    if is_plain(text) {
        text.to_owned()
    } else {
        quoted(text)
    }
}

/// A scalar inside a flow map: `,`, `[`, `]`, `{` and `}` end a plain scalar there, so a
/// string holding one is quoted.
fn flow_scalar(value: &Value) -> String {
    match value {
        Value::String(text) => flow_string(text),
        other => scalar(other),
    }
}

fn flow_string(text: &str) -> String {
    if text.contains([',', '[', ']', '{', '}']) {
        quoted(text)
    } else {
        string(text)
    }
}

/// Words YAML 1.1 or 1.2 resolves to something other than a string.
const RESERVED: &[&str] = &["true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"];

fn is_plain(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    if !first.is_alphanumeric() || text.ends_with([' ', ':']) {
        return false;
    }
    if RESERVED.iter().any(|word| text.eq_ignore_ascii_case(word)) {
        return false;
    }
    // Numbers, dates, times and versions: anything made only of digits and number punctuation.
    if text.chars().all(|c| c.is_ascii_digit() || ".+-:_eE".contains(c)) {
        return false;
    }
    if text.contains(": ") || text.contains(" #") {
        return false;
    }
    text.chars()
        .all(|c| c.is_alphanumeric() || " _-./%()+,@".contains(c))
}

/// A double-quoted YAML string: `"` and `\` escaped, and every character YAML does not allow
/// printed raw (control characters, DEL, C1 controls, surrogates, BOM) as `\u` escapes.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if !printable(c) => {
                let code = u32::from(c);
                if code <= 0xFFFF {
                    out.push_str(&format!("\\u{code:04X}"));
                } else {
                    out.push_str(&format!("\\U{code:08X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// YAML 1.2 `c-printable`, minus the byte order mark.
fn printable(c: char) -> bool {
    matches!(u32::from(c),
        0x20..=0x7E | 0x85 | 0xA0..=0xD7FF | 0xE000..=0xFEFE | 0xFF00..=0xFFFD | 0x10000..=0x10FFFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_that_yaml_would_read_as_something_else_are_quoted() {
        for text in [
            "",
            "true",
            "No",
            "null",
            "~",
            "60",
            "1.5",
            "10.0.19045",
            "2026-01-01",
            "a: b",
            "x #y",
            "-x",
            "'x'",
            "\"x\"",
            "x:",
            " x",
            "[x]",
            "{x}",
            "&x",
            "*x",
            "!x",
            "|",
            ">",
            "%x",
            "@x",
        ] {
            assert!(string(text).starts_with('"'), "{text} → {}", string(text));
        }
        for text in [
            "Autopilot Sales",
            "ENG-%SERIAL%",
            "en-US",
            "3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44",
        ] {
            assert_eq!(string(text), text);
        }
    }

    /// An assignment with a filter is a flow map in a list; names holding flow indicators are
    /// quoted so the map reads back as written.
    #[test]
    fn a_filtered_assignment_is_a_flow_map_that_reads_back() {
        let entry =
            serde_json::json!({"filter": "Kiosks, {EU}", "filterMode": "exclude", "target": "Sales [EU]"});
        let text = scalar(&entry);
        assert_eq!(
            text,
            r#"{target: "Sales [EU]", filter: "Kiosks, {EU}", filterMode: exclude}"#
        );
        let mut document = Document::default();
        document.set(
            "assign.include",
            Node::List(vec![entry.clone(), Value::from("G")]),
        );
        let yaml = file("s.json", &[], &[document]);
        let read: serde_json::Value = serde_saphyr::from_str(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
        assert_eq!(read["assign"]["include"][0], entry, "{yaml}");
        assert_eq!(read["assign"]["include"][1], "G");
    }

    #[test]
    fn control_characters_and_quotes_are_escaped() {
        assert_eq!(string("a\"b\\c\u{7f}\u{1}\n"), "\"a\\\"b\\\\c\\u007F\\u0001\\n\"");
        assert_eq!(string("Ünïcødé ☃"), "\"Ünïcødé ☃\"");
    }

    #[test]
    fn nested_paths_make_nested_maps_in_first_set_order() {
        let mut document = Document::default();
        document.set("kind", Node::Scalar(Value::from("DeploymentProfile")));
        document.set("oobe.userType", Node::Scalar(Value::from("administrator")));
        document.set("locale", Node::Scalar(Value::from("en-US")));
        document.set("oobe.hideLicenseTerms", Node::Scalar(Value::from(false)));
        document.set("assign.include", Node::List(vec![Value::from("G")]));
        assert_eq!(
            file("schemas/DeploymentProfile.json", &[], &[document]),
            "# yaml-language-server: $schema=schemas/DeploymentProfile.json\nkind: DeploymentProfile\noobe:\n  userType: administrator\n  hideLicenseTerms: false\nlocale: en-US\nassign:\n  include:\n    - G\n"
        );
    }
}
