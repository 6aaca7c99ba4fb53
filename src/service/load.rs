//! Start-up and reload: standards and catalog read, the store synchronised, the whole fleet
//! evaluated and persisted in one transaction.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use parking_lot::RwLock;
use serde_json::Value;

use super::collectors::Collectors;
use super::governance::Moved;
use super::{App, ServiceError, Sources};
use crate::catalog::{Catalog, Entity, EntityRef, Severity};
use crate::collectors::Runner;
use crate::config::{self, ConfigSource};
use crate::evaluate::Engine;
use crate::governance::events::Standing;
use crate::governance::exemptions;
use crate::health::{CollectorFacts, EntityFacts, FactSet, Fleet, Scored, Staleness};
use crate::settings::SettingsFile;
use crate::source::{BundledFiles, DiskFiles, Files, FilesSeen, RecordedFiles};
use crate::store::{
    self, ChangeScope, ChangeSet, FactRow, GroupRow, Rows, StaleMark, StoredEntity,
};

pub const EXAMPLE_CATALOG: &str = "examples/fleet/catalog-info.yaml";
pub const EXAMPLE_FACTS: &str = "examples/fleet/facts.json";
/// Entities read from catalog files carry this source prefix; a reload replaces them all.
const FILE_SOURCE: &str = "file:";

/// Where the standards are read from: the config folder on disk, or the bundled files.
pub fn standards_files(sources: &Sources) -> (&'static dyn Files, PathBuf) {
    match &sources.config_dir {
        Some(d) => (&DiskFiles, d.clone()),
        None => (&BundledFiles, PathBuf::new()),
    }
}

/// Loads and cross-checks the standards and the collectors' fact schemas.
pub fn load_standards(sources: &Sources) -> Result<(Engine, Collectors), ServiceError> {
    let (files, dir) = standards_files(sources);
    let loaded = config::load(
        &ConfigSource {
            files,
            dir: dir.clone(),
        },
        None,
    )
    .map_err(|e| ServiceError::Config(e.to_string()))?;
    for w in loaded.warnings.iter() {
        tracing::warn!("{w}");
    }
    let collectors = Collectors::load(files, &dir.join("checks/collectors"))
        .map_err(|e| ServiceError::Config(e.to_string()))?;
    Ok((loaded.engine, collectors))
}

/// The entities of the catalog files (`None` when none are configured), and what was read to
/// find them.
fn load_catalog_files(sources: &Sources) -> Result<Option<(Vec<Entity>, FilesSeen)>, ServiceError> {
    let mut entities = Vec::new();
    let mut problems = Vec::new();
    if sources.demo {
        let c = Catalog::load(&BundledFiles, &[PathBuf::from(EXAMPLE_CATALOG)]);
        problems.extend(
            c.problems()
                .iter()
                .filter(|p| p.severity == Severity::Error)
                .map(|p| p.to_string()),
        );
        entities.extend(c.into_entities());
    }
    // The bundled files never change; only what is read from disk is recorded.
    let disk = RecordedFiles::new(&DiskFiles);
    if !sources.catalog.is_empty() {
        let c = Catalog::load(&disk, &sources.catalog);
        for p in c.problems() {
            if p.severity == Severity::Error {
                problems.push(p.to_string());
            } else {
                tracing::warn!("catalog: {p}");
            }
        }
        entities.extend(c.into_entities());
    }
    if !problems.is_empty() {
        return Err(ServiceError::Config(problems.join("\n")));
    }
    let any = sources.demo || !sources.catalog.is_empty();
    Ok(any.then(|| (entities, disk.seen())))
}

/// Reads a stored envelope back into an entity.
pub(super) fn entity_from_store(row: &StoredEntity) -> Option<Entity> {
    let text = row.body.to_string();
    let (mut parsed, problems) = crate::catalog::parse_descriptors(Path::new(&row.source), &text);
    for p in problems.iter().filter(|p| p.is_error()) {
        tracing::warn!("stored entity {}: {p}", row.entity_ref);
    }
    parsed.pop()
}

