//! The mapping tables: one row per YAML field of every kind, saying everything hangar knows
//! about it in one place.
//!
//! A row ([`FieldInfo`]) gives the YAML field (its dotted path in the document), its type and
//! range, where it goes in Graph (a property path and how the value is written, a Device
//! Preparation setting, or a request of its own), what an omitted field means (the default
//! Intune gives a new object, with the source of that fact), the catalog rows of
//! `hangar-plan`'s normalisation that apply to its Graph property, the admin center's label,
//! and the text editors and `docs/configuration.md` show. A [`Field`] adds where the value
//! lives in the [`crate::model`] type of its kind, so code can read any field generically.
//!
//! Everything about a field is read from here:
//!
//! - **loading** (`crate::lower`): an omitted field takes [`FieldInfo::default`]; ranges come
//!   from [`Type::Int`];
//! - **JSON Schemas** ([`crate::schema`]): each property's description is the row's doc and
//!   default, and a test checks that every property of every schema has exactly one row;
//! - **projection** (`hangar-plan`): a [`Graph::Property`] with a [`Codec`] is written by the
//!   same generic code for every kind; only [`Codec::Special`] fields have code of their own;
//! - **import** (`hangar-import`): Graph values are turned back into YAML with the inverse codec
//!   and written only when they differ from the default;
//! - **plans in YAML terms**: [`graph_field`] maps a Graph property path back to its row, and
//!   [`Codec::to_yaml`] a Graph value to its YAML form; [`Field::get`] gives the value and its
//!   span (file and line) in the document;
//! - **docs**: [`markdown`] renders each kind's table of `docs/configuration.md` (a test
//!   checks the file).

mod common;
mod device_preparation;
mod devices;
mod domain_join;
mod enrollment_status_page;
mod group;
mod profile;
mod restriction;
mod tenant;

use std::fmt::Write as _;

use serde_json::Value;

use crate::model::DesiredState;
use crate::span::Spanned;

pub use common::{ASSIGN, META};
pub use device_preparation::DEVICE_PREPARATION;
pub use devices::AUTOPILOT_DEVICES;
pub use domain_join::DOMAIN_JOIN;
pub use enrollment_status_page::ENROLLMENT_STATUS_PAGE;
pub use group::DEVICE_GROUP;
pub use profile::DEPLOYMENT_PROFILE;
pub use restriction::{BUILTIN_WINDOWS, ENROLLMENT_RESTRICTION};
pub use tenant::TENANT;

/// Everything about one YAML field except where it lives in the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldInfo {
    /// Dotted path in the document, e.g. `collectLogs`, `oobe.userType`, `windows.osMinimum`.
    pub yaml: &'static str,
    /// Value type and range.
    pub ty: Type,
    /// Where the value goes in Graph.
    pub graph: Graph,
    /// What an omitted field means.
    pub default: Default,
    /// The admin center's label, where it is not the YAML name in other words.
    pub label: Option<&'static str>,
    /// What the field does, for people editing YAML (one or two sentences).
    pub doc: &'static str,
    /// Ids of the `hangar-plan` normalisation rows that apply to the Graph property (a test in
    /// `hangar-plan` checks both directions).
    pub normalisation: &'static [&'static str],
}

