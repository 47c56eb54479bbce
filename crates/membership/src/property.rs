//! The device properties a rule may test: a table, not control flow.
//!
//! Source: Microsoft Entra documentation, "Manage rules for dynamic membership groups",
//! section "Rules for devices" (entra-docs `docs/identity/users/groups-dynamic-membership.md`).

/// What kind of value a device property holds, which decides the operators it accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum PropertyKind {
    /// A single string (or null).
    String,
    /// `true` / `false` (or null).
    Bool,
    /// The multi-valued `devicePhysicalIds`; only `-any` / `-all` apply.
    PhysicalIds,
}

/// A device property, identified by its index in [`PROPERTIES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Property(u8);

struct PropertyDef {
    /// The spelling hangar writes, and the name passed to
    /// [`DeviceAttributes::property`](crate::DeviceAttributes::property).
    canonical: &'static str,
    /// Other spellings Microsoft documents for the same property.
    aliases: &'static [&'static str],
    kind: PropertyKind,
}

const fn string(canonical: &'static str) -> PropertyDef {
    PropertyDef {
        canonical,
        aliases: &[],
        kind: PropertyKind::String,
    }
}

const fn boolean(canonical: &'static str) -> PropertyDef {
    PropertyDef {
        canonical,
        aliases: &[],
        kind: PropertyKind::Bool,
    }
}

static PROPERTIES: [PropertyDef; 35] = [
    // Microsoft's own examples spell it both ways: `devicePhysicalIds` (Entra device table,
    // Autopilot group-tag examples) and `devicePhysicalIDs` (Entra device table, Autopilot
    // "all devices" example). Both documented spellings are accepted; no other casing is.
    PropertyDef {
        canonical: "devicePhysicalIds",
        aliases: &["devicePhysicalIDs"],
        kind: PropertyKind::PhysicalIds,
    },
    boolean("accountEnabled"),
    string("deviceCategory"),
    string("deviceId"),
    string("deviceManagementAppId"),
    string("deviceManufacturer"),
    string("deviceModel"),
    string("displayName"),
    string("deviceOSType"),
    string("deviceOSVersion"),
    string("deviceOwnership"),
    string("deviceTrustType"),
    string("enrollmentProfileName"),
    boolean("isRooted"),
    string("managementType"),
    string("objectId"),
    string("profileType"),
    // Graph models systemLabels as a collection, but Entra documents it as a string property
    // (`device.systemLabels -startsWith "M365Managed"`); hangar follows the rule docs.
    string("systemLabels"),
    string("extensionAttribute1"),
    string("extensionAttribute2"),
    string("extensionAttribute3"),
    string("extensionAttribute4"),
    string("extensionAttribute5"),
    string("extensionAttribute6"),
    string("extensionAttribute7"),
    string("extensionAttribute8"),
    string("extensionAttribute9"),
    string("extensionAttribute10"),
    string("extensionAttribute11"),
    string("extensionAttribute12"),
    string("extensionAttribute13"),
    string("extensionAttribute14"),
    string("extensionAttribute15"),
    // Two documented-but-unusable names get their own entries so that the error explains why.
    string("memberOf"),
    string("organizationalUnit"),
];

/// Properties that exist in Entra's rule language but that hangar refuses, and why.
const REFUSED: [(&str, &str); 2] = [
    (
        "memberOf",
        "`memberOf` rules depend on other groups' membership, which hangar cannot predict offline; \
         route devices by group tag or another device property instead",
    ),
    (
        "organizationalUnit",
        "`organizationalUnit` is no longer recognised by Entra, so no device would ever match; \
         use another device property",
    ),
];

