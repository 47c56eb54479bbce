//! What the codes a device, Intune or `dsregcmd` shows during Autopilot mean: `hangar
//! explain-error`'s table.
//!
//! Every entry is written from a Microsoft page named in its [`ErrorCode::sources`] (Microsoft
//! Learn: Autopilot troubleshooting and known issues, Intune enrollment troubleshooting, Windows
//! MDM enrollment errors, Entra hybrid join troubleshooting); the meaning, causes and fixes say
//! what those pages say, in hangar's words. Where the provisioning guide hangar is built from
//! says something else, [`ErrorCode::guide`] says what, and the entry follows Microsoft. Where a
//! YAML field or a `validate` rule prevents the error, [`ErrorCode::prevention`] names it.
//!
//! The table is data: a code is added by adding a row (a test checks every row has a source, a
//! meaning and a unique code).

use crate::Error;
use crate::rules::{self, Rule};

/// Which part of provisioning reports the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Area {
    /// Autopilot on the device: profile, TPM attestation, Autopilot Reset.
    Autopilot,
    /// MDM enrollment into Intune (`MENROLL_E_*` and the enrollment error pages).
    Enrollment,
    /// Microsoft Entra hybrid join (`dsregcmd /status`, User Device Registration log).
    HybridJoin,
    /// Importing hardware hashes into Intune (`deviceErrorCode` of an import).
    Import,
    /// An event ID of the Autopilot event log (ModernDeployment-Diagnostics-Provider), not an
    /// HRESULT.
    AutopilotEvent,
}

impl Area {
    /// The name in `--format json` and `--list`.
    pub fn name(self) -> &'static str {
        match self {
            Area::Autopilot => "autopilot",
            Area::Enrollment => "enrollment",
            Area::HybridJoin => "hybrid-join",
            Area::Import => "import",
            Area::AutopilotEvent => "autopilot-event",
        }
    }

    /// Words for people.
    pub fn describe(self) -> &'static str {
        match self {
            Area::Autopilot => "Windows Autopilot",
            Area::Enrollment => "MDM enrollment",
            Area::HybridJoin => "Microsoft Entra hybrid join",
            Area::Import => "Intune Autopilot device import",
            Area::AutopilotEvent => "Autopilot event log event ID",
        }
    }

    /// Whether codes of this area are HRESULTs (shown `0x…`) rather than small numbers.
    pub fn is_hresult(self) -> bool {
        !matches!(self, Area::Import | Area::AutopilotEvent)
    }
}

/// A page an entry was written from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    /// The page's title.
    pub title: &'static str,
    /// Its address.
    pub url: &'static str,
}

/// What in hangar's configuration prevents (part of) an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prevention {
    /// The YAML field (`Kind.field`) or CSV column, as plain text.
    pub field: &'static str,
    /// The `validate` rule that checks it, if one does.
    pub rule: Option<&'static Rule>,
    /// How it prevents the error.
    pub how: &'static str,
}

/// One code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    /// The code: an HRESULT as an unsigned 32-bit number, an import error code or an event ID.
    pub code: u32,
    /// The symbolic name Microsoft documents, if any (`MENROLL_E_DEVICENOTSUPPORTED`,
    /// `ZtdDeviceAlreadyAssigned`).
    pub name: Option<&'static str>,
    /// Where it shows up.
    pub area: Area,
    /// What it means, one sentence.
    pub meaning: &'static str,
    /// Why it happens.
    pub causes: &'static [&'static str],
    /// What to do.
    pub fixes: &'static [&'static str],
    /// What in hangar's configuration prevents it.
    pub prevention: &'static [Prevention],
    /// What the provisioning guide says, where it differs from Microsoft's pages: a phrase that
    /// follows "The provisioning guide" (`lists 0x… as …`).
    pub guide: Option<&'static str>,
    /// The pages this entry was written from.
    pub sources: &'static [Source],
}

impl ErrorCode {
    /// The code as people see it: `0x80180014`, or `806` for import codes and event IDs.
    pub fn display(&self) -> String {
        if self.area.is_hresult() {
            format!("0x{:08x}", self.code)
        } else {
            self.code.to_string()
        }
    }
}

/// Reads a code as people copy it: `0x80180014` or `0X80180014` (hex), `80180014` or `801c0003`
/// (hex, as Windows error pages show HRESULTs: eight digits, or letters among them),
/// `-2145910764` (a negative decimal HRESULT), or a decimal number such as `806` or
/// `2149056532`.
pub fn parse_code(input: &str) -> Result<u32, Error> {
    let fail = |why: &str| Error::MalformedCode {
        input: input.to_owned(),
        why: why.to_owned(),
    };
    let text = input.trim();
    if text.is_empty() {
        return Err(fail("it is empty"));
    }
    let hex = |digits: &str| {
        if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            Err(fail(
                "a hex code has 1 to 8 hex digits after `0x`, e.g. `0x80180014`",
            ))
        } else {
            u32::from_str_radix(digits, 16).map_err(|_| fail("not a hex number"))
        }
    };
    if let Some(digits) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return hex(digits);
    }
    if let Some(digits) = text.strip_prefix('-') {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(fail("a negative code is a decimal number, e.g. `-2145910764`"));
        }
        let value: i64 = text
            .parse()
            .map_err(|_| fail("a negative decimal HRESULT is at least -2147483648"))?;
        let value =
            i32::try_from(value).map_err(|_| fail("a negative decimal HRESULT is at least -2147483648"))?;
        return Ok(value as u32);
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        if text.len() == 8 {
            return hex(text);
        }
        return text
            .parse::<u32>()
            .map_err(|_| fail("a decimal code is at most 4294967295 (write hex codes with `0x`)"));
    }
    if text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return hex(text);
    }
    Err(fail(
        "write it as Windows shows it (`0x80180014`, `80180014`), as a decimal number (`806`, `-2145910764`), or by name (`MENROLL_E_DEVICENOTSUPPORTED`)",
    ))
}