/// A value type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    /// `true` or `false`.
    Bool,
    /// A whole number in `min..=max`.
    Int {
        /// Smallest allowed.
        min: u32,
        /// Largest allowed.
        max: u32,
    },
    /// A string.
    Text,
    /// One of these YAML values.
    Enum(&'static [&'static str]),
    /// A list of strings (described in words).
    List(&'static str),
    /// Anything else, described in words.
    Other(&'static str),
}

/// Where a YAML field goes in Graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Graph {
    /// A property of the object's body, `/`-separated (`outOfBoxExperienceSetting/userType`),
    /// written as `codec` says.
    Property {
        /// Path in the body.
        path: &'static str,
        /// How the YAML value becomes the Graph value.
        codec: Codec,
    },
    /// A Device Preparation (Settings Catalog) setting, by definition id.
    Setting {
        /// `settingDefinitionId`.
        definition: &'static str,
        /// How the YAML value becomes the setting's value.
        codec: Codec,
    },
    /// Written by requests of its own (assignments, `setPriority`, owners, …), described in
    /// words.
    Request(&'static str),
    /// hangar's own: not sent to Graph.
    None,
}

/// How a YAML value becomes a Graph value, and back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// The same value.
    Same,
    /// A boolean, inverted (`blockDeviceUse: true` is `blockDeviceSetupRetryByUser: false`).
    Not,
    /// YAML enum values and their Graph values.
    Enum(&'static [(&'static str, &'static str)]),
    /// Written by the kind's own code (documented in the row's doc).
    Special,
}

impl Codec {
    /// The Graph value of a YAML value; `None` for [`Codec::Special`] or a value the codec does
    /// not know.
    pub fn to_graph(&self, yaml: &Value) -> Option<Value> {
        match self {
            Codec::Same => Some(yaml.clone()),
            Codec::Not => yaml.as_bool().map(|b| Value::Bool(!b)),
            Codec::Enum(pairs) => {
                let text = yaml.as_str()?;
                pairs
                    .iter()
                    .find(|(y, _)| *y == text)
                    .map(|(_, g)| Value::String((*g).to_owned()))
            }
            Codec::Special => None,
        }
    }

    /// The YAML value of a Graph value (enum values matched case-insensitively, as Graph
    /// compares them); `None` for [`Codec::Special`] or a value the codec does not know.
    pub fn to_yaml(&self, graph: &Value) -> Option<Value> {
        match self {
            Codec::Same => Some(graph.clone()),
            Codec::Not => graph.as_bool().map(|b| Value::Bool(!b)),
            Codec::Enum(pairs) => {
                let text = graph.as_str()?;
                pairs
                    .iter()
                    .find(|(_, g)| g.eq_ignore_ascii_case(text))
                    .map(|(y, _)| Value::String((*y).to_owned()))
            }
            Codec::Special => None,
        }
    }
}

/// What an omitted field means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Default {
    /// The field must be written.
    Required,
    /// This value (a YAML literal: `true`, `60`, `os-default`, `[]`), with where the fact comes
    /// from.
    Value {
        /// The value, as YAML.
        yaml: &'static str,
        /// The source of the default.
        source: &'static str,
    },
    /// Nothing: the property is sent empty (no template, no OU, no custom message).
    Empty {
        /// What "empty" means to Intune.
        meaning: &'static str,
        /// The Graph value sent for it (a JSON literal: `""`, `null`).
        graph: &'static str,
        /// The source.
        source: &'static str,
    },
    /// Not managed: hangar neither sends nor compares it, so what the tenant holds stays (a
    /// new object gets the service's default).
    Unmanaged {
        /// What the service gives a new object.
        new_object: &'static str,
        /// The source.
        source: &'static str,
    },
}

impl FieldInfo {
    /// The default as a boolean (`false` when it is not a boolean; a test checks every
    /// boolean row has one).
    pub fn bool_default(&self) -> bool {
        matches!(self.default, Default::Value { yaml: "true", .. })
    }

    /// The default as a number (0 when it is not one; a test checks every number row).
    pub fn u32_default(&self) -> u32 {
        match self.default {
            Default::Value { yaml, .. } => yaml.parse().unwrap_or(0),
            _ => 0,
        }
    }

    /// The default as text (`""` when there is none).
    pub fn text_default(&self) -> &'static str {
        match self.default {
            Default::Value { yaml, .. } => yaml,
            _ => "",
        }
    }

    /// The default as a YAML value (`None` for required, empty and unmanaged fields).
    pub fn default_value(&self) -> Option<Value> {
        match self.default {
            Default::Value { yaml, .. } => Some(yaml_literal(yaml, self.ty)),
            _ => None,
        }
    }

    /// The range of a number field.
    pub fn range(&self) -> Option<std::ops::RangeInclusive<u32>> {
        match self.ty {
            Type::Int { min, max } => Some(min..=max),
            _ => None,
        }
    }

    /// The Graph property path (`/`-separated) and codec, when the field is a property.
    pub fn property(&self) -> Option<(&'static str, Codec)> {
        match self.graph {
            Graph::Property { path, codec } => Some((path, codec)),
            _ => None,
        }
    }

    /// The Setting definition id and codec, when the field is a Device Preparation setting.
    pub fn setting(&self) -> Option<(&'static str, Codec)> {
        match self.graph {
            Graph::Setting { definition, codec } => Some((definition, codec)),
            _ => None,
        }
    }
}

