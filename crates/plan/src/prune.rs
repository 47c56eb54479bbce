//! Pruning scope: `prune.enabled`, `prune.only`, `prune.maxDeletes`.

use globset::GlobMatcher;
use hangar_config::Prune;
use hangar_model::Kind;

/// `Tenant.prune`, with its globs compiled once.
pub(crate) struct Pruning {
    enabled: bool,
    patterns: Vec<(Kind, GlobMatcher)>,
}

impl Pruning {
    pub fn new(prune: &Prune) -> Pruning {
        let patterns = prune
            .only
            .iter()
            .filter_map(|pattern| {
                // Config validates globs; an invalid one matches nothing, which is the safe side.
                globset::Glob::new(&pattern.glob)
                    .ok()
                    .map(|glob| (pattern.kind, glob.compile_matcher()))
            })
            .collect();
        Pruning {
            enabled: prune.enabled.value,
            patterns,
        }
    }

    /// Whether pruning may delete the object of `kind` named `name` (a serial for devices).
    pub fn allows(&self, kind: Kind, name: &str) -> bool {
        self.enabled
            && self
                .patterns
                .iter()
                .any(|(k, glob)| *k == kind && glob.is_match(name))
    }

    /// Whether any pattern covers `kind` at all.
    pub fn covers(&self, kind: Kind) -> bool {
        self.enabled && self.patterns.iter().any(|(k, _)| *k == kind)
    }
}