/// Refs of the stored entities (ref, source) that came from catalog files the files no longer
/// hold.
fn left_the_files<'a>(
    stored: impl Iterator<Item = (&'a str, &'a str)>,
    files: &[Entity],
) -> Vec<String> {
    let keep: std::collections::HashSet<String> =
        files.iter().map(|e| e.entity_ref.to_string()).collect();
    stored
        .filter(|(r, source)| source.starts_with(FILE_SOURCE) && !keep.contains(*r))
        .map(|(r, _)| r.to_string())
        .collect()
}

/// The stored envelopes of `refs` (entities read from catalog files), built a batch at a time
/// while the store writes them.
fn envelopes_of(catalog: &Arc<Catalog>, refs: Vec<EntityRef>) -> Rows<StoredEntity> {
    let catalog = catalog.clone();
    Rows::made(refs.len(), move |range| {
        refs[range]
            .iter()
            .filter_map(|r| catalog.get(r))
            .map(|e| stored(e, file_source(e)))
            .collect()
    })
}

/// The refs a catalog change writes or deletes, for the change log.
fn touched_refs(changed: &[EntityRef], gone: &[String]) -> Vec<String> {
    changed
        .iter()
        .map(EntityRef::to_string)
        .chain(gone.iter().cloned())
        .collect()
}

/// The stored source of an entity read from a catalog file.
fn file_source(entity: &Entity) -> String {
    format!("{FILE_SOURCE}{}", entity.origin.file.display())
}

pub fn stored(entity: &Entity, source: String) -> StoredEntity {
    StoredEntity {
        entity_ref: entity.entity_ref.to_string(),
        kind: entity.entity_ref.kind().to_string(),
        body: entity.to_envelope(),
        source,
    }
}

/// The facts of a start-up facts file (the example fleet's, or `Sources::facts`): a JSON array
/// of `{"entity", "facts"}`, each entity's facts split by collector.
fn demo_facts(
    sources: &Sources,
    collectors: &Collectors,
    known: &imbl::HashMap<EntityRef, EntityFacts>,
    now: DateTime<Utc>,
) -> Result<Vec<FactRow>, ServiceError> {
    let (bytes, name) = match &sources.facts {
        Some(path) => (std::fs::read(path), path.display().to_string()),
        None => (
            BundledFiles.read_bytes(Path::new(EXAMPLE_FACTS)),
            EXAMPLE_FACTS.to_string(),
        ),
    };
    let bytes = bytes.map_err(|e| ServiceError::Config(format!("{name}: {e}")))?;
    let records: Vec<Value> = serde_json::from_slice(&bytes)
        .map_err(|e| ServiceError::Config(format!("{name}:{}:{}: {e}", e.line(), e.column())))?;
    let mut out = Vec::new();
    for rec in records {
        let (Some(entity), Some(Value::Object(facts))) =
            (rec.get("entity").and_then(Value::as_str), rec.get("facts"))
        else {
            continue;
        };
        let Ok(r) = EntityRef::parse(entity, Some("component"), "default") else {
            continue;
        };
        for (collector, facts) in collectors.split(facts) {
            let have = known
                .get(&r)
                .is_some_and(|v| v.iter().any(|c| *c.collector == *collector));
            if !have {
                out.push(FactRow {
                    entity_ref: r.to_string(),
                    collector,
                    facts: Value::Object(facts),
                    observed_at: now,
                });
            }
        }
    }
    Ok(out)
}

/// An entity's facts, collector by collector, as they are read.
pub(super) type FactsBuilding = rustc_hash::FxHashMap<EntityRef, Vec<CollectorFacts>>;

/// Stored facts rows with their stale marks, keyed by the catalog's refs, each entity's
/// collectors in name order (as a running replica keeps them).
pub(super) fn facts_of(
    rows: Vec<FactRow>,
    marks: Vec<StaleMark>,
    catalog: &Catalog,
) -> FactsBuilding {
    let mut by = FactsBuilding::default();
    for row in rows {
        add_fact(&mut by, row, catalog);
    }
    mark_stale(&mut by, marks);
    by
}

fn mark_stale(by: &mut FactsBuilding, marks: Vec<StaleMark>) {
    for m in marks {
        let Ok(r) = m.entity_ref.parse::<EntityRef>() else {
            continue;
        };
        let Some(c) = by
            .get_mut(&r)
            .and_then(|list| list.iter_mut().find(|c| *c.collector == *m.collector))
        else {
            continue;
        };
        c.stale = Some(Box::new(Staleness {
            reason: m.reason,
            since: m.since,
        }));
    }
}