/// A YAML literal as the JSON value a field of type `ty` holds.
fn yaml_literal(yaml: &str, ty: Type) -> Value {
    match ty {
        Type::Bool => Value::Bool(yaml == "true"),
        Type::Int { .. } => yaml.parse::<u64>().map_or(Value::Null, Value::from),
        Type::List(_) if yaml == "[]" => Value::Array(Vec::new()),
        _ => Value::String(yaml.to_owned()),
    }
}

/// Reads one field of a desired object: its value in YAML form (`null` when absent and
/// without default) and the span it came from (the document's `kind:` for a default).
pub type Getter<T> = fn(&T, &DesiredState) -> Option<Spanned<Value>>;

/// A row and where its value lives in the model type `T` of its kind.
#[derive(Debug, Clone, Copy)]
pub struct Field<T: 'static> {
    /// The row.
    pub info: FieldInfo,
    /// The value of the field in a desired object; `None` for fields the model does not keep
    /// as such (`kind`).
    pub get: Option<Getter<T>>,
}

/// One kind's table.
#[derive(Debug, Clone, Copy)]
pub struct Table<T: 'static> {
    /// The YAML `kind:`.
    pub kind: &'static str,
    /// The Graph object it maps to, in words.
    pub graph_type: &'static str,
    /// Which common fields ([`META`], in that order) the kind has.
    pub meta: &'static [&'static str],
    /// The kind's own fields, in documentation order.
    pub fields: &'static [Field<T>],
    /// Graph path prefixes that read as another in this table: `(alias, prefix in the rows)`
    /// (the built-in restriction's `windowsRestriction` is a custom one's
    /// `platformRestriction`).
    pub aliases: &'static [(&'static str, &'static str)],
}

impl<T> Table<T> {
    /// The row of a YAML field (a kind field or one of its common fields).
    pub fn field(&self, yaml: &str) -> Option<&'static FieldInfo> {
        self.rows().find(|row| row.yaml == yaml)
    }

    /// The value (YAML form) and span of the field `yaml` in `object`, whose common fields
    /// are `meta`: what a plan shows as the field's new value and where it is written.
    pub fn value(
        &self,
        yaml: &str,
        object: &T,
        meta: &crate::model::Meta,
        state: &DesiredState,
    ) -> Option<Spanned<Value>> {
        if let Some(field) = self.fields.iter().find(|f| f.info.yaml == yaml) {
            return (field.get?)(object, state);
        }
        if !self.meta.contains(&yaml) {
            return None;
        }
        let field = META.iter().find(|f| f.info.yaml == yaml)?;
        (field.get?)(meta, state)
    }

    /// Every row: common fields first, then the kind's own.
    pub fn rows(&self) -> impl Iterator<Item = &'static FieldInfo> + '_ {
        let meta = self
            .meta
            .iter()
            .filter_map(|name| META.iter().find(|f| f.info.yaml == *name))
            .map(|f| &f.info);
        meta.chain(self.fields.iter().map(|f| &f.info))
    }

    /// The kind's own row of a Graph property path (`/`- or `.`-separated).
    pub fn by_graph_path(&self, path: &str) -> Option<&'static FieldInfo> {
        let aliased = self.aliases.iter().find_map(|(alias, prefix)| {
            path.strip_prefix(alias)
                .filter(|rest| rest.starts_with(['.', '/']))
                .map(|rest| format!("{prefix}{rest}"))
        });
        let path = aliased.as_deref().unwrap_or(path);
        self.rows().find(|row| match row.graph {
            Graph::Property { path: p, .. } => same_path(p, path),
            Graph::Setting { definition, .. } => {
                path.strip_prefix("settings.")
                    .or_else(|| path.strip_prefix("settings/"))
                    == Some(definition)
            }
            _ => false,
        })
    }
}

