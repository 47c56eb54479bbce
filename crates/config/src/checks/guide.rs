//! Rules the provisioning guide and Microsoft's Autopilot documentation imply beyond the first
//! rule set (issue 14): combinations the admin center never offers, values Windows cannot use,
//! and what hangar cannot check and therefore says. Each function is one row of [`super::CHECKS`];
//! the rule texts are in [`crate::rules`], the sources in `docs/rules.md`.

use hangar_model::plural::count;

use crate::diagnostic::Diagnostic;
use crate::lower::is_guid;
use crate::model::*;
use crate::naming::{self, Part};
use crate::rules;

use super::{Context, diag, reached_serials};

/// The deployment profiles these rules look at: none in a cloud without classic Autopilot, where
/// `cloud/classic-autopilot-unavailable` already says the profile cannot exist.
fn profiles<'s>(cx: &Context<'s>) -> &'s [DeploymentProfile] {
    if cx.state.tenant.cloud.value.has_classic_autopilot() {
        &cx.state.profiles
    } else {
        &[]
    }
}

/// Pre-provisioning and the OOBE pages of self-deploying profiles, and attestation on virtual
/// machines.
pub(super) fn self_deploying(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for profile in profiles(cx) {
        let name = &profile.meta.name.value;
        let self_deploying = profile.mode.value == DeploymentMode::SelfDeploying;
        if self_deploying && profile.pre_provisioning.value {
            out.push(
                diag(
                    &rules::PROFILE_SELF_DEPLOYING_PRE_PROVISIONING,
                    profile.pre_provisioning.span,
                    format!("self-deploying profile `{name}` allows pre-provisioning"),
                )
                .with_label(profile.mode.span, "self-deploying"),
            );
        }
        if self_deploying {
            let oobe = &profile.oobe;
            let shown = [
                (&oobe.hide_license_terms, "hideLicenseTerms", "the license terms"),
                (
                    &oobe.hide_privacy_settings,
                    "hidePrivacySettings",
                    "the privacy settings",
                ),
                (
                    &oobe.hide_change_account_options,
                    "hideChangeAccountOptions",
                    "the change account options",
                ),
            ];
            for (setting, field, page) in shown {
                if !setting.value {
                    out.push(
                        diag(
                            &rules::PROFILE_SELF_DEPLOYING_OOBE,
                            setting.span,
                            format!(
                                "self-deploying profile `{name}` shows {page} (`{field}: false`), but no user is there to answer them"
                            ),
                        )
                        .with_label(profile.mode.span, "self-deploying"),
                    );
                }
            }
        }
        if profile.device_type.value == DeviceType::VirtualMachine {
            let flow = if self_deploying {
                Some(("self-deploying", profile.mode.span))
            } else if profile.pre_provisioning.value {
                Some(("pre-provisioned", profile.pre_provisioning.span))
            } else {
                None
            };
            if let Some((flow, span)) = flow {
                out.push(
                    diag(
                        &rules::PROFILE_VIRTUAL_MACHINE_ATTESTATION,
                        profile.device_type.span,
                        format!(
                            "profile `{name}` is for virtual machines and {flow}: that needs TPM attestation, which virtual machines cannot do (Windows fails with 0x800705B4 at \"Securing your hardware\")"
                        ),
                    )
                    .with_label(span, flow),
                );
            }
        }
    }
}

/// `skipDomainConnectivityCheck: true` on an Entra-join profile.
pub(super) fn connectivity_check(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for profile in profiles(cx) {
        let skip = &profile.skip_domain_connectivity_check;
        if profile.join.value == JoinType::Entra && skip.value {
            out.push(
                diag(
                    &rules::PROFILE_ENTRA_SKIP_CONNECTIVITY_CHECK,
                    skip.span,
                    format!(
                        "Entra-join profile `{}` sets `skipDomainConnectivityCheck`, which only hybrid-join profiles have",
                        profile.meta.name.value
                    ),
                )
                .with_label(profile.join.span, "Entra join"),
            );
        }
    }
}

/// `locale` is `os-default` or a well-formed language tag.
pub(super) fn locales(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for profile in profiles(cx) {
        let locale = &profile.locale;
        if locale.value.eq_ignore_ascii_case("os-default") {
            continue;
        }
        if let Err(problem) = language_tag(&locale.value) {
            let mut diagnostic = diag(
                &rules::PROFILE_LOCALE,
                locale.span,
                format!("`{}` is not a language tag: {problem}", locale.value),
            );
            let underscored = locale.value.replace('_', "-");
            if underscored != locale.value && language_tag(&underscored).is_ok() {
                diagnostic = diagnostic.with_help(format!("did you mean `{underscored}`?"));
            }
            out.push(diagnostic);
        }
    }
}

