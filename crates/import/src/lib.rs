//! `hangar import`: a tenant's live Autopilot objects, read by `hangar-graph` into a
//! [`LiveState`], turned back into a hangar configuration that plans empty against the same
//! tenant.
//!
//! The mapping tables of `hangar-config` ([`hangar_config::fields`]) drive it, so import and
//! projection cannot disagree: every row whose Graph side is a property with a codec is read
//! back with [`Codec::to_yaml`] and written only when it differs from the row's default (the
//! default is what an omitted field means when hangar projects it, so leaving it out plans the
//! same). Rows the tables mark [`Codec::Special`] or [`Graph::Request`] have one function each
//! here (`special`); a test runs every row of every kind through the importer, so a new row
//! without an importer fails the suite rather than being dropped.
//!
//! What the output holds (issue 11, item 1): `tenant.yaml` with pruning off; one file per kind;
//! the built-in ESP and platform restriction as `name: default`; the groups the imported objects
//! reference (a canonical group-tag rule as `membership: {groupTag: …}`); the registered devices
//! as hash-less CSV rows. References are by name; an `id:` pin is written only where names
//! collide, and the import says so ([`Imported::notes`]). Output is deterministic: objects are
//! sorted by name then id, keys follow the tables' order.
//!
//! Groups the imported objects reference are written as managed `DeviceGroup`s when an
//! Autopilot object owns them (dynamic device groups, Device Preparation device groups) and as
//! `external: true` otherwise (user groups, static groups another team fills): matched by name,
//! never changed (`owned_by_autopilot`).
//!
//! Scope tags, apps, scripts and assignment filters are written by name; by id where two share
//! a name (or a name reads as an id), with a note ([`Imported::notes`]).

#![warn(missing_docs)]

mod yaml;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use hangar_config::fields::{self, Codec, FieldInfo, Graph, Table};
use hangar_model::device_preparation::Catalog;
use hangar_model::well_known::{DEFAULT_ESP_ID_SUFFIX, DEFAULT_PLATFORM_RESTRICTION_ID_SUFFIX, odata};
use hangar_model::{Cloud, Kind, LiveObject, LiveState, LiveTarget, ReferenceKind, Referenced};
use serde_json::{Value, json};

pub use yaml::{Document, Node};

/// Everything that can stop an import. Nothing is written when one happens.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The output directory exists and holds something.
    #[error("`{}` is not empty; import writes a new configuration into an empty or missing directory", .path.display())]
    NotEmpty {
        /// The directory.
        path: PathBuf,
    },
    /// A kind was not read completely, so an import would silently miss objects.
    #[error("{kind} objects were not read completely; nothing was written")]
    Incomplete {
        /// The kind.
        kind: Kind,
    },
    /// A live value the tables do not know (an enum value Graph added, a malformed property).
    #[error(
        "{kind} `{name}` (id `{id}`): `{field}` has the value {value}, which hangar cannot write yet; nothing was written"
    )]
    UnknownValue {
        /// Kind.
        kind: Kind,
        /// Object name.
        name: String,
        /// Object id.
        id: String,
        /// YAML field.
        field: &'static str,
        /// The live value (JSON).
        value: String,
    },
    /// A Device Preparation policy, but the tenant's templates were not read or do not know its
    /// template.
    #[error("Device Preparation policy `{name}`: {problem}; nothing was written")]
    DevicePreparation {
        /// Policy name.
        name: String,
        /// What is missing.
        problem: String,
    },
    /// A table row without an importer (a bug: a test runs every row).
    #[error("no importer for `{kind}.{field}` (a hangar bug: please report it)")]
    NoImporter {
        /// Kind.
        kind: &'static str,
        /// YAML field.
        field: &'static str,
    },
    /// `--name` is not a valid glob.
    #[error("`--name {glob}` is not a valid glob: {message}")]
    Glob {
        /// The glob.
        glob: String,
        /// Why.
        message: String,
    },
    /// Writing failed (the partial output was removed).
    #[error("cannot write `{}`: {source}", .path.display())]
    Write {
        /// What was being written.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// What to import.
#[derive(Debug, Clone)]
pub struct Options {
    /// The tenant's `name:` in `tenant.yaml`.
    pub tenant_name: String,
    /// Its cloud.
    pub cloud: Cloud,
    /// Its tenant id.
    pub tenant_id: String,
    /// Kinds to import (`None`: all). Groups the imported objects reference are always written.
    pub kinds: Option<BTreeSet<Kind>>,
    /// Only objects whose name matches this glob (`None`: all). Devices are not narrowed by name.
    pub name: Option<String>,
}

impl Options {
    fn wants(&self, kind: Kind) -> bool {
        self.kinds.as_ref().is_none_or(|kinds| kinds.contains(&kind))
    }
}

/// The files of an imported configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// Relative path (with `/`) → contents, in path order.
    pub files: BTreeMap<String, Vec<u8>>,
    /// What the admin should know (pinned ids, objects left out, filters kept), one sentence
    /// each, sorted.
    pub notes: Vec<String>,
    /// How many documents of each kind were written (and devices as rows).
    pub counts: BTreeMap<Kind, usize>,
}

/// File name of each kind's documents.
const FILES: &[(Kind, &str)] = &[
    (Kind::DeviceGroup, "groups.yaml"),
    (Kind::DeploymentProfile, "profiles.yaml"),
    (Kind::EnrollmentStatusPage, "esp.yaml"),
    (Kind::DevicePreparationPolicy, "device-preparation.yaml"),
    (Kind::DomainJoinProfile, "domain-join.yaml"),
    (Kind::EnrollmentRestriction, "restrictions.yaml"),
    (Kind::AutopilotDevice, "devices.yaml"),
];

