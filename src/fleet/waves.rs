//! Rollout waves: rings of exposure for one automated change. Each eligible entity falls into
//! the first wave whose rules it meets (the last wave takes the rest); a per-owner cap moves
//! those beyond it to the next wave. Assignment is deterministic: within a wave, entities are
//! ordered by a stable hash of their ref and the change, so the same fleet and change always
//! give the same waves, while different changes do not always pick the same entities first.

use std::collections::VecDeque;
use std::fmt::{self, Write};

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::LevelRequirement;
use crate::catalog::EntityRef;
use crate::certification::{Track, TrackStanding};
use crate::rules::condition::ConditionError;
use crate::rules::{Check, Status};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RolloutDef {
    /// At most this many automated changes per owner per wave (absent: no cap).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "whole"
    )]
    pub max_per_owner: Option<usize>,
    pub waves: Vec<WaveDef>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WaveDef {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Owned by this group or a group below it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Holds at least this level of this track.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<LevelRequirement>,
    /// Every one of these checks passes (or is exempt).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<String>,
    /// Overrides the rollout's `maxPerOwner` for this wave.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "whole"
    )]
    pub max_per_owner: Option<usize>,
}

/// A count however JSON writes it (`2` or `2.0`, as a JSON Schema integer may be), at most
/// `u32::MAX`.
pub(crate) fn whole<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<u64>,
{
    let error =
        |x: f64| serde::de::Error::custom(format!("{x} is not a whole number of 0 or more"));
    match Option::<f64>::deserialize(d)? {
        None => Ok(None),
        Some(x) if x.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&x) => {
            T::try_from(x as u64).map(Some).map_err(|_| error(x))
        }
        Some(x) => Err(error(x)),
    }
}

impl WaveDef {
    fn has_rules(&self) -> bool {
        self.owner.is_some() || self.level.is_some() || !self.checks.is_empty()
    }
}

#[derive(Debug, Clone)]
enum Rule {
    Owner(EntityRef),
    Level {
        track: usize,
        at_least: usize,
    },
    Check(usize),
    /// Names a track or check that is not loaded (checks replaced on the command line).
    Never,
}

#[derive(Debug, Clone)]
struct Wave {
    rules: Vec<Rule>,
    max_per_owner: Option<usize>,
}

/// Compiled rollout waves; empty when the policy defines none (then no entity has a wave).
#[derive(Debug, Clone, Default)]
pub struct Rollout {
    waves: Vec<Wave>,
}

/// What decides an eligible entity's wave.
pub struct Standing<'a> {
    /// The owning group and every group above it.
    pub groups: &'a [EntityRef],
    pub statuses: &'a [Status],
    pub standings: &'a [Option<TrackStanding>],
}

/// One eligible entity of a change.
pub struct Candidate<'a> {
    pub entity: &'a EntityRef,
    pub owner: Option<&'a EntityRef>,
    /// The wave its rules put it in ([`Rollout::natural_wave`]).
    pub natural: usize,
}

fn err(pointer: String, message: String) -> ConditionError {
    ConditionError { pointer, message }
}

impl Rollout {
    /// Compiles the waves against the loaded checks and tracks. Unknown references are errors,
    /// unless `lenient` (then the rule never holds, and a warning says so).
    pub fn compile(
        def: &RolloutDef,
        checks: &[Check],
        tracks: &[Track],
        lenient: bool,
    ) -> Result<(Rollout, Vec<ConditionError>), Vec<ConditionError>> {
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        if def.waves.is_empty() {
            errors.push(err(
                "/rollout/waves".into(),
                "define at least one wave".into(),
            ));
        }
        if def.max_per_owner == Some(0) {
            errors.push(err(
                "/rollout/maxPerOwner".into(),
                "`maxPerOwner` must be at least 1".into(),
            ));
        }
        let mut waves = Vec::new();
        for (i, w) in def.waves.iter().enumerate() {
            let at = |field: &str| format!("/rollout/waves/{i}{field}");
            let mut unresolved = |pointer: String, message: String| {
                if lenient {
                    warnings.push(err(pointer, message));
                    Ok(Rule::Never)
                } else {
                    Err(err(pointer, message))
                }
            };
            if def.waves[..i].iter().any(|o| o.name == w.name) {
                errors.push(err(
                    at("/name"),
                    format!("duplicate wave name `{}`", w.name),
                ));
            }
            if i + 1 == def.waves.len() && w.has_rules() {
                errors.push(err(
                    at(""),
                    format!(
                        "the last wave (`{}`) takes every eligible entity the waves before it do not: give it no `owner`, `level` or `checks`",
                        w.name
                    ),
                ));
            }
            if w.max_per_owner == Some(0) {
                errors.push(err(
                    at("/maxPerOwner"),
                    "`maxPerOwner` must be at least 1".into(),
                ));
            }
            let mut rules = Vec::new();
            if let Some(owner) = &w.owner {
                match EntityRef::parse(owner, Some("group"), "default") {
                    Ok(r) => rules.push(Ok(Rule::Owner(r))),
                    Err(e) => rules.push(Err(err(at("/owner"), e.to_string()))),
                }
            }
            if let Some(l) = &w.level {
                rules.push(match tracks.iter().position(|t| t.def.id == l.track) {
                    None => unresolved(
                        at("/level/track"),
                        format!(
                            "wave `{}` names track `{}`, which is not loaded",
                            w.name, l.track
                        ),
                    ),
                    Some(t) => match tracks[t].level_index(&l.at_least) {
                        None => Err(err(
                            at("/level/atLeast"),
                            format!("track `{}` has no level `{}`", l.track, l.at_least),
                        )),
                        Some(level) => Ok(Rule::Level {
                            track: t,
                            at_least: level,
                        }),
                    },
                });
            }
            for (ci, c) in w.checks.iter().enumerate() {
                rules.push(match checks.iter().position(|k| k.id() == c) {
                    Some(k) => Ok(Rule::Check(k)),
                    None => unresolved(
                        at(&format!("/checks/{ci}")),
                        format!("wave `{}` names check `{c}`, which is not loaded", w.name),
                    ),
                });
            }
            let mut compiled = Vec::new();
            for r in rules {
                match r {
                    Ok(r) => compiled.push(r),
                    Err(e) => errors.push(e),
                }
            }
            waves.push(Wave {
                rules: compiled,
                max_per_owner: w.max_per_owner.or(def.max_per_owner),
            });
        }
        if errors.is_empty() {
            Ok((Rollout { waves }, warnings))
        } else {
            Err(errors)
        }
    }

