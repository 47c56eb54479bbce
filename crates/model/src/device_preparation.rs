//! Device Preparation values read from the tenant: which policy template to create policies
//! from, and which choice option (`itemId`) means what.
//!
//! Public sources disagree on what `enrollment_autopilot_dpp_accountype_0` means
//! (graph-api-notes §5: the Terraform provider's docs say Administrator, its examples and tests
//! say Standard user, others the reverse), and a wrong guess makes every provisioning user a
//! local administrator. So hangar never writes a choice value by position: `hangar-graph` reads
//! the tenant's Device Preparation policy templates with their setting templates and setting
//! definitions ([`PolicyTemplate`], kept in [`crate::LiveState::device_preparation_templates`]),
//! and [`Catalog`] picks each value by the *meaning* of the option's display name
//! ([`Meaning`]: "Standard User", "Administrator", "User-driven", "Yes", …), compared without
//! case, spacing, punctuation or a parenthesised note, with known synonyms. An option that is
//! missing, or two options with one meaning, is a [`CatalogError`]: the plan stops rather than
//! guess. [`Catalog::meaning_of`] is the reverse (a live value → its meaning → YAML), for
//! `hangar import`.
//!
//! Templates are told apart by their settings, not by id or display name (both vary with the
//! template version): a template is a Device Preparation template when it has the deployment
//! mode setting, and a user-driven one when it also has the account type setting (the automatic,
//! Windows 365 template has no user-facing setup settings: no account type, join type, skip or
//! diagnostics). Among several templates of one mode, an `active` one with the highest version
//! is used for new policies; an existing policy keeps its template while it is one of the
//! tenant's templates of the same mode (the template id is create-only, so a newer template
//! version must not replace every policy).

use serde::{Deserialize, Serialize};

use crate::well_known::device_preparation as ids;

/// A Device Preparation policy template of the tenant (`configurationPolicyTemplate`), with
/// its setting templates and their definitions.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyTemplate {
    /// `id`: base id and version, e.g. `80d33118-b7b4-40d8-b15f-81be745e053f_1`. This is what
    /// a policy's `templateReference.templateId` names.
    pub id: String,
    /// `displayName` (for messages).
    pub display_name: String,
    /// `version`, when Graph returned it (else the number after the last `_` of the id).
    pub version: Option<i64>,
    /// `lifecycleState` (`active`, `draft`, `superseded`, `deprecated`, `retired`, …).
    pub lifecycle_state: Option<String>,
    /// `templateFamily` (`enrollmentConfiguration` for Device Preparation).
    pub template_family: String,
    /// Its setting templates.
    pub settings: Vec<SettingTemplate>,
}

/// One setting of a template (`deviceManagementConfigurationSettingTemplate`): its instance
/// template and its definition.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingTemplate {
    /// `settingInstanceTemplate.settingDefinitionId`.
    pub definition_id: String,
    /// `settingInstanceTemplate.settingInstanceTemplateId`.
    pub instance_template_id: String,
    /// `settingValueTemplateId` of the instance template's value template, when it has one.
    pub value_template_id: Option<String>,
    /// The definition's `displayName` (for messages).
    pub display_name: String,
    /// The definition's `options`, for a choice setting.
    pub options: Vec<ChoiceOption>,
}

/// One option of a choice setting definition (`deviceManagementConfigurationOptionDefinition`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChoiceOption {
    /// `itemId`: the value a policy's `choiceSettingValue.value` holds.
    pub item_id: String,
    /// `displayName`: what the admin center shows, which carries the meaning.
    pub display_name: String,
    /// `name`, when Graph returned one (matched like the display name).
    pub name: Option<String>,
}

/// The two kinds of Device Preparation policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DppMode {
    /// User-driven (the user signs in during setup).
    UserDriven,
    /// Automatic (Windows 365 Cloud PCs).
    Automatic,
}

