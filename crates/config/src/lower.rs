//! Stage 2: wire types → model. Applies defaults, parses small value formats, resolves names
//! to ids, and reports unresolved references and duplicate names.

use std::collections::HashMap;
use std::path::Path;

use hangar_model::Kind;

use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::fields::{self, FieldInfo, Table};
use crate::load::{Doc, DocAt, Documents};
use crate::model::*;
use crate::rules;
use crate::span::{SourceMap, Span, Spanned};
use crate::wire::{self, Sp};

/// Everything lowered, before the rules run. `tenant` is `None` when the directory has none.
#[derive(Debug, Default)]
pub(crate) struct Lowered {
    pub tenant: Option<Tenant>,
    pub groups: Vec<DeviceGroup>,
    pub profiles: Vec<DeploymentProfile>,
    pub esps: Vec<EnrollmentStatusPage>,
    pub device_preparation: Vec<DevicePreparationPolicy>,
    pub domain_joins: Vec<DomainJoinProfile>,
    pub restrictions: Vec<EnrollmentRestriction>,
    pub device_lists: Vec<AutopilotDevices>,
}

struct Lowerer<'a> {
    sources: &'a SourceMap,
    diagnostics: &'a mut Vec<Diagnostic>,
    group_names: HashMap<String, GroupId>,
}

/// Lowers every document.
pub(crate) fn lower(documents: Documents, sources: &SourceMap, diagnostics: &mut Vec<Diagnostic>) -> Lowered {
    let mut out = Lowered::default();
    let mut lowerer = Lowerer {
        sources,
        diagnostics,
        group_names: HashMap::new(),
    };

    lowerer.tenants(documents.tenants, &mut out);

    for doc in documents.groups {
        let group = lowerer.group(doc);
        let id = GroupId(out.groups.len() as u32);
        if lowerer.unique_name(
            Kind::DeviceGroup.name(),
            &group.meta.name,
            out.groups.iter().map(|g| &g.meta.name),
        ) {
            lowerer.group_names.insert(group.meta.name.value.clone(), id);
        }
        out.groups.push(group);
    }
    for doc in documents.profiles {
        let profile = lowerer.profile(doc);
        lowerer.unique_name(
            Kind::DeploymentProfile.name(),
            &profile.meta.name,
            out.profiles.iter().map(|p| &p.meta.name),
        );
        out.profiles.push(profile);
    }
    for doc in documents.esps {
        let esp = lowerer.esp(doc);
        lowerer.unique_name(
            Kind::EnrollmentStatusPage.name(),
            &esp.meta.name,
            out.esps.iter().map(|e| &e.meta.name),
        );
        out.esps.push(esp);
    }
    for doc in documents.dpps {
        let dpp = lowerer.dpp(doc);
        let names = out.device_preparation.iter().map(|d| &d.meta.name);
        lowerer.unique_name(Kind::DevicePreparationPolicy.name(), &dpp.meta.name, names);
        out.device_preparation.push(dpp);
    }
    for doc in documents.domain_joins {
        let profile = lowerer.domain_join(doc);
        let names = out.domain_joins.iter().map(|d| &d.meta.name);
        lowerer.unique_name(Kind::DomainJoinProfile.name(), &profile.meta.name, names);
        out.domain_joins.push(profile);
    }
    for doc in documents.restrictions {
        let restriction = lowerer.restriction(doc);
        let names = out.restrictions.iter().map(|r| &r.meta.name);
        lowerer.unique_name(Kind::EnrollmentRestriction.name(), &restriction.meta.name, names);
        out.restrictions.push(restriction);
    }
    for doc in documents.device_lists {
        let list = lowerer.device_list(doc);
        lowerer.unique_name(
            "AutopilotDevices",
            &list.name,
            out.device_lists.iter().map(|l| &l.name),
        );
        out.device_lists.push(list);
    }
    out
}

/// A field's row. Rows are static: one missing is a bug, caught by every test that lowers the
/// kind.
fn row<T>(table: &Table<T>, yaml: &str) -> &'static FieldInfo {
    table
        .field(yaml)
        .expect("every lowered field has a row in `fields` (fields::tests)")
}