/// Looks an input up: a code in any form [`parse_code`] reads, or a documented name (any case).
/// `Ok(None)` is a well-formed code hangar has no entry for.
pub fn lookup(input: &str) -> Result<Option<&'static ErrorCode>, Error> {
    let name = input.trim();
    if let Some(entry) = CODES
        .iter()
        .find(|entry| entry.name.is_some_and(|known| known.eq_ignore_ascii_case(name)))
    {
        return Ok(Some(entry));
    }
    let code = parse_code(input)?;
    Ok(CODES.iter().find(|entry| entry.code == code))
}

/// The HRESULT parts of a code: (failure bit, facility, code).
pub fn hresult_parts(code: u32) -> (bool, u32, u32) {
    (code & 0x8000_0000 != 0, (code >> 16) & 0x1fff, code & 0xffff)
}

/// Known codes of the same facility as `code` (an HRESULT), to point at neighbours.
pub fn same_facility(code: u32) -> impl Iterator<Item = &'static ErrorCode> {
    CODES
        .iter()
        .filter(move |entry| entry.area.is_hresult() && entry.code >> 16 == code >> 16)
}

const MOBILE_DEVICE_ENROLLMENT: Source = Source {
    title: "Mobile device enrollment: enrollment error messages (Windows client management)",
    url: "https://learn.microsoft.com/windows/client-management/mobile-device-enrollment#enrollment-error-messages",
};
const WINDOWS_ENROLLMENT_ERRORS: Source = Source {
    title: "Troubleshooting Windows device enrollment errors in Intune",
    url: "https://learn.microsoft.com/troubleshoot/mem/intune/device-enrollment/troubleshoot-windows-enrollment-errors",
};
const NOT_AUTHORIZED: Source = Source {
    title: "Windows user is not authorized to enroll",
    url: "https://learn.microsoft.com/troubleshoot/mem/intune/device-enrollment/windows-user-cannot-enroll",
};
const AUTOPILOT_ENROLLMENT: Source = Source {
    title: "Troubleshoot Autopilot device import and enrollment",
    url: "https://learn.microsoft.com/autopilot/troubleshoot-device-enrollment",
};
const AUTOPILOT_FAQ: Source = Source {
    title: "Windows Autopilot troubleshooting FAQ",
    url: "https://learn.microsoft.com/autopilot/troubleshooting-faq",
};
const AUTOPILOT_KNOWN_ISSUES: Source = Source {
    title: "Windows Autopilot known issues",
    url: "https://learn.microsoft.com/autopilot/known-issues",
};
const AUTOPILOT_RESET: Source = Source {
    title: "Windows Autopilot Reset: troubleshooting",
    url: "https://learn.microsoft.com/autopilot/windows-autopilot-reset#troubleshooting",
};
const HYBRID_JOIN: Source = Source {
    title: "Troubleshoot Microsoft Entra hybrid joined devices",
    url: "https://learn.microsoft.com/entra/identity/devices/troubleshoot-hybrid-join-windows-current",
};
const IMPORT_806_808: Source = Source {
    title: "Error 806 or 808 when you import Windows Autopilot device CSV files in Intune",
    url: "https://learn.microsoft.com/troubleshoot/mem/intune/device-enrollment/import-windows-autopilot-device-csv-files-errors",
};
const ADD_DEVICES: Source = Source {
    title: "Manually register devices with Windows Autopilot: troubleshooting registration failures",
    url: "https://learn.microsoft.com/autopilot/add-devices",
};

const PLATFORM_BLOCKED: Prevention = Prevention {
    field: "EnrollmentRestriction.windows.platformBlocked",
    rule: None,
    how: "leave `platformBlocked: false` (the default) on every restriction that reaches the users who provision devices, so Windows MDM enrollment is allowed",
};

const HRESULT_ONLY: &[Prevention] = &[];

