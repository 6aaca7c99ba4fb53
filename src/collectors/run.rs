//! One run of one collector: collect, apply the output through the
//! service's change functions (so re-evaluation and one-transaction writes happen as for pushed
//! facts), mark what could not be refreshed stale, record the run, count it in the metrics.

use std::collections::BTreeSet;

use chrono::Utc;

pub use super::registry::{Entry, Runner, Trigger};
use super::{CollectError, Collection, Collector, Scope, StaleTarget};
use crate::catalog::EntityRef;
use crate::service::{App, FactItem, ServiceError};
use crate::store::RunRow;

/// Entities annotated with the repository `slug` (`github.com/project-slug`, any case).
pub fn entities_of_repository(app: &App, slug: &str) -> Vec<EntityRef> {
    app.fleet()
        .catalog
        .entities()
        .iter()
        .filter(|e| {
            e.annotation("github.com/project-slug")
                .is_some_and(|s| s.eq_ignore_ascii_case(slug))
        })
        .map(|e| e.entity_ref.clone())
        .collect()
}

/// The scope of one entity, with its repository when it has one.
pub fn entity_scope(app: &App, entity: &EntityRef) -> Scope {
    let repository = app
        .fleet()
        .catalog
        .get(entity)
        .and_then(|e| e.annotation("github.com/project-slug"))
        .map(str::to_string);
    Scope::Entity {
        entity: entity.clone(),
        repository,
    }
}

/// What applying a collection did.
#[derive(Default)]
struct Applied {
    touched: BTreeSet<EntityRef>,
    errors: Vec<String>,
}

impl App {
    /// Runs one collector over `scope` now and records the run. With `wait_if_busy` false a run
    /// already in progress makes this one a no-op (`None`), as for scheduled runs.
    pub async fn run_collector(
        &self,
        entry: &Entry,
        scope: Scope,
        trigger: Trigger,
        wait_if_busy: bool,
    ) -> Option<RunRow> {
        let _busy = entry.claim(wait_if_busy).await?;
        let name = entry.collector.name().to_string();
        let started_at = Utc::now();
        let clock = std::time::Instant::now();
        let collected = entry.collector.collect(&scope).await;
        let failed = collected.is_err();
        let applied = match collected {
            Ok(c) => self.apply_collection(entry.collector.as_ref(), c).await,
            Err(e) => self.mark_failed(entry.collector.as_ref(), &scope, e).await,
        };
        let status = match (failed, applied.errors.is_empty()) {
            (true, _) => "failed",
            (false, true) => "ok",
            (false, false) => "partial",
        };
        let mut run = RunRow {
            id: 0,
            collector: name.clone(),
            trigger: trigger.as_str().to_string(),
            scope: scope.to_string(),
            started_at,
            finished_at: Utc::now(),
            status: status.to_string(),
            entities_touched: applied.touched.len() as i64,
            errors: applied.errors,
        };
        metrics::counter!("tech_health_collector_runs_total", "collector" => name.clone(), "status" => status).increment(1);
        metrics::counter!("tech_health_collector_errors_total", "collector" => name.clone())
            .increment(run.errors.len() as u64);
        metrics::histogram!("tech_health_collector_run_seconds", "collector" => name.clone())
            .record(clock.elapsed().as_secs_f64());
        self.save_collector_state(entry).await;
        match self.store.record_run(&run).await {
            Ok(id) => run.id = id,
            Err(e) => tracing::warn!(collector = name, "cannot record the run: {e}"),
        }
        if run.errors.is_empty() {
            tracing::info!(
                collector = name,
                scope = run.scope,
                touched = run.entities_touched,
                "collector ran"
            );
        } else {
            tracing::warn!(collector = name, scope = run.scope, status, errors = ?run.errors, "collector ran with errors");
        }
        Some(run)
    }

    /// Goes on from the states collectors stored before this process started.
    pub async fn restore_collector_states(&self) -> Result<(), ServiceError> {
        for entry in self.runner.entries() {
            let name = entry.collector.name();
            if let Some(state) = self.store.collector_state(name).await? {
                let digest = digest(&state);
                match entry.collector.restore_state(state).await {
                    Ok(()) => entry.set_saved_state(Some(digest)),
                    // A state from another version is only a cache: start afresh.
                    Err(e) => tracing::warn!(collector = name, "{e}; starting afresh"),
                }
            }
        }
        Ok(())
    }

    /// Stores what the collector keeps between runs, when it changed.
    async fn save_collector_state(&self, entry: &Entry) {
        let Some(state) = entry.collector.saved_state().await else {
            return;
        };
        let digest = digest(&state);
        if entry.saved_state() == Some(digest) {
            return;
        }
        let name = entry.collector.name();
        match self
            .store
            .save_collector_state(name, &state, Utc::now())
            .await
        {
            Ok(()) => entry.set_saved_state(Some(digest)),
            Err(e) => tracing::warn!(collector = name, "cannot store the collector's state: {e}"),
        }
    }