/// Where a collector's facts go in an entity's list: collectors are kept in name order.
pub(super) fn insert_sorted(list: &mut Vec<CollectorFacts>, facts: CollectorFacts) {
    let at = list.partition_point(|c| *c.collector < *facts.collector);
    list.insert(at, facts);
}

/// Adds one row of facts, keyed by the catalog's ref (rows about no entity, or whose facts
/// are not an object, are skipped).
fn add_fact(by: &mut FactsBuilding, row: FactRow, catalog: &Catalog) {
    let (Ok(r), true) = (row.entity_ref.parse::<EntityRef>(), row.facts.is_object()) else {
        return;
    };
    insert_sorted(
        by.entry(catalog.shared_ref(&r)).or_default(),
        collector_facts(&row),
    );
}

/// One collector's facts as an entity holds them (packed, not stale).
pub(super) fn collector_facts(row: &FactRow) -> CollectorFacts {
    CollectorFacts {
        collector: crate::intern::shared(&row.collector),
        facts: FactSet::new(&row.facts),
        observed_at: row.observed_at,
        stale: None,
    }
}

/// What a full load is for.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Load {
    /// Start-up: the store synchronised with the catalog files, every result written afresh.
    Start,
    /// A reload on this replica (SIGHUP or the API): standards and catalog files read again.
    Reload,
    /// Another replica's whole-fleet change: the entities and facts it wrote read back from the
    /// store, the standards read again, everything evaluated at its time.
    Follow {
        at: DateTime<Utc>,
        entities: Vec<String>,
        facts: Vec<String>,
    },
    /// Everything read back from the store and evaluated at `at` (a replica that fell behind
    /// the pruned log).
    Reread(DateTime<Utc>),
}

impl App {
    /// Opens the store, loads everything and evaluates the fleet; collector secrets come from
    /// the process environment.
    pub async fn start(
        settings: SettingsFile,
        sources: Sources,
        database_url: &str,
    ) -> Result<Arc<App>, ServiceError> {
        Self::start_with_env(settings, sources, database_url, &|k| std::env::var(k).ok()).await
    }

