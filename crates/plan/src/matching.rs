//! Identity: which live object each desired object is.
//!
//! Kind + display name, matched exactly (case and spaces included). Two live objects with the
//! desired name are an error naming both ids, unless the document pins one with `id:`.
//! Built-ins (the default ESP and the default restriction, `name: default`) are matched by
//! their built-in identity (the `builtin` flag or the id suffix), never by name, and live
//! built-ins never match an ordinary document. A document with `renamedFrom: OLD` matches the
//! live object named OLD while one is live (the plan renames it in place); both names live is
//! an error.

use std::collections::{HashMap, HashSet};

use hangar_config::{
    DesiredState, DomainJoinId, DppId, EspId, GroupId, Meta, ProfileId, RestrictionId, Span,
};
use hangar_model::well_known::{DEFAULT_ESP_ID_SUFFIX, DEFAULT_PLATFORM_RESTRICTION_ID_SUFFIX};
use hangar_model::{Kind, LiveObject, LiveState};

use crate::error::Error;

/// A desired object by kind and index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DesiredRef {
    /// A `DeviceGroup`.
    Group(GroupId),
    /// A `DeploymentProfile`.
    Profile(ProfileId),
    /// An `EnrollmentStatusPage`.
    Esp(EspId),
    /// A `DomainJoinProfile`.
    DomainJoin(DomainJoinId),
    /// An `EnrollmentRestriction`.
    Restriction(RestrictionId),
    /// A `DevicePreparationPolicy`.
    Dpp(DppId),
}

impl DesiredRef {
    /// The kind.
    pub fn kind(self) -> Kind {
        match self {
            DesiredRef::Group(_) => Kind::DeviceGroup,
            DesiredRef::Profile(_) => Kind::DeploymentProfile,
            DesiredRef::Esp(_) => Kind::EnrollmentStatusPage,
            DesiredRef::DomainJoin(_) => Kind::DomainJoinProfile,
            DesiredRef::Restriction(_) => Kind::EnrollmentRestriction,
            DesiredRef::Dpp(_) => Kind::DevicePreparationPolicy,
        }
    }

    /// The common fields.
    pub fn meta(self, state: &DesiredState) -> &Meta {
        match self {
            DesiredRef::Group(id) => &state.group(id).meta,
            DesiredRef::Profile(id) => &state.profile(id).meta,
            DesiredRef::Esp(id) => &state.esp(id).meta,
            DesiredRef::DomainJoin(id) => &state.domain_join(id).meta,
            DesiredRef::Restriction(id) => &state.restriction(id).meta,
            DesiredRef::Dpp(id) => &state.dpp(id).meta,
        }
    }

    /// Whether the document edits a built-in object.
    pub fn builtin(self, state: &DesiredState) -> bool {
        match self {
            DesiredRef::Esp(id) => state.esp(id).builtin,
            DesiredRef::Restriction(id) => state.restriction(id).builtin,
            _ => false,
        }
    }

    /// Every desired object, in dependency order (groups first), then document order.
    pub fn all(state: &DesiredState) -> Vec<DesiredRef> {
        let n = |len: usize| 0..len as u32;
        let mut all = Vec::new();
        all.extend(n(state.groups.len()).map(|i| DesiredRef::Group(GroupId(i))));
        all.extend(n(state.profiles.len()).map(|i| DesiredRef::Profile(ProfileId(i))));
        all.extend(n(state.esps.len()).map(|i| DesiredRef::Esp(EspId(i))));
        all.extend(n(state.domain_joins.len()).map(|i| DesiredRef::DomainJoin(DomainJoinId(i))));
        all.extend(n(state.restrictions.len()).map(|i| DesiredRef::Restriction(RestrictionId(i))));
        all.extend(n(state.device_preparation.len()).map(|i| DesiredRef::Dpp(DppId(i))));
        all
    }
}

/// The id suffix of a kind's built-in object.
pub fn builtin_suffix(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::EnrollmentStatusPage => Some(DEFAULT_ESP_ID_SUFFIX),
        Kind::EnrollmentRestriction => Some(DEFAULT_PLATFORM_RESTRICTION_ID_SUFFIX),
        _ => None,
    }
}

/// Whether a live object is a built-in.
pub fn is_builtin(object: &LiveObject) -> bool {
    object.builtin || builtin_suffix(object.kind).is_some_and(|suffix| object.id.ends_with(suffix))
}

/// The outcome of matching.
#[derive(Debug)]
pub struct Matching<'a> {
    /// Every desired object with its live object (`None`: to be created).
    pub pairs: Vec<(DesiredRef, Option<&'a LiveObject>)>,
    /// Live objects no desired object matched (built-ins excluded).
    pub unmatched: Vec<&'a LiveObject>,
}