/// Checks the syntax of a BCP 47 language tag (RFC 5646 §2.1) with the shapes Windows uses: a
/// 2–3 letter language (ISO 639), up to three extended language subtags, a 4-letter script, a
/// 2-letter or 3-digit region, variants, extensions and a private-use part. The 4–8 letter
/// language forms the grammar reserves are refused: no Windows language uses them, and they are
/// what a word like `english` would be read as.
pub(crate) fn language_tag(tag: &str) -> Result<(), String> {
    if tag.is_empty() {
        return Err("it is empty (write `os-default` for the operating system's language)".to_owned());
    }
    if let Some(bad) = tag.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-')) {
        return Err(format!(
            "`{}` is not allowed (only letters, digits and hyphens)",
            bad.escape_default()
        ));
    }
    let subtags: Vec<&str> = tag.split('-').collect();
    if subtags.iter().any(|subtag| subtag.is_empty()) {
        return Err("it has an empty part (two hyphens in a row, or a hyphen at an end)".to_owned());
    }
    let alpha = |s: &str, len: std::ops::RangeInclusive<usize>| {
        len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic())
    };
    let alnum = |s: &str, len: std::ops::RangeInclusive<usize>| {
        len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
    };
    let mut rest = subtags.as_slice();
    let Some((language, tail)) = rest.split_first() else {
        return Err("it is empty".to_owned());
    };
    if !alpha(language, 2..=3) {
        return Err(format!(
            "`{language}` is not a language (2 or 3 letters, e.g. `en`)"
        ));
    }
    rest = tail;
    // extlang: up to three 3-letter subtags (only after a 2–3 letter language).
    let mut extlangs = 0;
    while extlangs < 3 && rest.first().is_some_and(|s| alpha(s, 3..=3)) {
        rest = &rest[1..];
        extlangs += 1;
    }
    if rest.first().is_some_and(|s| alpha(s, 4..=4)) {
        rest = &rest[1..]; // script
    }
    if rest
        .first()
        .is_some_and(|s| alpha(s, 2..=2) || (s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit())))
    {
        rest = &rest[1..]; // region
    }
    while let Some(variant) = rest.first() {
        let digit_led = variant.len() == 4 && variant.as_bytes()[0].is_ascii_digit() && alnum(variant, 4..=4);
        if alnum(variant, 5..=8) || digit_led {
            rest = &rest[1..];
        } else {
            break;
        }
    }
    while let Some(singleton) = rest.first() {
        if singleton.len() != 1 || singleton.eq_ignore_ascii_case("x") {
            break;
        }
        let count = rest[1..].iter().take_while(|s| alnum(s, 2..=8)).count();
        if count == 0 {
            return Err(format!("extension `{singleton}` has no subtags"));
        }
        rest = &rest[1 + count..];
    }
    if let Some(x) = rest.first()
        && x.eq_ignore_ascii_case("x")
    {
        let count = rest[1..].iter().take_while(|s| alnum(s, 1..=8)).count();
        if count == 0 {
            return Err("private use `x` has no subtags".to_owned());
        }
        rest = &rest[1 + count..];
    }
    match rest.first() {
        None => Ok(()),
        Some(subtag) => Err(format!(
            "`{subtag}` is neither a script (4 letters), a region (2 letters or 3 digits) nor a variant"
        )),
    }
}

/// A `%SERIAL%` template on an Entra profile that no known device reaches cannot be checked.
pub(super) fn unchecked_serial_templates(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for (index, profile) in profiles(cx).iter().enumerate() {
        let Some(template) = &profile.device_name else {
            continue;
        };
        if profile.join.value == JoinType::Hybrid {
            continue; // `profile/hybrid-name-template` already reports it
        }
        let Ok(parts) = naming::parse(&template.value) else {
            continue; // `profile/name-template-*` report it
        };
        let fixed = naming::fixed_len(&parts);
        if !parts.contains(&Part::Serial) || fixed >= naming::MAX_NAME {
            continue;
        }
        if !reached_serials(cx, ProfileId(index as u32)).is_empty() {
            continue;
        }
        let room = naming::MAX_NAME - fixed;
        let why = if cx.state.devices.is_empty() {
            "the configuration lists no devices".to_owned()
        } else {
            format!(
                "none of the {} in the devices CSVs reaches `{}`",
                count(cx.state.devices.len(), "device", "devices"),
                profile.meta.name.value
            )
        };
        out.push(diag(
            &rules::PROFILE_SERIAL_TEMPLATE_UNCHECKED,
            template.span,
            format!(
                "`{}` cannot be checked: {why}; names stay within 15 characters only for serials of at most {}",
                template.value,
                count(room, "character", "characters")
            ),
        ));
    }
}

/// App and script references are ids or names, not damaged ids or blanks.
pub(super) fn app_references(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let esps = cx.state.esps.iter().flat_map(|esp| {
        esp.blocking_apps
            .iter()
            .map(move |app| (&esp.meta, "blockingApps", "app", app))
    });
    let apps = cx.state.device_preparation.iter().flat_map(|dpp| {
        dpp.allowed_apps
            .iter()
            .map(move |app| (&dpp.meta, "allowedApps", "app", app))
    });
    let scripts = cx.state.device_preparation.iter().flat_map(|dpp| {
        dpp.allowed_scripts
            .iter()
            .map(move |script| (&dpp.meta, "allowedScripts", "script", script))
    });
    for (meta, field, what, reference) in esps.chain(apps).chain(scripts) {
        if let Some(problem) = reference_problem(&reference.value) {
            out.push(diag(
                &rules::REFERENCE_APP,
                reference.span,
                format!(
                    "{what} reference {} in `{field}` of `{}` {problem}",
                    shown(&reference.value),
                    meta.name.value
                ),
            ));
        }
    }
}