fn sp<T: Clone>(at: DocAt, value: &Sp<T>) -> Spanned<T> {
    Spanned::new(value.value().clone(), at.of(value))
}

fn or<T: Clone>(at: DocAt, value: &Option<Sp<T>>, default: T, kind_span: Span) -> Spanned<T> {
    match value {
        Some(value) => sp(at, value),
        None => Spanned::new(default, kind_span),
    }
}

fn opt<T: Clone>(at: DocAt, value: &Option<Sp<T>>) -> Option<Spanned<T>> {
    value.as_ref().map(|value| sp(at, value))
}

fn list<T: Clone>(at: DocAt, values: &[Sp<T>]) -> Vec<Spanned<T>> {
    values.iter().map(|value| sp(at, value)).collect()
}

impl Lowerer<'_> {
    #[allow(clippy::too_many_arguments)] // the common fields of a wire document, one by one
    fn meta(
        &mut self,
        at: DocAt,
        kind: &Sp<String>,
        name: &Sp<String>,
        id: &Option<Sp<String>>,
        renamed_from: &Option<Sp<String>>,
        description: &Option<Sp<String>>,
        scope_tags: Option<&Vec<Sp<String>>>,
        max_name: usize,
    ) -> Meta {
        let kind_span = at.of(kind);
        let name = sp(at, name);
        let length = name.value.chars().count();
        if name.value.trim().is_empty() || length > max_name {
            self.diagnostics.push(
                Diagnostic::new(
                    &rules::NAME_INVALID,
                    name.span,
                    if length > max_name {
                        format!(
                            "name `{}` is {length} characters; at most {max_name} are allowed",
                            name.value
                        )
                    } else {
                        "name is empty".to_owned()
                    },
                )
                .with_help(rules::NAME_INVALID.fix),
            );
        }
        let scope_tags = scope_tags.map(|tags| list(at, tags));
        let renamed_from = opt(at, renamed_from);
        if let Some(old) = &renamed_from
            && old.value == name.value
        {
            self.diagnostics.push(
                Diagnostic::new(
                    &rules::NAME_RENAMED_FROM,
                    old.span,
                    format!(
                        "`renamedFrom: {}` is the document's own name; write the name the object had before, or remove `renamedFrom` once the rename is applied",
                        old.value
                    ),
                )
                .with_help(rules::NAME_RENAMED_FROM.fix),
            );
        }
        Meta {
            name,
            id: opt(at, id),
            renamed_from,
            description: opt(at, description),
            scope_tags,
            document: at.whole(),
            kind_span,
        }
    }

    /// Records a duplicate-name diagnostic; returns whether the name was new.
    fn unique_name<'n>(
        &mut self,
        kind: &str,
        name: &Spanned<String>,
        earlier: impl Iterator<Item = &'n Spanned<String>>,
    ) -> bool {
        let mut earlier = earlier;
        match earlier.find(|other| other.value == name.value) {
            Some(first) => {
                // In a tenant that includes bases, the two are often in different files: name
                // the other one in the message itself, not only in a label.
                let elsewhere = if first.span.file == name.span.file {
                    String::new()
                } else {
                    format!(" (the other is in `{}`)", self.sources.file(first.span.file).name)
                };
                self.diagnostics.push(
                    Diagnostic::new(
                        &rules::NAME_DUPLICATE,
                        name.span,
                        format!("two `{kind}` documents are named `{}`{elsewhere}", name.value),
                    )
                    .with_label(first.span, "first defined here")
                    .with_help(rules::NAME_DUPLICATE.fix),
                );
                false
            }
            None => true,
        }
    }

    fn tenants(&mut self, docs: Vec<Doc<wire::Tenant>>, out: &mut Lowered) {
        for Doc { body, at } in docs {
            let kind_span = at.of(&body.kind);
            if let Some(first) = &out.tenant {
                self.diagnostics.push(
                    Diagnostic::new(&rules::TENANT_DUPLICATE, kind_span, "a second `Tenant` document")
                        .with_label(first.document, "the first `Tenant` document")
                        .with_help(rules::TENANT_DUPLICATE.fix),
                );
                continue;
            }
            let tenant_id = sp(at, &body.tenant_id);
            if !is_guid(&tenant_id.value) && !is_domain(&tenant_id.value) {
                self.diagnostics.push(
                    Diagnostic::new(
                        &rules::TENANT_ID,
                        tenant_id.span,
                        format!("`{}` is not a tenant id", tenant_id.value),
                    )
                    .with_help(rules::TENANT_ID.fix),
                );
            }
            let prune = match &body.prune {
                Some(prune) => {
                    let prune = prune.value();
                    Prune {
                        enabled: or(
                            at,
                            &prune.enabled,
                            row(&fields::TENANT, "prune.enabled").bool_default(),
                            kind_span,
                        ),
                        only: prune
                            .only
                            .iter()
                            .filter_map(|pattern| self.prune_pattern(at, pattern))
                            .collect(),
                        max_deletes: or(
                            at,
                            &prune.max_deletes,
                            row(&fields::TENANT, "prune.maxDeletes").u32_default(),
                            kind_span,
                        ),
                    }
                }
                None => Prune {
                    enabled: Spanned::new(row(&fields::TENANT, "prune.enabled").bool_default(), kind_span),
                    only: Vec::new(),
                    max_deletes: Spanned::new(
                        row(&fields::TENANT, "prune.maxDeletes").u32_default(),
                        kind_span,
                    ),
                },
            };
            out.tenant = Some(Tenant {
                name: sp(at, &body.name),
                cloud: sp(at, &body.cloud),
                tenant_id,
                prune,
                include: Vec::new(),
                document: at.whole(),
            });
        }
    }

    fn prune_pattern(&mut self, at: DocAt, pattern: &Sp<String>) -> Option<PrunePattern> {
        let span = at.of(pattern);
        let text = pattern.value();
        let problem = match text.split_once('/') {
            Some((kind, glob)) => match Kind::from_name(kind) {
                // `AutopilotDevice/<serial glob>`: registered devices in no CSV (issue 7).
                Some(kind) => match globset::Glob::new(glob) {
                    Ok(_) => {
                        return Some(PrunePattern {
                            kind,
                            glob: glob.to_owned(),
                            span,
                        });
                    }
                    Err(error) => format!("`{text}` is not a valid glob: {}", error.kind()),
                },
                None => {
                    let kinds = Kind::ALL.iter().map(|kind| kind.name());
                    match did_you_mean(kind, kinds) {
                        Some(suggestion) => {
                            format!("unknown kind `{kind}` in `{text}` (did you mean `{suggestion}`?)")
                        }
                        None => format!("unknown kind `{kind}` in `{text}`"),
                    }
                }
            },
            None => format!("`{text}` is not `Kind/glob`"),
        };
        self.diagnostics.push(
            Diagnostic::new(&rules::TENANT_PRUNE_PATTERN, span, problem)
                .with_help(rules::TENANT_PRUNE_PATTERN.fix),
        );
        None
    }

    fn group(&mut self, Doc { body, at }: Doc<wire::DeviceGroup>) -> DeviceGroup {
        let meta = self.meta(
            at,
            &body.kind,
            &body.name,
            &body.id,
            &body.renamed_from,
            &body.description,
            None,
            256,
        );
        let external = body
            .external
            .as_ref()
            .filter(|external| *external.value())
            .map(|external| at.of(external));
        let membership = match (&body.membership, external) {
            (Some(membership), None) => Spanned::new(
                match membership.value() {
                    wire::Membership::GroupTag(tag) => Membership::GroupTag(sp(at, tag)),
                    wire::Membership::Rule(rule) => Membership::Rule(sp(at, rule)),
                    wire::Membership::Assigned => Membership::Assigned,
                },
                at.of(membership),
            ),
            // An external group's membership is not hangar's: it is never written, and routing
            // reads the live group's rule (the plan's impact) instead of guessing one.
            (None, Some(span)) => Spanned::new(Membership::Assigned, span),
            (Some(membership), Some(_)) => {
                self.diagnostics.push(
                    Diagnostic::new(
                        &rules::GROUP_EXTERNAL,
                        at.of(membership),
                        "an `external: true` group's membership belongs to whoever manages the group: hangar never writes it",
                    )
                    .with_help(rules::GROUP_EXTERNAL.fix),
                );
                Spanned::new(Membership::Assigned, at.of(membership))
            }
            (None, None) => {
                self.diagnostics.push(
                    Diagnostic::new(
                        &rules::YAML_MISSING_FIELD,
                        meta.kind_span,
                        "missing field `membership` (or `external: true` for a group hangar matches by name but never changes)",
                    )
                    .with_help(rules::YAML_MISSING_FIELD.fix),
                );
                Spanned::new(Membership::Assigned, meta.kind_span)
            }
        };
        if external.is_some()
            && let Some(owner) = body.owners.first()
        {
            self.diagnostics.push(
                Diagnostic::new(
                    &rules::GROUP_EXTERNAL,
                    at.of(owner),
                    "an `external: true` group's owners belong to whoever manages the group: hangar never writes them",
                )
                .with_help(rules::GROUP_EXTERNAL.fix),
            );
        }
        let mut owners = Vec::new();
        for owner in &body.owners {
            let span = at.of(owner);
            let text = owner.value().trim();
            if text == "intune-provisioning-client" {
                owners.push(Spanned::new(Owner::IntuneProvisioningClient, span));
            } else if is_guid(text) {
                owners.push(Spanned::new(Owner::ObjectId(text.to_ascii_lowercase()), span));
            } else {
                let mut diagnostic = Diagnostic::new(
                    &rules::GROUP_OWNER,
                    span,
                    format!("owner `{text}` is not an object id"),
                );
                diagnostic = match did_you_mean(text, ["intune-provisioning-client"]) {
                    Some(suggestion) => diagnostic.with_help(format!("did you mean `{suggestion}`?")),
                    None => diagnostic.with_help(rules::GROUP_OWNER.fix),
                };
                self.diagnostics.push(diagnostic);
            }
        }
        DeviceGroup {
            meta,
            membership,
            owners: if external.is_some() { Vec::new() } else { owners },
            external,
        }
    }

    fn group_ref(&mut self, at: DocAt, name: &Sp<String>) -> Option<Spanned<GroupId>> {
        self.group_named(name.value(), at.of(name))
    }

    fn group_named(&mut self, name: &str, span: Span) -> Option<Spanned<GroupId>> {
        if let Some(&id) = self.group_names.get(name) {
            return Some(Spanned::new(id, span));
        }
        let mut diagnostic = Diagnostic::new(
            &rules::REFERENCE_UNRESOLVED,
            span,
            format!("no `DeviceGroup` is named `{name}`"),
        );
        diagnostic = match did_you_mean(name, self.group_names.keys().map(String::as_str)) {
            Some(suggestion) => diagnostic.with_help(format!("did you mean `{suggestion}`?")),
            None => diagnostic.with_help(rules::REFERENCE_UNRESOLVED.fix),
        };
        self.diagnostics.push(diagnostic);
        None
    }

    fn assign(&mut self, at: DocAt, assign: &Option<Sp<wire::Assign>>) -> Assignments {
        let Some(assign) = assign else {
            return Assignments::default();
        };
        let assign = assign.value();
        let mut out = Assignments::default();
        for entry in &assign.include {
            let span = at.of(entry);
            let included = entry.value();
            let target = match included.target.as_str() {
                "all-devices" => Some(Spanned::new(Target::AllDevices, span)),
                "all-users" => Some(Spanned::new(Target::AllUsers, span)),
                name => self.group_named(name, span).map(|group| group.map(Target::Group)),
            };
            let Some(target) = target else { continue };
            if let Some(filter) = &included.filter {
                let mode = match &included.filter_mode {
                    Some(mode) => sp(at, mode).map(|mode| match mode {
                        wire::FilterMode::Include => hangar_model::FilterMode::Include,
                        wire::FilterMode::Exclude => hangar_model::FilterMode::Exclude,
                    }),
                    None => Spanned::new(hangar_model::FilterMode::Include, at.of(filter)),
                };
                out.filters.push(IncludeFilter {
                    target: target.value,
                    name: sp(at, filter).map(|name| name.clone()),
                    mode,
                });
            }
            out.include.push(target);
        }
        for target in &assign.exclude {
            if let Some(group) = self.group_ref(at, target) {
                out.exclude.push(group);
            }
        }
        out
    }

    fn profile(&mut self, Doc { body, at }: Doc<wire::DeploymentProfile>) -> DeploymentProfile {
        let meta = self.meta(
            at,
            &body.kind,
            &body.name,
            &body.id,
            &body.renamed_from,
            &body.description,
            body.scope_tags.as_ref(),
            200,
        );
        let k = meta.kind_span;
        let mode = sp(at, &body.mode).map(|mode| match mode {
            wire::Mode::UserDriven => DeploymentMode::UserDriven,
            wire::Mode::SelfDeploying => DeploymentMode::SelfDeploying,
        });
        let oobe = body.oobe.as_ref().map(|oobe| oobe.value());
        let table = &fields::DEPLOYMENT_PROFILE;
        let user_type = match oobe.and_then(|oobe| oobe.user_type.as_ref()) {
            Some(user_type) => Some(sp(at, user_type).map(user_type_of)),
            None if mode.value == DeploymentMode::UserDriven => {
                let default = match row(table, "oobe.userType").text_default() {
                    "administrator" => UserType::Administrator,
                    _ => UserType::Standard,
                };
                Some(Spanned::new(default, k))
            }
            None => None,
        };
        let flag = |value: Option<&Option<Sp<bool>>>, yaml: &str| {
            let default = row(table, yaml).bool_default();
            match value {
                Some(value) => or(at, value, default, k),
                None => Spanned::new(default, k),
            }
        };
        DeploymentProfile {
            join: sp(at, &body.join).map(|join| match join {
                wire::Join::Entra => JoinType::Entra,
                wire::Join::Hybrid => JoinType::Hybrid,
            }),
            mode,
            pre_provisioning: or(
                at,
                &body.pre_provisioning,
                row(table, "preProvisioning").bool_default(),
                k,
            ),
            device_type: match &body.device_type {
                Some(device_type) => sp(at, device_type).map(|device_type| match device_type {
                    wire::DeviceType::WindowsPc => DeviceType::WindowsPc,
                    wire::DeviceType::HoloLens => DeviceType::HoloLens,
                    wire::DeviceType::SurfaceHub2 => DeviceType::SurfaceHub2,
                    wire::DeviceType::SurfaceHub2S => DeviceType::SurfaceHub2S,
                    wire::DeviceType::VirtualMachine => DeviceType::VirtualMachine,
                }),
                None => Spanned::new(
                    [
                        DeviceType::WindowsPc,
                        DeviceType::HoloLens,
                        DeviceType::SurfaceHub2,
                        DeviceType::SurfaceHub2S,
                        DeviceType::VirtualMachine,
                    ]
                    .into_iter()
                    .find(|t| t.yaml() == row(table, "deviceType").text_default())
                    .unwrap_or(DeviceType::WindowsPc),
                    k,
                ),
            },
            device_name: opt(at, &body.device_name),
            locale: or(
                at,
                &body.locale,
                row(table, "locale").text_default().to_owned(),
                k,
            ),
            convert_targeted_devices: or(
                at,
                &body.convert_targeted_devices,
                row(table, "convertTargetedDevices").bool_default(),
                k,
            ),
            skip_domain_connectivity_check: or(
                at,
                &body.skip_domain_connectivity_check,
                row(table, "skipDomainConnectivityCheck").bool_default(),
                k,
            ),
            oobe: Oobe {
                hide_license_terms: flag(oobe.map(|o| &o.hide_license_terms), "oobe.hideLicenseTerms"),
                hide_privacy_settings: flag(
                    oobe.map(|o| &o.hide_privacy_settings),
                    "oobe.hidePrivacySettings",
                ),
                hide_change_account_options: flag(
                    oobe.map(|o| &o.hide_change_account_options),
                    "oobe.hideChangeAccountOptions",
                ),
                user_type,
                skip_keyboard_selection: flag(
                    oobe.map(|o| &o.skip_keyboard_selection),
                    "oobe.skipKeyboardSelection",
                ),
            },
            assign: self.assign(at, &body.assign),
            meta,
        }
    }

    fn esp(&mut self, Doc { body, at }: Doc<wire::EnrollmentStatusPage>) -> EnrollmentStatusPage {
        let meta = self.meta(
            at,
            &body.kind,
            &body.name,
            &body.id,
            &body.renamed_from,
            &body.description,
            body.scope_tags.as_ref(),
            200,
        );
        let k = meta.kind_span;
        let table = &fields::ENROLLMENT_STATUS_PAGE;
        let flag = |value: &Option<Sp<bool>>, yaml: &str| or(at, value, row(table, yaml).bool_default(), k);
        EnrollmentStatusPage {
            builtin: meta.name.value == "default",
            priority: opt(at, &body.priority),
            show_progress: flag(&body.show_progress, "showProgress"),
            block_device_use: flag(&body.block_device_use, "blockDeviceUse"),
            allow_reset: flag(&body.allow_reset, "allowReset"),
            allow_use_on_error: flag(&body.allow_use_on_error, "allowUseOnError"),
            timeout_minutes: or(
                at,
                &body.timeout_minutes,
                row(table, "timeoutMinutes").u32_default(),
                k,
            ),
            collect_logs: flag(&body.collect_logs, "collectLogs"),
            only_autopilot: flag(&body.only_autopilot, "onlyAutopilot"),
            error_message: or(
                at,
                &body.error_message,
                row(table, "errorMessage").text_default().to_owned(),
                k,
            ),
            blocking_apps: list(at, &body.blocking_apps),
            allow_non_blocking_apps: flag(&body.allow_non_blocking_apps, "allowNonBlockingApps"),
            skip_user_status_after_first_user: flag(
                &body.skip_user_status_after_first_user,
                "skipUserStatusAfterFirstUser",
            ),
            install_quality_updates: flag(&body.install_quality_updates, "installQualityUpdates"),
            assign: self.assign(at, &body.assign),
            meta,
        }
    }

    fn dpp(&mut self, Doc { body, at }: Doc<wire::DevicePreparationPolicy>) -> DevicePreparationPolicy {
        let meta = self.meta(
            at,
            &body.kind,
            &body.name,
            &body.id,
            &body.renamed_from,
            &body.description,
            body.scope_tags.as_ref(),
            200,
        );
        let k = meta.kind_span;
        let table = &fields::DEVICE_PREPARATION;
        if let Some(join) = &body.join
            && matches!(join.value(), wire::DppJoin::Hybrid)
        {
            self.diagnostics.push(
                Diagnostic::new(
                    &rules::DPP_ENTRA_ONLY,
                    at.of(join),
                    "Device Preparation does not support hybrid join",
                )
                .with_help(rules::DPP_ENTRA_ONLY.fix),
            );
        }
        let device_group = body
            .device_group
            .as_ref()
            .and_then(|name| self.group_ref(at, name));
        let user_groups = body
            .user_groups
            .iter()
            .filter_map(|name| self.group_ref(at, name))
            .collect();
        DevicePreparationPolicy {
            mode: match &body.mode {
                Some(mode) => sp(at, mode).map(|mode| match mode {
                    wire::DppMode::UserDriven => DppMode::UserDriven,
                    wire::DppMode::Automatic => DppMode::Automatic,
                }),
                None => Spanned::new(
                    match row(table, "mode").text_default() {
                        "automatic" => DppMode::Automatic,
                        _ => DppMode::UserDriven,
                    },
                    k,
                ),
            },
            device_group,
            user_groups,
            account_type: match &body.account_type {
                Some(account) => sp(at, account).map(|account| match account {
                    wire::UserType::Standard => AccountType::Standard,
                    wire::UserType::Administrator => AccountType::Administrator,
                }),
                None => Spanned::new(
                    match row(table, "accountType").text_default() {
                        "administrator" => AccountType::Administrator,
                        _ => AccountType::Standard,
                    },
                    k,
                ),
            },
            timeout_minutes: or(
                at,
                &body.timeout_minutes,
                row(table, "timeoutMinutes").u32_default(),
                k,
            ),
            error_message: opt(at, &body.error_message),
            allow_skip: or(at, &body.allow_skip, row(table, "allowSkip").bool_default(), k),
            allow_diagnostics: or(
                at,
                &body.allow_diagnostics,
                row(table, "allowDiagnostics").bool_default(),
                k,
            ),
            allowed_apps: list(at, &body.allowed_apps),
            allowed_scripts: list(at, &body.allowed_scripts),
            meta,
        }
    }

    fn domain_join(&mut self, Doc { body, at }: Doc<wire::DomainJoinProfile>) -> DomainJoinProfile {
        let meta = self.meta(
            at,
            &body.kind,
            &body.name,
            &body.id,
            &body.renamed_from,
            &body.description,
            body.scope_tags.as_ref(),
            200,
        );
        DomainJoinProfile {
            domain: sp(at, &body.domain),
            ou: opt(at, &body.ou),
            computer_name_prefix: sp(at, &body.computer_name_prefix),
            random_chars: sp(at, &body.random_chars),
            assign: self.assign(at, &body.assign),
            meta,
        }
    }

    fn restriction(&mut self, Doc { body, at }: Doc<wire::EnrollmentRestriction>) -> EnrollmentRestriction {
        let meta = self.meta(
            at,
            &body.kind,
            &body.name,
            &body.id,
            &body.renamed_from,
            &body.description,
            body.scope_tags.as_ref(),
            200,
        );
        let k = meta.kind_span;
        let windows = body.windows.value();
        EnrollmentRestriction {
            builtin: meta.name.value == "default",
            priority: opt(at, &body.priority),
            windows: WindowsRestriction {
                personal_devices_blocked: or(
                    at,
                    &windows.personal_devices_blocked,
                    row(&fields::ENROLLMENT_RESTRICTION, "windows.personalDevicesBlocked").bool_default(),
                    k,
                ),
                platform_blocked: or(
                    at,
                    &windows.platform_blocked,
                    row(&fields::ENROLLMENT_RESTRICTION, "windows.platformBlocked").bool_default(),
                    k,
                ),
                os_minimum: opt(at, &windows.os_minimum),
                os_maximum: opt(at, &windows.os_maximum),
                blocked_manufacturers: list(at, &windows.blocked_manufacturers),
                blocked_skus: list(at, &windows.blocked_skus),
            },
            assign: self.assign(at, &body.assign),
            meta,
        }
    }

    fn device_list(&mut self, Doc { body, at }: Doc<wire::AutopilotDevices>) -> AutopilotDevices {
        let source = sp(at, &body.source);
        let yaml_dir = self
            .sources
            .file(at.file)
            .path
            .parent()
            .map(Path::to_owned)
            .unwrap_or_default();
        AutopilotDevices {
            name: sp(at, &body.name),
            path: yaml_dir.join(&source.value),
            source,
            group_tag: opt(at, &body.group_tag),
            document: at.whole(),
        }
    }
}

fn user_type_of(user_type: wire::UserType) -> UserType {
    match user_type {
        wire::UserType::Standard => UserType::Standard,
        wire::UserType::Administrator => UserType::Administrator,
    }
}

/// Whether `text` is a GUID (8-4-4-4-12 hex digits).
pub(crate) fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether `text` is a DNS domain name: dot-separated labels of ASCII letters, digits and hyphens.
pub(crate) fn is_domain(text: &str) -> bool {
    text.contains('.')
        && text
            .split('.')
            .all(|label| !label.is_empty() && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}