/// Whether two Graph paths are the same, whichever separator each uses (`@odata.type` is one
/// key either way).
fn same_path(a: &str, b: &str) -> bool {
    let norm = |p: &str| p.replace("@odata.type", "\u{1}").replace('/', ".");
    norm(a) == norm(b)
}

/// A kind's rows without the model type: what docs, schemas and reverse lookups need.
#[derive(Debug, Clone, Copy)]
pub struct KindRows {
    /// The YAML `kind:`.
    pub kind: &'static str,
    /// The Graph object, in words.
    pub graph_type: &'static str,
    rows: fn() -> Vec<&'static FieldInfo>,
    by_graph: fn(&str) -> Option<&'static FieldInfo>,
}

impl KindRows {
    /// Every row of the kind, common fields first.
    pub fn rows(&self) -> Vec<&'static FieldInfo> {
        (self.rows)()
    }

    /// The row of a Graph property path (`/`- or `.`-separated), or a Device Preparation
    /// `settings.<definition id>`.
    pub fn by_graph_path(&self, path: &str) -> Option<&'static FieldInfo> {
        (self.by_graph)(path)
    }
}

macro_rules! kind_rows {
    ($table:expr) => {
        KindRows {
            kind: $table.kind,
            graph_type: $table.graph_type,
            rows: || $table.rows().collect(),
            by_graph: |path| $table.by_graph_path(path),
        }
    };
}

/// Every kind's rows, in documentation order.
pub fn kinds() -> [KindRows; 8] {
    [
        kind_rows!(TENANT),
        kind_rows!(DEVICE_GROUP),
        kind_rows!(DEPLOYMENT_PROFILE),
        kind_rows!(ENROLLMENT_STATUS_PAGE),
        kind_rows!(DEVICE_PREPARATION),
        kind_rows!(DOMAIN_JOIN),
        kind_rows!(ENROLLMENT_RESTRICTION),
        kind_rows!(AUTOPILOT_DEVICES),
    ]
}

/// A kind's rows by its YAML `kind:` name.
pub fn kind(name: &str) -> Option<KindRows> {
    kinds().into_iter().find(|k| k.kind == name)
}

/// The row of a Graph property of an object of `kind` (its [`hangar_model::Kind`] name):
/// what a plan shows in YAML terms. Paths are those of a plan's field changes
/// (`outOfBoxExperienceSetting.userType`, `settings.enrollment_autopilot_dpp_timeout`).
pub fn graph_field(kind: &str, path: &str) -> Option<&'static FieldInfo> {
    self::kind(kind)?.by_graph_path(path)
}

/// The Markdown table of one kind for `docs/configuration.md`.
pub fn markdown(rows: &KindRows) -> String {
    let mut out = String::new();
    out.push_str("| field | type | default | Graph | notes |\n|---|---|---|---|---|\n");
    for row in rows.rows() {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            row.yaml,
            describe_type(row.ty),
            describe_default(row.default),
            describe_graph(row.graph),
            cell(&notes(row)),
        );
    }
    out
}

/// The Markdown table of the shared `assign:` fields.
pub fn markdown_assign() -> String {
    let mut out = String::new();
    out.push_str("| field | type | default | Graph | notes |\n|---|---|---|---|---|\n");
    for field in ASSIGN {
        let row = &field.info;
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            row.yaml,
            describe_type(row.ty),
            describe_default(row.default),
            describe_graph(row.graph),
            cell(&notes(row)),
        );
    }
    out
}

/// Every table of `docs/configuration.md`, each under its kind's heading marker, as the file
/// must contain them.
pub fn markdown_tables() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = kinds()
        .iter()
        .map(|rows| (rows.kind.to_owned(), markdown(rows)))
        .collect();
    out.push(("assign".to_owned(), markdown_assign()));
    out
}

