//! Why a plan could not be made.

use hangar_config::Span;
use hangar_model::Kind;

/// A reason the planner refuses to plan. Several can be found at once; see [`Errors`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Two or more live objects share the desired object's name.
    #[error(
        "{} `{name}` matches {} objects in the tenant ({}); add `id:` to the document to pin one, or rename or delete the others",
        kind, ids.len(), ids.iter().map(|id| format!("`{id}`")).collect::<Vec<_>>().join(", ")
    )]
    DuplicateName {
        /// Kind.
        kind: Kind,
        /// The shared name.
        name: String,
        /// Ids of every live object with that name.
        ids: Vec<String>,
        /// The document's `name:`.
        span: Span,
    },
    /// `id:` names no live object of the kind.
    #[error(
        "{kind} `{name}` pins `id: {id}`, but the tenant has no {kind} with that id; remove `id:` or fix it"
    )]
    PinnedIdNotFound {
        /// Kind.
        kind: Kind,
        /// Name.
        name: String,
        /// The pinned id.
        id: String,
        /// The `id:` value.
        span: Span,
    },
    /// A built-in object (`name: default`) is not in the tenant.
    #[error("the tenant has no built-in {kind} (id ending `{suffix}`); hangar edits it but never creates it")]
    BuiltinMissing {
        /// Kind.
        kind: Kind,
        /// Expected id suffix.
        suffix: &'static str,
        /// The document.
        span: Span,
    },
    /// `renamedFrom:` names an object, but the tenant has objects of both names.
    #[error(
        "{kind} `{name}` says `renamedFrom: {old}`, but the tenant has both: `{name}` (id `{new_id}`) and `{old}` (id `{old_id}`); the rename cannot be done in place. Remove `renamedFrom` (the old object then stays, or is pruned), or delete or rename one of them in the admin center"
    )]
    RenameBothLive {
        /// Kind.
        kind: Kind,
        /// The new name.
        name: String,
        /// The old name.
        old: String,
        /// Id of the object with the new name.
        new_id: String,
        /// Id of the object with the old name.
        old_id: String,
        /// The `renamedFrom:` value.
        span: Span,
    },
    /// `renamedFrom:` names another document of the kind.
    #[error(
        "{kind} `{name}` says `renamedFrom: {old}`, but another {kind} document is named `{old}`: one live object cannot become both. Remove `renamedFrom`, or rename the other document"
    )]
    RenameFromDocument {
        /// Kind.
        kind: Kind,
        /// The new name.
        name: String,
        /// The old name.
        old: String,
        /// The `renamedFrom:` value.
        span: Span,
    },
    /// An `external: true` group is not in the tenant: hangar never creates one.
    #[error(
        "external group `{name}` is not in the tenant; hangar matches external groups by name but never creates them. Fix the name, ask the group's owners to create it, or remove `external: true` to let hangar create and manage it"
    )]
    ExternalGroupMissing {
        /// The group's name.
        name: String,
        /// `external: true`.
        span: Span,
    },
    /// The object is not in the tenant, but its kind was not read completely: it may exist.
    #[error(
        "cannot plan {kind} `{name}`: the tenant's {kind} objects were not all read, so hangar cannot tell whether it exists (unknown is not absent)"
    )]
    IncompleteRead {
        /// Kind.
        kind: Kind,
        /// Name.
        name: String,
        /// The document.
        span: Span,
    },
    /// Part of a matched object that the plan must compare was not read.
    #[error("cannot plan {kind} `{name}`: its {what} were not read (unknown is not absent)")]
    PartNotRead {
        /// Kind.
        kind: Kind,
        /// Name.
        name: String,
        /// `assignments`, `owners`, `device group` or `settings`.
        what: &'static str,
    },
    /// A built-in object would need a replace, which hangar never does.
    #[error(
        "built-in {kind} `{name}` would need a replace (create-only field `{field}` differs); change it in the portal or in Git"
    )]
    BuiltinReplace {
        /// Kind.
        kind: Kind,
        /// Name.
        name: String,
        /// The create-only field.
        field: String,
    },
    /// `filter:` names no assignment filter of the tenant.
    #[error(
        "no assignment filter is named `{name}` in the tenant{}; create it in the admin center (Tenant administration > Filters) or fix the name",
        if known.is_empty() { String::new() } else { format!(" (it has: {})", known.join(", ")) }
    )]
    FilterNotFound {
        /// The name written.
        name: String,
        /// Names the tenant has (at most 10).
        known: Vec<String>,
        /// The `filter:` value.
        span: Span,
    },
    /// `filter:` names several assignment filters.
    #[error(
        "{} assignment filters are named `{name}` in the tenant ({}); rename all but one in the admin center, or write the id of the one you mean (`filter: <id>`)",
        ids.len(), ids.iter().map(|id| format!("`{id}`")).collect::<Vec<_>>().join(", ")
    )]
    FilterAmbiguous {
        /// The name written.
        name: String,
        /// Their ids.
        ids: Vec<String>,
        /// The `filter:` value.
        span: Span,
    },
    /// The configuration names assignment filters but they were not read.
    #[error(
        "cannot resolve assignment filter `{name}`: the tenant's assignment filters were not read (unknown is not absent)"
    )]
    FiltersNotRead {
        /// The name written.
        name: String,
        /// The `filter:` value.
        span: Span,
    },
    /// A scope tag, app or script reference names nothing of the tenant.
    #[error(
        "no {} {} in the tenant{}; {}",
        what.noun(),
        if what.is_id(reference) { format!("has id `{reference}`") } else { format!("is named `{reference}`") },
        if known.is_empty() { String::new() } else { format!(" (it has: {})", known.join(", ")) },
        crate::references::where_to_create(*what)
    )]
    ReferenceNotFound {
        /// Scope tag, app or script.
        what: hangar_model::ReferenceKind,
        /// The name or id written.
        reference: String,
        /// Names the tenant has (at most 10).
        known: Vec<String>,
        /// The value.
        span: Span,
    },
    /// A scope tag, app or script name matches several objects of the tenant.
    #[error(
        "{} {}s are named `{name}` in the tenant ({}); write the id of the one you mean instead of its name, or rename the others",
        ids.len(), what.noun(), ids.iter().map(|id| format!("`{id}`")).collect::<Vec<_>>().join(", ")
    )]
    ReferenceAmbiguous {
        /// Scope tag, app or script.
        what: hangar_model::ReferenceKind,
        /// The name written.
        name: String,
        /// Their ids.
        ids: Vec<String>,
        /// The value.
        span: Span,
    },
    /// The tenant lists an allowed app without its `@odata.type`, which a Device Preparation
    /// policy must record.
    #[error(
        "Device Preparation policy `{name}`: the tenant does not say what type app `{app}` is (its `@odata.type`), and a policy records it beside the id; hangar never assumes one"
    )]
    AppTypeUnknown {
        /// The policy.
        name: String,
        /// The app as written.
        app: String,
        /// The value.
        span: Span,
    },
    /// The configuration refers to scope tags, apps or scripts but they were not read.
    #[error(
        "cannot resolve {} `{reference}`: the tenant's {}s were not read (unknown is not absent)",
        what.noun(), what.noun()
    )]
    ReferencesNotRead {
        /// Scope tag, app or script.
        what: hangar_model::ReferenceKind,
        /// The name or id written.
        reference: String,
        /// The value.
        span: Span,
    },
    /// Pruning would delete more than `prune.maxDeletes`.
    #[error(
        "pruning would delete {}, more than `prune.maxDeletes: {max}` allows; nothing is planned. Raise `maxDeletes`, narrow `prune.only`, or add the objects to Git: {}",
        hangar_model::plural::count(*count, "object", "objects"),
        listed.join(", ")
    )]
    TooManyDeletes {
        /// Deletes found.
        count: usize,
        /// The limit.
        max: u32,
        /// Addresses (at most 20).
        listed: Vec<String>,
        /// `maxDeletes:`.
        span: Span,
    },
    /// Pruning would delete a group that an object staying in the tenant is assigned to.
    #[error(
        "pruning would delete group `{group}`, but {kind} `{name}` (id `{id}`), which is not in the configuration, is assigned to it; nothing is planned. Bring that object into scope (add its document, `hangar import` writes it, or add it to `prune.only` to prune it too), remove its assignment in the admin center, or narrow `prune.only` so it keeps the group"
    )]
    PruneAssignedGroup {
        /// The group pruning would delete.
        group: String,
        /// The kind of the object assigned to it.
        kind: Kind,
        /// Its name.
        name: String,
        /// Its Graph id.
        id: String,
        /// The `prune.only` pattern that selects the group.
        span: Span,
    },
    /// The tenant's Device Preparation definitions cannot give a value the policy needs (no
    /// template of its mode, no option with the meaning): hangar never guesses one.
    #[error("Device Preparation policy `{name}`: {problem}")]
    DevicePreparationValues {
        /// The policy.
        name: String,
        /// The YAML field whose value could not be written.
        span: Span,
        /// What is missing from the tenant's definitions.
        problem: hangar_model::device_preparation::CatalogError,
    },
    /// A hash-less devices CSV row names a serial that is not registered: without a hardware
    /// hash there is nothing to import.
    #[error(
        "`{csv}` row {row}: serial `{serial}` has no hardware hash and is not registered in the tenant, so there is nothing to manage and nothing to import; collect its hash with Get-WindowsAutopilotInfo (`hangar devices import-csv`), or wait until the OEM or reseller has registered it, or remove the row"
    )]
    HashlessNotRegistered {
        /// The serial.
        serial: String,
        /// The CSV, as hangar opened it.
        csv: String,
        /// 1-based data row.
        row: u32,
        /// The row.
        span: Span,
    },
    /// More hash-less rows of unregistered serials than are listed one by one.
    #[error("… and {count} more hash-less rows whose serial is not registered")]
    HashlessNotRegisteredMore {
        /// Rows not listed.
        count: usize,
    },
    /// The action graph has a cycle (a planner bug).
    #[error("internal error: the actions depend on each other in a cycle ({0})")]
    Cycle(String),
    /// A saved plan is not valid JSON of the plan format.
    #[error("the plan file is not a valid hangar plan")]
    PlanFile(#[source] serde_json::Error),
    /// A saved plan has another format version.
    #[error(
        "the plan file has format version {}, this hangar reads version {supported}; plan again with this version",
        found.map_or_else(|| "(none)".to_owned(), |v| v.to_string())
    )]
    PlanVersion {
        /// The version in the file.
        found: Option<u32>,
        /// The version this build reads.
        supported: u32,
    },
}