/// The hash-less CSV of the registered devices, relative to the configuration.
pub const DEVICES_CSV: &str = "devices/registered.csv";

/// Turns `live` into a configuration. Pure: no file is touched (see [`write()`]).
pub fn import(live: &LiveState, options: &Options) -> Result<Imported, Error> {
    let glob = match &options.name {
        Some(glob) => Some(
            globset::Glob::new(glob)
                .map_err(|error| Error::Glob {
                    glob: glob.clone(),
                    message: error.to_string(),
                })?
                .compile_matcher(),
        ),
        None => None,
    };
    let mut ctx = Ctx {
        live,
        catalog: live.device_preparation_templates.as_deref().map(Catalog::new),
        groups: BTreeMap::new(),
        notes: BTreeSet::new(),
    };
    let mut documents: BTreeMap<Kind, Vec<Document>> = BTreeMap::new();
    let mut counts = BTreeMap::new();

    let intune = [
        Kind::DeploymentProfile,
        Kind::EnrollmentStatusPage,
        Kind::DevicePreparationPolicy,
        Kind::DomainJoinProfile,
        Kind::EnrollmentRestriction,
    ];
    for kind in intune.into_iter().filter(|kind| options.wants(*kind)) {
        if !live.is_complete(kind) {
            return Err(Error::Incomplete { kind });
        }
        let selected: Vec<&LiveObject> = live
            .objects_of(kind)
            .filter(|object| {
                let name = yaml_name(object);
                glob.as_ref().is_none_or(|glob| glob.is_match(&name))
            })
            .collect();
        for (object, pin) in pick(kind, selected, &mut ctx.notes) {
            let document = object_document(&mut ctx, object, pin)?;
            documents.entry(kind).or_default().push(document);
        }
    }
    // Group-tag groups no imported object references are Autopilot's too (devices route by
    // them): `--kind DeviceGroup` asks for them.
    if options
        .kinds
        .as_ref()
        .is_some_and(|kinds| kinds.contains(&Kind::DeviceGroup))
    {
        for group in live.objects_of(Kind::DeviceGroup) {
            let tag_group = group_tag_of(group).is_some();
            if tag_group
                && glob
                    .as_ref()
                    .is_none_or(|glob| glob.is_match(&group.display_name))
            {
                ctx.groups.entry(group.id.to_ascii_lowercase()).or_insert(None);
            }
        }
    }
    let groups = group_documents(&mut ctx)?;
    if !groups.is_empty() {
        documents.insert(Kind::DeviceGroup, groups);
    }

    let mut files = BTreeMap::new();
    if options.wants(Kind::AutopilotDevice) {
        if !live.is_complete(Kind::AutopilotDevice) {
            return Err(Error::Incomplete {
                kind: Kind::AutopilotDevice,
            });
        }
        if !live.devices.is_empty() {
            let mut devices: Vec<_> = live.devices.iter().collect();
            devices.sort_by(|a, b| a.serial().cmp(b.serial()).then_with(|| a.id.cmp(&b.id)));
            let mut csv = Vec::new();
            let rows = devices.iter().map(|device| hangar_config::devices::HashlessRow {
                serial: device.serial(),
                group_tag: device.group_tag.as_deref(),
                assigned_user: device.user_principal_name.as_deref(),
                display_name: device.display_name.as_deref(),
            });
            hangar_config::devices::write_hashless(&mut csv, rows).map_err(|source| Error::Write {
                path: PathBuf::from(DEVICES_CSV),
                source,
            })?;
            files.insert(DEVICES_CSV.to_owned(), csv);
            let mut document = Document {
                comments: vec![
                    "Every registered device: serial, group tag, user and name, no hash (the registrations exist).".into(),
                    "Add new devices with `hangar devices import-csv` and their hardware hash.".into(),
                ],
                ..Document::default()
            };
            document.set("kind", scalar("AutopilotDevices"));
            document.set("name", scalar("registered"));
            document.set("source", scalar(DEVICES_CSV));
            documents.insert(Kind::AutopilotDevice, vec![document]);
            counts.insert(Kind::AutopilotDevice, devices.len());
        }
    }

    for (kind, docs) in &documents {
        if *kind != Kind::AutopilotDevice {
            counts.insert(*kind, docs.len());
        }
        let file = FILES
            .iter()
            .find(|(k, _)| k == kind)
            .map_or("other.yaml", |(_, file)| file);
        let schema = format!("schemas/{}.json", schema_name(*kind));
        let parts = split_within_limits(docs, &|part| yaml::file(&schema, &[], part));
        let count = parts.len();
        for (index, text) in parts.into_iter().enumerate() {
            files.insert(part_name(file, index, count), text.into_bytes());
        }
    }
    files.insert("tenant.yaml".to_owned(), tenant_file(options).into_bytes());
    for (name, schema) in hangar_config::schema::schemas() {
        let text = serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n";
        files.insert(format!("schemas/{name}"), text.into_bytes());
    }
    Ok(Imported {
        files,
        notes: ctx.notes.into_iter().collect(),
        counts,
    })
}

/// `docs` rendered as files the loader accepts: each within its documents-per-file and bytes
/// limits ([`hangar_config::Limits`]), a tenant of 2,000 groups giving two files, not one the
/// loader refuses. Deterministic: the same documents split at the same places.
fn split_within_limits(docs: &[Document], render: &dyn Fn(&[Document]) -> String) -> Vec<String> {
    let limits = hangar_config::Limits::default();
    let mut parts = Vec::new();
    for chunk in docs.chunks(limits.max_documents.max(1)) {
        split_by_bytes(chunk, render, limits.max_yaml_bytes, &mut parts);
    }
    if parts.is_empty() {
        parts.push(render(&[]));
    }
    parts
}

