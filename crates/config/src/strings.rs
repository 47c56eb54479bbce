//! The strings hangar sends to Graph: no control characters, and within Graph's limits.
//!
//! Two rules, over every text field of the desired state:
//!
//! - `text/control-character`: names, tags and ids are one line of visible text; descriptions,
//!   messages and rules may also have tabs and line breaks. Escape sequences, NULs, C1
//!   controls and bidirectional overrides are refused everywhere: they reach terminals, pull
//!   request comments and the portal ([`hangar_model::text::is_control`]).
//! - `text/too-long`: the limits Graph documents, as a table ([`LIMITS`]), plus the generated
//!   membership rule of a `groupTag` (Entra refuses rules over 3,072 characters). Name limits
//!   are `name/invalid`'s (`lower.rs`).
//!
//! Sources are in `docs/rules.md` ("Text sent to Graph").

use hangar_model::Kind;
use hangar_model::text::{describe, first_control};

use crate::diagnostic::Diagnostic;
use crate::model::*;
use crate::rules;
use crate::span::{Span, Spanned};

/// Graph's documented length limits on description-like fields, by kind: `(kind, field as
/// written in YAML, Graph property, most characters)`.
pub const LIMITS: &[(Kind, &str, &str, usize)] = &[
    // graph-api-notes §1 (windowsAutopilotDeploymentProfile resource page: "max 1500").
    (Kind::DeploymentProfile, "description", "description", 1500),
    // graph-api-notes §2 (windows10EnrollmentCompletionPageConfiguration: "max 10000").
    (
        Kind::EnrollmentStatusPage,
        "errorMessage",
        "customErrorMessage",
        10_000,
    ),
];

/// A text field: what it is called, its value, and whether it may span lines.
struct Field<'a> {
    what: String,
    value: &'a Spanned<String>,
    multi_line: bool,
}

fn line<'a>(what: impl Into<String>, value: &'a Spanned<String>) -> Field<'a> {
    Field {
        what: what.into(),
        value,
        multi_line: false,
    }
}

fn lines<'a>(what: impl Into<String>, value: &'a Spanned<String>) -> Field<'a> {
    Field {
        what: what.into(),
        value,
        multi_line: true,
    }
}

/// Every text field of the state that hangar sends to Graph or prints.
fn fields(state: &DesiredState) -> Vec<Field<'_>> {
    let mut out = vec![line("the tenant's `name`", &state.tenant.name)];
    for (kind, meta) in state.objects() {
        let of = format!("`{kind}` `{}`", meta.name.value);
        out.push(line(format!("the name of {of}"), &meta.name));
        if let Some(description) = &meta.description {
            out.push(lines(format!("the description of {of}"), description));
        }
        out.extend(
            meta.scope_tags
                .iter()
                .flatten()
                .map(|tag| line(format!("a scope tag of {of}"), tag)),
        );
    }
    for group in &state.groups {
        match &group.membership.value {
            Membership::GroupTag(tag) => out.push(line(
                format!("the group tag of `DeviceGroup` `{}`", group.meta.name.value),
                tag,
            )),
            Membership::Rule(rule) => out.push(lines(
                format!("the membership rule of `DeviceGroup` `{}`", group.meta.name.value),
                rule,
            )),
            Membership::Assigned => {}
        }
    }
    for profile in &state.profiles {
        if let Some(name) = &profile.device_name {
            out.push(line("a `deviceName`", name));
        }
        out.push(line("a `locale`", &profile.locale));
    }
    for esp in &state.esps {
        out.push(lines("an `errorMessage`", &esp.error_message));
        out.extend(esp.blocking_apps.iter().map(|app| line("a blocking app", app)));
    }
    for dpp in &state.device_preparation {
        if let Some(message) = &dpp.error_message {
            out.push(lines("an `errorMessage`", message));
        }
        out.extend(dpp.allowed_apps.iter().map(|app| line("an allowed app", app)));
        out.extend(dpp.allowed_scripts.iter().map(|s| line("an allowed script", s)));
    }
    for join in &state.domain_joins {
        out.push(line("a `domain`", &join.domain));
        if let Some(ou) = &join.ou {
            out.push(line("an `ou`", ou));
        }
        out.push(line("a `computerNamePrefix`", &join.computer_name_prefix));
    }
    for restriction in &state.restrictions {
        let windows = &restriction.windows;
        out.extend(windows.os_minimum.iter().map(|v| line("`osMinimum`", v)));
        out.extend(windows.os_maximum.iter().map(|v| line("`osMaximum`", v)));
        out.extend(
            windows
                .blocked_manufacturers
                .iter()
                .map(|m| line("a blocked manufacturer", m)),
        );
        out.extend(windows.blocked_skus.iter().map(|s| line("a blocked SKU", s)));
    }
    for list in &state.device_lists {
        let of = format!("`AutopilotDevices` `{}`", list.name.value);
        out.push(line(format!("the name of {of}"), &list.name));
        out.push(line(format!("the `source` of {of}"), &list.source));
        if let Some(tag) = &list.group_tag {
            out.push(line(format!("the group tag of {of}"), tag));
        }
    }
    out
}