    /// As [`App::start`], reading the environment variables the settings name through `env`.
    pub async fn start_with_env(
        settings: SettingsFile,
        sources: Sources,
        database_url: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Arc<App>, ServiceError> {
        let (engine, collectors) = load_standards(&sources)?;
        let radar = Arc::new(engine.radar.clone());
        let runner = Runner::from_settings(&settings.collectors, env, Some(radar))
            .map_err(ServiceError::Config)?;
        let store = store::open(database_url).await?;
        let retention = settings.retention();
        let kinds = if sources.kinds.is_empty() {
            vec!["component".to_string()]
        } else {
            sources
                .kinds
                .iter()
                .map(|k| k.to_ascii_lowercase())
                .collect()
        };
        let fleet = Fleet::new(
            Arc::new(engine),
            Arc::new(Catalog::from_entities(Vec::new())),
            kinds,
        );
        let webhooks = super::delivery::webhooks(&settings.events)?;
        let replica = super::replica::replica_name(env);
        let app = Arc::new(App {
            store,
            runner: Arc::new(runner),
            settings,
            sources,
            retention,
            fleet: RwLock::new(Arc::new(fleet)),
            collectors: RwLock::new(Arc::new(collectors)),
            writer: tokio::sync::Mutex::new(()),
            clock: RwLock::new(None),
            catalog_seen: parking_lot::Mutex::new(None),
            governance: RwLock::default(),
            webhooks: Arc::new(webhooks),
            wake: Arc::default(),
            outbox_wake: Arc::default(),
            replica,
            applied: Default::default(),
            ready: Default::default(),
            leading: tokio::sync::watch::Sender::new(false),
        });
        app.restore_collector_states().await?;
        {
            // Under the cross-replica lock: what the store holds now is all there is to read,
            // and the log is applied up to here.
            let _writer = app.writer.lock().await;
            let _shared = app.store.lock_writes().await?;
            let seq = app.store.latest_seq().await?;
            app.applied.store(seq, std::sync::atomic::Ordering::SeqCst);
            app.load_governance(None).await?;
            app.reload_inner(Load::Start).await?;
        }
        app.spawn_replication().await;
        app.spawn_tasks();
        Ok(app)
    }

    /// The latest facts in the store, with their stale marks.
    async fn stored_facts(
        &self,
        catalog: &Catalog,
    ) -> Result<imbl::HashMap<EntityRef, EntityFacts>, ServiceError> {
        // Packed row by row as the store reads them: a fleet's facts are never all held as
        // JSON values.
        let mut by = FactsBuilding::default();
        self.store
            .each_latest_fact(&mut |row| add_fact(&mut by, row, catalog))
            .await?;
        mark_stale(&mut by, self.store.stale_marks().await?);
        Ok(by.into_iter().map(|(k, v)| (k, v.into())).collect())
    }

    /// The catalog on start: what the store holds, with the catalog files (when configured)
    /// replacing the entities read from files before. Only entities whose stored form changed
    /// are written.
    async fn catalog_at_start(
        &self,
        files: Option<Vec<Entity>>,
        change: &mut ChangeSet,
    ) -> Result<(Arc<Catalog>, Vec<String>), ServiceError> {
        // The stored entities are read one at a time: those from catalog files are compared
        // with what the files hold now (the envelope is built for that, then dropped), the
        // others are kept.
        let from_files = files.as_deref().unwrap_or_default();
        let index: rustc_hash::FxHashMap<String, usize> = from_files
            .iter()
            .enumerate()
            .map(|(i, e)| (e.entity_ref.to_string(), i))
            .collect();
        let mut unchanged = vec![false; from_files.len()];
        let mut kept = Vec::new();
        let mut gone = Vec::new();
        self.store
            .each_entity(&mut |row| {
                if files.is_none() || !row.source.starts_with(FILE_SOURCE) {
                    kept.extend(entity_from_store(&row));
                    return;
                }
                match index.get(&row.entity_ref) {
                    Some(&i) => {
                        let e = &from_files[i];
                        unchanged[i] = row.source == file_source(e) && row.body == e.to_envelope();
                    }
                    None => gone.push(row.entity_ref),
                }
            })
            .await?;
        // The changed ones are built again while the transaction writes them.
        let changed: Vec<EntityRef> = from_files
            .iter()
            .zip(&unchanged)
            .filter(|(_, same)| !**same)
            .map(|(e, _)| e.entity_ref.clone())
            .collect();
        drop(index);
        let touched = touched_refs(&changed, &gone);
        change.delete_entities = gone;
        kept.extend(files.unwrap_or_default());
        let catalog = Arc::new(Catalog::from_entities(kept));
        change.upsert_entities = envelopes_of(&catalog, changed);
        Ok((catalog, touched))
    }

    /// The catalog after the catalog files were read again: entities from other sources stay
    /// as the running fleet holds them; file entities that left the files are deleted and only
    /// those that changed are written.
    async fn catalog_reread(
        &self,
        current: &Fleet,
        files: Vec<Entity>,
        change: &mut ChangeSet,
    ) -> Result<(Arc<Catalog>, Vec<String>), ServiceError> {
        let sources: std::collections::HashMap<String, String> =
            self.store.entity_sources().await?.into_iter().collect();
        let from_file = |r: &EntityRef| {
            sources
                .get(&r.to_string())
                .is_some_and(|s| s.starts_with(FILE_SOURCE))
        };
        change.delete_entities = left_the_files(
            sources.iter().map(|(r, s)| (r.as_str(), s.as_str())),
            &files,
        );
        let changed: Vec<EntityRef> = files
            .iter()
            .filter(|e| {
                let unchanged = sources.get(&e.entity_ref.to_string()) == Some(&file_source(e))
                    && current
                        .catalog
                        .get(&e.entity_ref)
                        .is_some_and(|old| old.same_envelope(e));
                !unchanged
            })
            .map(|e| e.entity_ref.clone())
            .collect();
        let keep: std::collections::HashSet<&EntityRef> =
            files.iter().map(|e| &e.entity_ref).collect();
        let mut all: Vec<Entity> = current
            .catalog
            .entities()
            .iter()
            .filter(|e| !from_file(&e.entity_ref) && !keep.contains(&e.entity_ref))
            .cloned()
            .collect();
        all.extend(files);
        let catalog = Arc::new(Catalog::from_entities(all));
        let touched = touched_refs(&changed, &change.delete_entities);
        change.upsert_entities = envelopes_of(&catalog, changed);
        Ok((catalog, touched))
    }

    /// Re-reads the standards (and catalog files, when configured) and re-evaluates the whole
    /// fleet. On bad configuration nothing changes and the error says where.
    pub async fn reload(&self) -> Result<ReloadReport, ServiceError> {
        let _turn = self.turn().await?;
        self.reload_inner(Load::Reload).await
    }

    /// Loads and evaluates everything; callers hold the writer's turn (or, replaying, the
    /// writer lock).
    pub(super) async fn reload_inner(&self, load: Load) -> Result<ReloadReport, ServiceError> {
        let started = std::time::Instant::now();
        let starting = load == Load::Start;
        let (replay, now) = match &load {
            Load::Follow { at, .. } | Load::Reread(at) => (true, *at),
            _ => (false, self.now()),
        };
        let (engine, collectors) = load_standards(&self.sources)?;
        if replay {
            // Every campaign is measured again below (`derive` over the whole fleet).
            self.load_governance(None).await?;
        }
        let current = self.fleet();
        let mut change = ChangeSet {
            replace_all: starting,
            // On start every result is written afresh, stamped already.
            restamp_results: !starting,
            ..Default::default()
        };
        // Catalog files that gave the same answers as last time (same files, same contents)
        // are not parsed again: the running fleet's catalog stands.
        let files_unchanged = !starting
            && self
                .catalog_seen
                .lock()
                .as_ref()
                .is_some_and(|seen| seen.unchanged(&DiskFiles));
        let from_files = if files_unchanged || replay {
            None
        } else {
            load_catalog_files(&self.sources)?
        };
        let (from_files, seen) = from_files.unzip();
        let (catalog, touched) = match (&load, from_files) {
            (Load::Start | Load::Reread(_), files) => {
                self.catalog_at_start(files, &mut change).await?
            }
            (Load::Follow { entities, .. }, _) => (
                self.catalog_with(&current.catalog, entities).await?,
                Vec::new(),
            ),
            (Load::Reload, Some(files)) => {
                self.catalog_reread(&current, files, &mut change).await?
            }
            (Load::Reload, None) => (current.catalog.clone(), Vec::new()),
        };
        let mut fleet = Fleet::new(Arc::new(engine), catalog, (*current.scored_kinds).clone());
        let gov = (*self.governance()).clone();
        fleet.exemptions = Arc::new(exemptions::applying(&gov.exemptions, now));
        fleet.facts = match &load {
            Load::Start | Load::Reread(_) => self.stored_facts(&fleet.catalog).await?,
            Load::Follow { facts, .. } => {
                let mut known = current.facts.clone();
                self.read_facts(&mut known, facts, &fleet.catalog).await?;
                known
            }
            Load::Reload => current.facts.clone(),
        };
        if starting && (self.sources.demo || self.sources.facts.is_some()) {
            // The example fleet's facts (or the facts file's), for what the store does not
            // know yet.
            let rows = demo_facts(&self.sources, &collectors, &fleet.facts, now)?;
            let rows: Vec<FactRow> = rows
                .into_iter()
                .filter(|r| {
                    r.entity_ref
                        .parse::<EntityRef>()
                        .is_ok_and(|e| fleet.catalog.get(&e).is_some())
                })
                .collect();
            // Added to the stored facts just read (not read a second time).
            let mut by = FactsBuilding::default();
            for row in &rows {
                add_fact(&mut by, row.clone(), &fleet.catalog);
            }
            for (r, more) in by {
                let mut list = fleet.facts.get(&r).map(|l| l.to_vec()).unwrap_or_default();
                for c in more {
                    insert_sorted(&mut list, c);
                }
                fleet.facts.insert(r, list.into());
            }
            change.facts = rows;
        }
        // With a catalog read anew, facts of entities that left it leave with them (the store
        // cascades), and the others are keyed by its refs (sharing their text).
        if !Arc::ptr_eq(&fleet.catalog, &current.catalog) {
            let catalog = &fleet.catalog;
            fleet.facts = fleet
                .facts
                .iter()
                .filter_map(|(r, f)| Some((catalog.get(r)?.entity_ref.clone(), f.clone())))
                .collect();
        }
        let loaded = started.elapsed();
        let previous = current.scored.clone();
        let fleet = tokio::task::spawn_blocking(move || {
            fleet.evaluate_all(&previous, now);
            fleet
        })
        .await
        .map_err(|e| ServiceError::Config(format!("evaluation failed: {e}")))?;
        let scored = started.elapsed();
        // What moved for entities that were scored before (nothing on start: no before).
        let moved: Vec<Moved> = fleet
            .scored
            .iter()
            .filter(|_| self.emits_events())
            .filter_map(|(r, s)| {
                let old = current.scored.get(r)?;
                let before = Standing::of(&current.engine, old);
                let after = Standing::of(&fleet.engine, s);
                (before != after).then(|| (r.clone(), before, after))
            })
            .collect();
        let gov = self.derive(gov, &fleet, &moved, None, &mut change, now);
        // Every result is re-stamped; only those whose content moved are rewritten (on start,
        // all of them: the store may hold anything).
        let moved_results: Vec<(EntityRef, Arc<Scored>)> = fleet
            .scored
            .iter()
            .filter(|(r, s)| {
                starting
                    // Equal `Arc`s of an `Eq` type compare by pointer first: a shared
                    // evaluation costs nothing to compare.
                    || current
                        .scored
                        .get(*r)
                        .is_none_or(|old| old.evaluation != s.evaluation)
            })
            .map(|(r, s)| (r.clone(), s.clone()))
            .collect();
        let engine = fleet.engine.clone();
        change.results = Rows::made(moved_results.len(), move |range| {
            moved_results[range]
                .iter()
                .map(|(r, s)| super::change::result_row(&engine, r, s))
                .collect()
        });
        if !starting {
            change.delete_results = current
                .scored
                .keys()
                .filter(|r| !fleet.scored.contains_key(*r))
                .map(EntityRef::to_string)
                .collect();
            change.delete_aggregates = current
                .tallies
                .keys()
                .filter(|g| !fleet.tallies.contains_key(*g))
                .map(EntityRef::to_string)
                .collect();
        }
        change.aggregates = fleet
            .tallies
            .iter()
            .map(|(g, t)| GroupRow {
                group_ref: g.to_string(),
                summary: serde_json::to_value(fleet.rollup(g, t)).unwrap_or(Value::Null),
            })
            .collect();
        let evaluated = started.elapsed();
        let events = !change.events.is_empty();
        let ending = if replay {
            super::replica::Ending::Replay
        } else {
            super::replica::Ending::Commit(ChangeScope::Fleet {
                entities: touched,
                facts: change.facts.iter().map(|f| f.entity_ref.clone()).collect(),
            })
        };
        self.finish(&mut change, ending, now).await?;
        let committed = started.elapsed();
        self.publish_governance(gov, events);
        let report = ReloadReport {
            entities: fleet.catalog.entities().len(),
            scored: fleet.scored.len(),
            seconds: started.elapsed().as_secs_f64(),
        };
        metrics::histogram!("tech_health_evaluation_seconds", "scope" => "fleet")
            .record(report.seconds);
        *self.collectors.write() = Arc::new(collectors);
        if let Some(seen) = seen.filter(|_| !replay) {
            *self.catalog_seen.lock() = Some(seen);
        }
        self.publish(fleet);
        tracing::info!(
            entities = report.entities,
            scored = report.scored,
            seconds = report.seconds,
            load_seconds = loaded.as_secs_f64(),
            evaluate_seconds = (scored - loaded).as_secs_f64(),
            derive_seconds = (evaluated - scored).as_secs_f64(),
            commit_seconds = (committed - evaluated).as_secs_f64(),
            "fleet evaluated"
        );
        Ok(report)
    }
}

/// What a full re-evaluation did.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ReloadReport {
    pub entities: usize,
    pub scored: usize,
    pub seconds: f64,
}