    pub fn is_empty(&self) -> bool {
        self.waves.is_empty()
    }

    /// How many waves are defined (caps may push entities into waves past these).
    pub fn len(&self) -> usize {
        self.waves.len()
    }

    /// The first wave whose rules an eligible entity meets (the last wave when none does);
    /// `None` when no waves are defined. Caps are not applied: see [`Rollout::assign`].
    pub fn natural_wave(&self, s: &Standing) -> Option<usize> {
        let last = self.waves.len().checked_sub(1)?;
        let holds = |rule: &Rule| match rule {
            Rule::Owner(group) => s.groups.contains(group),
            Rule::Level { track, at_least } => s
                .standings
                .get(*track)
                .and_then(Option::as_ref)
                .and_then(|st| st.level)
                .is_some_and(|l| l >= *at_least),
            Rule::Check(c) => s.statuses.get(*c).is_some_and(|st| st.satisfies()),
            Rule::Never => false,
        };
        Some(
            self.waves[..last]
                .iter()
                .position(|w| w.rules.iter().all(holds))
                .unwrap_or(last),
        )
    }

    /// The wave of every candidate of one change (`change` names it, e.g.
    /// `log4j-core<2.17.1`), in the candidates' order. Within a wave, entities beyond their
    /// owner's cap move to the next wave, ahead of that wave's own; past the last wave, further
    /// waves repeat the last one's cap until everyone has a wave.
    pub fn assign(&self, candidates: &[Candidate], change: &str) -> Vec<u32> {
        let mut waves = vec![0u32; candidates.len()];
        let Some(last) = self.waves.len().checked_sub(1) else {
            return waves;
        };
        let natural = |i: usize| candidates[i].natural.min(last);
        let keys: Vec<u64> = candidates
            .par_iter()
            .map(|c| {
                let mut h = StableHasher::default();
                // Writing to the hasher cannot fail.
                let _ = write!(h, "{}\n{change}", c.entity);
                h.0
            })
            .collect();
        // Caps count per owner, so each owner's entities can be placed on their own: the same
        // waves as walking every wave over the whole fleet, without carrying the spilled
        // entities of every owner through every wave.
        let mut by_owner: FxHashMap<Option<&EntityRef>, Vec<usize>> = FxHashMap::default();
        for (i, c) in candidates.iter().enumerate() {
            by_owner.entry(c.owner).or_default().push(i);
        }
        for mut list in by_owner.into_values() {
            // Natural wave first; within one, the change's order.
            list.sort_by(|&a, &b| {
                (natural(a), keys[a], candidates[a].entity).cmp(&(
                    natural(b),
                    keys[b],
                    candidates[b].entity,
                ))
            });
            let mut own = list.into_iter().peekable();
            let mut carried: VecDeque<usize> = VecDeque::new();
            let mut k = 0;
            loop {
                if carried.is_empty() {
                    // Skip the waves that have none of this owner's entities.
                    match own.peek() {
                        Some(&i) => k = k.max(natural(i)),
                        None => break,
                    }
                }
                while let Some(i) = own.next_if(|&i| natural(i) == k) {
                    carried.push_back(i);
                }
                let cap = self.waves[k.min(last)].max_per_owner.unwrap_or(usize::MAX);
                for i in carried.drain(..cap.min(carried.len())) {
                    waves[i] = k as u32;
                }
                k += 1;
            }
        }
        waves
    }
}

/// FNV-1a: stable across platforms, releases and runs (unlike the std hasher). Written to
/// with `write!`, so a key is hashed without being built as a string first.
struct StableHasher(u64);

impl Default for StableHasher {
    fn default() -> Self {
        StableHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl fmt::Write for StableHasher {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.0 = text.bytes().fold(self.0, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        Ok(())
    }
}

#[cfg(test)]
#[path = "waves_tests.rs"]
mod tests;