fn split_by_bytes(
    docs: &[Document],
    render: &dyn Fn(&[Document]) -> String,
    max_bytes: u64,
    parts: &mut Vec<String>,
) {
    let text = render(docs);
    // One document over the limit stays whole: the loader then names it, which says more than
    // an import that silently dropped it.
    if text.len() as u64 <= max_bytes || docs.len() < 2 {
        parts.push(text);
        return;
    }
    let (first, second) = docs.split_at(docs.len() / 2);
    split_by_bytes(first, render, max_bytes, parts);
    split_by_bytes(second, render, max_bytes, parts);
}

/// `groups.yaml` when a kind fits one file; `groups-1.yaml`, `groups-2.yaml`, … when not.
fn part_name(file: &str, index: usize, count: usize) -> String {
    if count == 1 {
        return file.to_owned();
    }
    let stem = file.strip_suffix(".yaml").unwrap_or(file);
    format!("{stem}-{}.yaml", index + 1)
}

/// Writes `imported` into `dir`, which must be missing or empty. The files are written into a
/// new directory beside it and moved into place at the end, so an error leaves nothing behind.
pub fn write(dir: &Path, imported: &Imported) -> Result<(), Error> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::Write { path, source }
    };
    let existed = match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(Error::NotEmpty { path: dir.to_owned() });
            }
            true
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => false,
        Err(error) => return Err(io(dir)(error)),
    };
    let parent = match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    let leaf = dir
        .file_name()
        .map_or_else(|| "import".into(), |name| name.to_string_lossy().into_owned());
    let staging = parent.join(format!(".{leaf}.hangar-import-{}", std::process::id()));
    let result = (|| {
        std::fs::create_dir_all(&staging).map_err(io(&staging))?;
        for (path, bytes) in &imported.files {
            let target = staging.join(path);
            if let Some(folder) = target.parent() {
                std::fs::create_dir_all(folder).map_err(io(folder))?;
            }
            std::fs::write(&target, bytes).map_err(io(&dir.join(path)))?;
        }
        if existed {
            std::fs::remove_dir(dir).map_err(io(dir))?;
        }
        std::fs::rename(&staging, dir).map_err(io(dir))
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

/// The schema file of a kind (`schemas/<Kind>.json`).
fn schema_name(kind: Kind) -> &'static str {
    match kind {
        Kind::AutopilotDevice => "AutopilotDevices",
        other => other.name(),
    }
}

fn tenant_file(options: &Options) -> String {
    let mut document = Document {
        comments: vec![
            "Imported by `hangar import`. Pruning is off: hangar changes what these files name and never"
                .into(),
            "deletes anything. To let it delete objects it created, turn it on for a narrow scope:".into(),
            "  prune:".into(),
            "    enabled: true".into(),
            "    only: [\"DeploymentProfile/Autopilot *\"]".into(),
            "    maxDeletes: 5".into(),
        ],
        ..Document::default()
    };
    document.set("kind", scalar("Tenant"));
    document.set("name", scalar(&options.tenant_name));
    document.set("cloud", scalar(options.cloud.name()));
    document.set("tenantId", scalar(&options.tenant_id));
    document.set("prune.enabled", Node::Scalar(Value::Bool(false)));
    yaml::file("schemas/Tenant.json", &[], &[document])
}

fn scalar(text: &str) -> Node {
    Node::Scalar(Value::String(text.to_owned()))
}

/// What the import shares while it walks the tenant.
struct Ctx<'a> {
    live: &'a LiveState,
    catalog: Option<Catalog<'a>>,
    /// Referenced groups: lower-case id → the name written for it (filled at the end).
    groups: BTreeMap<String, Option<String>>,
    notes: BTreeSet<String>,
}

impl Ctx<'_> {
    /// A list of ids as names: each id whose name is the tenant's only one of its kind (and does
    /// not read as an id itself) is written as that name; any other stays an id, with a note. The
    /// planner resolves the names back to exactly these ids.
    fn named(&mut self, kind: ReferenceKind, node: Node, from: &LiveObject) -> Node {
        let (Node::List(values), Some(list)) = (&node, kind.list(self.live)) else {
            return node;
        };
        let mut out = Vec::with_capacity(values.len());
        for value in values {
            let Some(id) = value.as_str() else {
                out.push(value.clone());
                continue;
            };
            let Some(found) = Referenced::by_id(list, id) else {
                self.notes.insert(format!(
                    "{} `{}` refers to {} id `{id}`, which the tenant does not have; written as the id, the plan will refuse it until it is fixed",
                    from.kind,
                    yaml_name(from),
                    kind.noun()
                ));
                out.push(value.clone());
                continue;
            };
            let name = &found.display_name;
            let shared = list.iter().filter(|entry| &entry.display_name == name).count() > 1;
            if shared || name.trim().is_empty() || name != name.trim() || kind.is_id(name) {
                self.notes.insert(format!(
                    "{} `{}`: {} `{name}` is written by its id `{}` ({})",
                    from.kind,
                    yaml_name(from),
                    kind.noun(),
                    found.id,
                    if shared {
                        format!("the tenant has several {}s of that name", kind.noun())
                    } else {
                        "its name would read as something else".to_owned()
                    }
                ));
                out.push(Value::String(found.id.clone()));
            } else {
                out.push(Value::String(name.clone()));
            }
        }
        Node::List(out)
    }

    /// A reference to a group by id: its name, remembered so the group is written too. `None`
    /// for an id the tenant no longer has (noted).
    fn group(&mut self, id: &str, from: &LiveObject) -> Option<String> {
        let Some(group) = self
            .live
            .objects_of(Kind::DeviceGroup)
            .find(|group| group.id.eq_ignore_ascii_case(id))
        else {
            self.notes.insert(format!(
                "{} `{}` is assigned to group id `{id}`, which the tenant does not have; that assignment is not in the configuration",
                from.kind,
                yaml_name(from)
            ));
            return None;
        };
        self.groups.entry(group.id.to_ascii_lowercase()).or_insert(None);
        Some(group.display_name.clone())
    }
}