impl Error {
    /// The place in the configuration the error is about, when there is one.
    pub fn span(&self) -> Option<Span> {
        match self {
            Error::DuplicateName { span, .. }
            | Error::PinnedIdNotFound { span, .. }
            | Error::BuiltinMissing { span, .. }
            | Error::IncompleteRead { span, .. }
            | Error::HashlessNotRegistered { span, .. }
            | Error::DevicePreparationValues { span, .. }
            | Error::TooManyDeletes { span, .. }
            | Error::PruneAssignedGroup { span, .. }
            | Error::RenameBothLive { span, .. }
            | Error::RenameFromDocument { span, .. }
            | Error::ExternalGroupMissing { span, .. }
            | Error::FilterNotFound { span, .. }
            | Error::FilterAmbiguous { span, .. }
            | Error::FiltersNotRead { span, .. }
            | Error::ReferenceNotFound { span, .. }
            | Error::ReferenceAmbiguous { span, .. }
            | Error::ReferencesNotRead { span, .. }
            | Error::AppTypeUnknown { span, .. } => Some(*span),
            _ => None,
        }
    }
}

/// Every reason a plan was refused, in the order found. Never empty.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct Errors(pub Vec<Error>);

impl From<Error> for Errors {
    fn from(error: Error) -> Errors {
        Errors(vec![error])
    }
}
