//! Stage 4: the rules that look at the whole state. Each check is a function in [`CHECKS`];
//! the rule metadata (id, severity, text) is in [`crate::rules`].

use std::collections::{BTreeMap, HashMap, HashSet};

use hangar_model::plural::{count, noun, verb};

use crate::diagnostic::Diagnostic;
use crate::model::*;
use crate::naming::{self, Part};
use crate::routing::{Routing, known_device};
use crate::rules::{self, Rule};
use crate::span::Span;

mod guide;

type Check = fn(&Context<'_>, &mut Vec<Diagnostic>);

/// The checks, in the order they run.
const CHECKS: &[Check] = &[
    cloud,
    builtin_objects,
    assignments,
    group_rules,
    name_templates,
    profile_modes,
    hybrid_domain_join,
    all_devices_once,
    static_overlaps,
    device_preparation,
    esp_priorities,
    esp_values,
    domain_joins,
    restrictions,
    device_routes,
    guide::self_deploying,
    guide::connectivity_check,
    guide::locales,
    guide::unchecked_serial_templates,
    guide::app_references,
    guide::device_preparation_groups,
    guide::personal_devices_blocked,
];

struct Context<'a> {
    state: &'a DesiredState,
    routing: Routing<'a>,
    /// The route of every known device, grouped: distinct group sets → device indexes.
    routes: Vec<(Vec<GroupId>, Vec<usize>)>,
}