/// The YAML name of a live object (`default` for the built-ins).
fn yaml_name(object: &LiveObject) -> String {
    if builtin(object) {
        "default".to_owned()
    } else {
        object.display_name.clone()
    }
}

fn builtin(object: &LiveObject) -> bool {
    let suffix = match object.kind {
        Kind::EnrollmentStatusPage => DEFAULT_ESP_ID_SUFFIX,
        Kind::EnrollmentRestriction => DEFAULT_PLATFORM_RESTRICTION_ID_SUFFIX,
        _ => return false,
    };
    object.builtin || object.id.ends_with(suffix)
}

/// The objects to write, sorted by name then id, and whether each needs an `id:` pin: where
/// names collide, the first (by id) is written pinned and the others are left out (a
/// configuration cannot hold two documents of one kind and name).
fn pick<'a>(
    kind: Kind,
    mut objects: Vec<&'a LiveObject>,
    notes: &mut BTreeSet<String>,
) -> Vec<(&'a LiveObject, bool)> {
    objects.sort_by(|a, b| {
        yaml_name(a)
            .cmp(&yaml_name(b))
            .then_with(|| a.id.to_ascii_lowercase().cmp(&b.id.to_ascii_lowercase()))
    });
    let mut out: Vec<(&LiveObject, bool)> = Vec::new();
    let mut index = 0;
    while index < objects.len() {
        let name = yaml_name(objects[index]);
        let same = objects[index..]
            .iter()
            .take_while(|object| yaml_name(object) == name)
            .count();
        if same > 1 {
            let others: Vec<String> = objects[index + 1..index + same]
                .iter()
                .map(|object| format!("`{}`", object.id))
                .collect();
            notes.insert(format!(
                "{kind} `{name}`: {same} objects share the name; imported `{}` with an `id:` pin, left out {} (rename them in the portal, then import them with `--name`)",
                objects[index].id,
                others.join(", ")
            ));
        }
        out.push((objects[index], same > 1));
        index += same;
    }
    out
}

/// The value at a `/`-separated Graph path of a live object.
fn property<'a>(object: &'a LiveObject, path: &str) -> Option<&'a Value> {
    if path == "@odata.type" {
        return object.properties.get("@odata.type");
    }
    let mut segments = path.split('/');
    let mut value = object.properties.get(segments.next()?)?;
    for segment in segments {
        value = value.get(segment)?;
    }
    Some(value)
}

/// The document of one Intune object.
fn object_document(ctx: &mut Ctx<'_>, object: &LiveObject, pin: bool) -> Result<Document, Error> {
    match object.kind {
        Kind::DeploymentProfile => fill(ctx, object, pin, &fields::DEPLOYMENT_PROFILE),
        Kind::EnrollmentStatusPage => fill(ctx, object, pin, &fields::ENROLLMENT_STATUS_PAGE),
        Kind::DevicePreparationPolicy => fill(ctx, object, pin, &fields::DEVICE_PREPARATION),
        Kind::DomainJoinProfile => fill(ctx, object, pin, &fields::DOMAIN_JOIN),
        Kind::EnrollmentRestriction => {
            let mut document = fill(ctx, object, pin, &fields::ENROLLMENT_RESTRICTION)?;
            // `windows:` is required even when every setting in it is the default.
            if !document.entries.iter().any(|(key, _)| key == "windows") {
                let at = document
                    .entries
                    .iter()
                    .position(|(key, _)| key == "assign")
                    .unwrap_or(document.entries.len());
                document
                    .entries
                    .insert(at, ("windows".to_owned(), Node::Map(Vec::new())));
            }
            Ok(document)
        }
        Kind::DeviceGroup => fill(ctx, object, pin, &fields::DEVICE_GROUP),
        Kind::AutopilotDevice => Ok(Document::default()),
    }
}

/// Fills a document from a kind's table: every row in the table's order.
fn fill<T>(ctx: &mut Ctx<'_>, object: &LiveObject, pin: bool, table: &Table<T>) -> Result<Document, Error> {
    let mut document = Document::default();
    for row in table.rows() {
        if let Some(node) = field(ctx, object, pin, table, row)? {
            let node = match referenced(table.kind, row.yaml) {
                Some(kind) => ctx.named(kind, node, object),
                None => node,
            };
            document.set(row.yaml, node);
        }
    }
    Ok(document)
}

/// The rows whose values are scope tag, app or script ids, which import writes as names.
fn referenced(kind: &str, yaml: &str) -> Option<ReferenceKind> {
    match (kind, yaml) {
        (_, "scopeTags") => Some(ReferenceKind::ScopeTag),
        ("EnrollmentStatusPage", "blockingApps") | ("DevicePreparationPolicy", "allowedApps") => {
            Some(ReferenceKind::App)
        }
        ("DevicePreparationPolicy", "allowedScripts") => Some(ReferenceKind::Script),
        _ => None,
    }
}

