//! Every fixture against the example configurations.

use hangar_doctor::dsregcmd::Problem;
use hangar_doctor::dsregcmd::compare::Identify;
use hangar_doctor::{DeviceCheck, Error, Intent, Severity, check_device};
use hangar_model::Cloud;

use crate::{example, fixture};

fn run(file: &str, intent: &Intent<'_>, identify: Identify) -> Result<DeviceCheck, Error> {
    let path = fixture(file);
    let bytes = std::fs::read(&path).unwrap();
    check_device(&bytes, &path, intent, &identify)
}

fn messages(check: &DeviceCheck) -> Vec<String> {
    check.device.findings.iter().map(|f| f.message.clone()).collect()
}

fn serial(s: &str) -> Identify {
    Identify::Serial {
        serial: s.to_owned(),
        tag: None,
    }
}

#[test]
fn an_entra_joined_device_is_recognised_by_its_name_and_matches() {
    let config = example("commercial");
    let intent = Intent::of(&config);
    for file in ["entra-joined.txt", "entra-joined.utf16le.txt"] {
        let check = run(file, &intent, Identify::Name).unwrap();
        let device = check.device.intent.as_ref().unwrap();
        assert_eq!(device.serial.as_deref(), Some("5CG3ERLLRV"), "{file}");
        assert_eq!(device.profile.as_deref(), Some("Autopilot Engineering"));
        assert_eq!(device.join, Some("entra"));
        assert!(check.device.findings.is_empty(), "{file}: {:?}", messages(&check));
    }
    let utf16 = run("entra-joined.utf16le.txt", &intent, Identify::Name).unwrap();
    assert_eq!(utf16.device.observed.encoding, "UTF-16LE");
}

#[test]
fn a_hybrid_device_is_recognised_by_its_domain_join_prefix() {
    let config = example("commercial");
    let intent = Intent::of(&config);
    let check = run("hybrid-joined.txt", &intent, Identify::Name).unwrap();
    let device = check.device.intent.as_ref().unwrap();
    assert_eq!(device.join, Some("hybrid"));
    assert_eq!(device.serial, None);
    assert!(
        device
            .identified_by
            .contains("`HQ-########` of domain join profile `HQ Domain Join`"),
        "{}",
        device.identified_by
    );
    assert!(check.device.findings.is_empty(), "{:?}", messages(&check));
    assert!(check.device.notes[0].contains("joined to domain CORP"));
}

#[test]
fn the_silent_hybrid_failure_is_caught() {
    let config = example("commercial");
    let intent = Intent::of(&config);
    let check = run("hybrid-entra-only.txt", &intent, Identify::Name).unwrap();
    assert_eq!(check.device.findings.len(), 1);
    let finding = &check.device.findings[0];
    assert_eq!(finding.severity, Severity::Error);
    assert!(finding.message.contains("hybrid join failed silently"));
    assert!(finding.fix.contains("line of sight to a domain controller"));
}

#[test]
fn a_pending_hybrid_join_names_the_diagnostics() {
    let config = example("commercial");
    let check = run("hybrid-domain-only.txt", &Intent::of(&config), Identify::Name).unwrap();
    let finding = &check.device.findings[0];
    assert!(finding.message.contains("not yet Entra joined"));
    assert_eq!(
        finding.items,
        [
            "Error Phase: join",
            "Client ErrorCode: 0x801c03f2",
            "Server ErrorCode: DirectoryError",
            "Server Message: The device object by the given id (aaaaaaaa-0000-1111-2222-bbbbbbbbbbbb) isn't found."
        ]
    );
}

#[test]
fn an_entra_device_that_got_a_domain_join_is_caught() {
    let config = example("commercial");
    let check = run("hybrid-joined.txt", &Intent::of(&config), serial("5CG3ERLLRV")).unwrap();
    assert_eq!(check.device.intent.as_ref().unwrap().join, Some("entra"));
    assert!(messages(&check)[0].contains("domain joined, but the configuration intends Entra join"));
}

