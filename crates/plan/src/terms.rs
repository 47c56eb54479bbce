//! Changes in the configuration's terms: the YAML field a Graph property comes from, where it is
//! written, and its values as YAML holds them.
//!
//! Everything is read from the mapping tables of [`hangar_config::fields`]: the row of a Graph
//! path ([`fields::graph_field`]), the value and span of the field in the desired document
//! ([`fields::Table::value`]), and the inverse codec for the live value ([`Codec::to_yaml`]).
//! Device Preparation choice values (`…_accountype_0`) are turned back into their YAML value
//! through the tenant's own template, as the planner wrote them. A property no row maps keeps
//! only its Graph path: the renderers show that.

use hangar_config::fields::{self, Codec, FieldInfo, Type};
use hangar_config::{DesiredState, Meta, Span, Spanned};
use hangar_model::device_preparation::{Catalog, Template};
use hangar_model::well_known::device_preparation as dpp_ids;
use serde_json::Value;

use crate::matching::DesiredRef;
use crate::plan::{Change, FieldRef};

/// Fills [`Change::field`] of each change of `object` that a table row maps (or that a
/// Device Preparation setting repeats, see `MIRRORED`). `dpp` holds what Device Preparation
/// values are read back with; `live` the object's properties as Graph returned them (before
/// normalisation).
pub(crate) fn annotate(
    state: &DesiredState,
    object: DesiredRef,
    dpp: Dpp<'_, '_>,
    live: &serde_json::Map<String, Value>,
    changes: &mut [Change],
) {
    let kind = object.kind();
    for change in changes {
        let mirror = MIRRORED
            .iter()
            .find(|m| m.kind == kind.name() && change.path.strip_prefix("settings.") == Some(m.definition));
        let row = match mirror {
            Some(mirror) => fields::kind(kind.name())
                .and_then(|rows| rows.rows().into_iter().find(|row| row.yaml == mirror.yaml)),
            None => fields::graph_field(kind.name(), &change.path),
        };
        let Some(row) = row else {
            continue;
        };
        let read = |graph: Option<&Value>| match mirror {
            Some(Mirror {
                read: Read::GroupId, ..
            }) => graph
                .and_then(Value::as_str)
                .map(|id| Value::String((dpp.group_name)(id))),
            Some(mirror) => yaml_of(row, Some(mirror.definition), dpp, graph),
            None => yaml_of(row, row.setting().map(|(definition, _)| definition), dpp, graph),
        };
        let value = value(state, object, row.yaml);
        let after = value
            .as_ref()
            .map(|v| v.value.clone())
            .filter(|v| !v.is_null())
            .or_else(|| read(change.after.as_ref()));
        // The tenant's spelling when normalisation only folded case: read as YAML, or shown as
        // it is when no codec reads it (the renderer would show the folded Graph value).
        let written = as_written(live, change);
        let before = read(written.or(change.before.as_ref())).or_else(|| written.cloned());
        change.field = Some(field_ref(
            state,
            object,
            row,
            value.map(|v| v.span),
            before,
            after,
        ));
    }
}

/// What a Device Preparation change is read back into YAML terms with.
#[derive(Clone, Copy)]
pub(crate) struct Dpp<'t, 'a> {
    /// The template the choice values were written from (the policy's).
    pub template: Option<&'t Template<'a>>,
    /// The tenant's Device Preparation templates (a live `templateReference.templateId` read
    /// as a mode).
    pub catalog: Option<&'t Catalog<'a>>,
    /// A live group id as the plan names it (the group's name when the tenant has it).
    pub group_name: &'t dyn Fn(&str) -> String,
}

/// A setting of a Device Preparation policy that repeats a field the YAML writes once and
/// hangar sends elsewhere too: the admin center displays the setting, so the tenant may differ
/// there alone.
struct Mirror {
    kind: &'static str,
    /// The setting's definition id (the change's path is `settings.<id>`).
    definition: &'static str,
    /// The YAML field it repeats.
    yaml: &'static str,
    read: Read,
}

/// How a mirrored setting's value reads in YAML terms.
enum Read {
    /// A choice, through its option's meaning in the template.
    Choice,
    /// A group id, as the group's name.
    GroupId,
}

/// The settings that repeat a YAML field.
const MIRRORED: &[Mirror] = &[
    Mirror {
        kind: "DevicePreparationPolicy",
        definition: dpp_ids::DEPLOYMENT_MODE.definition_id,
        yaml: "mode",
        read: Read::Choice,
    },
    Mirror {
        kind: "DevicePreparationPolicy",
        definition: dpp_ids::DEVICE_SECURITY_GROUP.definition_id,
        yaml: "deviceGroup",
        read: Read::GroupId,
    },
];