/// One row's YAML value for `object`; `None` when it equals the default (left out).
fn field<T>(
    ctx: &mut Ctx<'_>,
    object: &LiveObject,
    pin: bool,
    table: &Table<T>,
    row: &'static FieldInfo,
) -> Result<Option<Node>, Error> {
    match (row.yaml, row.graph) {
        ("kind", _) => Ok(Some(scalar(table.kind))),
        ("name", _) => Ok(Some(scalar(&yaml_name(object)))),
        ("id", _) => Ok(pin.then(|| scalar(&object.id))),
        (_, Graph::Property { path, codec }) if codec != Codec::Special => {
            let path = aliased(object, table, path);
            let Some(live) = property(object, &path).filter(|value| !value.is_null()) else {
                return Ok(None);
            };
            let Some(value) = codec.to_yaml(live) else {
                return Err(unknown(object, row.yaml, live));
            };
            Ok(differs(row, value))
        }
        _ => special(ctx, object, table.kind, row),
    }
}

/// The path in a built-in's own shape (`platformRestriction/…` is `windowsRestriction/…` on the
/// built-in restriction).
fn aliased<T>(object: &LiveObject, table: &Table<T>, path: &str) -> String {
    for (alias, prefix) in table.aliases {
        if let Some(rest) = path.strip_prefix(prefix)
            && !object.properties.contains_key(*prefix)
            && object.properties.contains_key(*alias)
        {
            return format!("{alias}{rest}");
        }
    }
    path.to_owned()
}

/// `Some(value)` unless it is the row's default (or empty where empty is the default).
fn differs(row: &FieldInfo, value: Value) -> Option<Node> {
    let empty = match &value {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    };
    match row.default {
        fields::Default::Value { .. } if row.default_value().as_ref() == Some(&value) => None,
        fields::Default::Value { .. } if empty && matches!(row.ty, fields::Type::List(_)) => None,
        fields::Default::Empty { .. } | fields::Default::Unmanaged { .. } if empty => None,
        _ => Some(node(value)),
    }
}

fn node(value: Value) -> Node {
    match value {
        Value::Array(items) => Node::List(items),
        other => Node::Scalar(other),
    }
}

fn unknown(object: &LiveObject, field: &'static str, value: &Value) -> Error {
    Error::UnknownValue {
        kind: object.kind,
        name: object.display_name.clone(),
        id: object.id.clone(),
        field,
        value: value.to_string(),
    }
}

/// The rows the tables mark special or written by requests of their own.
fn special(
    ctx: &mut Ctx<'_>,
    object: &LiveObject,
    kind: &'static str,
    row: &'static FieldInfo,
) -> Result<Option<Node>, Error> {
    let text = |path: &str| {
        property(object, path)
            .and_then(Value::as_str)
            .filter(|text| !text.is_empty())
            .map(str::to_owned)
    };
    Ok(match (kind, row.yaml) {
        // Intune kinds keep the portal's scope tags; only the service default is left out.
        (_, "scopeTags") => {
            let tags: Vec<Value> = property(object, "roleScopeTagIds")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            (!tags.is_empty() && tags != [json!("0")]).then_some(Node::List(tags))
        }
        (_, "description") => text("description").map(|text| scalar(&text)),
        // A configuration made from the tenant renames nothing.
        (_, "renamedFrom") => None,
        // Decided by `group_documents`, which writes an external group's document itself.
        ("DeviceGroup", "external") => None,
        (_, "assign") => assignments(ctx, object),
        ("DeploymentProfile", "deviceName") => text("deviceNameTemplate").map(|text| scalar(&text)),
        ("DeploymentProfile", "locale") => text("locale")
            .filter(|locale| !locale.eq_ignore_ascii_case("os-default"))
            .map(|text| scalar(&text)),
        ("DeploymentProfile", "skipDomainConnectivityCheck") => {
            let hybrid = property(object, "@odata.type")
                .and_then(Value::as_str)
                .is_some_and(|t| {
                    t.trim_start_matches('#')
                        .eq_ignore_ascii_case(odata::HYBRID_PROFILE.trim_start_matches('#'))
                });
            let skip = property(object, "hybridAzureADJoinSkipConnectivityCheck").and_then(Value::as_bool);
            (hybrid && skip == Some(true)).then_some(Node::Scalar(Value::Bool(true)))
        }
        ("EnrollmentStatusPage" | "EnrollmentRestriction", "priority") => {
            if builtin(object) {
                None
            } else {
                property(object, "priority").cloned().map(Node::Scalar)
            }
        }
        ("DeviceGroup", "membership") => Some(membership(object)),
        ("DeviceGroup", "owners") => {
            let client = ctx.live.provisioning_client_id.as_deref();
            let owned = object
                .owners
                .iter()
                .flatten()
                .any(|owner| client.is_some_and(|client| owner.eq_ignore_ascii_case(client)));
            owned.then(|| Node::List(vec![json!("intune-provisioning-client")]))
        }
        ("DevicePreparationPolicy", _) => return device_preparation(ctx, object, row),
        _ => {
            return Err(Error::NoImporter {
                kind,
                field: row.yaml,
            });
        }
    })
}