/// Runs every check over the lowered state.
pub(crate) fn run(state: &DesiredState, diagnostics: &mut Vec<Diagnostic>) {
    let routing = Routing::new(state);
    // Group membership of every known device, on every core: this is the only per-device work
    // (rules then run once per distinct set of groups).
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = state.devices.len().div_ceil(workers).max(1);
    let memberships: Vec<Vec<GroupId>> = std::thread::scope(|scope| {
        let routing = &routing;
        let handles: Vec<_> = state
            .devices
            .chunks(chunk)
            .map(|devices| {
                scope.spawn(move || {
                    devices
                        .iter()
                        .map(|d| routing.groups_of(&known_device(d)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    let mut by_groups: HashMap<Vec<GroupId>, Vec<usize>> = HashMap::new();
    for (index, groups) in memberships.into_iter().enumerate() {
        by_groups.entry(groups).or_default().push(index);
    }
    let mut routes: Vec<(Vec<GroupId>, Vec<usize>)> = by_groups.into_iter().collect();
    routes.sort();
    let context = Context {
        state,
        routing,
        routes,
    };
    for check in CHECKS {
        check(&context, diagnostics);
    }
}

fn diag(rule: &Rule, span: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(rule, span, message).with_help(rule.fix)
}

fn name_of(state: &DesiredState, group: GroupId) -> &str {
    &state.group(group).meta.name.value
}

fn cloud(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let cloud = cx.state.tenant.cloud.value;
    if cloud.has_classic_autopilot() {
        return;
    }
    for profile in &cx.state.profiles {
        out.push(
            diag(
                &rules::CLOUD_CLASSIC_AUTOPILOT,
                profile.meta.kind_span,
                format!(
                    "`{cloud}` has no classic Autopilot: `DeploymentProfile` `{}` cannot exist there",
                    profile.meta.name.value
                ),
            )
            .with_label(cx.state.tenant.cloud.span, format!("the tenant is in `{cloud}`")),
        );
    }
    for dpp in &cx.state.device_preparation {
        if dpp.mode.value != DppMode::UserDriven {
            out.push(
                diag(
                    &rules::CLOUD_DEVICE_PREPARATION_MODE,
                    dpp.mode.span,
                    format!("Device Preparation in `{cloud}` is user-driven only"),
                )
                .with_label(cx.state.tenant.cloud.span, format!("the tenant is in `{cloud}`")),
            );
        }
    }
}

fn builtin_objects(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let esps = cx
        .state
        .esps
        .iter()
        .filter(|esp| esp.builtin)
        .map(|esp| (&esp.meta, &esp.priority, &esp.assign));
    let restrictions = cx
        .state
        .restrictions
        .iter()
        .filter(|r| r.builtin)
        .map(|r| (&r.meta, &r.priority, &r.assign));
    for (meta, priority, assign) in esps.chain(restrictions) {
        if let Some(priority) = priority {
            out.push(diag(
                &rules::BUILTIN_NOT_ASSIGNABLE,
                priority.span,
                "the built-in `default` has a fixed priority",
            ));
        }
        if let Some(target) = assign.include.first() {
            out.push(diag(
                &rules::BUILTIN_NOT_ASSIGNABLE,
                target.span,
                "the built-in `default` applies to everyone and cannot be assigned",
            ));
        } else if let Some(target) = assign.exclude.first() {
            out.push(diag(
                &rules::BUILTIN_NOT_ASSIGNABLE,
                target.span,
                "the built-in `default` cannot be assigned",
            ));
        }
        let _ = meta;
    }
}

fn assignments(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let state = cx.state;
    let mut all: Vec<(&str, &Assignments, &[Target])> = Vec::new();
    for profile in &state.profiles {
        all.push(("deployment profiles", &profile.assign, &[Target::AllUsers]));
    }
    for esp in &state.esps {
        all.push(("ESPs", &esp.assign, &[]));
    }
    for join in &state.domain_joins {
        all.push(("domain join profiles", &join.assign, &[]));
    }
    for restriction in &state.restrictions {
        all.push((
            "enrollment restrictions",
            &restriction.assign,
            &[Target::AllUsers, Target::AllDevices],
        ));
    }
    for (kind, assign, forbidden) in all {
        for target in &assign.include {
            if forbidden.contains(&target.value) {
                let what = if target.value == Target::AllUsers {
                    "all-users"
                } else {
                    "all-devices"
                };
                out.push(diag(
                    &rules::ASSIGN_TARGET,
                    target.span,
                    format!("{kind} cannot be assigned to `{what}`"),
                ));
            }
            if let Target::Group(group) = target.value
                && let Some(excluded) = assign.exclude.iter().find(|excluded| excluded.value == group)
            {
                out.push(
                    diag(
                        &rules::ASSIGN_INCLUDE_EXCLUDE,
                        excluded.span,
                        format!("group `{}` is both included and excluded", name_of(state, group)),
                    )
                    .with_label(target.span, "included here"),
                );
            }
        }
    }
}

fn group_rules(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for group in &cx.state.groups {
        let Membership::Rule(rule) = &group.membership.value else {
            continue;
        };
        // Offsets from the membership crate are in the rule text; the YAML value may be quoted.
        let quote = cx
            .state
            .sources
            .text(rule.span)
            .and_then(|text| text.chars().next());
        let shift = u32::from(matches!(quote, Some('"' | '\'')));
        let at = |offset: usize, len: usize| {
            let start = (rule.span.start + shift + offset as u32).min(rule.span.end);
            Span::new(
                rule.span.file,
                start,
                (start + len.max(1) as u32).min(rule.span.end.max(start + 1)),
            )
        };
        match hangar_membership::parse(&rule.value) {
            Err(error) => out.push(
                Diagnostic::new(
                    &rules::GROUP_RULE_SYNTAX,
                    at(error.offset, error.len),
                    format!("invalid membership rule: {}", error.message),
                )
                .with_help(
                    error
                        .help
                        .unwrap_or_else(|| rules::GROUP_RULE_SYNTAX.fix.to_owned()),
                ),
            ),
            Ok(parsed) => {
                for warning in parsed.warnings() {
                    out.push(diag(
                        &rules::GROUP_RULE_WARNING,
                        at(warning.offset, warning.len),
                        format!(
                            "group `{}`: {} ({})",
                            group.meta.name.value, warning.message, warning.code
                        ),
                    ));
                }
            }
        }
    }
}

fn name_templates(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let state = cx.state;
    for (index, profile) in state.profiles.iter().enumerate() {
        let Some(template) = &profile.device_name else {
            continue;
        };
        if profile.join.value == JoinType::Hybrid {
            out.push(diag(
                &rules::PROFILE_HYBRID_NAME_TEMPLATE,
                template.span,
                format!(
                    "hybrid profile `{}` has a `deviceName` template",
                    profile.meta.name.value
                ),
            ));
            continue;
        }
        let quote = state
            .sources
            .text(template.span)
            .and_then(|text| text.chars().next());
        let shift = u32::from(matches!(quote, Some('"' | '\'')));
        let parts = match naming::parse(&template.value) {
            Ok(parts) => parts,
            Err(error) => {
                let start = template.span.start + shift + error.offset as u32;
                let span = Span::new(template.span.file, start, start + error.len as u32);
                let rule = if error.is_macro {
                    &rules::PROFILE_NAME_TEMPLATE_MACRO
                } else {
                    &rules::PROFILE_NAME_TEMPLATE_CHARS
                };
                out.push(diag(rule, span, error.message));
                continue;
            }
        };
        let serials = reached_serials(cx, ProfileId(index as u32));
        let fixed = naming::fixed_len(&parts);
        if fixed > naming::MAX_NAME {
            out.push(diag(
                &rules::PROFILE_NAME_TEMPLATE_LENGTH,
                template.span,
                format!(
                    "`{}` is {fixed} characters before any serial; device names are at most 15",
                    template.value
                ),
            ));
        } else if parts.contains(&Part::Serial) {
            let too_long: Vec<&Device> = serials
                .iter()
                .copied()
                .filter(|device| fixed + device.serial.len() > naming::MAX_NAME)
                .collect();
            if let Some(longest) = too_long.iter().max_by_key(|device| device.serial.len()) {
                let name = naming::expand(&parts, &longest.serial);
                out.push(
                    diag(
                        &rules::PROFILE_NAME_TEMPLATE_LENGTH,
                        template.span,
                        format!(
                            "`{}` expands to `{name}` ({} characters) for serial `{}`; {} reached by this profile {} names over 15 characters",
                            template.value,
                            name.chars().count(),
                            longest.serial,
                            count(too_long.len(), "device", "devices"),
                            verb(too_long.len(), "gets", "get")
                        ),
                    )
                    .with_label(longest.span, "this device"),
                );
            }
        }
        if naming::can_be_all_digits(&parts, serials.iter().map(|device| device.serial.as_str())) {
            out.push(diag(
                &rules::PROFILE_NAME_TEMPLATE_DIGITS,
                template.span,
                format!("`{}` can produce a name of digits only", template.value),
            ));
        }
    }
}

/// The devices a profile reaches (through their groups).
fn reached_serials<'s>(cx: &Context<'s>, profile: ProfileId) -> Vec<&'s Device> {
    let assign = &cx.state.profile(profile).assign;
    let mut devices = Vec::new();
    for (groups, members) in &cx.routes {
        let excluded = assign.exclude.iter().any(|g| groups.contains(&g.value));
        let included = assign.include.iter().any(|target| match target.value {
            Target::Group(group) => groups.contains(&group),
            Target::AllDevices => true,
            Target::AllUsers => false,
        });
        if included && !excluded {
            devices.extend(members.iter().map(|&index| &cx.state.devices[index]));
        }
    }
    devices
}

fn profile_modes(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for profile in &cx.state.profiles {
        let name = &profile.meta.name.value;
        if profile.join.value == JoinType::Hybrid && profile.mode.value != DeploymentMode::UserDriven {
            out.push(
                diag(
                    &rules::PROFILE_HYBRID_USER_DRIVEN,
                    profile.mode.span,
                    format!("hybrid profile `{name}` is not user-driven"),
                )
                .with_label(profile.join.span, "hybrid join"),
            );
        }
        if profile.mode.value == DeploymentMode::SelfDeploying {
            if profile.join.value != JoinType::Entra && profile.join.span != profile.meta.kind_span {
                out.push(
                    diag(
                        &rules::PROFILE_SELF_DEPLOYING_JOIN,
                        profile.join.span,
                        format!("self-deploying profile `{name}` uses hybrid join"),
                    )
                    .with_label(profile.mode.span, "self-deploying"),
                );
            }
            if let Some(user_type) = &profile.oobe.user_type {
                out.push(diag(
                    &rules::PROFILE_SELF_DEPLOYING_USER_TYPE,
                    user_type.span,
                    format!("self-deploying profile `{name}` sets `userType`"),
                ));
            }
        }
    }
}

fn hybrid_domain_join(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let state = cx.state;
    let joined_all = state
        .domain_joins
        .iter()
        .any(|join| join.assign.includes_all_devices());
    let joined: HashSet<GroupId> = state
        .domain_joins
        .iter()
        .flat_map(|join| join.assign.included_groups())
        .collect();
    for profile in state
        .profiles
        .iter()
        .filter(|profile| profile.join.value == JoinType::Hybrid)
    {
        if joined_all {
            continue;
        }
        for target in &profile.assign.include {
            let missing = match target.value {
                Target::Group(group) => !joined.contains(&group),
                Target::AllDevices => true,
                Target::AllUsers => false,
            };
            if missing {
                let what = match target.value {
                    Target::Group(group) => format!("group `{}`", name_of(state, group)),
                    _ => "all devices".to_owned(),
                };
                out.push(diag(
                    &rules::PROFILE_HYBRID_DOMAIN_JOIN,
                    target.span,
                    format!(
                        "hybrid profile `{}` reaches {what}, which no `DomainJoinProfile` is assigned to",
                        profile.meta.name.value
                    ),
                ));
            }
        }
    }
}

fn all_devices_once(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let mut first: Option<(&DeploymentProfile, Span)> = None;
    for profile in &cx.state.profiles {
        let Some(target) = profile
            .assign
            .include
            .iter()
            .find(|target| target.value == Target::AllDevices)
        else {
            continue;
        };
        match first {
            None => first = Some((profile, target.span)),
            Some((earlier, earlier_span)) => out.push(
                diag(
                    &rules::PROFILE_ALL_DEVICES,
                    target.span,
                    format!(
                        "`{}` and `{}` both target all devices",
                        earlier.meta.name.value, profile.meta.name.value
                    ),
                )
                .with_label(earlier_span, "first assigned to all devices here"),
            ),
        }
    }
}

/// Two profiles assigned to the same group reach the same devices whatever the devices are.
fn static_overlaps(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let state = cx.state;
    let mut seen: HashMap<GroupId, (&DeploymentProfile, Span)> = HashMap::new();
    for profile in &state.profiles {
        for target in &profile.assign.include {
            let Target::Group(group) = target.value else {
                continue;
            };
            match seen.get(&group) {
                Some(&(earlier, span)) if !std::ptr::eq(earlier, profile) => {
                    let (rule, problem) = if earlier.join.value != profile.join.value {
                        (
                            &rules::ROUTING_JOIN_CONFLICT,
                            "an Entra-join and a hybrid-join profile",
                        )
                    } else {
                        (&rules::ROUTING_MULTIPLE_PROFILES, "two deployment profiles")
                    };
                    out.push(
                        diag(
                            rule,
                            target.span,
                            format!(
                                "group `{}` gets {problem}: `{}` and `{}`",
                                name_of(state, group),
                                earlier.meta.name.value,
                                profile.meta.name.value
                            ),
                        )
                        .with_label(span, "also assigned here"),
                    );
                }
                Some(_) => {}
                None => {
                    seen.insert(group, (profile, target.span));
                }
            }
        }
    }
}

fn device_preparation(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let state = cx.state;
    for dpp in &state.device_preparation {
        let name = &dpp.meta.name.value;
        if let Some(group_ref) = &dpp.device_group {
            let group = state.group(group_ref.value);
            if group.is_dynamic() {
                out.push(
                    diag(
                        &rules::DPP_DEVICE_GROUP_STATIC,
                        group_ref.span,
                        format!("device group `{}` of `{name}` is dynamic", group.meta.name.value),
                    )
                    .with_label(group.membership.span, "its membership"),
                );
            }
            // An external group's owners are its own team's business (hangar never reads them
            // into the configuration).
            if !group.owned_by_provisioning_client() && !group.is_external() {
                out.push(
                    diag(
                        &rules::DPP_DEVICE_GROUP_OWNER,
                        group_ref.span,
                        format!(
                            "device group `{}` of `{name}` is not owned by the Intune Provisioning Client",
                            group.meta.name.value
                        ),
                    )
                    .with_label(group.meta.name.span, "the group"),
                );
            }
        }
        for user_group in &dpp.user_groups {
            let group = state.group(user_group.value);
            if group.is_dynamic() {
                out.push(
                    diag(
                        &rules::DPP_USER_GROUP,
                        user_group.span,
                        format!(
                            "user group `{}` of `{name}` is a dynamic device group",
                            group.meta.name.value
                        ),
                    )
                    .with_label(group.membership.span, "its membership"),
                );
            }
        }
        match dpp.mode.value {
            DppMode::UserDriven if dpp.user_groups.is_empty() => {
                out.push(diag(
                    &rules::DPP_NO_USERS,
                    dpp.meta.kind_span,
                    format!("user-driven policy `{name}` has no `userGroups`"),
                ));
            }
            DppMode::Automatic if !dpp.user_groups.is_empty() => {
                out.push(diag(
                    &rules::DPP_AUTOMATIC_USERS,
                    dpp.user_groups[0].span,
                    format!("automatic policy `{name}` has `userGroups`"),
                ));
            }
            _ => {}
        }
        if dpp.allowed_apps.len() > 10 {
            out.push(diag(
                &rules::DPP_APPS_LIMIT,
                dpp.allowed_apps[10].span,
                format!(
                    "`{name}` lists {} apps; at most 10 are allowed",
                    dpp.allowed_apps.len()
                ),
            ));
        }
        if dpp.allowed_scripts.len() > 10 {
            out.push(diag(
                &rules::DPP_SCRIPTS_LIMIT,
                dpp.allowed_scripts[10].span,
                format!(
                    "`{name}` lists {} scripts; at most 10 are allowed",
                    dpp.allowed_scripts.len()
                ),
            ));
        }
        if !(15..=720).contains(&dpp.timeout_minutes.value) {
            out.push(diag(
                &rules::DPP_TIMEOUT,
                dpp.timeout_minutes.span,
                format!("timeout {} is outside 15–720 minutes", dpp.timeout_minutes.value),
            ));
        }
    }
}

fn esp_priorities(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<u32, (&str, Span)> = BTreeMap::new();
    for esp in cx.state.esps.iter().filter(|esp| !esp.builtin) {
        let Some(priority) = &esp.priority else {
            out.push(diag(
                &rules::ESP_PRIORITY_REQUIRED,
                esp.meta.kind_span,
                format!("ESP `{}` has no `priority`", esp.meta.name.value),
            ));
            continue;
        };
        if let Some((other, span)) = seen.get(&priority.value) {
            out.push(
                diag(
                    &rules::ESP_PRIORITY_UNIQUE,
                    priority.span,
                    format!(
                        "ESPs `{other}` and `{}` both have priority {}",
                        esp.meta.name.value, priority.value
                    ),
                )
                .with_label(*span, "first used here"),
            );
        } else {
            seen.insert(priority.value, (&esp.meta.name.value, priority.span));
        }
    }
}

fn esp_values(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for esp in &cx.state.esps {
        let name = &esp.meta.name.value;
        if !(1..=1440).contains(&esp.timeout_minutes.value) {
            out.push(diag(
                &rules::ESP_TIMEOUT,
                esp.timeout_minutes.span,
                format!("timeout {} is outside 1–1440 minutes", esp.timeout_minutes.value),
            ));
        }
        let recommended = [
            (
                esp.show_progress.value,
                true,
                esp.show_progress.span,
                "`showProgress: true` (show app and profile configuration progress)",
            ),
            (
                esp.block_device_use.value,
                true,
                esp.block_device_use.span,
                "`blockDeviceUse: true` (baseline security before the user gets the desktop)",
            ),
            (
                esp.allow_reset.value,
                false,
                esp.allow_reset.span,
                "`allowReset: false` (prevents accidental reprovisioning)",
            ),
            (
                esp.allow_use_on_error.value,
                false,
                esp.allow_use_on_error.span,
                "`allowUseOnError: false` (no access to a device that is not fully set up)",
            ),
        ];
        for (actual, wanted, span, advice) in recommended {
            if actual != wanted {
                out.push(diag(
                    &rules::ESP_RECOMMENDED,
                    span,
                    format!("ESP `{name}`: the guide recommends {advice}"),
                ));
            }
        }
        if esp.timeout_minutes.value < 60 {
            out.push(diag(
                &rules::ESP_RECOMMENDED,
                esp.timeout_minutes.span,
                format!(
                    "ESP `{name}`: a timeout of {} is short; the guide recommends 60 for large apps on slow links",
                    count(esp.timeout_minutes.value as usize, "minute", "minutes")
                ),
            ));
        }
    }
}

fn domain_joins(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for join in &cx.state.domain_joins {
        let prefix = &join.computer_name_prefix;
        let random = join.random_chars.value;
        if !(3..=14).contains(&random) {
            out.push(diag(
                &rules::DOMAIN_JOIN_RANDOM_CHARS,
                join.random_chars.span,
                format!(
                    "{} is outside 3–14",
                    count(random as usize, "random character", "random characters")
                ),
            ));
        }
        let length = prefix.value.chars().count() + random as usize;
        if length > naming::MAX_NAME {
            out.push(diag(
                &rules::DOMAIN_JOIN_NAME_LENGTH,
                prefix.span,
                format!(
                    "`{}` plus {} is {length} characters; at most 15",
                    prefix.value,
                    count(random as usize, "random character", "random characters")
                ),
            ));
        }
        if let Some(bad) = prefix
            .value
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            out.push(diag(
                &rules::DOMAIN_JOIN_PREFIX_CHARS,
                prefix.span,
                format!("`{bad}` is not allowed in a computer name prefix"),
            ));
        }
    }
}

fn restrictions(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<u32, (&str, Span)> = BTreeMap::new();
    for restriction in &cx.state.restrictions {
        if let Some(priority) = &restriction.priority
            && !restriction.builtin
        {
            if let Some((other, span)) = seen.get(&priority.value) {
                out.push(
                    diag(
                        &rules::RESTRICTION_PRIORITY_UNIQUE,
                        priority.span,
                        format!(
                            "restrictions `{other}` and `{}` both have priority {}",
                            restriction.meta.name.value, priority.value
                        ),
                    )
                    .with_label(*span, "first used here"),
                );
            } else {
                seen.insert(priority.value, (&restriction.meta.name.value, priority.span));
            }
        }
        let windows = &restriction.windows;
        let mut versions = Vec::new();
        for version in [&windows.os_minimum, &windows.os_maximum].into_iter().flatten() {
            match parse_version(&version.value) {
                Some(parsed) => versions.push(parsed),
                None => out.push(diag(
                    &rules::RESTRICTION_OS_VERSION,
                    version.span,
                    format!("`{}` is not a Windows version", version.value),
                )),
            }
        }
        if let (Some(min), Some(max), [low, high]) =
            (&windows.os_minimum, &windows.os_maximum, versions.as_slice())
            && low > high
        {
            out.push(
                diag(
                    &rules::RESTRICTION_OS_VERSION,
                    min.span,
                    format!("minimum `{}` is above maximum `{}`", min.value, max.value),
                )
                .with_label(max.span, "maximum"),
            );
        }
    }
}

fn parse_version(text: &str) -> Option<Vec<u32>> {
    let parts: Option<Vec<u32>> = text.split('.').map(|part| part.parse().ok()).collect();
    parts.filter(|parts| (3..=4).contains(&parts.len()))
}

/// Rules that need every known device's route.
fn device_routes(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let state = cx.state;
    if state.devices.is_empty() {
        return;
    }
    let mut reached_groups: HashSet<GroupId> = HashSet::new();
    let mut unrouted: BTreeMap<String, (usize, Span)> = BTreeMap::new();
    for (groups, members) in &cx.routes {
        reached_groups.extend(groups.iter().copied());
        let example = &state.devices[members[0]];
        let route = cx.routing.route_groups(&example.serial, groups.clone());
        let dpp_reaches = state
            .device_preparation
            .iter()
            .any(|dpp| dpp.mode.value == DppMode::UserDriven && !dpp.user_groups.is_empty());
        if route.profiles.is_empty() && !dpp_reaches {
            for &member in members {
                let device = &state.devices[member];
                let tag = device.group_tag.clone().unwrap_or_default();
                let entry = unrouted.entry(tag).or_insert((0, device.span));
                entry.0 += 1;
            }
        }
        if route.profiles.len() > 1 {
            let profiles: Vec<&DeploymentProfile> =
                route.profiles.iter().map(|pick| state.profile(pick.id)).collect();
            let names: Vec<String> = profiles
                .iter()
                .map(|profile| format!("`{}`", profile.meta.name.value))
                .collect();
            let mixed = profiles
                .iter()
                .any(|profile| profile.join.value != profiles[0].join.value);
            let (rule, what) = if mixed {
                (
                    &rules::ROUTING_JOIN_CONFLICT,
                    "both Entra-join and hybrid-join profiles",
                )
            } else {
                (
                    &rules::ROUTING_MULTIPLE_PROFILES,
                    "several deployment profiles (Intune picks one, undocumented which)",
                )
            };
            let group_names: Vec<String> = groups
                .iter()
                .map(|&group| format!("`{}`", name_of(state, group)))
                .collect();
            out.push(
                diag(
                    rule,
                    example.span,
                    format!(
                        "{} in groups {} (e.g. `{}`) {} {what}: {}",
                        count(members.len(), "device", "devices"),
                        group_names.join(", "),
                        example.serial,
                        verb(members.len(), "gets", "get"),
                        names.join(", ")
                    ),
                )
                .with_label(profiles[1].meta.name.span, "one of the profiles"),
            );
        }
    }
    for (tag, (devices, span)) in unrouted {
        let message = if tag.is_empty() {
            format!(
                "{} no group tag and {} no deployment profile",
                count(devices, "device has", "devices have"),
                verb(devices, "reaches", "reach")
            )
        } else {
            format!(
                "group tag `{tag}` ({}) reaches no deployment profile or Device Preparation policy",
                count(devices, "device", "devices")
            )
        };
        out.push(diag(&rules::ROUTING_UNROUTED_TAG, span, message));
    }
    for (index, group) in state.groups.iter().enumerate() {
        if group.is_dynamic() && !reached_groups.contains(&GroupId(index as u32)) {
            out.push(diag(
                &rules::GROUP_NO_DEVICES,
                group.membership.span,
                format!(
                    "dynamic group `{}` matches none of the {} known {}",
                    group.meta.name.value,
                    state.devices.len(),
                    noun(state.devices.len(), "device", "devices")
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(parse_version("10.0.19045"), Some(vec![10, 0, 19045]));
        assert!(parse_version("10.0.19045.1").is_some());
        assert!(parse_version("10").is_none());
        assert!(parse_version("10.x.1").is_none());
    }
}