fn notes(row: &FieldInfo) -> String {
    let mut notes = row.doc.to_owned();
    if let Some(label) = row.label {
        let _ = write!(notes, " Admin center: \"{label}\".");
    }
    match row.default {
        Default::Value { source, .. } | Default::Empty { source, .. } | Default::Unmanaged { source, .. } => {
            let _ = write!(notes, " Default: {source}.");
        }
        Default::Required => {}
    }
    notes
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn describe_type(ty: Type) -> String {
    match ty {
        Type::Bool => "bool".to_owned(),
        Type::Int { min, max } => format!("{min}–{max}"),
        Type::Text => "string".to_owned(),
        Type::Enum(values) => values
            .iter()
            .map(|v| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(" \\| "),
        Type::List(what) | Type::Other(what) => what.to_owned(),
    }
}

fn describe_default(default: Default) -> String {
    match default {
        Default::Required => "required".to_owned(),
        Default::Value { yaml, .. } => format!("`{yaml}`"),
        Default::Empty { meaning, .. } => format!("none ({meaning})"),
        Default::Unmanaged { new_object, .. } => format!("not managed (new: {new_object})"),
    }
}

fn describe_graph(graph: Graph) -> String {
    let codec = |codec: Codec| match codec {
        Codec::Same | Codec::Special => String::new(),
        Codec::Not => " **inverted**".to_owned(),
        Codec::Enum(pairs) => format!(
            " ({})",
            pairs
                .iter()
                .map(|(y, g)| format!("`{y}` → `{g}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    match graph {
        Graph::Property { path, codec: c } => format!("`{}`{}", path.replace('/', "."), codec(c)),
        Graph::Setting { definition, codec: c } => format!("setting `{definition}`{}", codec(c)),
        Graph::Request(how) => how.to_owned(),
        Graph::None => "—".to_owned(),
    }
}

/// The description of a row in the JSON Schemas: what editors show.
pub fn schema_description(row: &FieldInfo) -> String {
    let mut text = row.doc.to_owned();
    if let Some(label) = row.label {
        let _ = write!(text, " Admin center: \"{label}\".");
    }
    match row.default {
        Default::Required => text.push_str(" Required."),
        Default::Value { yaml, .. } => {
            let _ = write!(text, " Default: `{yaml}`.");
        }
        Default::Empty { meaning, .. } => {
            let _ = write!(text, " Default: none ({meaning}).");
        }
        Default::Unmanaged { .. } => text.push_str(" Omitted: not managed (the tenant's value stays)."),
    }
    if let Graph::Property { path, .. } = row.graph {
        let _ = write!(text, " Graph: `{}`.", path.replace('/', "."));
    } else if let Graph::Setting { definition, .. } = row.graph {
        let _ = write!(text, " Graph: setting `{definition}`.");
    }
    text
}

/// Helpers for the getters in the tables.
pub(crate) mod get {
    use serde_json::{Value, json};

    use crate::span::{Span, Spanned};

    /// A plain value.
    pub fn value<T: serde::Serialize>(value: &Spanned<T>) -> Option<Spanned<Value>> {
        Some(Spanned::new(json!(value.value), value.span))
    }

    /// An optional value (`null` at `kind_span` when absent).
    pub fn optional<T: serde::Serialize>(
        value: &Option<Spanned<T>>,
        kind_span: Span,
    ) -> Option<Spanned<Value>> {
        Some(match value {
            Some(value) => Spanned::new(json!(value.value), value.span),
            None => Spanned::new(Value::Null, kind_span),
        })
    }

    /// A list (the span of its first item, or `kind_span` when empty).
    pub fn list<T: serde::Serialize>(items: &[Spanned<T>], kind_span: Span) -> Option<Spanned<Value>> {
        let span = items.first().map_or(kind_span, |item| item.span);
        Some(Spanned::new(
            Value::Array(items.iter().map(|item| json!(item.value)).collect()),
            span,
        ))
    }

    /// An enum value by its YAML name.
    pub fn name(value: &'static str, span: Span) -> Option<Spanned<Value>> {
        Some(Spanned::new(Value::String(value.to_owned()), span))
    }
}

#[cfg(test)]
mod tests;