impl DppMode {
    /// The YAML value (`mode:`).
    pub fn yaml(self) -> &'static str {
        match self {
            DppMode::UserDriven => "user-driven",
            DppMode::Automatic => "automatic",
        }
    }
}

/// What a choice option means, whatever its `itemId`: the values hangar writes or reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Meaning {
    /// Deployment mode "User-driven" (YAML `mode: user-driven`).
    UserDriven,
    /// Deployment mode "Automatic" (YAML `mode: automatic`).
    Automatic,
    /// Deployment type "Single user" (implied by user-driven; no YAML field).
    SingleUser,
    /// Join type "Microsoft Entra joined" (YAML `join: entra`, the only join Device
    /// Preparation supports).
    EntraJoined,
    /// Account type "Standard User" (YAML `accountType: standard`).
    StandardUser,
    /// Account type "Administrator" (YAML `accountType: administrator`).
    Administrator,
    /// "Yes" of a switch (YAML `true`).
    Yes,
    /// "No" of a switch (YAML `false`).
    No,
}

/// Each meaning: how it is shown, the option names that carry it (normalised: lower case,
/// letters and digits only, a parenthesised note dropped), and its YAML value.
const MEANINGS: &[(Meaning, &str, &[&str], Option<&str>)] = &[
    (
        Meaning::UserDriven,
        "User-driven",
        &["userdriven"],
        Some("user-driven"),
    ),
    (Meaning::Automatic, "Automatic", &["automatic"], Some("automatic")),
    (
        Meaning::SingleUser,
        "Single user",
        &["singleuser", "singleuserdevice", "userdriven"],
        None,
    ),
    (
        Meaning::EntraJoined,
        "Microsoft Entra joined",
        &[
            "microsoftentrajoined",
            "entrajoined",
            "microsoftentraidjoined",
            "entraidjoined",
            "azureadjoined",
            "azureactivedirectoryjoined",
            "aadjoined",
        ],
        Some("entra"),
    ),
    (
        Meaning::StandardUser,
        "Standard User",
        &[
            "standarduser",
            "standard",
            "standardaccount",
            "standarduseraccount",
        ],
        Some("standard"),
    ),
    (
        Meaning::Administrator,
        "Administrator",
        &[
            "administrator",
            "admin",
            "localadministrator",
            "administratoraccount",
            "adminuser",
        ],
        Some("administrator"),
    ),
    (
        Meaning::Yes,
        "Yes",
        &[
            "yes", "true", "allow", "allowed", "enabled", "enable", "on", "show",
        ],
        Some("true"),
    ),
    (
        Meaning::No,
        "No",
        &[
            "no",
            "false",
            "block",
            "blocked",
            "notallowed",
            "disallow",
            "disabled",
            "disable",
            "off",
            "hide",
        ],
        Some("false"),
    ),
];

impl Meaning {
    fn row(
        self,
    ) -> &'static (
        Meaning,
        &'static str,
        &'static [&'static str],
        Option<&'static str>,
    ) {
        MEANINGS
            .iter()
            .find(|row| row.0 == self)
            .expect("every meaning has a row in MEANINGS (a test checks it)")
    }

    /// How the admin center says it (for messages).
    pub fn label(self) -> &'static str {
        self.row().1
    }

    /// The YAML value that means it (`standard`, `administrator`, `user-driven`, `automatic`,
    /// `entra`, `true`, `false`); `None` for single user, which no YAML field spells.
    pub fn yaml(self) -> Option<&'static str> {
        self.row().3
    }

    /// Whether an option's name (display name or `name`) means this.
    fn named_by(self, text: &str) -> bool {
        let key = normalise(text);
        !key.is_empty() && self.row().2.contains(&key.as_str())
    }
}

/// An option name as compared: a parenthesised note dropped (`Automatic (preview)`), then
/// lower case letters and digits only (`User-driven`, `user driven` and `USER_DRIVEN` agree).
fn normalise(text: &str) -> String {
    let mut depth = 0u32;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            c if depth == 0 && c.is_alphanumeric() => out.extend(c.to_lowercase()),
            _ => {}
        }
    }
    out
}