/// The value as a message shows it: in backticks, or described when there is nothing to see.
fn shown(value: &str) -> String {
    if value.is_empty() {
        "`\"\"`".to_owned()
    } else {
        format!("`{}`", value.escape_debug())
    }
}

/// Why an app or script reference is neither a GUID nor a name, if it is not. A name is anything
/// else; whether it names an app of the tenant is not known offline.
pub(crate) fn reference_problem(value: &str) -> Option<&'static str> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Some(if value.is_empty() { "is empty" } else { "is blank" });
    }
    let inner = trimmed
        .strip_prefix('{')
        .and_then(|text| text.strip_suffix('}'))
        .unwrap_or(trimmed);
    if is_guid(inner) {
        return (inner != value)
            .then_some("is a GUID with braces or spaces around it: write the 36 characters alone");
    }
    let hex_digits = inner.bytes().filter(u8::is_ascii_hexdigit).count();
    let only_hex_and_hyphens = inner.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
    let looks_like_guid =
        only_hex_and_hyphens && (hex_digits >= 20 || (inner.contains('-') && hex_digits >= 12));
    looks_like_guid.then_some(
        "looks like a GUID but is not one (8-4-4-4-12 hex digits): a character is missing, extra or mistyped",
    )
}

/// A Device Preparation policy names its device group.
pub(super) fn device_preparation_groups(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for dpp in &cx.state.device_preparation {
        if dpp.device_group.is_none() {
            out.push(diag(
                &rules::DPP_NO_DEVICE_GROUP,
                dpp.meta.kind_span,
                format!(
                    "Device Preparation policy `{}` has no `deviceGroup`",
                    dpp.meta.name.value
                ),
            ));
        }
    }
}

/// Personal devices blocked while Device Preparation provisions devices: corporate identifiers,
/// which hangar does not manage, decide whether those devices may enroll.
pub(super) fn personal_devices_blocked(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(dpp) = cx.state.device_preparation.first() else {
        return;
    };
    for restriction in &cx.state.restrictions {
        let blocked = &restriction.windows.personal_devices_blocked;
        if !blocked.value {
            continue;
        }
        let policies = if cx.state.device_preparation.len() == 1 {
            format!("Device Preparation policy `{}`", dpp.meta.name.value)
        } else {
            format!(
                "{} Device Preparation policies",
                cx.state.device_preparation.len()
            )
        };
        out.push(
            diag(
                &rules::DPP_PERSONAL_DEVICES_BLOCKED,
                blocked.span,
                format!(
                    "restriction `{}` blocks personally owned Windows devices, and {policies} provisions devices that are not Autopilot-registered: each needs a corporate identifier in Intune before it is deployed, or its enrollment is blocked (hangar cannot check corporate identifiers)",
                    restriction.meta.name.value
                ),
            )
            .with_label(dpp.meta.kind_span, "Device Preparation"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags() {
        for good in [
            "en-US",
            "en",
            "fr-CA",
            "sr-Latn-RS",
            "zh-Hans-CN",
            "es-419",
            "de-DE-1996",
            "en-US-x-twain",
            "EN-us",
            "zh-yue-HK",
        ] {
            assert_eq!(language_tag(good), Ok(()), "{good}");
        }
        for bad in [
            "", "en_US", "english", "e", "en-", "-US", "en--US", "en-USA1", "en US", "12-US", "en-x", "en-a",
            "fr-CA-",
        ] {
            assert!(language_tag(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn app_references() {
        assert_eq!(reference_problem("3d5f7a91-0c2e-4b6d-8a14-9e7c5b3f1d20"), None);
        assert_eq!(reference_problem("Company Portal"), None);
        assert_eq!(reference_problem("7-Zip 23.01"), None);
        assert_eq!(reference_problem("ADD"), None);
        assert_eq!(reference_problem(""), Some("is empty"));
        assert_eq!(reference_problem("   "), Some("is blank"));
        assert!(reference_problem("{3d5f7a91-0c2e-4b6d-8a14-9e7c5b3f1d20}").is_some());
        assert!(reference_problem(" 3d5f7a91-0c2e-4b6d-8a14-9e7c5b3f1d20").is_some());
        assert!(reference_problem("3d5f7a91-0c2e-4b6d-8a14-9e7c5b3f1d2").is_some());
        assert!(reference_problem("3d5f7a910c2e4b6d8a149e7c5b3f1d20").is_some());
        assert!(reference_problem("3d5f7a91-0c2e-4b6d-8a14").is_some());
    }
}
