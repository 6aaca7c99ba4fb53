//! Several replicas on one store. Every change a replica commits carries a row of the change
//! log, written in the same transaction. The other replicas apply the log in sequence order —
//! woken by the store's notifications, catching up by sequence after a missed one — by running
//! the writer's own code on what the store now holds, at the change's time, without writing.
//! A writer takes its turn under the store's cross-replica lock and applies the log first, so it
//! computes on the latest state: two replicas writing at once give what one replica applying
//! both in commit order would. One replica leads (the store's leader lock): it alone runs the
//! collectors' schedules, expiries and campaign deadlines, pruning and event delivery.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rustc_hash::FxHashSet;
use serde::Serialize;
use utoipa::ToSchema;

use super::load::{Load, entity_from_store, facts_of};
use super::{App, ServiceError};
use crate::catalog::{Catalog, Entity, EntityRef};
use crate::governance::exemptions;
use crate::health::EntityFacts;
use crate::store::{ChangeScope, ChangeSet, LogDraft, LogEntry, WriteLock};

/// How often a replica looks at the log without a notification, and how often it tries for
/// (or checks that it still holds) the leader's lock.
const FOLLOW_POLL: Duration = Duration::from_millis(500);
const LEAD_POLL: Duration = Duration::from_secs(1);
/// Log entries read at a time.
const LOG_PAGE: i64 = 500;

/// How a computed change ends.
pub(super) enum Ending {
    /// This replica made it: commit it with a log row saying what it touched.
    Commit(ChangeScope),
    /// Another replica committed it; this one applies it from the log: publish only.
    Replay,
}

/// The log scope of a change to the facts (or, with `governance`, the exemptions and
/// campaigns) of `refs`; `reevaluate`: they were evaluated anew at the change's time.
pub(super) fn entities_scope(
    refs: &[EntityRef],
    reevaluate: bool,
    governance: bool,
) -> ChangeScope {
    ChangeScope::Entities {
        refs: refs.iter().map(EntityRef::to_string).collect(),
        reevaluate,
        governance,
    }
}

/// A writer's turn: this replica's writer lock, then the store's cross-replica lock, with the
/// log applied up to now.
pub(super) struct Turn<'a> {
    _local: tokio::sync::MutexGuard<'a, ()>,
    _shared: WriteLock,
}

/// Which replica this is and which one leads, for `GET /api/v1/collectors` and `/metrics`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaStatus {
    /// This replica's name (`TECH_HEALTH_REPLICA_ID`, else host and process id).
    pub replica: String,
    /// Whether this replica leads: runs the collectors' schedules, expiries, pruning and
    /// event delivery.
    pub leader: bool,
    /// The replica that leads, when one does.
    pub leader_replica: Option<String>,
    /// The last change of the shared change log this replica has applied.
    pub applied_seq: i64,
}

/// This replica's name: `TECH_HEALTH_REPLICA_ID`, else the host name and process id.
pub(super) fn replica_name(env: &dyn Fn(&str) -> Option<String>) -> String {
    env("TECH_HEALTH_REPLICA_ID")
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| {
            let host = env("HOSTNAME")
                .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| "tech-health".into());
            format!("{host}-{}", std::process::id())
        })
}