/// A choice setting hangar writes, with the meanings its options must include.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Choice {
    /// `enrollment_autopilot_dpp_deploymentmode`.
    DeploymentMode,
    /// `enrollment_autopilot_dpp_deploymenttype` (user-driven only).
    DeploymentType,
    /// `enrollment_autopilot_dpp_jointype` (user-driven only).
    JoinType,
    /// `enrollment_autopilot_dpp_accountype` (user-driven only).
    AccountType,
    /// `enrollment_autopilot_dpp_allowskip` (user-driven only).
    AllowSkip,
    /// `enrollment_autopilot_dpp_allowdiagnostics` (user-driven only).
    AllowDiagnostics,
}

impl Choice {
    /// Every choice setting, in the order policies list them.
    pub const ALL: [Choice; 6] = [
        Choice::DeploymentMode,
        Choice::DeploymentType,
        Choice::JoinType,
        Choice::AccountType,
        Choice::AllowSkip,
        Choice::AllowDiagnostics,
    ];

    /// The setting's row in [`crate::well_known::device_preparation`].
    pub fn setting(self) -> &'static ids::Setting {
        match self {
            Choice::DeploymentMode => &ids::DEPLOYMENT_MODE,
            Choice::DeploymentType => &ids::DEPLOYMENT_TYPE,
            Choice::JoinType => &ids::JOIN_TYPE,
            Choice::AccountType => &ids::ACCOUNT_TYPE,
            Choice::AllowSkip => &ids::ALLOW_SKIP,
            Choice::AllowDiagnostics => &ids::ALLOW_DIAGNOSTICS,
        }
    }

    /// The setting's definition id.
    pub fn definition_id(self) -> &'static str {
        self.setting().definition_id
    }

    /// The meanings its options can have.
    pub fn meanings(self) -> &'static [Meaning] {
        match self {
            Choice::DeploymentMode => &[Meaning::UserDriven, Meaning::Automatic],
            Choice::DeploymentType => &[Meaning::SingleUser],
            Choice::JoinType => &[Meaning::EntraJoined],
            Choice::AccountType => &[Meaning::StandardUser, Meaning::Administrator],
            Choice::AllowSkip | Choice::AllowDiagnostics => &[Meaning::Yes, Meaning::No],
        }
    }

    /// The choice setting with this definition id.
    pub fn of_definition(definition_id: &str) -> Option<Choice> {
        Choice::ALL
            .into_iter()
            .find(|choice| choice.definition_id().eq_ignore_ascii_case(definition_id))
    }
}

/// Why the tenant's Device Preparation definitions cannot give a value. The plan stops: hangar
/// never guesses a choice value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// The definitions were not read (the read scope did not ask for them).
    #[error("the tenant's Device Preparation setting definitions were not read (unknown is not absent)")]
    NotRead,
    /// No template of the mode.
    #[error(
        "the tenant has no {} Device Preparation policy template (none of its `enrollmentConfiguration` templates has the settings of one{}); hangar will not guess a template id: check that the tenant is licensed for Device Preparation",
        mode.yaml(),
        if found.is_empty() { String::new() } else { format!("; found: {}", found.join(", ")) }
    )]
    NoTemplate {
        /// The mode asked for.
        mode: DppMode,
        /// Templates read, as `` `id` "display name" ``.
        found: Vec<String>,
    },
    /// The template lacks a setting hangar writes.
    #[error(
        "the tenant's {} Device Preparation template `{template}` has no setting `{definition_id}`; hangar will not write a setting the template does not define",
        mode.yaml()
    )]
    NoSetting {
        /// The mode.
        mode: DppMode,
        /// The template id.
        template: String,
        /// The setting's definition id.
        definition_id: String,
    },
    /// No option of the definition has the meaning.
    #[error(
        "the tenant's definition of `{definition_id}` ({setting}) has no option meaning \"{}\" (its options: {}); hangar will not guess which value means it: check the setting in the admin center, and report the option names so hangar can learn them",
        meaning.label(),
        options_list(options)
    )]
    MissingOption {
        /// The setting's definition id.
        definition_id: String,
        /// The definition's display name.
        setting: String,
        /// The meaning asked for.
        meaning: Meaning,
        /// Every option, as `(itemId, displayName)`.
        options: Vec<(String, String)>,
    },
    /// Several options of the definition have the meaning.
    #[error(
        "the tenant's definition of `{definition_id}` ({setting}) has several options meaning \"{}\" ({}); hangar will not guess which one to write",
        meaning.label(),
        options_list(options)
    )]
    AmbiguousOption {
        /// The setting's definition id.
        definition_id: String,
        /// The definition's display name.
        setting: String,
        /// The meaning asked for.
        meaning: Meaning,
        /// The options that have it, as `(itemId, displayName)`.
        options: Vec<(String, String)>,
    },
}