/// `assign:` from the object's own assignments. Targets hangar does not model stay in the
/// tenant (the plan keeps them) and are noted.
fn assignments(ctx: &mut Ctx<'_>, object: &LiveObject) -> Option<Node> {
    // A built-in applies to everyone: whatever Graph lists for it is not an assignment hangar
    // can write (validation refuses `assign:` on one).
    if builtin(object) {
        return None;
    }
    // Included targets by name; a filtered one is written `{target, filter, filterMode}`.
    let mut include: BTreeMap<String, Value> = BTreeMap::new();
    let mut exclude = BTreeSet::new();
    for assignment in object.direct_assignments() {
        let target = match &assignment.target {
            LiveTarget::Group { group_id } => ctx.group(group_id, object),
            LiveTarget::AllDevices => Some("all-devices".to_owned()),
            LiveTarget::AllUsers => Some("all-users".to_owned()),
            LiveTarget::ExcludeGroup { group_id } => {
                if let Some(name) = ctx.group(group_id, object) {
                    if assignment.filter.is_some() {
                        ctx.notes.insert(format!(
                            "{} `{}`: the exclusion of `{name}` has an assignment filter, which hangar's YAML does not write (the admin center offers none on exclusions); the plan keeps it",
                            object.kind,
                            yaml_name(object)
                        ));
                    }
                    exclude.insert(name);
                }
                None
            }
            LiveTarget::Other { odata_type, .. } => {
                ctx.notes.insert(format!(
                    "{} `{}`: an assignment to `{odata_type}` is not modelled; it stays in the tenant",
                    object.kind,
                    yaml_name(object)
                ));
                None
            }
        };
        let Some(target) = target else { continue };
        let entry = match &assignment.filter {
            None => Value::String(target.clone()),
            Some(filter) => match filter_name(ctx.live, &filter.id) {
                Some(written) => {
                    let name = written.unwrap_or_else(|id| {
                        ctx.notes.insert(format!(
                            "{} `{}`: the assignment filter of `{target}` shares its name with another filter; pinned by id `{id}`",
                            object.kind,
                            yaml_name(object)
                        ));
                        id
                    });
                    let mut entry = serde_json::Map::new();
                    entry.insert("target".into(), Value::String(target.clone()));
                    entry.insert("filter".into(), Value::String(name.to_owned()));
                    // `include` is what an omitted `filterMode` means.
                    if filter.mode == hangar_model::FilterMode::Exclude {
                        entry.insert("filterMode".into(), Value::String(filter.mode.name().to_owned()));
                    }
                    Value::Object(entry)
                }
                None => {
                    ctx.notes.insert(format!(
                        "{} `{}`: the assignment to `{target}` has an assignment filter (id `{}`) the tenant's filter list does not hold; it is left out, so the plan shows it removed",
                        object.kind,
                        yaml_name(object),
                        filter.id
                    ));
                    Value::String(target.clone())
                }
            },
        };
        include.insert(target, entry);
    }
    let mut entries = Vec::new();
    if !include.is_empty() {
        entries.push(("include".to_owned(), Node::List(include.into_values().collect())));
    }
    if !exclude.is_empty() {
        entries.push((
            "exclude".to_owned(),
            Node::List(exclude.into_iter().map(Value::String).collect()),
        ));
    }
    (!entries.is_empty()).then_some(Node::Map(entries))
}

/// The group tag of a group whose rule is exactly one group-tag test, however spelled.
/// How YAML names the assignment filter `id`: its `displayName` when the tenant has exactly one
/// filter of that name and the name does not read as an id; else its id (a pin, `Err`, so the
/// caller can say why). `None` when the filter is not in the tenant's list.
fn filter_name<'a>(live: &'a LiveState, id: &str) -> Option<Result<&'a str, &'a str>> {
    let filter = live.filter_by_id(id)?;
    let name = filter.display_name.as_str();
    let unique = live.filters_named(name).count() == 1 && !ReferenceKind::App.is_id(name);
    Some(if unique { Ok(name) } else { Err(filter.id.as_str()) })
}

fn group_tag_of(group: &LiveObject) -> Option<String> {
    let rule = group.property("membershipRule")?.as_str()?;
    let dynamic = group
        .property("groupTypes")
        .and_then(Value::as_array)
        .is_some_and(|types| {
            types.iter().any(|t| {
                t.as_str()
                    .is_some_and(|t| t.eq_ignore_ascii_case("DynamicMembership"))
            })
        });
    if !dynamic {
        return None;
    }
    let parsed = hangar_membership::parse(rule).ok()?;
    let tag = parsed.exact_group_tag()?;
    // Only when hangar's own rule for the tag is the same rule: then `groupTag:` plans empty.
    let canonical = hangar_membership::parse(&hangar_membership::group_tag_rule(tag)).ok()?;
    (canonical == parsed).then(|| tag.to_owned())
}

fn membership(group: &LiveObject) -> Node {
    if let Some(tag) = group_tag_of(group) {
        return Node::Map(vec![("groupTag".to_owned(), Node::Scalar(Value::String(tag)))]);
    }
    let dynamic = group
        .property("groupTypes")
        .and_then(Value::as_array)
        .is_some_and(|types| {
            types.iter().any(|t| {
                t.as_str()
                    .is_some_and(|t| t.eq_ignore_ascii_case("DynamicMembership"))
            })
        });
    match group.property("membershipRule").and_then(Value::as_str) {
        Some(rule) if dynamic => Node::Map(vec![(
            "rule".to_owned(),
            Node::Scalar(Value::String(rule.to_owned())),
        )]),
        _ => scalar("assigned"),
    }
}

/// The referenced groups' documents, sorted by name then id; a name two referenced groups
/// share is written once, pinned to the first, and noted.
fn group_documents(ctx: &mut Ctx<'_>) -> Result<Vec<Document>, Error> {
    let live = ctx.live;
    let wanted: Vec<&LiveObject> = live
        .objects_of(Kind::DeviceGroup)
        .filter(|group| ctx.groups.contains_key(&group.id.to_ascii_lowercase()))
        .collect();
    let mut documents = Vec::new();
    let mut sorted = wanted.clone();
    sorted.sort_by(|a, b| {
        a.display_name
            .cmp(&b.display_name)
            .then_with(|| a.id.to_ascii_lowercase().cmp(&b.id.to_ascii_lowercase()))
    });
    let mut written: BTreeSet<&str> = BTreeSet::new();
    for group in sorted {
        if !written.insert(group.display_name.as_str()) {
            ctx.notes.insert(format!(
                "DeviceGroup `{}`: the objects imported reference several groups of this name; only the first (by id) is in the configuration, so a plan shows the others' assignments moving to it: rename the groups in Entra and import again",
                group.display_name
            ));
            continue;
        }
        // Pin when the tenant (not just the referenced set) has another group of the name.
        let collides = live
            .objects_of(Kind::DeviceGroup)
            .filter(|other| other.display_name == group.display_name)
            .count()
            > 1;
        if collides {
            ctx.notes.insert(format!(
                "DeviceGroup `{}`: several groups in the tenant have this name; pinned `id: {}`",
                group.display_name, group.id
            ));
        }
        if owned_by_autopilot(live, group) {
            documents.push(fill(ctx, group, collides, &fields::DEVICE_GROUP)?);
        } else {
            documents.push(external_group(group, collides));
        }
    }
    Ok(documents)
}

