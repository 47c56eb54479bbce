//! Markdown for a pull-request comment: a summary table, one collapsible section per resource
//! with its changes as a `diff` block, the device impact per tag, and a Mermaid diagram of
//! group tag → group → profile and ESP (after the plan).

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::Value;

use super::Wording;
use crate::plan::{Action, Address, Change, Op, Plan};

/// Renders the plan as GitHub-flavoured Markdown.
pub fn render(plan: &Plan, wording: Wording) -> String {
    let plan = &*super::displayable(plan);
    let mut md = String::new();
    let title = match wording {
        Wording::Plan => "hangar plan",
        Wording::Drift => "hangar drift",
    };
    let _ = writeln!(md, "### {title}: `{}` ({})\n", plan.tenant, plan.cloud.name());
    let _ = writeln!(md, "{}\n", super::text::summary_line(plan, wording));
    let s = &plan.summary;
    let d = &s.devices;
    md.push_str("| | create | update | replace | delete | unchanged |\n|---|---:|---:|---:|---:|---:|\n");
    let _ = writeln!(
        md,
        "| objects | {} | {} | {} | {} | {} |",
        s.create, s.update, s.replace, s.delete, s.unchanged
    );
    if d.changed() + d.unchanged > 0 {
        let _ = writeln!(
            md,
            "| devices | {} | {} | – | {} | {} |",
            d.import, d.update, d.delete, d.unchanged
        );
    }
    md.push('\n');
    let destructive = plan.actions.iter().filter(|a| a.destructive).count();
    if destructive > 0 {
        let _ = writeln!(
            md,
            "> [!WARNING]\n> {} {} tenant objects (marked `-` or `-/+` below).\n",
            hangar_model::plural::count(destructive, "action", "actions"),
            hangar_model::plural::verb(destructive, "deletes or replaces", "delete or replace")
        );
    }
    for warning in &plan.warnings {
        let _ = writeln!(md, "> [!NOTE]\n> {warning}\n");
    }
    if !plan.validation.is_empty() {
        let _ = writeln!(
            md,
            "<details><summary>Validation warnings ({})</summary>\n",
            plan.validation.len()
        );
        for warning in &plan.validation {
            let _ = writeln!(
                md,
                "- `{}:{}` {} (`{}`)",
                warning.file,
                warning.line,
                escape_html(&warning.message),
                warning.rule
            );
        }
        md.push_str("\n</details>\n\n");
    }

    let mut resources: BTreeMap<&Address, Vec<&Action>> = BTreeMap::new();
    let mut order: Vec<&Address> = Vec::new();
    let mut devices: Vec<&Action> = Vec::new();
    for action in &plan.actions {
        if matches!(
            action.op,
            Op::ImportDevice(_) | Op::UpdateDevice(_) | Op::DeleteDevice { .. }
        ) {
            devices.push(action);
            continue;
        }
        let entry = resources.entry(&action.address).or_default();
        if entry.is_empty() {
            order.push(&action.address);
        }
        entry.push(action);
    }
    if !order.is_empty() {
        md.push_str("#### Changes\n\n");
    }
    for address in order {
        let actions = &resources[address];
        let symbol = strongest_symbol(actions);
        let what: Vec<&str> = actions.iter().map(|a| a.op.name()).collect();
        let _ = writeln!(
            md,
            "<details><summary><code>{symbol} {}</code> — {}</summary>\n",
            escape_html(&address.to_string()),
            what.join(", ")
        );
        md.push_str("```diff\n");
        if wording == Wording::Drift {
            // A diff reads `-` old, `+` new: here the tenant's value, then Git's.
            md.push_str("# - the tenant, + Git\n");
        }
        for action in actions {
            diff_lines(&mut md, action);
        }
        md.push_str("```\n\n");
        if let Some(history) = plan.history_of(address) {
            for event in history.events.iter().take(3) {
                let _ = writeln!(md, "- {}", escape_html(&super::describe_event(event)));
            }
            md.push('\n');
        }
        md.push_str("</details>\n\n");
    }
    if !devices.is_empty() {
        let _ = writeln!(
            md,
            "<details><summary>Device registrations ({})</summary>\n",
            devices.len()
        );
        md.push_str("| | serial | change |\n|---|---|---|\n");
        for action in devices.iter().take(200) {
            let change = match &action.op {
                Op::ImportDevice(import) => {
                    format!("import, tag `{}`", import.group_tag.as_deref().unwrap_or(""))
                }
                Op::UpdateDevice(update) => update
                    .changes
                    .iter()
                    .map(|c| format!("{} {} → {}", c.path, show(&c.before), show(&c.after)))
                    .collect::<Vec<_>>()
                    .join("; "),
                _ => "delete".to_owned(),
            };
            let _ = writeln!(
                md,
                "| `{}` | `{}` | {} |",
                action.symbol(),
                action.address.name,
                escape_cell(&change)
            );
        }
        if devices.len() > 200 {
            let _ = writeln!(md, "\n… and {} more (see the JSON plan).", devices.len() - 200);
        }
        md.push_str("\n</details>\n\n");
    }
    impact(&mut md, plan);
    diagram(&mut md, plan);
    md
}

