//! Terraform-like text: one block per action (`+` create, `~` change, `-/+` replace, `-`
//! delete), field changes as `before → after`, then device impact and the summary line.
//! Nothing is printed for unchanged objects. The caller decides colour (`NO_COLOR`, terminal).

use std::fmt::Write;

use serde_json::Value;

use hangar_model::plural::{count, noun, verb};

use super::Wording;
use crate::impact::Landing;
use crate::plan::{Action, Body, Change, ObjectHistory, Op, Plan};

/// How to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextOptions {
    /// ANSI colours.
    pub color: bool,
    /// Plan or drift wording.
    pub wording: Wording,
    /// Most device actions and moved devices listed one by one (the rest are counted).
    pub device_limit: usize,
}

const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RED: &str = "\x1b[31m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

struct Out {
    text: String,
    color: bool,
}

impl Out {
    fn paint(&self, style: &str, text: &str) -> String {
        if self.color {
            format!("{style}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }

    fn line(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
    }
}

fn symbol_style(symbol: &str) -> &'static str {
    match symbol {
        "+" => GREEN,
        "-" | "-/+" => RED,
        _ => YELLOW,
    }
}

/// Renders the plan as text.
pub fn render(plan: &Plan, options: &TextOptions) -> String {
    let plan = &*super::displayable(plan);
    let mut out = Out {
        text: String::new(),
        color: options.color,
    };
    if plan.has_changes() {
        let tenant = format!(
            "tenant `{}` ({}, {})",
            plan.tenant,
            plan.cloud.name(),
            plan.tenant_id
        );
        // Both read the same way: a change is the tenant's value → Git's, which apply would set.
        let header = match options.wording {
            Wording::Plan => format!("hangar will perform these actions on {tenant}:"),
            Wording::Drift => format!(
                "{tenant} differs from Git (each change: the tenant's value → Git's, which `hangar apply` would set):"
            ),
        };
        out.line(&out.paint(BOLD, &header));
        out.line("");
    }
    let mut devices_shown = 0usize;
    let mut devices_hidden = 0usize;
    let mut history_shown = Vec::new();
    for action in &plan.actions {
        if matches!(
            action.op,
            Op::ImportDevice(_) | Op::UpdateDevice(_) | Op::DeleteDevice { .. }
        ) {
            if devices_shown >= options.device_limit {
                devices_hidden += 1;
                continue;
            }
            devices_shown += 1;
        }
        render_action(&mut out, action);
        if let Some(history) = plan.history_of(&action.address)
            && !history_shown.contains(&&action.address)
        {
            history_shown.push(&action.address);
            history_lines(&mut out, history);
        }
    }
    if devices_hidden > 0 {
        out.line(&format!(
            "  … and {} more (all are in `--format json`)",
            count(devices_hidden, "device action", "device actions")
        ));
        out.line("");
    }
    for warning in &plan.warnings {
        let line = format!("warning: {warning}");
        out.line(&out.paint(YELLOW, &line));
    }
    if !plan.warnings.is_empty() {
        out.line("");
    }
    render_impact(&mut out, plan, options);
    out.line(&summary_line(plan, options.wording));
    out.text
}

fn render_action(out: &mut Out, action: &Action) {
    let symbol = action.symbol();
    let what = match &action.op {
        Op::Create { .. } => "create".to_owned(),
        Op::Update { .. } => "update".to_owned(),
        Op::Replace { .. } => "replace (delete, then create: new id)".to_owned(),
        Op::Delete => "delete".to_owned(),
        Op::Assign(change) if change.after.is_empty() && !change.before.is_empty() => {
            "remove assignments".to_owned()
        }
        Op::Assign(_) => "assignments".to_owned(),
        Op::AddOwners { .. } => "owners".to_owned(),
        Op::SetPriority { before, after } => match before {
            Some(before) => format!("priority {before} → {after}"),
            None => format!("priority {after}"),
        },
        Op::SetDeviceGroup { .. } => "device group".to_owned(),
        Op::ImportDevice(_) => "import".to_owned(),
        Op::UpdateDevice(_) => "update".to_owned(),
        Op::DeleteDevice { .. } => "delete".to_owned(),
    };
    let id = action
        .live_id
        .as_ref()
        .map(|id| format!(" (id {id})"))
        .unwrap_or_default();
    let head = format!("{symbol:>3} {}", action.address);
    let head = out.paint(symbol_style(symbol), &head);
    let tail = out.paint(DIM, &format!("{what}{id}"));
    out.line(&format!("{head}  {tail}"));
    let reason = format!("      # {}", action.reason.describe());
    out.line(&out.paint(DIM, &reason));
    match &action.op {
        Op::Create { body, fields } if fields.is_empty() => body_lines(out, body),
        Op::Create { fields, .. } => {
            for field in fields {
                let after = field.after.as_ref().map(super::yaml_value).unwrap_or_default();
                let default = if field.default { " (default)" } else { "" };
                let line = format!("      + {} {}: {after}{default}", field.at(), field.name);
                out.line(&out.paint(GREEN, &line));
            }
        }
        Op::Update {
            changes, membership, ..
        } => {
            change_lines(out, changes);
            if let Some(membership) = membership {
                out.line(&out.paint(RED, &format!("      ! {}", membership.sentence())));
            }
        }
        Op::Replace { changes, lost, .. } => {
            change_lines(out, changes);
            for property in lost {
                let line = format!("      ! {property}: not managed by hangar, lost with the old object");
                out.line(&out.paint(RED, &line));
            }
        }
        Op::UpdateDevice(update) => change_lines(out, &update.changes),
        Op::Assign(change) => {
            for target in &change.add {
                let line = format!(
                    "      + {}",
                    super::assignment_target(action.address.kind, &change.fields, target)
                );
                out.line(&out.paint(GREEN, &line));
            }
            for assignment in &change.remove {
                let line = format!(
                    "      - {}",
                    super::assignment_target(action.address.kind, &change.fields, &assignment.target)
                );
                out.line(&out.paint(RED, &line));
            }
        }
        Op::AddOwners { add } => {
            for owner in add {
                out.line(&out.paint(GREEN, &format!("      + {owner}")));
            }
        }
        Op::SetDeviceGroup { before, after } => {
            let before = if before.is_empty() {
                "(none)".to_owned()
            } else {
                before.join(", ")
            };
            let after = after
                .as_ref()
                .map_or_else(|| "(none)".to_owned(), |g| format!("`{}`", g.name));
            out.line(&format!("      ~ {before} → {after}"));
        }
        Op::ImportDevice(import) => {
            let tag = import.group_tag.as_deref().unwrap_or("");
            out.line(&format!("      + groupTag = {}", quote(tag)));
            if let Some(user) = &import.assigned_user {
                out.line(&format!("      + assignedUserPrincipalName = {}", quote(user)));
            }
            if let Some(name) = &import.display_name {
                out.line(&format!("      + displayName = {}", quote(name)));
            }
        }
        Op::Delete | Op::SetPriority { .. } | Op::DeleteDevice { .. } => {}
    }
    out.line("");
}

/// Most audit events shown per object (the JSON has every one drift read).
const HISTORY_SHOWN: usize = 3;

/// Who changed the object last, from the audit logs (drift only), under its block.
fn history_lines(out: &mut Out, history: &ObjectHistory) {
    for event in history.events.iter().take(HISTORY_SHOWN) {
        out.line(&out.paint(DIM, &format!("      {}", super::describe_event(event))));
    }
    if history.events.len() > HISTORY_SHOWN {
        let more = history.events.len() - HISTORY_SHOWN;
        out.line(&out.paint(
            DIM,
            &format!(
                "      … and {} (in `--format json`)",
                count(more, "earlier change", "earlier changes")
            ),
        ));
    }
    out.line("");
}

fn body_lines(out: &mut Out, body: &Body) {
    let mut leaves = Vec::new();
    flatten("", &Value::Object(body.value.clone()), &mut leaves);
    for (path, value) in leaves {
        let value = match &value {
            Value::Null if body.group_slots.iter().any(|s| slot_path(&s.pointer) == path) => {
                let group = body.group_slots.iter().find(|s| slot_path(&s.pointer) == path);
                format!(
                    "(id of new group `{}`)",
                    group.map_or("", |s| s.group.name.as_str())
                )
            }
            other => other.to_string(),
        };
        out.line(&out.paint(GREEN, &format!("      + {path} = {value}")));
    }
}

/// A JSON pointer as the dotted path [`flatten`] produces.
fn slot_path(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&path, value, out);
            }
        }
        Value::Array(items) if items.iter().any(|i| i.is_object()) => {
            for (index, item) in items.iter().enumerate() {
                flatten(&format!("{prefix}.{index}"), item, out);
            }
        }
        other => out.push((prefix.to_owned(), other.clone())),
    }
}

