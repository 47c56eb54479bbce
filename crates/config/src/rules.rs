//! The rule list: every check `validate` runs, as data.
//!
//! Each [`Rule`] has a stable id (used in `--format json`, in `docs/rules.md` and in the
//! `tests/fixtures/invalid/<id>/` fixtures), a severity, what it checks and what to do. The
//! checks themselves live in `checks/`; they refer to these constants, so an id is written once.
//! Ids never change meaning; a retired rule keeps its id reserved.

use crate::diagnostic::Severity;

/// One rule of the offline validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable id, `area/what`.
    pub id: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// What the rule checks.
    pub checks: &'static str,
    /// What to do when it fires.
    pub fix: &'static str,
}

macro_rules! rules {
    ($( $(#[$doc:meta])* $name:ident = $id:literal, $severity:ident, $checks:literal, $fix:literal; )*) => {
        $(
            $(#[$doc])*
            pub const $name: Rule = Rule { id: $id, severity: Severity::$severity, checks: $checks, fix: $fix };
        )*
        /// Every rule, in documentation order.
        pub const RULES: &[Rule] = &[$($name),*];
    };
}

rules! {
    /// A file could not be read.
    FILE_UNREADABLE = "file/unreadable", Error,
        "every `*.yaml`/`*.yml` file and every devices CSV can be read",
        "fix the file's permissions, or remove it from the directory";
    /// A file is not UTF-8.
    FILE_NOT_UTF8 = "file/not-utf8", Error,
        "files are UTF-8 (a UTF-8 byte order mark is allowed)",
        "save the file as UTF-8 (PowerShell 5: `Out-File -Encoding utf8`)";
    /// A file is larger than hangar accepts.
    FILE_TOO_LARGE = "file/too-large", Error,
        "YAML files are at most 8 MiB and devices CSVs at most 256 MiB",
        "split the file: several `AutopilotDevices` documents can each name a CSV";
    /// A file outside the configuration directory.
    FILE_OUTSIDE = "file/outside-directory", Error,
        "every file hangar reads resolves, symlinks followed, inside the configuration directory: YAML files the walk finds and CSVs named by `source:` (a pull request must not make CI read `/proc/self/environ` or `../secrets`)",
        "move the file into the configuration directory, or replace the symlink with the file";
    /// A FIFO, socket or device among the YAML files.
    FILE_NOT_REGULAR = "file/not-regular", Warning,
        "the YAML files are regular files (a FIFO named `x.yaml` would block the walk; devices and sockets are not configuration)",
        "remove it, or rename it so it does not end in `.yaml`/`.yml`";
    /// A directory reached twice through symlinks.
    FILE_SYMLINK_LOOP = "file/symlink-loop", Warning,
        "no directory is reached twice: a symlink that leads back to a directory containing it (`loop -> .`) or to one already read is skipped, so documents are read once",
        "remove the symlink";
    /// The directory walk hit its bounds.
    FILE_WALK_LIMIT = "file/walk-limit", Error,
        "the configuration directory is at most 32 directories deep and has at most 100,000 entries",
        "keep the configuration in a shallow directory of its own";
    /// YAML syntax error.
    YAML_SYNTAX = "yaml/syntax", Error,
        "the file is well-formed YAML",
        "fix the YAML at the position shown (indentation, quotes, a missing `:`)";
    /// A key appears twice in one mapping.
    YAML_DUPLICATE_KEY = "yaml/duplicate-key", Error,
        "no mapping repeats a key (YAML forbids it; other tools silently keep one of them)",
        "remove one of the two entries";
    /// A field hangar does not know.
    YAML_UNKNOWN_FIELD = "yaml/unknown-field", Error,
        "every field is one the kind defines, so a typo never leaves a setting unmanaged",
        "fix the spelling (see the suggestion), or remove the field";
    /// A value of the wrong type or outside its set of values.
    YAML_INVALID_VALUE = "yaml/invalid-value", Error,
        "every value has the type and one of the values the field takes",
        "use a value of the expected type (see `docs/configuration.md`)";
    /// A required field is missing.
    YAML_MISSING_FIELD = "yaml/missing-field", Error,
        "every required field is present",
        "add the field";
    /// A resource limit was hit (alias expansion, nesting, node count, documents per file).
    YAML_LIMIT = "yaml/limit", Error,
        "a file stays within hangar's parsing budget (bounded alias expansion, nesting depth 64, at most 1,024 documents)",
        "depends on the limit: split a file with too many documents or nodes, nest less deeply, do not use aliases to build large structures";
    /// A document without `kind:`.
    DOCUMENT_MISSING_KIND = "document/missing-kind", Error,
        "every YAML document has `kind:` and `name:`",
        "add `kind:` (one of the kinds in `docs/configuration.md`)";
    /// A `kind:` hangar does not know.
    DOCUMENT_UNKNOWN_KIND = "document/unknown-kind", Error,
        "`kind:` is one of Tenant, Base, DeviceGroup, DeploymentProfile, EnrollmentStatusPage, DevicePreparationPolicy, DomainJoinProfile, EnrollmentRestriction, AutopilotDevices",
        "fix the kind (see the suggestion)";
    /// No `Tenant` document.
    TENANT_MISSING = "tenant/missing", Error,
        "the directory has exactly one `Tenant` document",
        "add a `kind: Tenant` document with `cloud:` and `tenantId:`";
    /// Two `Tenant` documents.
    TENANT_DUPLICATE = "tenant/duplicate", Error,
        "the directory has exactly one `Tenant` document",
        "keep one `Tenant` document per directory (one directory per tenant)";
    /// `tenantId` is not a GUID or a domain.
    TENANT_ID = "tenant/tenant-id", Error,
        "`tenantId` is a GUID or a verified domain such as `contoso.onmicrosoft.com`",
        "copy the tenant id from Entra > Overview";
    /// A `prune.only` pattern is not a valid glob.
    TENANT_PRUNE_PATTERN = "tenant/prune-pattern", Error,
        "every `prune.only` entry is `Kind/glob` with a known kind and a valid glob",
        "write patterns like `DeviceGroup/Autopilot-*`";
    /// An `include:` entry is not a relative path.
    INCLUDE_PATH = "include/path", Error,
        "every `include:` entry is a directory path relative to the file it is written in, so the repository works wherever it is checked out",
        "write the path relative to this file, e.g. `../../base`";
    /// An included directory does not exist.
    INCLUDE_MISSING = "include/missing", Error,
        "every directory named in `include:` exists and is a directory",
        "fix the path, or create the base directory";
    /// An included directory outside the repository.
    INCLUDE_OUTSIDE_ROOT = "include/outside-root", Error,
        "every included directory resolves, symlinks followed, inside the repository root: the nearest directory above the configuration that holds `.git`, or `--root`",
        "move the base into the repository, or pass `--root` with the directory that holds both";
    /// Includes that lead back to themselves or to the configuration.
    INCLUDE_CYCLE = "include/cycle", Error,
        "no directory is included twice on one chain, and no included directory contains, or is inside, the configuration or another included directory (its files would be read twice)",
        "remove the `include:` entry that closes the cycle, or move the base out of the directory that contains it";
    /// An included directory holds a `Tenant` document.
    INCLUDE_TENANT = "include/tenant-document", Error,
        "an included directory is a base shared by tenants: it holds no `Tenant` document (a configuration is one tenant)",
        "include the base directory, not another tenant's configuration; move the shared documents into a base";
    /// An included directory holds `AutopilotDevices`.
    INCLUDE_DEVICES = "include/devices", Error,
        "an included directory holds no `AutopilotDevices` document: a device is registered in one tenant only (an import of a hash registered to another tenant fails with 808, ZtdDeviceAssignedToOtherTenant)",
        "move the `AutopilotDevices` document and its CSV into the tenant's own directory";
    /// A `Base` document outside an included directory.
    BASE_MISPLACED = "base/misplaced", Error,
        "`Base` documents are in included directories; a configuration's own includes are its `Tenant`'s `include:`",
        "move the `include:` entries to the `Tenant` document and remove the `Base` document";
    /// Two `Base` documents in one base.
    BASE_DUPLICATE = "base/duplicate", Error,
        "an included directory has at most one `Base` document",
        "keep one `Base` document per base directory";
    /// Two documents of one kind share a name.
    NAME_DUPLICATE = "name/duplicate", Error,
        "names are unique per kind (hangar matches tenant objects by kind and name)",
        "rename one of them";
    /// A control character in a name, tag or other text.
    TEXT_CONTROL = "text/control-character", Error,
        "names, tags, ids and other one-line values have no control characters (escape sequences, NUL, C0/C1 controls, tabs and line breaks, bidirectional overrides); descriptions, messages and rules may have tabs and line breaks but no other control character",
        "remove the character (in YAML it often comes from an escape such as `\\e` or `\\u202e` in a double-quoted string)";
    /// A string longer than Graph accepts.
    TEXT_TOO_LONG = "text/too-long", Error,
        "strings fit Graph's documented limits: a `groupTag`'s generated membership rule is at most 3,072 characters, a profile's `description` at most 1,500, an ESP's `errorMessage` at most 10,000 (names: `name/invalid`)",
        "shorten the value";
    /// A name is empty or too long.
    NAME_INVALID = "name/invalid", Error,
        "names are non-empty and within Graph's length limit (groups 256, profiles 200 characters)",
        "shorten the name";
    /// `renamedFrom:` equal to the document's own name.
    NAME_RENAMED_FROM = "name/renamed-from", Error,
        "`renamedFrom:` names the object's previous name, not its own (a rename in place: the plan renames the live object with the old name)",
        "write the previous name, or remove `renamedFrom` once the rename is applied";
    /// A reference to a document that does not exist.
    REFERENCE_UNRESOLVED = "reference/unresolved", Error,
        "every group named in `assign`, `deviceGroup` or `userGroups` is a `DeviceGroup` document",
        "add the `DeviceGroup` document, or fix the name (see the suggestion)";
    /// An app or script reference that is neither an id nor a name.
    REFERENCE_APP = "reference/app", Error,
        "every entry of `blockingApps`, `allowedApps` and `allowedScripts` is an app or script id (a GUID, 8-4-4-4-12 hex digits) or a name: not empty, not blank, not a GUID with a typo, braces or spaces",
        "copy the id from the app's page in the Intune admin center (the GUID at the end of its URL), or write the app's name";
    /// An assignment target this kind does not take.
    ASSIGN_TARGET = "assign/unsupported-target", Error,
        "assignment targets are ones the kind supports: profiles take groups and `all-devices`; restrictions take groups; ESPs and domain join profiles also take `all-users`",
        "assign to a group instead";
    /// The same group is included and excluded.
    ASSIGN_INCLUDE_EXCLUDE = "assign/include-and-exclude", Warning,
        "no group is both included and excluded (exclusion wins, so the include does nothing)",
        "remove the group from one of the two lists";
    /// A built-in object with an assignment or a priority.
    BUILTIN_NOT_ASSIGNABLE = "builtin/not-assignable", Error,
        "the built-in (`name: default`) ESP and restriction have no `assign` and no `priority`: they apply to everyone at the lowest priority",
        "remove `assign`/`priority`, or give the document another name to create a new object";
    /// An `external: true` group with `membership:` or `owners:`.
    GROUP_EXTERNAL = "group/external", Error,
        "an `external: true` group has no `membership:` or `owners:`: hangar matches it by name for references and never creates, changes or prunes it",
        "remove `membership:` and `owners:`, or remove `external: true` to manage the group";
    /// An owner that is neither the provisioning client nor an object id.
    GROUP_OWNER = "group/owner", Error,
        "every owner is `intune-provisioning-client` or an Entra object id (GUID)",
        "use `intune-provisioning-client` or the owner's object id";
    /// A dynamic membership rule does not parse.
    GROUP_RULE_SYNTAX = "group/rule-syntax", Error,
        "every `membership.rule` is a valid Entra dynamic membership rule for devices",
        "fix the rule at the column shown; `membership: {groupTag: X}` writes the usual rule for you";
    /// A valid rule that probably does not do what its author wants.
    GROUP_RULE_WARNING = "group/rule-warning", Warning,
        "membership rules avoid known traps: `-contains`/`-startsWith`/`-match` on a group tag (also matches longer tags), `[ZTDID]` written in another case",
        "use `-eq` for a group tag, and write `[ZTDID]` exactly";
    /// A dynamic group that no known device is in.
    GROUP_NO_DEVICES = "group/no-devices", Warning,
        "every dynamic group matches at least one device listed in the devices CSVs (when there are any)",
        "check the group tag's spelling, or add the devices";
    /// Classic Autopilot in a cloud that lacks it.
    CLOUD_CLASSIC_AUTOPILOT = "cloud/classic-autopilot-unavailable", Error,
        "GCC High and DoD have no classic Autopilot: no `DeploymentProfile` (so no self-deploying or pre-provisioning)",
        "use a `DevicePreparationPolicy` (user-driven, Entra join) instead";
    /// Device Preparation automatic mode in a cloud that supports user-driven only.
    CLOUD_DEVICE_PREPARATION_MODE = "cloud/device-preparation-user-driven", Error,
        "in GCC High and DoD, Device Preparation policies are user-driven",
        "set `mode: user-driven`";
    /// The name template expands to more than 15 characters.
    PROFILE_NAME_TEMPLATE_LENGTH = "profile/name-template-length", Error,
        "`deviceName` expands to at most 15 characters, with `%SERIAL%` replaced by the real serial of every device the profile reaches",
        "shorten the prefix, or use `%RAND:N%` instead of `%SERIAL%`";
    /// The name template has characters Windows does not allow.
    PROFILE_NAME_TEMPLATE_CHARS = "profile/name-template-chars", Error,
        "`deviceName` uses only letters, digits and hyphens besides `%SERIAL%` and `%RAND:N%`",
        "remove spaces, underscores and other characters";
    /// The name template would produce an all-digit name.
    PROFILE_NAME_TEMPLATE_DIGITS = "profile/name-template-all-digits", Error,
        "`deviceName` can never produce a name of digits only",
        "add a letter, e.g. a department prefix";
    /// A malformed macro in the name template.
    PROFILE_NAME_TEMPLATE_MACRO = "profile/name-template-macro", Error,
        "macros in `deviceName` are `%SERIAL%` or `%RAND:N%` with N from 1 to 14",
        "write `%SERIAL%` or `%RAND:5%`";
    /// Hybrid profile with a name template.
    PROFILE_HYBRID_NAME_TEMPLATE = "profile/hybrid-name-template", Error,
        "hybrid-join profiles have no `deviceName` (the domain join profile names the device)",
        "remove `deviceName` and set `computerNamePrefix` on the `DomainJoinProfile`";
    /// Hybrid profile that is not user-driven.
    PROFILE_HYBRID_USER_DRIVEN = "profile/hybrid-user-driven", Error,
        "hybrid-join profiles are user-driven",
        "set `mode: user-driven`, or `join: entra` for self-deploying devices";
    /// Hybrid profile without a domain join profile on the same devices.
    PROFILE_HYBRID_DOMAIN_JOIN = "profile/hybrid-needs-domain-join", Error,
        "every group a hybrid profile is assigned to also gets a `DomainJoinProfile`",
        "assign a `DomainJoinProfile` to the same groups";
    /// Self-deploying profile with hybrid join.
    PROFILE_SELF_DEPLOYING_JOIN = "profile/self-deploying-join", Error,
        "self-deploying profiles use Entra join",
        "set `join: entra`";
    /// Self-deploying profile with a user account type.
    PROFILE_SELF_DEPLOYING_USER_TYPE = "profile/self-deploying-user-type", Error,
        "self-deploying profiles set no `oobe.userType` (there is no user; Graph rejects it with a 400)",
        "remove `oobe.userType`";
    /// Two profiles target all devices.
    PROFILE_ALL_DEVICES = "profile/all-devices-once", Error,
        "at most one deployment profile targets `all-devices` (Intune refuses a second)",
        "assign the other profile to a group";
    /// Pre-provisioning allowed on a self-deploying profile.
    PROFILE_SELF_DEPLOYING_PRE_PROVISIONING = "profile/self-deploying-pre-provisioning", Error,
        "self-deploying profiles do not allow pre-provisioning: pre-provisioning is a user-driven flow (a technician pre-stages the device, then the user signs in), and the admin center offers it only for user-driven profiles",
        "remove `preProvisioning`, or set `mode: user-driven` if a user signs in after the technician";
    /// A self-deploying profile that shows the license terms, privacy settings or account options.
    PROFILE_SELF_DEPLOYING_OOBE = "profile/self-deploying-oobe", Error,
        "self-deploying profiles hide the license terms, the privacy settings and the change account options (no one is there to answer them; the admin center fixes all three to Hide)",
        "remove the `oobe` setting, or set it to `true`";
    /// `skipDomainConnectivityCheck` on an Entra-join profile.
    PROFILE_ENTRA_SKIP_CONNECTIVITY_CHECK = "profile/entra-skip-connectivity-check", Error,
        "`skipDomainConnectivityCheck` is set only on hybrid-join profiles (Graph has the property on the hybrid profile type only; on an Entra profile it would be dropped without a word)",
        "remove `skipDomainConnectivityCheck`, or set `join: hybrid` if the devices join a domain";
    /// A locale that is not a language tag.
    PROFILE_LOCALE = "profile/locale", Error,
        "`locale` is `os-default` or a language tag such as `en-US`, `fr-CA` or `sr-Latn-RS` (BCP 47: language, optional script, optional region, separated by hyphens)",
        "write the language and region with a hyphen, e.g. `en-US`, or `os-default`";
    /// Self-deploying or pre-provisioning on virtual machines.
    PROFILE_VIRTUAL_MACHINE_ATTESTATION = "profile/virtual-machine-attestation", Error,
        "a `deviceType: virtual-machine` profile is neither self-deploying nor pre-provisioned: both need TPM attestation, which virtual machines cannot do, even with a virtual TPM",
        "use `mode: user-driven` without `preProvisioning` for virtual machines, or `deviceType: windows-pc` for physical devices";
    /// A `%SERIAL%` template that no known device reaches.
    PROFILE_SERIAL_TEMPLATE_UNCHECKED = "profile/serial-template-unchecked", Warning,
        "a `%SERIAL%` name template reaches at least one device of the devices CSVs, so `profile/name-template-length` can check the names it makes; with none, names over 15 characters cannot be ruled out",
        "list the devices this profile reaches in an `AutopilotDevices` CSV, or use `%RAND:N%`";
    /// A device reached by an Entra and a hybrid profile.
    ROUTING_JOIN_CONFLICT = "routing/join-conflict", Error,
        "no device (or group) is reached by both an Entra-join and a hybrid-join profile",
        "keep Entra and hybrid devices in separate groups, routed by group tag";
    /// A device reached by two profiles.
    ROUTING_MULTIPLE_PROFILES = "routing/multiple-profiles", Warning,
        "each device is reached by at most one deployment profile (with several, Intune picks one and does not say which)",
        "exclude the device's group from one of the profiles";
    /// A group tag used by devices but routed to nothing.
    ROUTING_UNROUTED_TAG = "routing/unrouted-tag", Warning,
        "every group tag in the devices CSVs reaches a deployment profile or a Device Preparation policy through a group",
        "add a `DeviceGroup` with `membership: {groupTag: …}` and assign a profile to it";
    /// Device Preparation device group is not static.
    DPP_DEVICE_GROUP_STATIC = "device-preparation/device-group-static", Error,
        "a Device Preparation policy's `deviceGroup` is `membership: assigned` (Graph: `notStaticSecurityGroup`)",
        "set `membership: assigned` on that group";
    /// Device Preparation device group not owned by the provisioning client.
    DPP_DEVICE_GROUP_OWNER = "device-preparation/device-group-owner", Error,
        "a Device Preparation policy's `deviceGroup` has `intune-provisioning-client` among its owners (Graph: `firstPartyAppNotAnOwner`; devices are silently not added)",
        "add `owners: [intune-provisioning-client]` to the group";
    /// Device Preparation user group is dynamic.
    DPP_USER_GROUP = "device-preparation/user-group", Error,
        "`userGroups` name `membership: assigned` groups (user groups whose members hangar does not manage)",
        "point `userGroups` at an assigned group of users";
    /// User-driven policy with no user group.
    DPP_NO_USERS = "device-preparation/no-user-groups", Warning,
        "a user-driven Device Preparation policy has at least one user group (it triggers when a member signs in)",
        "add `userGroups`";
    /// Automatic policy with user groups.
    DPP_AUTOMATIC_USERS = "device-preparation/automatic-user-groups", Error,
        "automatic (Windows 365) policies take no `userGroups`",
        "remove `userGroups`";
    /// Hybrid join asked of Device Preparation.
    DPP_ENTRA_ONLY = "device-preparation/entra-join-only", Error,
        "Device Preparation policies use Entra join (hybrid join is not supported)",
        "set `join: entra`, or use a classic hybrid profile (Commercial only)";
    /// Too many apps.
    DPP_APPS_LIMIT = "device-preparation/apps-limit", Error,
        "`allowedApps` lists at most 10 apps",
        "keep the 10 apps needed before the desktop; deliver the rest after setup";
    /// Too many scripts.
    DPP_SCRIPTS_LIMIT = "device-preparation/scripts-limit", Error,
        "`allowedScripts` lists at most 10 scripts",
        "keep at most 10 scripts";
    /// Timeout out of range.
    DPP_TIMEOUT = "device-preparation/timeout-range", Error,
        "`timeoutMinutes` is from 15 to 720",
        "use a value from 15 to 720";
    /// A Device Preparation policy without a device group.
    DPP_NO_DEVICE_GROUP = "device-preparation/no-device-group", Error,
        "every Device Preparation policy names its `deviceGroup` (a policy can be saved without one, and then the deployment never starts and its apps and scripts have no group to be assigned to)",
        "add `deviceGroup:` naming an assigned group owned by `intune-provisioning-client`";
    /// Personal devices blocked while Device Preparation is used.
    DPP_PERSONAL_DEVICES_BLOCKED = "device-preparation/personal-devices-blocked", Warning,
        "when an enrollment restriction blocks personally owned Windows devices, every device that Device Preparation provisions has a corporate identifier in Intune (hangar does not manage corporate identifiers, so it cannot tell)",
        "upload a corporate identifier (manufacturer, model, serial) for each device before it is deployed, or accept the warning once that is done";
    /// Two ESPs with the same priority.
    ESP_PRIORITY_UNIQUE = "esp/priority-unique", Error,
        "ESP priorities are unique (Intune's `setPriority` cannot hold two at one priority)",
        "give each ESP its own priority";
    /// A custom ESP without priority.
    ESP_PRIORITY_REQUIRED = "esp/priority-required", Error,
        "every ESP except `default` has a `priority` (1 is the highest), so which ESP wins is written down",
        "add `priority:`";
    /// Timeout out of range.
    ESP_TIMEOUT = "esp/timeout-range", Error,
        "`timeoutMinutes` is from 1 to 1440",
        "use a value from 1 to 1440 (60 is recommended)";
    /// Against the guide's recommended values.
    ESP_RECOMMENDED = "esp/recommended", Warning,
        "the ESP follows the guide: show progress, block device use until installed, no reset and no use on error, timeout of at least 60 minutes",
        "use the recommended value, or accept the warning";
    /// Domain join name too long.
    DOMAIN_JOIN_NAME_LENGTH = "domain-join/name-length", Error,
        "`computerNamePrefix` plus `randomChars` is at most 15 characters",
        "shorten the prefix or use fewer random characters";
    /// Random character count out of range.
    DOMAIN_JOIN_RANDOM_CHARS = "domain-join/random-chars-range", Error,
        "`randomChars` is from 3 to 14",
        "use a value from 3 to 14";
    /// Prefix characters.
    DOMAIN_JOIN_PREFIX_CHARS = "domain-join/prefix-chars", Error,
        "`computerNamePrefix` uses only letters, digits and hyphens",
        "remove other characters";
    /// Two custom restrictions with one priority.
    RESTRICTION_PRIORITY_UNIQUE = "restriction/priority-unique", Error,
        "enrollment restriction priorities are unique",
        "give each restriction its own priority";
    /// OS version format.
    RESTRICTION_OS_VERSION = "restriction/os-version", Error,
        "`osMinimum`/`osMaximum` are Windows versions `major.minor.build[.revision]`, minimum not above maximum",
        "write e.g. `10.0.19045`";
    /// CSV is malformed.
    DEVICES_CSV = "devices/csv", Error,
        "the devices CSV is well-formed (every row has as many fields as the header, quotes are closed)",
        "re-export the CSV with Get-WindowsAutopilotInfo, or fix the row shown";
    /// A required column is missing.
    DEVICES_MISSING_COLUMN = "devices/missing-column", Error,
        "the header has `Device Serial Number`, and a hash column, if any, is `Hardware Hash` (case and spacing do not matter)",
        "use the CSV that Get-WindowsAutopilotInfo writes, or name its columns as it does";
    /// The CSV named by `source` does not exist.
    DEVICES_SOURCE = "devices/source", Error,
        "`source` names a CSV file that exists, relative to the YAML file",
        "fix the path";
    /// A row without a serial.
    DEVICES_MISSING_SERIAL = "devices/missing-serial", Error,
        "every row has a serial number",
        "fill in the serial or remove the row";
    /// A serial damaged by copying (a space, a tab, a non-ASCII or odd character).
    DEVICES_INVALID_SERIAL = "devices/invalid-serial", Error,
        "serial numbers use only ASCII letters, digits and `-` `_` `.` `/` `:` (spaces only in virtual machines' serials)",
        "copy the serial exactly as Get-WindowsAutopilotInfo wrote it (or collect the hash again); a damaged serial never matches the registered device";
    /// Invalid hardware hash.
    DEVICES_INVALID_HASH = "devices/invalid-hash", Error,
        "a hardware hash, when a row has one, is valid base64 (an empty cell is a hash-less row)",
        "collect the hash again with Get-WindowsAutopilotInfo";
    /// A serial listed twice.
    DEVICES_DUPLICATE_SERIAL = "devices/duplicate-serial", Error,
        "each serial number appears once across all devices CSVs",
        "remove one of the two rows";
    /// An empty CSV: an error, because with devices in the prune scope an empty export would
    /// plan the deletion of every registered device (issue 7).
    DEVICES_EMPTY = "devices/empty", Error,
        "a devices CSV lists at least one device",
        "add devices or remove the `AutopilotDevices` document";
}

/// Looks a rule up by id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|rule| rule.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_well_formed() {
        for (index, rule) in RULES.iter().enumerate() {
            assert!(
                rule.id.contains('/') && rule.id == rule.id.to_ascii_lowercase(),
                "{}",
                rule.id
            );
            assert!(
                RULES[index + 1..].iter().all(|other| other.id != rule.id),
                "{}",
                rule.id
            );
            assert_eq!(super::rule(rule.id), Some(rule));
        }
    }
}