fn options_list(options: &[(String, String)]) -> String {
    if options.is_empty() {
        return "none".to_owned();
    }
    options
        .iter()
        .map(|(id, name)| format!("`{id}` \"{name}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The tenant's Device Preparation templates, for looking values up by meaning.
#[derive(Debug, Clone, Copy)]
pub struct Catalog<'a> {
    templates: &'a [PolicyTemplate],
}

/// One template, resolved for a mode: its id, its settings' template ids, and its choice
/// options by meaning.
#[derive(Debug, Clone, Copy)]
pub struct Template<'a> {
    /// The mode it is for.
    pub mode: DppMode,
    /// The template.
    pub template: &'a PolicyTemplate,
}

impl<'a> Catalog<'a> {
    /// The catalog of `templates` (as read into [`crate::LiveState::device_preparation_templates`]).
    pub fn new(templates: &'a [PolicyTemplate]) -> Catalog<'a> {
        Catalog { templates }
    }

    /// The catalog of a live state; [`CatalogError::NotRead`] when the templates were not read.
    pub fn of(live: &'a crate::LiveState) -> Result<Catalog<'a>, CatalogError> {
        live.device_preparation_templates
            .as_deref()
            .map(Catalog::new)
            .ok_or(CatalogError::NotRead)
    }

    /// Every Device Preparation template of the tenant, with its mode.
    pub fn templates(&self) -> impl Iterator<Item = Template<'a>> + 'a {
        self.templates
            .iter()
            .filter_map(|template| mode_of(template).map(|mode| Template { mode, template }))
    }

    /// The template with this id (compared without case), if it is a Device Preparation
    /// template: how a live policy's `templateReference.templateId` is read.
    pub fn template(&self, template_id: &str) -> Option<Template<'a>> {
        self.templates()
            .find(|t| t.template.id.eq_ignore_ascii_case(template_id))
    }

    /// The template new policies of `mode` are made from: an `active` one (or one without a
    /// lifecycle state) before others, then the highest version, then the lowest id.
    pub fn for_mode(&self, mode: DppMode) -> Result<Template<'a>, CatalogError> {
        let rank = |t: &Template<'_>| {
            let active = t
                .template
                .lifecycle_state
                .as_deref()
                .is_none_or(|state| state.eq_ignore_ascii_case("active"));
            (
                active,
                t.template.version(),
                std::cmp::Reverse(t.template.id.to_ascii_lowercase()),
            )
        };
        self.templates()
            .filter(|t| t.mode == mode)
            .max_by_key(rank)
            .ok_or_else(|| CatalogError::NoTemplate {
                mode,
                found: self
                    .templates
                    .iter()
                    .map(|t| format!("`{}` \"{}\"", t.id, t.display_name))
                    .collect(),
            })
    }

    /// The template a policy of `mode` should name: the live policy's own template while it is
    /// one of the tenant's templates of that mode (the template id is create-only), else
    /// [`Catalog::for_mode`].
    pub fn for_policy(
        &self,
        mode: DppMode,
        live_template_id: Option<&str>,
    ) -> Result<Template<'a>, CatalogError> {
        match live_template_id.and_then(|id| self.template(id)) {
            Some(template) if template.mode == mode => Ok(template),
            _ => self.for_mode(mode),
        }
    }

    /// The reverse lookup for `hangar import`: what the live value `item_id` of setting
    /// `definition_id` means in a policy made from template `template_id`. `None` when the
    /// template is not a Device Preparation template of the tenant, the setting is not one of
    /// [`Choice::ALL`], or no known meaning names the option.
    pub fn meaning_of(&self, template_id: &str, definition_id: &str, item_id: &str) -> Option<Meaning> {
        self.template(template_id)?.meaning_of(definition_id, item_id)
    }

    /// [`Catalog::meaning_of`] as the YAML value that says it (`"standard"`, `"administrator"`,
    /// `"user-driven"`, `"automatic"`, `"entra"`, `"true"`, `"false"`); `None` also for a
    /// meaning no YAML field spells (deployment type "Single user", implied by user-driven).
    pub fn yaml_value(&self, template_id: &str, definition_id: &str, item_id: &str) -> Option<&'static str> {
        self.meaning_of(template_id, definition_id, item_id)?.yaml()
    }
}

