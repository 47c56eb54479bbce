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
use hangar_model::device_preparation::Template;
use serde_json::Value;

use crate::matching::DesiredRef;
use crate::plan::{Change, FieldRef};

/// Fills [`Change::field`] of each change of `object` that a table row maps. `template` is the
/// Device Preparation template the choice values were written from.
pub(crate) fn annotate(
    state: &DesiredState,
    object: DesiredRef,
    template: Option<&Template<'_>>,
    changes: &mut [Change],
) {
    let kind = object.kind();
    for change in changes {
        let Some(row) = fields::graph_field(kind.name(), &change.path) else {
            continue;
        };
        let value = value(state, object, row.yaml);
        let after = value
            .as_ref()
            .map(|v| v.value.clone())
            .filter(|v| !v.is_null())
            .or_else(|| yaml_of(row, template, change.after.as_ref()));
        let before = yaml_of(row, template, change.before.as_ref());
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
fn yaml_of(row: &FieldInfo, template: Option<&Template<'_>>, graph: Option<&Value>) -> Option<Value> {
    let graph = graph?;
    if let Some(definition) = row.setting().map(|(definition, _)| definition)
        && let (Some(template), Some(text)) = (template, graph.as_str())
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