/// The outcome of looking up a property name written in a rule.
pub(crate) enum Lookup {
    Found(Property),
    /// Same name as a known property, except for letter case.
    WrongCase(&'static str),
    /// A documented property hangar refuses, with the reason.
    Refused(&'static str),
    /// Not a property; the closest known name if one is close enough.
    Unknown(Option<&'static str>),
}

impl Property {
    /// `devicePhysicalIds`, the first entry of [`PROPERTIES`].
    #[cfg(test)]
    pub(crate) const PHYSICAL_IDS: Property = Property(0);

    fn def(self) -> &'static PropertyDef {
        &PROPERTIES[usize::from(self.0)]
    }

    pub(crate) fn canonical(self) -> &'static str {
        self.def().canonical
    }

    pub(crate) fn kind(self) -> PropertyKind {
        self.def().kind
    }

    pub(crate) fn lookup(name: &str) -> Lookup {
        for (index, def) in PROPERTIES.iter().enumerate() {
            let exact = def.canonical == name || def.aliases.contains(&name);
            if exact {
                if let Some((_, why)) = REFUSED.iter().find(|(n, _)| *n == def.canonical) {
                    return Lookup::Refused(why);
                }
                // The table has fewer than 256 entries, so the index always fits.
                return Lookup::Found(Property(u8::try_from(index).unwrap_or(u8::MAX)));
            }
        }
        for def in &PROPERTIES {
            if def.canonical.eq_ignore_ascii_case(name) {
                return Lookup::WrongCase(def.canonical);
            }
        }
        let lower = name.to_ascii_lowercase();
        let best = PROPERTIES
            .iter()
            .filter(|def| !REFUSED.iter().any(|(n, _)| *n == def.canonical))
            .map(|def| {
                (
                    strsim::jaro_winkler(&lower, &def.canonical.to_ascii_lowercase()),
                    def,
                )
            })
            .max_by(|a, b| a.0.total_cmp(&b.0));
        Lookup::Unknown(
            best.filter(|(score, _)| *score >= 0.8)
                .map(|(_, def)| def.canonical),
        )
    }
}

/// Every device property a rule may test, by canonical name (the name
/// [`DeviceAttributes::property`](crate::DeviceAttributes::property) receives).
/// `devicePhysicalIds` is listed too, although it is read through
/// [`DeviceAttributes::physical_ids`](crate::DeviceAttributes::physical_ids).
pub fn property_names() -> impl Iterator<Item = &'static str> {
    PROPERTIES
        .iter()
        .filter(|def| !REFUSED.iter().any(|(n, _)| *n == def.canonical))
        .map(|def| def.canonical)
}

/// The canonical spelling of a property name as a rule may write it, or `None` when rules may
/// not use that name. Case-sensitive, like Entra's property names.
pub fn canonical_property_name(name: &str) -> Option<&'static str> {
    match Property::lookup(name) {
        Lookup::Found(p) => Some(p.canonical()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_documented_spellings_of_physical_ids_resolve_to_one_property() {
        assert!(matches!(
            Property::lookup("devicePhysicalIds"),
            Lookup::Found(Property::PHYSICAL_IDS)
        ));
        assert!(matches!(
            Property::lookup("devicePhysicalIDs"),
            Lookup::Found(Property::PHYSICAL_IDS)
        ));
        assert!(matches!(
            Property::lookup("devicephysicalids"),
            Lookup::WrongCase("devicePhysicalIds")
        ));
    }

    #[test]
    fn unknown_names_suggest_the_closest_property() {
        assert!(matches!(
            Property::lookup("deviceOS"),
            Lookup::Unknown(Some("deviceOSType"))
        ));
        assert!(matches!(
            Property::lookup("enrolmentProfileName"),
            Lookup::Unknown(Some("enrollmentProfileName"))
        ));
        assert!(matches!(Property::lookup("zzz"), Lookup::Unknown(None)));
    }

    #[test]
    fn refused_properties_explain_themselves() {
        assert!(matches!(Property::lookup("memberOf"), Lookup::Refused(_)));
        assert!(matches!(
            Property::lookup("organizationalUnit"),
            Lookup::Refused(_)
        ));
        assert_eq!(canonical_property_name("memberOf"), None);
        assert!(!property_names().any(|n| n == "memberOf"));
    }

    #[test]
    fn every_extension_attribute_is_known() {
        for i in 1..=15 {
            let name = format!("extensionAttribute{i}");
            assert_eq!(
                canonical_property_name(&name),
                Some(name.as_str()).map(|_| { property_names().find(|n| *n == name).expect("listed") })
            );
        }
    }
}