impl PolicyTemplate {
    /// `version`, or the number after the last `_` of the id; 0 when neither says.
    pub fn version(&self) -> i64 {
        self.version
            .or_else(|| self.id.rsplit_once('_').and_then(|(_, v)| v.parse().ok()))
            .unwrap_or(0)
    }

    /// The setting template of a definition (compared without case).
    pub fn setting(&self, definition_id: &str) -> Option<&SettingTemplate> {
        self.settings
            .iter()
            .find(|s| s.definition_id.eq_ignore_ascii_case(definition_id))
    }
}

/// The mode of a template, when it is a Device Preparation template (see the module docs).
fn mode_of(template: &PolicyTemplate) -> Option<DppMode> {
    if !template
        .template_family
        .eq_ignore_ascii_case(ids::TEMPLATE_FAMILY)
        || template.setting(ids::DEPLOYMENT_MODE.definition_id).is_none()
    {
        return None;
    }
    Some(if template.setting(ids::ACCOUNT_TYPE.definition_id).is_some() {
        DppMode::UserDriven
    } else {
        DppMode::Automatic
    })
}

impl<'a> Template<'a> {
    /// The template id (`templateReference.templateId`).
    pub fn id(&self) -> &'a str {
        &self.template.id
    }

    /// The setting template of `definition_id`; [`CatalogError::NoSetting`] when the template
    /// has none.
    pub fn setting(&self, definition_id: &str) -> Result<&'a SettingTemplate, CatalogError> {
        self.template
            .setting(definition_id)
            .ok_or_else(|| CatalogError::NoSetting {
                mode: self.mode,
                template: self.template.id.clone(),
                definition_id: definition_id.to_owned(),
            })
    }

    /// The option of `choice` that means `meaning`: exactly one must.
    pub fn option(&self, choice: Choice, meaning: Meaning) -> Result<&'a ChoiceOption, CatalogError> {
        let setting = self.setting(choice.definition_id())?;
        let pairs = |options: &[&ChoiceOption]| -> Vec<(String, String)> {
            options
                .iter()
                .map(|o| (o.item_id.clone(), o.display_name.clone()))
                .collect()
        };
        let found: Vec<&ChoiceOption> = setting
            .options
            .iter()
            .filter(|option| {
                meaning.named_by(&option.display_name)
                    || option.name.as_deref().is_some_and(|name| meaning.named_by(name))
            })
            .collect();
        match found.as_slice() {
            [one] => Ok(one),
            [] => Err(CatalogError::MissingOption {
                definition_id: setting.definition_id.clone(),
                setting: setting.display_name.clone(),
                meaning,
                options: pairs(&setting.options.iter().collect::<Vec<_>>()),
            }),
            several => Err(CatalogError::AmbiguousOption {
                definition_id: setting.definition_id.clone(),
                setting: setting.display_name.clone(),
                meaning,
                options: pairs(several),
            }),
        }
    }

    /// What the option `item_id` of `definition_id` means; `None` when the setting is not a
    /// choice hangar knows, the option is not in the definition, or no meaning of the setting
    /// names it unambiguously.
    pub fn meaning_of(&self, definition_id: &str, item_id: &str) -> Option<Meaning> {
        let choice = Choice::of_definition(definition_id)?;
        let option = self
            .template
            .setting(definition_id)?
            .options
            .iter()
            .find(|o| o.item_id.eq_ignore_ascii_case(item_id))?;
        let mut meanings = choice.meanings().iter().copied().filter(|meaning| {
            self.option(choice, *meaning)
                .is_ok_and(|found| found.item_id == option.item_id)
        });
        let meaning = meanings.next()?;
        meanings.next().is_none().then_some(meaning)
    }

    /// The display name of option `item_id` of `definition_id`, for showing a value.
    pub fn option_label(&self, definition_id: &str, item_id: &str) -> Option<&'a str> {
        self.template
            .setting(definition_id)?
            .options
            .iter()
            .find(|o| o.item_id.eq_ignore_ascii_case(item_id))
            .map(|o| o.display_name.as_str())
    }
}