impl App {
    /// Waits for this replica's turn to write; see [`Turn`].
    pub(super) async fn turn(&self) -> Result<Turn<'_>, ServiceError> {
        let local = self.writer.lock().await;
        let shared = self.store.lock_writes().await?;
        self.catch_up().await?;
        Ok(Turn {
            _local: local,
            _shared: shared,
        })
    }

    /// Ends a change: commits it with its log row, or (replaying) leaves the store alone.
    pub(super) async fn finish(
        &self,
        change: &mut ChangeSet,
        ending: Ending,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let Ending::Commit(scope) = ending else {
            return Ok(());
        };
        change.log = Some(LogDraft {
            origin: self.replica.clone(),
            scope,
        });
        if let Some(seq) = self.store.commit(change, now).await? {
            self.applied.store(seq, Ordering::SeqCst);
        }
        Ok(())
    }

    /// Applies what other replicas committed since this one last looked. Callers hold the
    /// writer lock.
    pub(super) async fn catch_up(&self) -> Result<(), ServiceError> {
        if !self.store.shared() {
            return Ok(());
        }
        loop {
            let applied = self.applied.load(Ordering::SeqCst);
            let entries = self.store.changes_since(applied, LOG_PAGE).await?;
            let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
                return Ok(());
            };
            // Sequences have gaps (rolled-back transactions); entries pruned before this
            // replica read them are another matter: then everything is read again.
            let missed = first.seq > applied + 1
                && self
                    .store
                    .oldest_seq()
                    .await?
                    .is_some_and(|o| o > applied + 1);
            if missed {
                self.reload_inner(Load::Reread(last.at)).await?;
            } else {
                for e in &entries {
                    self.apply(e).await?;
                    self.applied.store(e.seq, Ordering::SeqCst);
                }
            }
            self.applied.store(last.seq, Ordering::SeqCst);
            metrics::gauge!("tech_health_change_log_applied_seq").set(last.seq as f64);
        }
    }

    /// Applies one change another replica committed.
    async fn apply(&self, e: &LogEntry) -> Result<(), ServiceError> {
        match &e.scope {
            ChangeScope::Fleet { entities, facts } => {
                let load = Load::Follow {
                    at: e.at,
                    entities: entities.clone(),
                    facts: facts.clone(),
                };
                self.reload_inner(load).await.map(|_| ())
            }
            ChangeScope::Catalog { refs } => {
                let fleet = self.fleet();
                let catalog = self.catalog_with(&fleet.catalog, refs).await?;
                let changed: FxHashSet<EntityRef> =
                    refs.iter().filter_map(|r| r.parse().ok()).collect();
                let catalog = Arc::unwrap_or_clone(catalog);
                self.apply_catalog(
                    &fleet,
                    catalog,
                    changed,
                    ChangeSet::default(),
                    e.at,
                    Ending::Replay,
                )
                .await
                .map(|_| ())
            }
            ChangeScope::Rollout { change, members } => {
                self.reread_change(change, members.as_deref()).await
            }
            ChangeScope::Entities {
                refs,
                reevaluate,
                governance,
            } => {
                if *governance {
                    // Counted on the fleet as it stands: the re-evaluation below counts on.
                    self.load_governance(Some(&self.fleet())).await?;
                }
                let gov = (*self.governance()).clone();
                let mut next = (*self.fleet()).clone();
                if *governance {
                    next.exemptions = Arc::new(exemptions::applying(&gov.exemptions, e.at));
                }
                self.read_facts(&mut next.facts, refs, &next.catalog)
                    .await?;
                if *reevaluate {
                    let touched: Vec<EntityRef> =
                        refs.iter().filter_map(|r| r.parse().ok()).collect();
                    self.reevaluate_governed(
                        next,
                        &touched,
                        ChangeSet::default(),
                        e.at,
                        gov,
                        Ending::Replay,
                    )
                    .await
                    .map(|_| ())
                } else {
                    self.publish(next);
                    Ok(())
                }
            }
        }
    }

    /// `catalog` with the stored form of `refs` (those no longer stored leave it).
    pub(super) async fn catalog_with(
        &self,
        catalog: &Arc<Catalog>,
        refs: &[String],
    ) -> Result<Arc<Catalog>, ServiceError> {
        if refs.is_empty() {
            return Ok(catalog.clone());
        }
        let changed: FxHashSet<EntityRef> = refs.iter().filter_map(|r| r.parse().ok()).collect();
        let mut all: Vec<Entity> = catalog
            .entities()
            .iter()
            .filter(|x| !changed.contains(&x.entity_ref))
            .cloned()
            .collect();
        let stored = self.store.entities_of(refs).await?;
        all.extend(stored.iter().filter_map(entity_from_store));
        Ok(Arc::new(Catalog::from_entities(all)))
    }

    /// Replaces the facts of `refs` in `facts` with the latest stored ones (and their stale
    /// marks); an entity with none stored has none.
    pub(super) async fn read_facts(
        &self,
        facts: &mut imbl::HashMap<EntityRef, EntityFacts>,
        refs: &[String],
        catalog: &Catalog,
    ) -> Result<(), ServiceError> {
        if refs.is_empty() {
            return Ok(());
        }
        let (rows, marks) = self.store.latest_facts_of(refs).await?;
        let mut by = facts_of(rows, marks, catalog);
        for r in refs.iter().filter_map(|r| r.parse::<EntityRef>().ok()) {
            match by.remove(&r) {
                Some(list) => {
                    facts.insert(catalog.shared_ref(&r), list.into());
                }
                None => {
                    facts.remove(&r);
                }
            }
        }
        Ok(())
    }

    /// Whether this replica leads.
    pub fn is_leader(&self) -> bool {
        *self.leading.borrow()
    }

    /// Follows this replica's leadership (true while it leads).
    pub fn leadership(&self) -> tokio::sync::watch::Receiver<bool> {
        self.leading.subscribe()
    }

    fn set_leading(&self, leading: bool) {
        if self.leading.send_replace(leading) != leading {
            tracing::info!(replica = %self.replica, leading, "leadership changed");
        }
        metrics::gauge!("tech_health_leader", "replica" => self.replica.clone())
            .set(f64::from(u8::from(leading)));
    }

    /// Start-up done: the log is applied, `readyz` answers 200.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    pub async fn replica_status(&self) -> ReplicaStatus {
        let leader = self.is_leader();
        let leader_replica = if !self.store.shared() || leader {
            leader.then(|| self.replica.clone())
        } else {
            self.store.leader().await.ok().flatten()
        };
        ReplicaStatus {
            replica: self.replica.clone(),
            leader,
            leader_replica,
            applied_seq: self.applied.load(Ordering::SeqCst),
        }
    }

    /// After start-up: follow the log (on a shared store) and try to lead (a replica that is
    /// the store's only one leads at once). The first try is made before this returns.
    pub(super) async fn spawn_replication(self: &Arc<App>) {
        match self.store.leader_session(&self.replica).await {
            Ok(None) => self.set_leading(true),
            Ok(Some(mut s)) => {
                self.set_leading(s.try_lead().await.unwrap_or(false));
                tokio::spawn(lead(Arc::downgrade(self), Some(s)));
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot open the leader's session; will retry");
                self.set_leading(false);
                tokio::spawn(lead(Arc::downgrade(self), None));
            }
        }
        if self.store.shared() {
            tokio::spawn(follow(Arc::downgrade(self)));
        }
        self.ready.store(true, Ordering::SeqCst);
    }
}