fn change_lines(out: &mut Out, changes: &[Change]) {
    for change in changes {
        let words = super::words(change);
        let absent = || "(absent)".to_owned();
        let forces = if change.create_only {
            "  # forces replacement"
        } else {
            ""
        };
        let at = words.at.map(|at| format!("{at} ")).unwrap_or_default();
        let line = format!(
            "      ~ {at}{}: {} → {}{forces}",
            words.name,
            words.before.unwrap_or_else(absent),
            words.after.unwrap_or_else(absent)
        );
        out.line(&out.paint(if change.create_only { RED } else { YELLOW }, &line));
        if let Some(graph) = words.graph {
            out.line(&out.paint(DIM, &format!("          (Graph {graph})")));
        }
    }
}

fn quote(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

fn landing(landing: &Landing) -> String {
    let part =
        |label: &str, value: &Option<String>| format!("{label} {}", value.as_deref().unwrap_or("(none)"));
    format!(
        "{}, {}, {}",
        part("profile", &landing.profile),
        part("ESP", &landing.esp),
        part("name", &landing.name)
    )
}

fn render_impact(out: &mut Out, plan: &Plan, options: &TextOptions) {
    let impact = &plan.impact;
    if impact.moved == 0 {
        if impact.devices > 0 {
            out.line(&format!(
                "Device impact: none of {} known {} changes profile, ESP or name.",
                impact.devices,
                noun(impact.devices, "device", "devices")
            ));
            out.line("");
        }
        return;
    }
    out.line(&out.paint(
        BOLD,
        &format!(
            "Device impact: {} of {} known {} {} profile, ESP or name.",
            impact.moved,
            impact.devices,
            noun(impact.devices, "device", "devices"),
            verb(impact.moved, "changes", "change")
        ),
    ));
    for tag in impact.tags.iter().filter(|t| t.moved > 0) {
        let label = tag
            .tag
            .as_deref()
            .map_or_else(|| "(untagged)".to_owned(), |t| format!("tag `{t}`"));
        out.line(&format!(
            "  {label}: {} of {} {} {}; profile {}; ESP {}",
            tag.moved,
            tag.devices,
            noun(tag.devices, "device", "devices"),
            verb(tag.moved, "moves", "move"),
            arrow(&tag.profiles_before, &tag.profiles_after),
            arrow(&tag.esps_before, &tag.esps_after)
        ));
    }
    for object in &impact.by_object {
        out.line(&format!(
            "  {}/{} moves {} (tags: {})",
            object.kind,
            object.name,
            count(object.devices, "device", "devices"),
            object.tags.join(", ")
        ));
    }
    for device in impact.changes.iter().take(options.device_limit) {
        out.line(&format!(
            "    {}: {}  →  {}",
            device.serial,
            landing(&device.before),
            landing(&device.after)
        ));
    }
    if impact.changes.len() > options.device_limit {
        out.line(&format!(
            "    … and {} more",
            count(impact.changes.len() - options.device_limit, "device", "devices")
        ));
    }
    out.line("");
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".to_owned()
    } else {
        items.join(" / ")
    }
}