fn strongest_symbol(actions: &[&Action]) -> &'static str {
    let symbols: Vec<&str> = actions.iter().map(|a| a.symbol()).collect();
    ["-/+", "-", "+", "~"]
        .into_iter()
        .find(|s| symbols.contains(s))
        .unwrap_or("~")
}

fn show(value: &Option<Value>) -> String {
    value
        .as_ref()
        .map_or_else(|| "(absent)".to_owned(), Value::to_string)
}

fn diff_lines(md: &mut String, action: &Action) {
    let change_lines = |md: &mut String, changes: &[Change]| {
        for change in changes {
            let forces = if change.create_only {
                "   # forces replacement"
            } else {
                ""
            };
            let words = super::words(change);
            let hint = match (&words.at, &words.graph) {
                (Some(at), Some(graph)) => format!("   # {at} · Graph {graph}"),
                (Some(at), None) => format!("   # {at}"),
                _ => String::new(),
            };
            if let Some(before) = &words.before {
                let _ = writeln!(md, "- {}: {before}{hint}", words.name);
            }
            if let Some(after) = &words.after {
                let hint = if words.before.is_some() { "" } else { hint.as_str() };
                let _ = writeln!(md, "+ {}: {after}{forces}{hint}", words.name);
            }
        }
    };
    let _ = writeln!(md, "# {}: {}", action.op.name(), action.reason.describe());
    match &action.op {
        Op::Create { fields, .. } if !fields.is_empty() => {
            for field in fields {
                let after = field.after.as_ref().map(super::yaml_value).unwrap_or_default();
                let default = if field.default { " (default)" } else { "" };
                let _ = writeln!(md, "+ {}: {after}{default}   # {}", field.name, field.at());
            }
        }
        Op::Create { body, .. } => {
            let mut keys: Vec<(&String, &Value)> = body.value.iter().collect();
            keys.sort_by(|a, b| a.0.cmp(b.0));
            for (key, value) in keys {
                let _ = writeln!(md, "+ {key}: {value}");
            }
        }
        Op::Update {
            changes, membership, ..
        } => {
            change_lines(md, changes);
            if let Some(membership) = membership {
                let _ = writeln!(md, "! {}", membership.sentence());
            }
        }
        Op::Replace { changes, lost, .. } => {
            change_lines(md, changes);
            for property in lost {
                let _ = writeln!(
                    md,
                    "- {property}   # not managed by hangar: lost with the old object"
                );
            }
        }
        Op::Delete => {
            let _ = writeln!(md, "- {}", action.address);
        }
        Op::Assign(change) => {
            let line = |sign: char, target| {
                let (words, at) = super::assignment_words(action.address.kind, &change.fields, target);
                match at {
                    Some(at) => format!("{sign} {words}   # {at}"),
                    None => format!("{sign} {words}"),
                }
            };
            for target in &change.add {
                let _ = writeln!(md, "{}", line('+', target));
            }
            for assignment in &change.remove {
                let _ = writeln!(md, "{}", line('-', &assignment.target));
            }
        }
        Op::AddOwners { add } => {
            for owner in add {
                let _ = writeln!(md, "+ owner {owner}");
            }
        }
        Op::SetPriority { before, after } => {
            if let Some(before) = before {
                let _ = writeln!(md, "- priority: {before}");
            }
            let _ = writeln!(md, "+ priority: {after}");
        }
        Op::SetDeviceGroup { before, after } => {
            for id in before {
                let _ = writeln!(md, "- device group: {id}");
            }
            if let Some(group) = after {
                let _ = writeln!(md, "+ device group: {}", group.name);
            }
        }
        Op::ImportDevice(_) | Op::UpdateDevice(_) | Op::DeleteDevice { .. } => {}
    }
}