/// Matches every desired object to at most one live object. Collects every problem.
pub fn match_objects<'a>(state: &DesiredState, live: &'a LiveState) -> Result<Matching<'a>, Vec<Error>> {
    let mut by_name: HashMap<(Kind, &str), Vec<&'a LiveObject>> = HashMap::new();
    for object in live.objects.iter().filter(|object| !is_builtin(object)) {
        by_name
            .entry((object.kind, object.display_name.as_str()))
            .or_default()
            .push(object);
    }
    let desired_names: HashSet<(Kind, &str)> = DesiredRef::all(state)
        .into_iter()
        .map(|object| (object.kind(), object.meta(state).name.value.as_str()))
        .collect();
    let mut errors = Vec::new();
    let mut pairs = Vec::new();
    let mut taken: HashSet<(Kind, &str)> = HashSet::new();
    for object in DesiredRef::all(state) {
        let kind = object.kind();
        let meta = object.meta(state);
        let name = meta.name.value.as_str();
        let found = if object.builtin(state) {
            match_builtin(kind, live, meta.document)
        } else if let Some(id) = &meta.id {
            match live
                .objects_of(kind)
                .find(|o| o.id.eq_ignore_ascii_case(&id.value))
            {
                Some(found) => Ok(Some(found)),
                None => Err(Error::PinnedIdNotFound {
                    kind,
                    name: name.to_owned(),
                    id: id.value.clone(),
                    span: id.span,
                }),
            }
        } else if let Some(old) = meta.renamed_from.as_ref().filter(|old| {
            // `renamedFrom:` applies while the old name is live and the new one is not.
            by_name
                .get(&(kind, old.value.as_str()))
                .is_some_and(|found| !found.is_empty())
        }) {
            let olds = by_name
                .get(&(kind, old.value.as_str()))
                .map(Vec::as_slice)
                .unwrap_or_default();
            let news = by_name.get(&(kind, name)).map(Vec::as_slice).unwrap_or_default();
            if desired_names.contains(&(kind, old.value.as_str())) {
                Err(Error::RenameFromDocument {
                    kind,
                    name: name.to_owned(),
                    old: old.value.clone(),
                    span: old.span,
                })
            } else {
                match (news, olds) {
                    ([], [only]) => Ok(Some(*only)),
                    ([new, ..], [found, ..]) => Err(Error::RenameBothLive {
                        kind,
                        name: name.to_owned(),
                        old: old.value.clone(),
                        new_id: new.id.clone(),
                        old_id: found.id.clone(),
                        span: old.span,
                    }),
                    (_, several) => Err(Error::DuplicateName {
                        kind,
                        name: old.value.clone(),
                        ids: several.iter().map(|o| o.id.clone()).collect(),
                        span: old.span,
                    }),
                }
            }
        } else {
            match by_name.get(&(kind, name)).map(Vec::as_slice).unwrap_or_default() {
                [] if live.is_complete(kind) => Ok(None),
                [] => Err(Error::IncompleteRead {
                    kind,
                    name: name.to_owned(),
                    span: meta.name.span,
                }),
                [only] => Ok(Some(*only)),
                several => Err(Error::DuplicateName {
                    kind,
                    name: name.to_owned(),
                    ids: several.iter().map(|o| o.id.clone()).collect(),
                    span: meta.name.span,
                }),
            }
        };
        let found = match (found, object) {
            (Ok(None), DesiredRef::Group(id)) if state.group(id).is_external() => {
                Err(Error::ExternalGroupMissing {
                    name: name.to_owned(),
                    span: state.group(id).external.unwrap_or(meta.name.span),
                })
            }
            (found, _) => found,
        };
        match found {
            Ok(found) => {
                if let Some(found) = found {
                    taken.insert((found.kind, found.id.as_str()));
                }
                pairs.push((object, found));
            }
            Err(error) => errors.push(error),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let unmatched = live
        .objects
        .iter()
        .filter(|object| !is_builtin(object) && !taken.contains(&(object.kind, object.id.as_str())))
        .collect();
    Ok(Matching { pairs, unmatched })
}

fn match_builtin(kind: Kind, live: &LiveState, span: Span) -> Result<Option<&LiveObject>, Error> {
    let suffix = builtin_suffix(kind).unwrap_or_default();
    live.objects_of(kind)
        .find(|object| is_builtin(object))
        .map(Some)
        .ok_or(Error::BuiltinMissing { kind, suffix, span })
}