/// The closing line: counts, worded as a plan or as drift.
pub fn summary_line(plan: &Plan, wording: Wording) -> String {
    let s = &plan.summary;
    if !plan.has_changes() {
        return match wording {
            Wording::Plan => "No changes: the tenant matches Git.".to_owned(),
            Wording::Drift => "No drift: the tenant matches Git.".to_owned(),
        };
    }
    let mut line = match wording {
        Wording::Plan => format!(
            "Plan: {} to create, {} to update, {} to replace, {} to delete",
            s.create, s.update, s.replace, s.delete
        ),
        Wording::Drift => format!(
            "Drift: {} in Git but missing from the tenant, {} changed in the tenant, {} to replace, {} in the tenant but not in Git (pruning)",
            s.create, s.update, s.replace, s.delete
        ),
    };
    let d = &s.devices;
    if d.changed() > 0 {
        let _ = match wording {
            Wording::Plan => write!(
                line,
                "; devices: {} to import, {} to update, {} to delete",
                d.import, d.update, d.delete
            ),
            Wording::Drift => write!(
                line,
                "; devices: {} not registered, {} changed, {} registered but not in Git",
                d.import, d.update, d.delete
            ),
        };
    }
    line.push('.');
    line
}

fn arrow(before: &[String], after: &[String]) -> String {
    if before == after {
        list(after)
    } else {
        format!("{} → {}", list(before), list(after))
    }
}