/// Whether an Autopilot object owns the group, so the configuration manages it: a dynamic
/// group whose rule is a device rule hangar evaluates (group-tag groups among them), or a
/// static group that is a Device Preparation policy's device group. Everything else the
/// imported objects reference (static groups, which are user groups or groups another team
/// fills, and user rules) is written `external: true`: matched by name, never changed.
fn owned_by_autopilot(live: &LiveState, group: &LiveObject) -> bool {
    if group.is_dynamic_group() {
        return group
            .property("membershipRule")
            .and_then(Value::as_str)
            .is_some_and(|rule| hangar_membership::parse(rule).is_ok());
    }
    live.objects_of(Kind::DevicePreparationPolicy).any(|policy| {
        policy
            .device_membership_targets
            .iter()
            .flatten()
            .any(|id| id.eq_ignore_ascii_case(&group.id))
    })
}

/// `kind: DeviceGroup`, the name, `id:` when pinned, `external: true`.
fn external_group(group: &LiveObject, pin: bool) -> Document {
    let mut document = Document::default();
    document.set("kind", scalar("DeviceGroup"));
    document.set("name", scalar(&yaml_name(group)));
    if pin {
        document.set("id", scalar(&group.id));
    }
    document.set("external", Node::Scalar(Value::Bool(true)));
    document
}