fn impact(md: &mut String, plan: &Plan) {
    let impact = &plan.impact;
    if impact.tags.is_empty() && impact.devices == 0 {
        return;
    }
    let _ = writeln!(
        md,
        "#### Device impact\n\n{} of {} known {} {} profile, ESP or name.\n",
        impact.moved,
        impact.devices,
        hangar_model::plural::noun(impact.devices, "device", "devices"),
        hangar_model::plural::verb(impact.moved, "changes", "change")
    );
    md.push_str("| group tag | devices | move | profile (before → after) | ESP (before → after) |\n|---|---:|---:|---|---|\n");
    for tag in &impact.tags {
        let label = tag
            .tag
            .as_deref()
            .map_or_else(|| "(untagged)".to_owned(), |t| format!("`{}`", escape_cell(t)));
        let arrow = |before: &[String], after: &[String]| {
            let b = if before.is_empty() {
                "(none)".to_owned()
            } else {
                before.join(" / ")
            };
            let a = if after.is_empty() {
                "(none)".to_owned()
            } else {
                after.join(" / ")
            };
            if a == b {
                escape_cell(&a)
            } else {
                escape_cell(&format!("{b} → {a}"))
            }
        };
        let _ = writeln!(
            md,
            "| {label} | {} | {} | {} | {} |",
            tag.devices,
            tag.moved,
            arrow(&tag.profiles_before, &tag.profiles_after),
            arrow(&tag.esps_before, &tag.esps_after)
        );
    }
    md.push('\n');
    if !impact.by_object.is_empty() {
        for object in &impact.by_object {
            let _ = writeln!(
                md,
                "- `{}/{}` moves {}, tags: {}",
                object.kind,
                escape_cell(&object.name),
                hangar_model::plural::count(object.devices, "device", "devices"),
                object
                    .tags
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        md.push('\n');
    }
    if !impact.changes.is_empty() {
        let _ = writeln!(
            md,
            "<details><summary>Devices that move ({})</summary>\n",
            impact.changes.len()
        );
        md.push_str("| serial | profile | ESP | name |\n|---|---|---|---|\n");
        for device in impact.changes.iter().take(200) {
            let cell = |b: &Option<String>, a: &Option<String>| {
                let b = b.as_deref().unwrap_or("(none)");
                let a = a.as_deref().unwrap_or("(none)");
                if a == b {
                    escape_cell(a)
                } else {
                    escape_cell(&format!("{b} → {a}"))
                }
            };
            let _ = writeln!(
                md,
                "| `{}` | {} | {} | {} |",
                device.serial,
                cell(&device.before.profile, &device.after.profile),
                cell(&device.before.esp, &device.after.esp),
                cell(&device.before.name, &device.after.name)
            );
        }
        md.push_str("\n</details>\n\n");
    }
}

fn diagram(md: &mut String, plan: &Plan) {
    let tags: Vec<_> = plan
        .impact
        .tags
        .iter()
        .filter(|t| t.tag.is_some() && !t.groups.is_empty())
        .collect();
    if tags.is_empty() {
        return;
    }
    md.push_str("#### Routing (after this plan)\n\n```mermaid\nflowchart LR\n");
    let mut nodes: BTreeMap<String, String> = BTreeMap::new();
    let mut edges: Vec<(String, String)> = Vec::new();
    let mut node = |label: String| -> String {
        let next = format!("n{}", nodes.len());
        nodes.entry(label).or_insert(next).clone()
    };
    for tag in tags {
        let t = node(format!("tag: {}", tag.tag.as_deref().unwrap_or_default()));
        for group in &tag.groups {
            let g = node(format!("group: {group}"));
            edges.push((t.clone(), g.clone()));
            for profile in &tag.profiles_after {
                edges.push((g.clone(), node(format!("profile: {profile}"))));
            }
            for esp in &tag.esps_after {
                edges.push((g.clone(), node(format!("ESP: {esp}"))));
            }
        }
    }
    let mut by_id: Vec<(&String, &String)> = nodes.iter().map(|(label, id)| (id, label)).collect();
    by_id.sort_by_key(|(id, _)| id[1..].parse::<usize>().unwrap_or(0));
    for (id, label) in by_id {
        let _ = writeln!(md, "  {id}[\"{}\"]", label.replace('"', "#quot;"));
    }
    edges.sort();
    edges.dedup();
    for (from, to) in edges {
        let _ = writeln!(md, "  {from} --> {to}");
    }
    md.push_str("```\n");
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn escape_cell(text: &str) -> String {
    escape_html(text).replace('|', "\\|")
}
