//! Tracks and levels: an entity holds level L of a track when every applicable `error` check
//! of L and of every lower level passes or is exempt. Warnings never block.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::rules::{Check, Severity, Status};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LevelDef {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub checks: Vec<String>,
}

impl LevelDef {
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrackDef {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether the track counts towards golden state.
    #[serde(default = "yes")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<Value>,
    pub levels: Vec<LevelDef>,
}

/// A track with its checks resolved to indexes into the compiled check list.
#[derive(Debug, Clone)]
pub struct Track {
    pub def: TrackDef,
    pub filter: Option<crate::rules::filter::Filter>,
    /// Per level, the indexes of its checks.
    pub levels: Vec<Vec<usize>>,
}

/// Where an entity stands on one track. (What blocks the next level follows from the
/// statuses: [`Track::blocking`].)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackStanding {
    /// Index of the highest level held; `None` when not even the first is held.
    pub level: Option<usize>,
}

impl TrackStanding {
    pub fn next_level(&self, track: &Track) -> Option<usize> {
        let next = self.level.map_or(0, |l| l + 1);
        (next < track.levels.len()).then_some(next)
    }

    pub fn at_top(&self, track: &Track) -> bool {
        self.level == Some(track.levels.len() - 1)
    }
}

impl Track {
    /// Computes the level held from the check results of one entity.
    pub fn standing(&self, checks: &[Check], statuses: &[Status]) -> TrackStanding {
        let mut level = None;
        for i in 0..self.levels.len() {
            if self.blocks(checks, statuses, i).next().is_some() {
                break;
            }
            level = Some(i);
        }
        TrackStanding { level }
    }

    /// The checks (indexes) that stop an entity with these statuses from holding the level
    /// after the one it holds (none at the top).
    pub fn blocking(
        &self,
        checks: &[Check],
        statuses: &[Status],
        standing: &TrackStanding,
    ) -> Vec<usize> {
        standing
            .next_level(self)
            .map(|next| self.blocks(checks, statuses, next).collect())
            .unwrap_or_default()
    }

    /// The checks of `level` that do not let it hold: failing checks of severity error.
    fn blocks<'a>(
        &'a self,
        checks: &'a [Check],
        statuses: &'a [Status],
        level: usize,
    ) -> impl Iterator<Item = usize> + 'a {
        self.levels[level]
            .iter()
            .copied()
            .filter(|&c| checks[c].def.severity == Severity::Error && !statuses[c].satisfies())
    }

    pub fn level_id(&self, level: Option<usize>) -> Option<&str> {
        level.map(|l| self.def.levels[l].id.as_str())
    }

    pub fn level_index(&self, id: &str) -> Option<usize> {
        self.def.levels.iter().position(|l| l.id == id)
    }
}