/// `settings[]` of a Settings Catalog policy → `{definitionId: value}` (choice, simple and
/// simple-collection values; other instances map to `null`). `hangar import` reads policies
/// back through the same function, so the two sides cannot disagree on a setting's value.
pub fn settings_by_definition(items: &[serde_json::Value]) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::{Map, Value};
    let mut out = Map::new();
    for item in items {
        let Some(instance) = item.get("settingInstance") else {
            continue;
        };
        let Some(Value::String(definition)) = instance.get("settingDefinitionId") else {
            continue;
        };
        let value = if let Some(choice) = instance.get("choiceSettingValue") {
            choice.get("value").cloned().unwrap_or(Value::Null)
        } else if let Some(simple) = instance.get("simpleSettingValue") {
            simple.get("value").cloned().unwrap_or(Value::Null)
        } else if let Some(Value::Array(values)) = instance.get("simpleSettingCollectionValue") {
            Value::Array(
                values
                    .iter()
                    .map(|v| v.get("value").cloned().unwrap_or(Value::Null))
                    .collect(),
            )
        } else {
            Value::Null
        };
        out.insert(definition.clone(), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(definition: &str, options: &[&str]) -> SettingTemplate {
        SettingTemplate {
            definition_id: definition.to_owned(),
            instance_template_id: format!("{definition}-instance"),
            value_template_id: Some(format!("{definition}-value")),
            display_name: definition.to_owned(),
            options: options
                .iter()
                .enumerate()
                .map(|(i, name)| ChoiceOption {
                    item_id: format!("{definition}_{i}"),
                    display_name: (*name).to_owned(),
                    name: None,
                })
                .collect(),
        }
    }

    fn simple(definition: &str) -> SettingTemplate {
        SettingTemplate {
            definition_id: definition.to_owned(),
            instance_template_id: format!("{definition}-instance"),
            ..SettingTemplate::default()
        }
    }

    /// A user-driven template whose account type options are `accounts`, in `_N` order.
    fn user_driven(id: &str, accounts: &[&str]) -> PolicyTemplate {
        PolicyTemplate {
            id: id.to_owned(),
            display_name: "Device Preparation".to_owned(),
            version: None,
            lifecycle_state: Some("active".to_owned()),
            template_family: "enrollmentConfiguration".to_owned(),
            settings: vec![
                choice(ids::DEPLOYMENT_MODE.definition_id, &["User-driven", "Automatic"]),
                choice(ids::DEPLOYMENT_TYPE.definition_id, &["Single user"]),
                choice(ids::JOIN_TYPE.definition_id, &["Microsoft Entra joined"]),
                choice(ids::ACCOUNT_TYPE.definition_id, accounts),
                choice(ids::ALLOW_SKIP.definition_id, &["No", "Yes"]),
                choice(ids::ALLOW_DIAGNOSTICS.definition_id, &["Yes", "No"]),
                simple(ids::TIMEOUT.definition_id),
            ],
        }
    }

    fn automatic(id: &str) -> PolicyTemplate {
        PolicyTemplate {
            id: id.to_owned(),
            display_name: "Windows Autopilot device preparation".to_owned(),
            version: Some(1),
            lifecycle_state: Some("active".to_owned()),
            template_family: "enrollmentConfiguration".to_owned(),
            settings: vec![
                choice(ids::DEPLOYMENT_MODE.definition_id, &["User-driven", "Automatic"]),
                simple(ids::TIMEOUT.definition_id),
            ],
        }
    }

    #[test]
    fn every_meaning_has_a_row_and_synonyms_are_normalised() {
        for choice in Choice::ALL {
            for meaning in choice.meanings() {
                let row = meaning.row();
                for synonym in row.2 {
                    assert_eq!(normalise(synonym), *synonym, "{meaning:?}");
                }
                assert!(meaning.named_by(row.1), "{meaning:?} is named by its own label");
            }
            // Within one setting no option name can mean two things.
            for (i, a) in choice.meanings().iter().enumerate() {
                for b in &choice.meanings()[i + 1..] {
                    assert!(a.row().2.iter().all(|s| !b.row().2.contains(s)), "{a:?}/{b:?}");
                }
            }
        }
    }

    #[test]
    fn options_are_found_by_meaning_whatever_their_position() {
        for (accounts, standard, admin) in [
            (&["Standard User", "Administrator"][..], "_0", "_1"),
            (&["Administrator", "Standard user"][..], "_1", "_0"),
            (
                &["  ADMINISTRATOR ", "standard-user (recommended)"][..],
                "_1",
                "_0",
            ),
            (&["Admin", "Standard"][..], "_1", "_0"),
        ] {
            let templates = [user_driven("t_1", accounts)];
            let catalog = Catalog::new(&templates);
            let template = catalog.for_mode(DppMode::UserDriven).unwrap();
            let id = |meaning| {
                template
                    .option(Choice::AccountType, meaning)
                    .unwrap()
                    .item_id
                    .clone()
            };
            assert!(id(Meaning::StandardUser).ends_with(standard), "{accounts:?}");
            assert!(id(Meaning::Administrator).ends_with(admin), "{accounts:?}");
            // And back: the live value's meaning, for import.
            assert_eq!(
                catalog.meaning_of("T_1", ids::ACCOUNT_TYPE.definition_id, &id(Meaning::StandardUser)),
                Some(Meaning::StandardUser)
            );
            assert_eq!(
                catalog.yaml_value(
                    "t_1",
                    ids::ACCOUNT_TYPE.definition_id,
                    &id(Meaning::Administrator)
                ),
                Some("administrator")
            );
            assert_eq!(
                catalog.yaml_value(
                    "other_9",
                    ids::ACCOUNT_TYPE.definition_id,
                    &id(Meaning::Administrator)
                ),
                None
            );
        }
        let templates = [user_driven("t_1", &["Standard User", "Administrator"])];
        let template = Catalog::new(&templates).for_mode(DppMode::UserDriven).unwrap();
        assert!(
            template
                .option(Choice::AllowSkip, Meaning::Yes)
                .unwrap()
                .item_id
                .ends_with("_1")
        );
        assert!(
            template
                .option(Choice::AllowDiagnostics, Meaning::Yes)
                .unwrap()
                .item_id
                .ends_with("_0")
        );
        assert!(template.option(Choice::JoinType, Meaning::EntraJoined).is_ok());
        assert_eq!(
            template.meaning_of(
                ids::ALLOW_SKIP.definition_id,
                "enrollment_autopilot_dpp_allowskip_0"
            ),
            Some(Meaning::No)
        );
        assert_eq!(
            template.meaning_of(ids::ALLOW_SKIP.definition_id, "unknown_9"),
            None
        );
        assert_eq!(template.meaning_of(ids::TIMEOUT.definition_id, "x"), None);
    }

    #[test]
    fn a_missing_or_doubled_option_is_an_error_naming_setting_and_option() {
        let templates = [user_driven("t_1", &["Standard User", "Power user"])];
        let template = Catalog::new(&templates).for_mode(DppMode::UserDriven).unwrap();
        let error = template
            .option(Choice::AccountType, Meaning::Administrator)
            .unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("`enrollment_autopilot_dpp_accountype`")
                && text.contains("\"Administrator\"")
                && text.contains("`enrollment_autopilot_dpp_accountype_1` \"Power user\""),
            "{text}"
        );
        let templates = [user_driven(
            "t_1",
            &["Standard User", "Standard", "Administrator"],
        )];
        let template = Catalog::new(&templates).for_mode(DppMode::UserDriven).unwrap();
        assert!(matches!(
            template.option(Choice::AccountType, Meaning::StandardUser),
            Err(CatalogError::AmbiguousOption { .. })
        ));
        assert_eq!(
            template.meaning_of(
                ids::ACCOUNT_TYPE.definition_id,
                "enrollment_autopilot_dpp_accountype_0"
            ),
            None,
            "an ambiguous option has no meaning"
        );
        let no_setting = automatic("a_1");
        let templates = [no_setting];
        let template = Catalog::new(&templates).for_mode(DppMode::Automatic).unwrap();
        assert!(matches!(
            template.option(Choice::AccountType, Meaning::StandardUser),
            Err(CatalogError::NoSetting { .. })
        ));
    }

    #[test]
    fn templates_are_told_apart_by_their_settings_and_versions() {
        let mut old = user_driven("80d33118_1", &["Standard User", "Administrator"]);
        old.version = Some(1);
        let mut new = user_driven("80d33118_2", &["Standard User", "Administrator"]);
        new.version = None; // from the id
        let mut retired = user_driven("80d33118_3", &["Standard User", "Administrator"]);
        retired.lifecycle_state = Some("retired".to_owned());
        let mut other = automatic("other_1");
        other.template_family = "baseline".to_owned();
        let templates = [old, new, retired, automatic("a6157a7f_1"), other];
        let catalog = Catalog::new(&templates);
        assert_eq!(catalog.templates().count(), 4);
        assert_eq!(catalog.for_mode(DppMode::UserDriven).unwrap().id(), "80d33118_2");
        assert_eq!(catalog.for_mode(DppMode::Automatic).unwrap().id(), "a6157a7f_1");
        // A policy keeps its (older) template of the right mode; another mode's is replaced.
        assert_eq!(
            catalog
                .for_policy(DppMode::UserDriven, Some("80D33118_1"))
                .unwrap()
                .id(),
            "80d33118_1"
        );
        assert_eq!(
            catalog
                .for_policy(DppMode::UserDriven, Some("a6157a7f_1"))
                .unwrap()
                .id(),
            "80d33118_2"
        );
        assert!(
            catalog.template("other_1").is_none(),
            "not an enrollment template"
        );
        let none = Catalog::new(&[]);
        let error = none.for_mode(DppMode::UserDriven).unwrap_err().to_string();
        assert!(
            error.contains("no user-driven Device Preparation policy template"),
            "{error}"
        );
        assert_eq!(
            Catalog::of(&crate::LiveState::default()).unwrap_err(),
            CatalogError::NotRead
        );
    }
}