/// Every code hangar can explain, grouped by area.
pub const CODES: &[ErrorCode] = &[
    // --- Windows Autopilot on the device -------------------------------------------------------
    ErrorCode {
        code: 0x8007_05b4,
        name: None,
        area: Area::Autopilot,
        meaning: "a general timeout; during self-deploying mode or the pre-provisioning technician flow it is shown at \"Securing your hardware\", when TPM attestation does not complete",
        causes: &[
            "the device has no TPM 2.0 that can do attestation: a virtual machine (even with a virtual TPM) or a TPM 1.2 chip",
            "Windows is older than 10 version 1709 (1809 with hybrid join)",
            "the device clock is off by minutes or more, which also makes attestation fail (known issues)",
        ],
        fixes: &[
            "provision self-deploying and pre-provisioned devices on physical hardware with TPM 2.0",
            "use a user-driven profile for virtual machines",
            "sync the clock before provisioning (`w32tm /resync /force` from Shift+F10 at the start of OOBE)",
        ],
        prevention: &[Prevention {
            field: "DeploymentProfile.deviceType",
            rule: Some(&rules::PROFILE_VIRTUAL_MACHINE_ATTESTATION),
            how: "`validate` refuses `deviceType: virtual-machine` with `mode: self-deploying` or `preProvisioning: true`",
        }],
        guide: None,
        sources: &[AUTOPILOT_KNOWN_ISSUES, WINDOWS_ENROLLMENT_ERRORS],
    },
    ErrorCode {
        code: 0x801c_03ea,
        name: None,
        area: Area::Autopilot,
        meaning: "TPM attestation failed, so the device could not join Microsoft Entra ID with a device token (self-deploying and pre-provisioning)",
        causes: &[
            "the TPM can do version 2.0 but its firmware has not been upgraded to 2.0",
            "the device is in two groups that are assigned different Autopilot profiles",
        ],
        fixes: &[
            "upgrade the TPM firmware to 2.0 (the PC maker's tool)",
            "remove one of the two profile assignments so the device gets exactly one profile",
        ],
        prevention: &[Prevention {
            field: "DeploymentProfile.assign",
            rule: Some(&rules::ROUTING_MULTIPLE_PROFILES),
            how: "`validate` warns when a known device is reached by two deployment profiles",
        }],
        guide: None,
        sources: &[AUTOPILOT_KNOWN_ISSUES, WINDOWS_ENROLLMENT_ERRORS],
    },
    ErrorCode {
        code: 0xc103_6501,
        name: None,
        area: Area::Autopilot,
        meaning: "the device cannot enroll in MDM automatically because Microsoft Entra ID has more than one MDM configuration (seen in self-deploying mode)",
        causes: &[
            "several MDM applications are configured under Microsoft Entra ID > Mobility (MDM and WIP)",
        ],
        fixes: &["keep one MDM configuration (Microsoft Intune) for the users and devices being provisioned"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[AUTOPILOT_KNOWN_ISSUES],
    },
    ErrorCode {
        code: 0x801c_03f3,
        name: None,
        area: Area::Autopilot,
        meaning: "pre-provisioning stops on an error screen because Microsoft Entra ID cannot find the device object of the Autopilot device (logged in Microsoft-Windows-User Device Registration/Admin)",
        causes: &["the Entra device object that the Autopilot registration created was deleted by hand"],
        fixes: &[
            "remove the device from Microsoft Entra ID, Intune and Autopilot, then register it with Autopilot again, which creates a new device object",
            "collect logs with `Mdmdiagnosticstool.exe -area Autopilot;TPM -cab c:\\autopilot.cab`",
        ],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[AUTOPILOT_KNOWN_ISSUES],
    },
    ErrorCode {
        code: 0x8007_0490,
        name: None,
        area: Area::Autopilot,
        meaning: "TPM attestation failed on an AMD platform with an ASP firmware TPM",
        causes: &["older AMD firmware"],
        fixes: &["update the firmware; the PC maker's release notes say which versions carry the fix"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[AUTOPILOT_KNOWN_ISSUES],
    },
    ErrorCode {
        code: 0x8103_9001,
        name: Some("E_AUTOPILOT_CLIENT_TPM_MAX_ATTESTATION_RETRY_EXCEEDED"),
        area: Area::Autopilot,
        meaning: "TPM attestation failed too many times at \"Securing your hardware\" (pre-provisioning technician flow or self-deploying mode)",
        causes: &["intermittent attestation failures on some devices"],
        fixes: &["start provisioning again; a later attempt may succeed"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[AUTOPILOT_KNOWN_ISSUES],
    },
    ErrorCode {
        code: 0x8103_9023,
        name: None,
        area: Area::Autopilot,
        meaning: "TPM attestation failed on Windows 11 during the pre-provisioning technician flow or self-deploying mode",
        causes: &["a Windows issue fixed by the May 2022 cumulative updates"],
        fixes: &["install KB5013943 (Windows 11) or KB5013942 (Windows 10) or a later cumulative update"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[AUTOPILOT_KNOWN_ISSUES],
    },
    ErrorCode {
        code: 0x8103_9024,
        name: None,
        area: Area::Autopilot,
        meaning: "TPM attestation failed because the TPM has known vulnerabilities (pre-provisioning or self-deploying, Windows 11)",
        causes: &["TPM firmware with a known vulnerability"],
        fixes: &["update the TPM firmware from the PC maker's website"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[AUTOPILOT_KNOWN_ISSUES],
    },
    ErrorCode {
        code: 0x8007_0774,
        name: None,
        area: Area::Autopilot,
        meaning: "hybrid Autopilot: the device cannot find or reach a domain controller, or is in a state that cannot join the domain; usually shown before the first restart, when the device times out at the first sign-in screen",
        causes: &[
            "a user is assigned to the Autopilot device while its profile is hybrid join: assigning a user makes the device Entra-join at the first sign-in screen, after which it cannot join the on-premises domain",
            "the Entra device object of the Autopilot registration was deleted",
            "the Intune Connector for Active Directory cannot create computer objects in the OU (event 30132 in the ODJ Connector Service log)",
        ],
        fixes: &[
            "unassign the user from the device and check the hybrid profile is assigned before trying again",
            "delete the Autopilot device and import its hash again, which creates a new device object",
            "delegate Create/Delete Computer objects (Full Control) on the OU to the connector's computer",
        ],
        prevention: &[Prevention {
            field: "AutopilotDevices CSV column Assigned User",
            rule: None,
            how: "leave `Assigned User` empty for devices that a `join: hybrid` profile reaches (`hangar explain --device SERIAL` shows the profile)",
        }],
        guide: None,
        sources: &[WINDOWS_ENROLLMENT_ERRORS],
    },
    ErrorCode {
        code: 0x8007_0032,
        name: Some("ERROR_NOT_SUPPORTED"),
        area: Area::Autopilot,
        meaning: "Windows Autopilot Reset stops at once because the Windows Recovery Environment (WinRE) is not configured or not enabled on the device",
        causes: &["WinRE is disabled or missing; Autopilot Reset checks for it before it starts"],
        fixes: &[
            "enable WinRE with `reagentc.exe /enable`, then reset again",
            "if WinRE cannot be enabled, or the reset still fails, contact Microsoft Support",
        ],
        prevention: HRESULT_ONLY,
        guide: Some(
            "lists 0x80070032 as an ESP app installation timeout (\"increase the ESP timeout or investigate the failing app\"); hangar found no Microsoft page that ties this code to the ESP. If it is the ESP timing out, `EnrollmentStatusPage.timeoutMinutes` is the setting (rule `esp/recommended` warns below 60)",
        ),
        sources: &[AUTOPILOT_RESET],
    },
    // --- MDM enrollment --------------------------------------------------------------------------
    ErrorCode {
        code: 0x8018_0014,
        name: Some("MENROLL_E_DEVICENOTSUPPORTED"),
        area: Area::Enrollment,
        meaning: "the MDM service does not support this platform or version; in Autopilot it means the enrollment was refused",
        causes: &[
            "the device was deployed before with a self-deploying or pre-provisioning profile and is being deployed again: Intune blocks the second enrollment until its device record is removed (the log shows \"Enrollment blocked for AP device by SDM One Time Limit Check\")",
            "an enrollment restriction blocks the Windows (MDM) platform for the user or device",
        ],
        fixes: &[
            "select the device in Intune > Windows > Enrollment > Windows Autopilot > Devices and choose Unblock device (or delete its Intune device record), then deploy again",
            "allow Windows (MDM) in every platform restriction that applies (All Users and the others)",
            "Microsoft also lists removing the restriction on personally owned Windows devices as a workaround for redeployed devices",
        ],
        prevention: &[PLATFORM_BLOCKED],
        guide: None,
        sources: &[
            AUTOPILOT_FAQ,
            AUTOPILOT_ENROLLMENT,
            AUTOPILOT_KNOWN_ISSUES,
            WINDOWS_ENROLLMENT_ERRORS,
            MOBILE_DEVICE_ENROLLMENT,
        ],
    },
    ErrorCode {
        code: 0x801c_0003,
        name: None,
        area: Area::Enrollment,
        meaning: "the user is not authorized to enroll the device (\"This user is not authorized to enroll\")",
        causes: &[
            "the user has already enrolled the most devices Intune allows",
            "a device type (platform) restriction blocks the device",
            "the device runs Windows Home, which cannot join Microsoft Entra ID or enroll",
            "Microsoft Entra ID's \"Users may join devices to Microsoft Entra ID\" is set to None",
        ],
        fixes: &[
            "delete the user's unused devices, or raise the device limit (Devices > Enrollment restrictions > device limit, at most 15)",
            "allow Windows (MDM) in the platform restriction",
            "upgrade to Windows Pro or a higher edition",
            "set \"Users may join devices to Microsoft Entra ID\" to All, or to a group with these users",
        ],
        prevention: &[PLATFORM_BLOCKED],
        guide: Some(
            "lists 0x801c0003 as \"device not registered in Autopilot; register the hardware hash and wait 15 minutes for sync\"; Microsoft's page gives the causes above",
        ),
        sources: &[NOT_AUTHORIZED],
    },
    ErrorCode {
        code: 0x8018_0003,
        name: Some("MENROLL_E_DEVICE_AUTHORIZATION_ERROR"),
        area: Area::Enrollment,
        meaning: "the user is not authorized to enroll in MDM",
        causes: &[
            "the user has already enrolled the most devices Intune allows",
            "a device type (platform) restriction blocks the device",
            "the device runs Windows Home",
            "\"Users may join devices to Microsoft Entra ID\" is set to None",
        ],
        fixes: &[
            "delete the user's unused devices or raise the device limit",
            "allow Windows (MDM) in the platform restriction",
            "upgrade to Windows Pro or higher",
            "let the users join devices to Microsoft Entra ID",
        ],
        prevention: &[PLATFORM_BLOCKED],
        guide: None,
        sources: &[NOT_AUTHORIZED, MOBILE_DEVICE_ENROLLMENT],
    },
    ErrorCode {
        code: 0x8018_0018,
        name: Some("MENROLL_E_USER_LICENSE"),
        area: Area::Enrollment,
        meaning: "the MDM enrollment failed on the user's license (\"Something went wrong\" page)",
        causes: &[
            "the user has no Intune, EMS or Microsoft 365 license, or a wrong one",
            "the user has too many devices enrolled",
            "with the \"can't connect to the URL of your organization's MDM terms of use\" message: a licensing problem, or an MDM terms of use URL that is empty or wrong",
        ],
        fixes: &[
            "assign the user an Intune (or Microsoft 365) license",
            "remove old devices of the user",
            "in Microsoft Entra ID > Mobility > Microsoft Intune, restore the default MDM URLs",
        ],
        prevention: HRESULT_ONLY,
        guide: Some(
            "lists 80180018 as \"MDM terms of use endpoint unreachable; check DNS and firewall rules for the Intune endpoints\"; Microsoft's pages name a licensing error, and tie the terms-of-use message to licensing too",
        ),
        sources: &[AUTOPILOT_FAQ, MOBILE_DEVICE_ENROLLMENT, WINDOWS_ENROLLMENT_ERRORS],
    },
    ErrorCode {
        code: 0x8018_000a,
        name: None,
        area: Area::Enrollment,
        meaning: "the device is already enrolled (\"Something went wrong. The device is already enrolled\")",
        causes: &["another user already enrolled the device in Intune or joined it to Microsoft Entra ID"],
        fixes: &[
            "sign in as that user, remove the work or school account (Settings > Accounts), then sign in again and enroll",
        ],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[WINDOWS_ENROLLMENT_ERRORS],
    },
    ErrorCode {
        code: 0x8007_064c,
        name: None,
        area: Area::Enrollment,
        meaning: "\"The machine is already enrolled\" (the enrollment log shows hr 0x8007064c)",
        causes: &[
            "the computer was enrolled before",
            "it runs a cloned image of an enrolled computer",
            "the previous account's certificate is still on the computer",
        ],
        fixes: &[
            "delete the Intune certificate issued by Sc_Online_Issuing (Local Computer > Personal) and the HKLM\\SOFTWARE\\Microsoft\\OnlineManagement key, then enroll again (Microsoft's page has the whole procedure)",
        ],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[WINDOWS_ENROLLMENT_ERRORS],
    },
    ErrorCode {
        code: 0x8018_0026,
        name: None,
        area: Area::Enrollment,
        meaning: "joining Microsoft Entra ID failed with \"Something went wrong. Confirm you are using the correct sign-in information\"",
        causes: &[
            "MDM automatic enrollment is on and the legacy Intune PC software client is installed on the computer",
        ],
        fixes: &["uninstall the Intune PC client, or set the MDM user scope to None"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[WINDOWS_ENROLLMENT_ERRORS],
    },
    ErrorCode {
        code: 0x8018_002b,
        name: None,
        area: Area::Enrollment,
        meaning: "automatic MDM enrollment through Group Policy failed (event 76, \"Auto MDM Enroll: Failed\")",
        causes: &[
            "the user's UPN has an unverified or non-routable domain, such as `.local`",
            "the MDM user scope is None",
        ],
        fixes: &[
            "give the users a verified UPN suffix and let Entra Connect synchronize",
            "set the MDM user scope to All or to a group with these users (and the MAM user scope to None)",
        ],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[WINDOWS_ENROLLMENT_ERRORS],
    },
    ErrorCode {
        code: 0x8018_0022,
        name: None,
        area: Area::Enrollment,
        meaning: "Autopilot device enrollment failed because the device runs Windows Home",
        causes: &["Windows Home edition"],
        fixes: &["upgrade the device to Windows Pro or a higher edition"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[WINDOWS_ENROLLMENT_ERRORS],
    },
    ErrorCode {
        code: 0x8018_0001,
        name: Some("MENROLL_E_DEVICE_MESSAGE_FORMAT_ERROR"),
        area: Area::Enrollment,
        meaning: "the MDM server sent a message the device cannot read",
        causes: &["a malformed enrollment message from the server"],
        fixes: &["try again; if it persists, contact the MDM service's support"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[MOBILE_DEVICE_ENROLLMENT],
    },
    ErrorCode {
        code: 0x8018_0002,
        name: Some("MENROLL_E_DEVICE_AUTHENTICATION_ERROR"),
        area: Area::Enrollment,
        meaning: "the MDM server could not authenticate the user",
        causes: &["the server rejected the user's authentication"],
        fixes: &["try again, or ask an administrator to check the user's account"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[MOBILE_DEVICE_ENROLLMENT],
    },
    ErrorCode {
        code: 0x8018_0004,
        name: Some("MENROLL_E_DEVICE_CERTIFICATEREQUEST_ERROR"),
        area: Area::Enrollment,
        meaning: "the user has no permission for the certificate template, or the certificate authority cannot be reached",
        causes: &["certificate template permissions, or an unreachable certificate authority"],
        fixes: &["try again, or ask an administrator to check the certificate template and authority"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[MOBILE_DEVICE_ENROLLMENT],
    },
    ErrorCode {
        code: 0x8018_0005,
        name: Some("MENROLL_E_DEVICE_CONFIGMGRSERVER_ERROR"),
        area: Area::Enrollment,
        meaning: "the MDM server had an error",
        causes: &["a server-side error"],
        fixes: &["try again later"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[MOBILE_DEVICE_ENROLLMENT],
    },
    ErrorCode {
        code: 0x8018_0006,
        name: Some("MENROLL_E_DEVICE_INTERNALSERVICE_ERROR"),
        area: Area::Enrollment,
        meaning: "the MDM server hit an unhandled exception",
        causes: &["a server-side error"],
        fixes: &["try again later"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[MOBILE_DEVICE_ENROLLMENT],
    },
    ErrorCode {
        code: 0x8018_0007,
        name: Some("MENROLL_E_DEVICE_INVALIDSECURITY_ERROR"),
        area: Area::Enrollment,
        meaning: "the MDM server could not validate the account",
        causes: &["the server did not accept the account's security token"],
        fixes: &["try again, or ask an administrator to check the account"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[MOBILE_DEVICE_ENROLLMENT],
    },
    ErrorCode {
        code: 0x8018_0013,
        name: Some("MENROLL_E_DEVICECAPREACHED"),
        area: Area::Enrollment,
        meaning: "the account has too many devices enrolled in MDM",
        causes: &["the user reached the device limit"],
        fixes: &[
            "delete or unenroll old devices of the user, or raise the Intune device limit (it applies to all users)",
        ],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[MOBILE_DEVICE_ENROLLMENT, NOT_AUTHORIZED],
    },
    ErrorCode {
        code: 0x8018_0015,
        name: Some("MENROLL_E_NOT_SUPPORTED"),
        area: Area::Enrollment,
        meaning: "MDM is not supported for this device",
        causes: &["the device cannot be managed by MDM"],
        fixes: &["use a supported device and edition"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[MOBILE_DEVICE_ENROLLMENT],
    },
    ErrorCode {
        code: 0x8018_0016,
        name: Some("MENROLL_E_NOTELIGIBLETORENEW"),
        area: Area::Enrollment,
        meaning: "the server refused to renew the device's MDM certificate",
        causes: &["the renewal was attempted outside the renewal schedule"],
        fixes: &["check the renewal schedule on the device"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[MOBILE_DEVICE_ENROLLMENT],
    },
    ErrorCode {
        code: 0x8018_0017,
        name: Some("MENROLL_E_INMAINTENANCE"),
        area: Area::Enrollment,
        meaning: "the MDM server says the account is in maintenance",
        causes: &["service maintenance"],
        fixes: &["try again later"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[MOBILE_DEVICE_ENROLLMENT],
    },
    ErrorCode {
        code: 0x8018_0019,
        name: Some("MENROLL_E_ENROLLMENTDATAINVALID"),
        area: Area::Enrollment,
        meaning: "the MDM server rejected the enrollment data; the server may not be configured correctly",
        causes: &["a server configuration problem"],
        fixes: &["ask an administrator to check the MDM service's configuration"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[MOBILE_DEVICE_ENROLLMENT],
    },
    // --- Microsoft Entra hybrid join -------------------------------------------------------------
    ErrorCode {
        code: 0x801c_001d,
        name: Some("DSREG_AUTOJOIN_ADCONFIG_READ_FAILED"),
        area: Area::HybridJoin,
        meaning: "the device cannot read the service connection point (SCP) in Active Directory to learn its Entra tenant, or cannot read its computer object (event 220)",
        causes: &[
            "the SCP is missing or misconfigured",
            "Active Directory replication problems (Windows errors 1312 or 1317 in the event)",
        ],
        fixes: &[
            "configure the service connection point",
            "fix Active Directory replication; the problem can be transient",
        ],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[HYBRID_JOIN],
    },
    ErrorCode {
        code: 0x801c_0021,
        name: Some("DSREG_AUTOJOIN_DISC_FAILED"),
        area: Area::HybridJoin,
        meaning: "discovery failed: the device could not get the discovery metadata from the device registration service",
        causes: &["see the sub-error in `dsregcmd /status` (\"DRS Discovery Test\"), often a network error"],
        fixes: &["look up the sub-error code, e.g. 0x80072ee2"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[HYBRID_JOIN],
    },
    ErrorCode {
        code: 0x801c_001f,
        name: Some("DSREG_AUTOJOIN_DISC_WAIT_TIMEOUT"),
        area: Area::HybridJoin,
        meaning: "discovery timed out",
        causes: &["https://enterpriseregistration.windows.net cannot be reached in the system context"],
        fixes: &["make the registration service reachable in the system context (proxy, firewall)"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[HYBRID_JOIN],
    },
    ErrorCode {
        code: 0x801c_003d,
        name: Some("DSREG_AUTOJOIN_USERREALM_DISCOVERY_FAILED"),
        area: Area::HybridJoin,
        meaning: "realm discovery failed: the domain type (managed or federated) could not be determined",
        causes: &[
            "see the sub-error; https://login.microsoftonline.com must be reachable in the system context",
        ],
        fixes: &["look up the sub-error code"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[HYBRID_JOIN],
    },
    ErrorCode {
        code: 0x801c_003a,
        name: Some("DSREG_DISCOVERY_TENANT_NOT_FOUND"),
        area: Area::HybridJoin,
        meaning: "the tenant in the service connection point was not found, or has no active subscription",
        causes: &["the SCP names the wrong tenant id"],
        fixes: &["set the SCP to the right Microsoft Entra tenant id and check the tenant's subscriptions"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[HYBRID_JOIN],
    },
    ErrorCode {
        code: 0x801c_0025,
        name: Some("DSREG_SERVER_BUSY"),
        area: Area::HybridJoin,
        meaning: "the device registration service answered 503 (unavailable)",
        causes: &["the service is temporarily unavailable"],
        fixes: &["wait: a later join attempt will likely succeed"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[HYBRID_JOIN],
    },
    ErrorCode {
        code: 0x801c_03f2,
        name: Some("DSREG_E_DIRECTORY_FAILURE"),
        area: Area::HybridJoin,
        meaning: "the device registration service answered with a DirectoryError",
        causes: &[
            "sync join: the device object has not been synchronized from Active Directory to Microsoft Entra ID yet",
            "the SCP names a wrong tenant id (server message AADSTS90002)",
            "too many registration attempts in a row (throttled for 300 seconds)",
        ],
        fixes: &[
            "wait for Microsoft Entra Connect to synchronize; the next attempt after that succeeds",
            "read the server error code and message in `dsregcmd /status` (\"Previous Registration\")",
        ],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[HYBRID_JOIN],
    },
    ErrorCode {
        code: 0x801c_0002,
        name: Some("DSREG_E_DEVICE_AUTHENTICATION_ERROR"),
        area: Area::HybridJoin,
        meaning: "the device registration service answered with an AuthenticationError",
        causes: &[
            "for sync join, usually a synchronization that has not finished (the certificate of the Entra device does not match)",
        ],
        fixes: &["read the server error code; wait for Microsoft Entra Connect to synchronize"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[HYBRID_JOIN],
    },
    ErrorCode {
        code: 0x801c_0006,
        name: Some("DSREG_E_DEVICE_INTERNALSERVICE_ERROR"),
        area: Area::HybridJoin,
        meaning: "the device registration service answered with an error",
        causes: &["see the server error code"],
        fixes: &["read the server error code and message in `dsregcmd /status`"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[HYBRID_JOIN],
    },
    ErrorCode {
        code: 0x8007_2efd,
        name: Some("WININET_E_CANNOT_CONNECT"),
        area: Area::HybridJoin,
        meaning: "no connection to the server could be made",
        causes: &["network or proxy"],
        fixes: &["check connectivity to the Microsoft endpoints hybrid join needs"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[HYBRID_JOIN],
    },
    ErrorCode {
        code: 0x8007_2ee2,
        name: Some("WININET_E_TIMEOUT"),
        area: Area::HybridJoin,
        meaning: "a network timeout (during discovery, or registering the device)",
        causes: &["https://enterpriseregistration.windows.net cannot be reached in time"],
        fixes: &["check connectivity to the registration service from the system context"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[HYBRID_JOIN],
    },
    ErrorCode {
        code: 0x8007_2ee7,
        name: Some("WININET_E_NAME_NOT_RESOLVED"),
        area: Area::HybridJoin,
        meaning: "the server name could not be resolved",
        causes: &["DNS"],
        fixes: &["check that https://enterpriseregistration.windows.net resolves and is reachable"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[HYBRID_JOIN],
    },
    ErrorCode {
        code: 0x8007_2efe,
        name: Some("WININET_E_CONNECTION_ABORTED"),
        area: Area::HybridJoin,
        meaning: "the connection to the server ended abnormally",
        causes: &["an unstable network"],
        fixes: &["try again later, or from another network"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[HYBRID_JOIN],
    },
    ErrorCode {
        code: 0x8007_2f8f,
        name: Some("WININET_E_DECODING_FAILED"),
        area: Area::HybridJoin,
        meaning: "the network stack could not decode the server's answer",
        causes: &["a proxy that changes the server's answer"],
        fixes: &["make sure the proxy does not interfere with the registration service's traffic"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[HYBRID_JOIN],
    },
    ErrorCode {
        code: 0x8009_0016,
        name: Some("NTE_BAD_KEYSET"),
        area: Area::HybridJoin,
        meaning: "a TPM operation failed: the key set does not exist",
        causes: &[
            "the TPM was cleared",
            "a bad sysprep image (made on a joined or registered machine)",
        ],
        fixes: &[
            "avoid clearing the TPM; after a clear, users may need to remove and add their accounts again",
            "build sysprep images on machines that are not joined or registered",
        ],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[HYBRID_JOIN],
    },
    ErrorCode {
        code: 0x8029_0407,
        name: Some("TPM_E_PCP_INTERNAL_ERROR"),
        area: Area::HybridJoin,
        meaning: "a generic TPM error during the join",
        causes: &["a TPM failure"],
        fixes: &[
            "disable the TPM on the device; Windows 10 1809 and later detect TPM failures and join without the TPM",
        ],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[HYBRID_JOIN],
    },
    ErrorCode {
        code: 0x8028_0036,
        name: Some("TPM_E_NOTFIPS"),
        area: Area::HybridJoin,
        meaning: "a TPM in FIPS mode is not supported",
        causes: &["the TPM runs in FIPS mode"],
        fixes: &["disable the TPM on the device; Windows 10 1809 and later join without it"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[HYBRID_JOIN],
    },
    ErrorCode {
        code: 0x8009_0031,
        name: Some("NTE_AUTHENTICATION_IGNORED"),
        area: Area::HybridJoin,
        meaning: "the TPM is locked out",
        causes: &["TPM anti-hammering after repeated failures"],
        fixes: &["wait for the cool-down period; the join succeeds afterwards"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[HYBRID_JOIN],
    },
    // --- Autopilot device import -----------------------------------------------------------------
    ErrorCode {
        code: 802,
        name: Some("InvalidZtdHardwareHash"),
        area: Area::Import,
        meaning: "one or more fields of the hardware hash are invalid or empty; the manufacturer and the serial number must be in it",
        causes: &[
            "a hash damaged when it was copied, or collected on hardware that reports no manufacturer or serial number",
        ],
        fixes: &[
            "check the firmware's values with `wmic baseboard get manufacturer, serialnumber`",
            "collect the hash again with Get-WindowsAutopilotInfo and replace the row",
        ],
        prevention: &[Prevention {
            field: "AutopilotDevices CSV column Hardware Hash",
            rule: Some(&rules::DEVICES_INVALID_HASH),
            how: "`validate` refuses a hash that is empty or not valid base64 before anything is imported",
        }],
        guide: None,
        // The number is the `deviceErrorCode` Intune's import status reports with this name
        // (hangar's device import handles it, docs/devices.md); Learn names the error only.
        sources: &[ADD_DEVICES],
    },
    ErrorCode {
        code: 806,
        name: Some("ZtdDeviceAlreadyAssigned"),
        area: Area::Import,
        meaning: "the hardware hash matches a device already registered in this tenant",
        causes: &[
            "the device is registered already (perhaps under another serial spelling)",
            "a record of the device exists in Microsoft Store for Business",
        ],
        fixes: &[
            "find the serial in Intune's Windows Autopilot devices; if it is there, do not import it again",
            "remove the device's record from Microsoft Store for Business, then import again",
            "otherwise Microsoft Support removes it, given the CSV, proof of ownership and an `Mdmdiagnosticstool.exe -area Autopilot -cab` log",
        ],
        prevention: &[Prevention {
            field: "AutopilotDevices CSV column Device Serial Number",
            rule: Some(&rules::DEVICES_DUPLICATE_SERIAL),
            how: "an import is planned only for serials the tenant has not registered, and `validate` refuses a serial listed twice",
        }],
        guide: None,
        sources: &[IMPORT_806_808, ADD_DEVICES],
    },
    ErrorCode {
        code: 808,
        name: Some("ZtdDeviceAssignedToOtherTenant"),
        area: Area::Import,
        meaning: "the hardware hash matches a device registered to another tenant",
        causes: &[
            "the device is still registered to its previous owner's (or the reseller's) tenant, or to a Microsoft Store for Business record",
        ],
        fixes: &[
            "have the other tenant deregister it",
            "otherwise Microsoft Support removes it, given the CSV and proof of ownership",
        ],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[IMPORT_806_808, ADD_DEVICES],
    },
    // --- Autopilot event log (event IDs) ---------------------------------------------------------
    ErrorCode {
        code: 807,
        name: Some("ZtdDeviceIsNotRegistered"),
        area: Area::AutopilotEvent,
        meaning: "event 807: the device is not registered with Windows Autopilot",
        causes: &["its hardware hash was not uploaded, or it has no deployment profile"],
        fixes: &["check the hash is uploaded to Intune and the device is assigned a deployment profile"],
        prevention: &[Prevention {
            field: "AutopilotDevices",
            rule: Some(&rules::ROUTING_UNROUTED_TAG),
            how: "list the device in an `AutopilotDevices` CSV (`hangar apply` registers it); `validate` warns when its group tag reaches no profile",
        }],
        guide: None,
        sources: &[AUTOPILOT_FAQ],
    },
    ErrorCode {
        code: 809,
        name: Some("ZtdDeviceHasNoAssignedProfile"),
        area: Area::AutopilotEvent,
        meaning: "event 809: the profile assigned to the device no longer exists (it was deleted without being cleaned up first)",
        causes: &["a deployment profile was deleted while devices were assigned to it"],
        fixes: &["assign another profile to the device, then enroll it again"],
        prevention: &[Prevention {
            field: "Tenant.prune",
            rule: None,
            how: "when hangar prunes a profile, it removes the profile's assignments before deleting it",
        }],
        guide: None,
        sources: &[AUTOPILOT_FAQ],
    },
    ErrorCode {
        code: 815,
        name: None,
        area: Area::AutopilotEvent,
        meaning: "event 815 (ZtdDeviceHasNoAssignedProfile): no profile is assigned to the device and the tenant has no default profile",
        causes: &["no deployment profile reaches the device's groups"],
        fixes: &["assign a deployment profile to a group the device is in"],
        prevention: &[Prevention {
            field: "DeploymentProfile.assign",
            rule: Some(&rules::ROUTING_UNROUTED_TAG),
            how: "`validate` warns when a group tag of the devices CSVs reaches no profile; `hangar explain --device SERIAL` shows the profile a device gets",
        }],
        guide: None,
        sources: &[AUTOPILOT_FAQ],
    },
    ErrorCode {
        code: 908,
        name: None,
        area: Area::AutopilotEvent,
        meaning: "event 908 (SerialNumberMismatch, ProductKeyIdMismatch): the serial number or product key registered in Autopilot differs from the hardware, which blocks enrollment",
        causes: &["the hardware changed, or the registration was made from other data"],
        fixes: &["register the device again, then enroll it"],
        prevention: HRESULT_ONLY,
        guide: None,
        sources: &[AUTOPILOT_FAQ],
    },
];

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_entry_has_a_source_a_meaning_and_a_unique_code() {
        let mut seen = HashSet::new();
        let mut names = HashSet::new();
        for entry in CODES {
            let code = entry.display();
            assert!(seen.insert(entry.code), "{code} is listed twice");
            if let Some(name) = entry.name {
                assert!(names.insert(name.to_ascii_lowercase()), "name {name} twice");
            }
            assert!(!entry.sources.is_empty(), "{code} has no source");
            for source in entry.sources {
                assert!(
                    source.url.starts_with("https://learn.microsoft.com/"),
                    "{code}: sources are Microsoft Learn pages, not {}",
                    source.url
                );
                assert!(!source.title.is_empty(), "{code}");
            }
            assert!(!entry.meaning.is_empty(), "{code} has no meaning");
            assert!(!entry.causes.is_empty() && !entry.fixes.is_empty(), "{code}");
            for prevention in entry.prevention {
                if let Some(rule) = prevention.rule {
                    assert!(rules::rule(rule.id).is_some(), "{code}: {}", rule.id);
                }
                assert!(
                    !prevention.field.is_empty() && !prevention.how.is_empty(),
                    "{code}"
                );
            }
            assert_eq!(
                entry.area.is_hresult(),
                entry.code >= 0x8000_0000,
                "{code}: HRESULTs are failure codes, import codes and events are small"
            );
        }
    }

    #[test]
    fn the_guides_codes_are_known() {
        for code in [
            "0x800705B4",
            "0x801c0003",
            "0x80180018",
            "0x80070032",
            "806",
            "808",
            "802",
        ] {
            assert!(lookup(code).expect("well-formed").is_some(), "{code}");
        }
    }

    #[test]
    fn codes_in_every_form() {
        let known = |input: &str| lookup(input).expect("well-formed").map(|entry| entry.code);
        assert_eq!(known("0x80180014"), Some(0x8018_0014));
        assert_eq!(known("0X80180014"), Some(0x8018_0014));
        assert_eq!(known("80180014"), Some(0x8018_0014));
        assert_eq!(known("  801c0003 "), Some(0x801c_0003));
        assert_eq!(known("801C03EA"), Some(0x801c_03ea));
        assert_eq!(known("-2145910764"), Some(0x8018_0014));
        assert_eq!(known("2149056532"), Some(0x8018_0014));
        assert_eq!(known("806"), Some(806));
        assert_eq!(known("menroll_e_devicenotsupported"), Some(0x8018_0014));
        assert_eq!(known("ZtdDeviceAlreadyAssigned"), Some(806));
        assert_eq!(known("0x80070005"), None);
        for malformed in [
            "",
            "0x",
            "0x123456789",
            "0xZZ",
            "-",
            "-0x5",
            "-99999999999",
            "4294967296",
            "error 5",
            "8018 0014",
        ] {
            assert!(parse_code(malformed).is_err(), "{malformed:?}");
            assert!(lookup(malformed).is_err(), "{malformed:?}");
        }
    }

    #[test]
    fn hresult_parts_of_a_win32_code() {
        assert_eq!(hresult_parts(0x8007_0005), (true, 7, 5));
        assert!(same_facility(0x8018_0099).any(|entry| entry.code == 0x8018_0014));
    }
}