/// The live value of `change` as the tenant wrote it, when normalisation only folded its case
/// (`fr-FR` is compared as `fr-fr`, but the reviewer should see what the portal shows).
fn as_written<'a>(live: &'a serde_json::Map<String, Value>, change: &Change) -> Option<&'a Value> {
    let mut parts = change.path.split('.');
    let mut value = live.get(parts.next()?)?;
    for part in parts {
        value = match value {
            Value::Object(map) => map.get(part)?,
            Value::Array(items) => items.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    let compared = change.before.as_ref()?.as_str()?;
    value
        .as_str()
        .is_some_and(|raw| raw != compared && raw.eq_ignore_ascii_case(compared))
        .then_some(value)
}

/// The Graph property of a Device Preparation policy's `mode` (its template).
const TEMPLATE_ID: &str = "templateReference/templateId";

/// Where the targets of `object` are written: one [`FieldRef`] per YAML list that holds them
/// (`assign.include` and `assign.exclude`, or a Device Preparation policy's `userGroups`), at
/// its first entry, or at the document's `kind:` as a default when the list is not written.
pub(crate) fn assign_fields(state: &DesiredState, object: DesiredRef) -> Vec<FieldRef> {
    let assign = match object {
        DesiredRef::Profile(id) => &state.profile(id).assign,
        DesiredRef::Esp(id) => &state.esp(id).assign,
        DesiredRef::DomainJoin(id) => &state.domain_join(id).assign,
        DesiredRef::Restriction(id) => &state.restriction(id).assign,
        DesiredRef::Dpp(_) => {
            let row = fields::kind(object.kind().name())
                .and_then(|rows| rows.rows().into_iter().find(|row| row.yaml == "userGroups"));
            return row
                .map(|row| {
                    let value = value(state, object, row.yaml);
                    let span = value.as_ref().map(|v| v.span);
                    field_ref(state, object, row, span, None, value.map(|v| v.value))
                })
                .into_iter()
                .collect();
        }
        DesiredRef::Group(_) => return Vec::new(),
    };
    fields::ASSIGN
        .iter()
        .map(|field| {
            let value = field.get.and_then(|get| get(assign, state));
            let span = value.as_ref().map(|v| v.span);
            field_ref(state, object, &field.info, span, None, value.map(|v| v.value))
        })
        .collect()
}

/// The fields of a new object in YAML terms: every row of its kind whose value is set (written
/// or defaulted), in the table's order.
pub(crate) fn create_fields(state: &DesiredState, object: DesiredRef) -> Vec<FieldRef> {
    let Some(rows) = fields::kind(object.kind().name()) else {
        return Vec::new();
    };
    rows.rows()
        .into_iter()
        .filter(|row| row.yaml != "kind")
        .filter_map(|row| {
            let value = value(state, object, row.yaml)?;
            if value.value.is_null() {
                return None;
            }
            let span = value.span;
            Some(field_ref(state, object, row, Some(span), None, Some(value.value)))
        })
        .collect()
}

fn field_ref(
    state: &DesiredState,
    object: DesiredRef,
    row: &FieldInfo,
    span: Option<Span>,
    before: Option<Value>,
    after: Option<Value>,
) -> FieldRef {
    let meta = object.meta(state);
    let span = span.unwrap_or(meta.kind_span);
    let location = state.sources.location(span);
    FieldRef {
        name: row.yaml.to_owned(),
        file: location.file,
        line: location.line,
        default: span == meta.kind_span,
        before,
        after,
    }
}

/// The value and span of the YAML field `yaml` of `object`.
fn value(state: &DesiredState, object: DesiredRef, yaml: &str) -> Option<Spanned<Value>> {
    fn get<T>(
        table: &fields::Table<T>,
        yaml: &str,
        object: &T,
        meta: &Meta,
        state: &DesiredState,
    ) -> Option<Spanned<Value>> {
        table.value(yaml, object, meta, state)
    }
    match object {
        DesiredRef::Group(id) => {
            let o = state.group(id);
            get(&fields::DEVICE_GROUP, yaml, o, &o.meta, state)
        }
        DesiredRef::Profile(id) => {
            let o = state.profile(id);
            get(&fields::DEPLOYMENT_PROFILE, yaml, o, &o.meta, state)
        }
        DesiredRef::Esp(id) => {
            let o = state.esp(id);
            get(&fields::ENROLLMENT_STATUS_PAGE, yaml, o, &o.meta, state)
        }
        DesiredRef::DomainJoin(id) => {
            let o = state.domain_join(id);
            get(&fields::DOMAIN_JOIN, yaml, o, &o.meta, state)
        }
        DesiredRef::Restriction(id) => {
            let o = state.restriction(id);
            get(&fields::ENROLLMENT_RESTRICTION, yaml, o, &o.meta, state)
        }
        DesiredRef::Dpp(id) => {
            let o = state.dpp(id);
            get(&fields::DEVICE_PREPARATION, yaml, o, &o.meta, state)
        }
    }
}

/// A compared (Graph) value in YAML form: through the row's codec, or for a Device Preparation
/// choice through the meaning of its option in the tenant's template.
fn yaml_of(
    row: &FieldInfo,
    definition: Option<&str>,
    dpp: Dpp<'_, '_>,
    graph: Option<&Value>,
) -> Option<Value> {
    let graph = graph?;
    // A Device Preparation policy's mode is its template: read the live template id back.
    // (Not for the deployment mode setting that repeats it: that is a choice, read below.)
    if definition.is_none()
        && row.property().map(|(path, _)| path) == Some(TEMPLATE_ID)
        && let (Some(catalog), Some(id)) = (dpp.catalog, graph.as_str())
    {
        return catalog
            .template(id)
            .map(|template| Value::String(template.mode.yaml().to_owned()));
    }
    if let Some(definition) = definition
        && let (Some(template), Some(text)) = (dpp.template, graph.as_str())
    {
        // Choice values are compared labelled: `item_id (Option name)`.
        let item = text.split(" (").next().unwrap_or(text);
        if let Some(yaml) = template.meaning_of(definition, item).and_then(|m| m.yaml()) {
            return Some(match row.ty {
                Type::Bool => Value::Bool(yaml == "true"),
                _ => Value::String(yaml.to_owned()),
            });
        }
    }
    let codec = row
        .property()
        .map(|(_, codec)| codec)
        .or_else(|| row.setting().map(|(_, codec)| codec))?;
    match codec {
        Codec::Special => None,
        codec => codec.to_yaml(graph),
    }
}