/// Runs both rules.
pub(crate) fn check(state: &DesiredState, out: &mut Vec<Diagnostic>) {
    for field in fields(state) {
        if let Some(bad) = first_control(&field.value.value, !field.multi_line) {
            out.push(control(&field.what, bad, field.value.span, field.multi_line));
        }
    }
    for device in &state.devices {
        for (what, value) in [
            ("group tag", device.group_tag.as_deref()),
            ("assigned user", device.assigned_user.as_deref()),
            ("product id", device.product_id.as_deref()),
            ("display name", device.display_name.as_deref()),
        ] {
            if let Some(bad) = value.and_then(|value| first_control(value, true)) {
                out.push(control(
                    &format!("the {what} of row {}", device.row),
                    bad,
                    device.span,
                    false,
                ));
            }
        }
    }
    lengths(state, out);
}

fn control(what: &str, bad: char, span: Span, multi_line: bool) -> Diagnostic {
    let allowed = if multi_line {
        "; line breaks and tabs are allowed here, other control characters are not"
    } else {
        ""
    };
    Diagnostic::new(
        &rules::TEXT_CONTROL,
        span,
        format!("{what} has the character {}{allowed}", describe(bad)),
    )
    .with_help(rules::TEXT_CONTROL.fix)
}

fn too_long(span: Span, message: String) -> Diagnostic {
    Diagnostic::new(&rules::TEXT_TOO_LONG, span, message).with_help(rules::TEXT_TOO_LONG.fix)
}

fn lengths(state: &DesiredState, out: &mut Vec<Diagnostic>) {
    let limit = |kind: Kind, field: &str| {
        LIMITS
            .iter()
            .find(|(k, f, _, _)| *k == kind && *f == field)
            .map(|&(_, _, property, max)| (property, max))
    };
    let mut check = |kind: Kind, field: &str, name: &str, value: Option<&Spanned<String>>| {
        let (Some(value), Some((property, max))) = (value, limit(kind, field)) else {
            return;
        };
        let length = value.value.chars().count();
        if length > max {
            out.push(too_long(
                value.span,
                format!(
                    "the `{field}` of `{kind}` `{name}` is {length} characters; Graph's `{property}` takes at most {max}"
                ),
            ));
        }
    };
    for profile in &state.profiles {
        let name = &profile.meta.name.value;
        check(
            Kind::DeploymentProfile,
            "description",
            name,
            profile.meta.description.as_ref(),
        );
    }
    for esp in &state.esps {
        let name = &esp.meta.name.value;
        check(
            Kind::EnrollmentStatusPage,
            "errorMessage",
            name,
            Some(&esp.error_message),
        );
    }
    for group in &state.groups {
        let Membership::GroupTag(tag) = &group.membership.value else {
            continue;
        };
        let rule = hangar_membership::group_tag_rule(&tag.value);
        let length = rule.chars().count();
        if length > hangar_membership::MAX_RULE_CHARS {
            out.push(too_long(
                tag.span,
                format!(
                    "the group tag of `DeviceGroup` `{}` ({} characters) makes a membership rule of {length} characters; Entra accepts at most {}",
                    group.meta.name.value,
                    tag.value.chars().count(),
                    hangar_membership::MAX_RULE_CHARS
                ),
            ));
        }
    }
}
