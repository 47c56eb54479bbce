//! Assignment filters by name: the YAML names a filter (`filter: NAME`), the tenant's
//! `assignmentFilters` give its id. Checked before anything is projected, so a name that does
//! not resolve stops the plan with an error at the `filter:` line instead of a request Graph
//! would refuse.

use hangar_config::{DesiredState, IncludeFilter};
use hangar_model::{AssignmentFilter, LiveState, ReferenceKind};

use crate::{Error, FilterRef};

/// Every `filter:` of `desired` resolves to exactly one filter of the tenant.
pub(crate) fn check(desired: &DesiredState, live: &LiveState) -> Result<(), Vec<Error>> {
    let mut errors = Vec::new();
    for (_, _, assign) in desired.assignments() {
        for filter in &assign.filters {
            let name = &filter.name.value;
            if live.assignment_filters.is_none() {
                errors.push(Error::FiltersNotRead {
                    name: name.clone(),
                    span: filter.name.span,
                });
                continue;
            }
            let ids: Vec<String> = named(live, name).map(|f| f.id.clone()).collect();
            match ids.len() {
                1 => {}
                0 => {
                    let mut known: Vec<String> = live
                        .assignment_filters
                        .iter()
                        .flatten()
                        .map(|f| f.display_name.clone())
                        .collect();
                    known.sort();
                    known.dedup();
                    known.truncate(10);
                    errors.push(Error::FilterNotFound {
                        name: name.clone(),
                        known,
                        span: filter.name.span,
                    });
                }
                _ => errors.push(Error::FilterAmbiguous {
                    name: name.clone(),
                    ids,
                    span: filter.name.span,
                }),
            }
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// The tenant's filters a `filter:` value names: by `displayName`, or by id when it is written
/// as a GUID (the pin `hangar import` writes when two filters share a name).
fn named<'a>(live: &'a LiveState, name: &'a str) -> Box<dyn Iterator<Item = &'a AssignmentFilter> + 'a> {
    if ReferenceKind::App.is_id(name) {
        Box::new(live.filter_by_id(name).into_iter())
    } else {
        Box::new(live.filters_named(name))
    }
}

/// The filter a checked `filter:` names.
pub(crate) fn resolve(live: &LiveState, filter: &IncludeFilter) -> FilterRef {
    let found = named(live, &filter.name.value).next();
    FilterRef {
        // A pin by id is shown by the filter's name, as the admin center shows it.
        name: found.map_or_else(|| filter.name.value.clone(), |f| f.display_name.clone()),
        id: found.map(|f| f.id.clone()).unwrap_or_default(),
        mode: filter.mode.value,
    }
}
