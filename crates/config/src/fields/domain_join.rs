//! `DomainJoinProfile` (graph-api-notes §6).

use super::{Codec, Default, Field, FieldInfo, Graph, Table, Type, get};
use crate::model::DomainJoinProfile;

const fn property(path: &'static str) -> Graph {
    Graph::Property {
        path,
        codec: Codec::Same,
    }
}

/// `kind: DomainJoinProfile`.
pub static DOMAIN_JOIN: Table<DomainJoinProfile> = Table {
    kind: "DomainJoinProfile",
    graph_type: "`windowsDomainJoinConfiguration` under `deviceManagement/deviceConfigurations` (beta)",
    meta: &["kind", "name", "id", "renamedFrom", "description", "scopeTags"],
    fields: &[
        Field {
            info: FieldInfo {
                yaml: "domain",
                ty: Type::Text,
                graph: property("activeDirectoryDomainName"),
                default: Default::Required,
                label: Some("Domain name"),
                doc: "The Active Directory domain, e.g. `corp.contoso.com`.",
                normalisation: &["domain-join.names-case"],
            },
            get: Some(|d, _| get::value(&d.domain)),
        },
        Field {
            info: FieldInfo {
                yaml: "ou",
                ty: Type::Text,
                graph: property("organizationalUnit"),
                default: Default::Empty {
                    meaning: "the default Computers container",
                    graph: "null",
                    source: "graph-api-notes §6 (`organizationalUnit`: null = default computers container)",
                },
                label: Some("Organizational unit"),
                doc: "Distinguished name of the OU computer objects are created in.",
                normalisation: &["domain-join.ou-default", "domain-join.names-case"],
            },
            get: Some(|d, _| get::optional(&d.ou, d.meta.kind_span)),
        },
        Field {
            info: FieldInfo {
                yaml: "computerNamePrefix",
                ty: Type::Text,
                graph: property("computerNameStaticPrefix"),
                default: Default::Required,
                label: Some("Computer name prefix"),
                doc: "Letters, digits, hyphens; prefix plus random characters at most 15.",
                normalisation: &["domain-join.names-case"],
            },
            get: Some(|d, _| get::value(&d.computer_name_prefix)),
        },
        Field {
            info: FieldInfo {
                yaml: "randomChars",
                ty: Type::Int { min: 3, max: 14 },
                graph: property("computerNameSuffixRandomCharCount"),
                default: Default::Required,
                label: None,
                doc: "Number of random characters after the prefix.",
                normalisation: &[],
            },
            get: Some(|d, _| get::value(&d.random_chars)),
        },
        Field {
            info: FieldInfo {
                yaml: "assign",
                ty: Type::Other("see `assign`"),
                graph: Graph::Request("`POST …/assign` with `assignments` (the whole list)"),
                default: Default::Value {
                    yaml: "[]",
                    source: "hangar",
                },
                label: Some("Assignments"),
                doc: "The same groups as the hybrid deployment profile.",
                normalisation: &[],
            },
            get: None,
        },
    ],
    aliases: &[],
};