#[test]
fn empty_mdm_urls_and_another_tenant_are_caught() {
    let config = example("commercial");
    let intent = Intent::of(&config);
    let check = run("no-mdm-urls.txt", &intent, Identify::Name).unwrap();
    assert_eq!(messages(&check).len(), 1);
    assert!(messages(&check)[0].contains("no MDM URLs"));
    let check = run("other-tenant.txt", &intent, Identify::Name).unwrap();
    assert!(messages(&check)[0].contains("joined to tenant aaaabbbb-0000-cccc-1111-dddd2222eeee"));
}

#[test]
fn gcc_high_devices_need_a_serial_and_the_us_urls() {
    let config = example("gcc-high");
    let intent = Intent::of(&config);
    let unknown = run("gcc-high-entra-joined.txt", &intent, Identify::Name).unwrap_err();
    assert!(matches!(unknown, Error::UnknownDevice(_)), "{unknown}");
    assert!(unknown.help().unwrap().contains("--serial"));

    let check = run("gcc-high-entra-joined.txt", &intent, serial("5CG2Q5AQGL")).unwrap();
    let device = check.device.intent.as_ref().unwrap();
    assert_eq!(device.device_preparation, ["Autopilot Device Preparation"]);
    assert_eq!(device.join, Some("entra"));
    assert!(check.device.findings.is_empty(), "{:?}", messages(&check));

    let check = run("gcc-high-commercial-urls.txt", &intent, serial("5CG2Q5AQGL")).unwrap();
    let finding = &check.device.findings[0];
    assert_eq!(
        finding.message,
        "the device's MDM URLs are not Intune's in gcc-high"
    );
    assert_eq!(
        finding.items[0],
        "MdmUrl: https://enrollment.manage.microsoft.com/EnrollmentServer/Discovery.svc (expected https://enrollment.manage.microsoft.us/enrollmentserver/discovery.svc)"
    );

    let unknown = run("gcc-high-entra-joined.txt", &intent, serial("NOT-IN-CSV")).unwrap_err();
    assert!(unknown.to_string().contains("not in the devices CSVs"));
    let tagged = Identify::Serial {
        serial: "NOT-IN-CSV".into(),
        tag: Some("Pilot".into()),
    };
    assert!(run("gcc-high-entra-joined.txt", &intent, tagged).is_ok());
}

#[test]
fn a_commercial_device_checked_against_gcc_high_fails_on_tenant_sign_in_and_urls() {
    let check = run(
        "entra-joined.txt",
        &Intent::bare(Cloud::GccHigh, "9a2e4c71-5b3d-4f08-a6e1-2c7d8b0f4a35"),
        Identify::Name,
    )
    .unwrap();
    assert!(check.device.intent.is_none());
    let found = messages(&check);
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found[0].contains("joined to tenant 3f6b2c1e"));
    assert!(found[1].contains("signs in at login.microsoftonline.com"));
    assert!(found[2].contains("not Intune's in gcc-high"));
    let same = run(
        "entra-joined.txt",
        &Intent::bare(Cloud::Commercial, "3f6b2c1e-8d4a-4b7e-9c2f-5a1d0e7b9c44"),
        Identify::Name,
    )
    .unwrap();
    assert!(same.device.findings.is_empty());
}

#[test]
fn unusable_files_are_errors_that_say_what_to_do() {
    let config = example("commercial");
    let intent = Intent::of(&config);
    match run("truncated.txt", &intent, Identify::Name) {
        Err(Error::Dsregcmd { problem, .. }) => {
            assert_eq!(
                problem,
                Problem::Truncated {
                    section: "Tenant Details".into()
                }
            );
        }
        other => panic!("{other:?}"),
    }
    match run("foreign.txt", &intent, Identify::Name) {
        Err(error @ Error::Dsregcmd { .. }) => {
            assert!(
                error
                    .to_string()
                    .ends_with("has no `Device State` section with `AzureAdJoined` and `DomainJoined`")
            );
            assert!(error.help().unwrap().contains("dsregcmd /status > dsregcmd.txt"));
        }
        other => panic!("{other:?}"),
    }
}