    async fn apply_collection(&self, collector: &dyn Collector, c: Collection) -> Applied {
        let mut out = Applied {
            errors: c.errors,
            ..Default::default()
        };
        if let Some(sync) = c.entities {
            let source = collector.source();
            match self
                .sync_source(&source, &sync.entities, sync.complete, &sync.removed)
                .await
            {
                Ok(s) => {
                    out.touched.extend(s.upserted);
                    out.touched.extend(s.removed);
                    out.errors.extend(s.errors);
                }
                Err(e) => out.errors.push(format!("catalog sync failed: {e}")),
            }
        }
        let mut items: Vec<FactItem> = c
            .facts
            .into_iter()
            .map(|f| fact_item(&f.entity, f.collector, f.facts))
            .collect();
        for r in c.repositories {
            for entity in entities_of_repository(self, &r.slug) {
                items.push(fact_item(&entity, r.collector.clone(), r.facts.clone()));
            }
        }
        self.push_collected(items, &mut out).await;
        let mut marks = Vec::new();
        for s in c.stale {
            let targets = match &s.target {
                StaleTarget::Entity(r) => vec![r.clone()],
                StaleTarget::Repository(slug) => entities_of_repository(self, slug),
            };
            out.errors
                .push(format!("{}: {}", target_label(&s.target), s.reason));
            marks.extend(
                targets
                    .into_iter()
                    .map(|r| (r, s.collector.clone(), s.reason.clone())),
            );
        }
        self.stale_marks(&marks, &mut out).await;
        out
    }

    /// Pushes facts as one batch; items the service refuses are reported and the rest retried.
    async fn push_collected(&self, mut items: Vec<FactItem>, out: &mut Applied) {
        while !items.is_empty() {
            match self.push_facts(items.clone()).await {
                Ok(o) => {
                    out.touched
                        .extend(o.reevaluated.iter().filter_map(|c| c.entity.parse().ok()));
                    return;
                }
                Err(ServiceError::Invalid(bad)) => {
                    let mut drop: Vec<usize> = bad.iter().map(|b| b.index).collect();
                    drop.sort_unstable();
                    for b in &bad {
                        let why: Vec<&str> = b.errors.iter().map(|e| e.message.as_str()).collect();
                        out.errors.push(format!(
                            "{} ({} facts): {}",
                            b.entity,
                            b.collector,
                            why.join("; ")
                        ));
                    }
                    for i in drop.into_iter().rev() {
                        items.remove(i);
                    }
                }
                Err(e) => {
                    out.errors.push(format!("facts not stored: {e}"));
                    return;
                }
            }
        }
    }

    async fn stale_marks(&self, marks: &[(EntityRef, String, String)], out: &mut Applied) {
        if marks.is_empty() {
            return;
        }
        match self.mark_stale(marks).await {
            Ok(marked) => out.touched.extend(marked),
            Err(e) => out.errors.push(format!("stale marks not stored: {e}")),
        }
    }

    /// A run that collected nothing: the facts it wrote before about the entities in scope
    /// stay, marked stale with the reason.
    async fn mark_failed(
        &self,
        collector: &dyn Collector,
        scope: &Scope,
        e: CollectError,
    ) -> Applied {
        let mut out = Applied {
            errors: vec![e.0.clone()],
            ..Default::default()
        };
        let names = collector.fact_collectors();
        let fleet = self.fleet();
        let in_scope: Vec<EntityRef> = match scope {
            Scope::All => fleet.facts.keys().cloned().collect(),
            Scope::Entity { entity, .. } => vec![entity.clone()],
            Scope::Repository(slug) => entities_of_repository(self, slug),
        };
        let marks: Vec<(EntityRef, String, String)> = in_scope
            .into_iter()
            .flat_map(|r| {
                let have: Vec<String> = fleet
                    .facts
                    .get(&r)
                    .map(|l| l.iter().map(|c| c.collector.to_string()).collect())
                    .unwrap_or_default();
                names
                    .iter()
                    .filter(|n| have.contains(n))
                    .map(|n| (r.clone(), n.clone(), e.0.clone()))
                    .collect::<Vec<_>>()
            })
            .collect();
        self.stale_marks(&marks, &mut out).await;
        out
    }
}

fn fact_item(
    entity: &EntityRef,
    collector: String,
    facts: serde_json::Map<String, serde_json::Value>,
) -> FactItem {
    FactItem {
        entity: entity.to_string(),
        collector,
        facts: serde_json::Value::Object(facts),
        observed_at: None,
    }
}

fn digest(state: &serde_json::Value) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    state.to_string().hash(&mut h);
    h.finish()
}

fn target_label(t: &StaleTarget) -> String {
    match t {
        StaleTarget::Entity(r) => r.to_string(),
        StaleTarget::Repository(slug) => format!("repository {slug}"),
    }
}