/// Device Preparation: settings by definition, read back through the tenant's own option
/// definitions (never by the position of an option).
fn device_preparation(
    ctx: &mut Ctx<'_>,
    object: &LiveObject,
    row: &'static FieldInfo,
) -> Result<Option<Node>, Error> {
    let name = object.display_name.clone();
    let fail = |problem: String| Error::DevicePreparation {
        name: name.clone(),
        problem,
    };
    let template_id = property(object, "templateReference/templateId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let settings = hangar_model::device_preparation::settings_by_definition(
        object.settings.as_deref().unwrap_or_default(),
    );
    let choice = |ctx: &Ctx<'_>, definition: &str| -> Result<Option<&'static str>, Error> {
        let Some(item) = settings.get(definition).and_then(Value::as_str) else {
            return Ok(None);
        };
        let catalog = ctx
            .catalog
            .as_ref()
            .ok_or_else(|| fail("the tenant's Device Preparation templates were not read".into()))?;
        catalog
            .yaml_value(&template_id, definition, item)
            .map(Some)
            .ok_or_else(|| {
                fail(format!(
                    "the tenant's template `{template_id}` does not say what `{item}` of `{definition}` means"
                ))
            })
    };
    Ok(match (row.yaml, row.graph) {
        ("mode", _) => {
            let catalog = ctx
                .catalog
                .as_ref()
                .ok_or_else(|| fail("the tenant's Device Preparation templates were not read".into()))?;
            let template = catalog.template(&template_id).ok_or_else(|| {
                fail(format!(
                    "its template `{template_id}` is not one of the tenant's Device Preparation templates"
                ))
            })?;
            differs(row, json!(template.mode.yaml()))
        }
        ("deviceGroup", _) => {
            let id = object.device_membership_targets.iter().flatten().next().cloned();
            id.and_then(|id| ctx.group(&id, object)).map(|name| scalar(&name))
        }
        ("userGroups", _) => {
            let mut names = BTreeSet::new();
            for assignment in object.direct_assignments() {
                if let LiveTarget::Group { group_id } = &assignment.target
                    && let Some(name) = ctx.group(group_id, object)
                {
                    names.insert(name);
                }
            }
            (!names.is_empty()).then(|| Node::List(names.into_iter().map(Value::String).collect()))
        }
        (_, Graph::Setting { definition, .. }) if definition.ends_with("allowedappids") => {
            let apps: Vec<Value> = settings
                .get(definition)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|app| {
                    let parsed: Value = serde_json::from_str(app.as_str()?).ok()?;
                    parsed.get("id").cloned()
                })
                .collect();
            differs(row, Value::Array(apps))
        }
        (
            _,
            Graph::Setting {
                definition,
                codec: Codec::Special,
            },
        ) => match row.ty {
            fields::Type::Enum(_) => choice(ctx, definition)?.and_then(|yaml| differs(row, json!(yaml))),
            fields::Type::Bool => {
                choice(ctx, definition)?.and_then(|yaml| differs(row, json!(yaml == "true")))
            }
            _ => {
                return Err(Error::NoImporter {
                    kind: "DevicePreparationPolicy",
                    field: row.yaml,
                });
            }
        },
        (_, Graph::Setting { definition, codec }) => match settings.get(definition) {
            Some(value) => {
                let yaml = codec
                    .to_yaml(value)
                    .ok_or_else(|| unknown(object, row.yaml, value))?;
                differs(row, yaml)
            }
            None => None,
        },
        _ => {
            return Err(Error::NoImporter {
                kind: "DevicePreparationPolicy",
                field: row.yaml,
            });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row of every kind has an importer: a row added to a table without one fails here,
    /// not silently in a user's import.
    #[test]
    fn every_row_of_every_kind_has_an_importer() {
        fn check<T>(table: &Table<T>, kind: Kind) {
            let live = LiveState::default();
            let mut ctx = Ctx {
                live: &live,
                catalog: None,
                groups: BTreeMap::new(),
                notes: BTreeSet::new(),
            };
            let object = LiveObject::new(kind, "id-1", "Name");
            for row in table.rows() {
                let result = field(&mut ctx, &object, false, table, row);
                assert!(
                    !matches!(result, Err(Error::NoImporter { .. })),
                    "{}.{}: {result:?}",
                    table.kind,
                    row.yaml
                );
            }
        }
        check(&fields::DEPLOYMENT_PROFILE, Kind::DeploymentProfile);
        check(&fields::ENROLLMENT_STATUS_PAGE, Kind::EnrollmentStatusPage);
        check(&fields::DEVICE_PREPARATION, Kind::DevicePreparationPolicy);
        check(&fields::DOMAIN_JOIN, Kind::DomainJoinProfile);
        check(&fields::ENROLLMENT_RESTRICTION, Kind::EnrollmentRestriction);
        check(&fields::DEVICE_GROUP, Kind::DeviceGroup);
    }

    #[test]
    fn an_enum_value_hangar_does_not_know_stops_the_import_naming_object_and_field() {
        let mut live = LiveState::default();
        live.complete.extend(Kind::ALL);
        let mut profile = LiveObject::new(Kind::DeploymentProfile, "p-1", "Sales");
        profile.properties = json!({"@odata.type": odata::ENTRA_PROFILE, "deviceType": "toaster"})
            .as_object()
            .cloned()
            .unwrap_or_default();
        live.objects.push(profile);
        let options = Options {
            tenant_name: "t".into(),
            cloud: Cloud::Commercial,
            tenant_id: "00000000-0000-0000-0000-000000000001".into(),
            kinds: None,
            name: None,
        };
        let error = import(&live, &options)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            error.contains("`Sales`") && error.contains("deviceType") && error.contains("toaster"),
            "{error}"
        );
    }

    /// Found by the import benchmark: 2,000 groups went into one `groups.yaml`, which the
    /// loader refuses (at most 1,024 documents a file), so the imported configuration did not
    /// plan at all.
    #[test]
    fn a_kind_with_more_documents_than_a_file_may_hold_is_split_and_loads() {
        let mut live = LiveState::default();
        live.complete.extend(Kind::ALL);
        let mut profile = LiveObject::new(Kind::DeploymentProfile, "p-1", "Autopilot Many");
        profile.properties = json!({"id": "p-1", "@odata.type": odata::ENTRA_PROFILE,
            "displayName": "Autopilot Many", "description": "", "roleScopeTagIds": ["0"],
            "deviceType": "windowsPc", "locale": "os-default", "deviceNameTemplate": "",
            "preprovisioningAllowed": false, "hardwareHashExtractionEnabled": false,
            "outOfBoxExperienceSetting": {"deviceUsageType": "singleUser", "userType": "standard",
                "privacySettingsHidden": true, "eulaHidden": true,
                "keyboardSelectionPageSkipped": true, "escapeLinkHidden": true}})
        .as_object()
        .cloned()
        .unwrap_or_default();
        let mut assignments = Vec::new();
        for i in 0..1_500 {
            let id = format!("00000000-0000-4000-8000-{i:012}");
            let tag = format!("T{i}");
            let mut group = LiveObject::new(Kind::DeviceGroup, &id, format!("Autopilot-{tag}"));
            group.properties = json!({"id": id, "displayName": format!("Autopilot-{tag}"),
                "groupTypes": ["DynamicMembership"], "securityEnabled": true, "mailEnabled": false,
                "membershipRule": hangar_membership::group_tag_rule(&tag),
                "membershipRuleProcessingState": "On"})
            .as_object()
            .cloned()
            .unwrap_or_default();
            live.objects.push(group);
            assignments.push(
                json!({"id": format!("a-{i}"), "source": "direct",
                    "target": {"@odata.type": odata::GROUP_TARGET, "groupId": id}})
                .into(),
            );
        }
        profile.assignments = Some(assignments);
        live.objects.push(profile);
        let options = Options {
            tenant_name: "t".into(),
            cloud: Cloud::Commercial,
            tenant_id: "00000000-0000-0000-0000-000000000001".into(),
            kinds: None,
            name: None,
        };
        let imported = import(&live, &options).unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<&String> = imported
            .files
            .keys()
            .filter(|k| k.starts_with("groups"))
            .collect();
        assert_eq!(names, ["groups-1.yaml", "groups-2.yaml"]);
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let out = dir.path().join("config");
        write(&out, &imported).unwrap_or_else(|e| panic!("{e}"));
        let loaded = hangar_config::load(&out).unwrap_or_else(|e| panic!("{e}"));
        let errors: Vec<_> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.severity == hangar_config::Severity::Error)
            .map(|d| d.message.clone())
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
        let plan = hangar_plan::plan(&loaded.state.unwrap_or_else(|| panic!("no state")), &live)
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert!(
            !plan.has_changes(),
            "{}",
            hangar_plan::render::json::render(&plan)
        );
    }

    #[test]
    fn a_non_empty_directory_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("mine.yaml"), "x").unwrap_or_else(|e| panic!("{e}"));
        let imported = Imported {
            files: BTreeMap::from([("tenant.yaml".to_owned(), b"kind: Tenant\n".to_vec())]),
            notes: Vec::new(),
            counts: BTreeMap::new(),
        };
        assert!(matches!(
            write(dir.path(), &imported),
            Err(Error::NotEmpty { .. })
        ));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("mine.yaml"))
                .ok()
                .as_deref(),
            Some("x")
        );
        assert!(!dir.path().join("tenant.yaml").exists());
    }
}