/// Applies the log whenever the store tells of a commit, and every [`FOLLOW_POLL`] anyway.
async fn follow(app: Weak<App>) {
    let wake = Arc::new(tokio::sync::Notify::new());
    let mut listener: Option<tokio::task::JoinHandle<()>> = None;
    loop {
        let Some(a) = app.upgrade() else { break };
        if listener.as_ref().is_none_or(|l| l.is_finished()) {
            listener = match a.store.listen().await {
                Ok(l) => l.map(|l| tokio::spawn(l.forward(a.replica.clone(), wake.clone()))),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for changes; polling");
                    None
                }
            };
        }
        let caught_up = {
            let _writer = a.writer.lock().await;
            a.catch_up().await
        };
        if let Err(e) = caught_up {
            tracing::warn!(error = %e, "applying the change log failed; will retry");
        }
        drop(a);
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(FOLLOW_POLL) => {}
        }
    }
    if let Some(l) = listener {
        l.abort();
    }
}

/// Holds (or tries for) the leader's lock on a session of its own; a lost session is a lost
/// lead, and a new session is opened to try again.
async fn lead(app: Weak<App>, mut session: Option<crate::store::LeaderSession>) {
    loop {
        let Some(a) = app.upgrade() else { return };
        match session.as_mut() {
            None => match a.store.leader_session(&a.replica).await {
                Ok(s) => session = s,
                Err(e) => tracing::warn!(error = %e, "cannot open the leader's session"),
            },
            Some(s) => {
                let held = if a.is_leader() {
                    s.check().await.map(|()| true)
                } else {
                    s.try_lead().await
                };
                match held {
                    Ok(held) => a.set_leading(held),
                    Err(e) => {
                        tracing::warn!(error = %e, "the leader's session was lost");
                        a.set_leading(false);
                        session = None;
                    }
                }
            }
        }
        drop(a);
        tokio::time::sleep(LEAD_POLL).await;
    }
}
