//! Loading the standards — checks and tracks from `checks/`, the radar and the fleet policy from
//! `golden-tech/` — and checking them against their schemas and against each other. Every
//! problem is reported as `file:line:column: message`.

pub mod overlay;
pub mod schema;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::certification::{Track, TrackDef};
use crate::evaluate::Engine;
use crate::fleet::{FleetPolicy, FleetPolicyDef};
use crate::radar::Radar;
use crate::rules::condition::ConditionError;
use crate::rules::filter::Filter;
use crate::rules::{Check, CheckDef, FactTable};
use crate::source::{Document, Files, SourceError};

/// One or more located configuration errors.
#[derive(Debug, Clone)]
pub struct ConfigErrors(pub Vec<SourceError>);

impl ConfigErrors {
    pub fn one(e: SourceError) -> Self {
        ConfigErrors(vec![e])
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Deserialises `value` (found at `pointer` in `doc`) into `T`; a type error is reported at the
/// exact position of the offending value.
pub fn deserialize_at<T: DeserializeOwned>(
    doc: &Document,
    value: &Value,
    pointer: &str,
) -> Result<T, SourceError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let mut at = pointer.to_string();
        for segment in e.path().iter() {
            use serde_path_to_error::Segment;
            match segment {
                Segment::Seq { index } => at.push_str(&format!("/{index}")),
                Segment::Map { key } | Segment::Enum { variant: key } => {
                    at.push('/');
                    at.push_str(&crate::source::pointer_token(key));
                }
                Segment::Unknown => {}
            }
        }
        let message = e.into_inner().to_string();
        // Behind `#[serde(flatten)]` an unknown key is reported at its object: point at the key.
        let key = message
            .strip_prefix("unknown field `")
            .and_then(|m| m.split('`').next())
            .map(|k| format!("{at}/{}", crate::source::pointer_token(k)));
        if let Some(key) = key.filter(|k| value.pointer(k).is_some()) {
            at = key;
        }
        doc.error_at(&at, message)
    })
}

/// Where the standards are read from.
pub struct ConfigSource<'a> {
    pub files: &'a dyn Files,
    /// The folder holding `checks/` and `golden-tech/`.
    pub dir: PathBuf,
}

/// Loaded, compiled standards.
pub struct Loaded {
    pub engine: Engine,
    /// Problems that do not stop evaluation (e.g. a fleet policy naming checks that a
    /// replaced check set lacks).
    pub warnings: Warnings,
}

/// Problems of the fleet policy that do not stop evaluation, placed in its file only when
/// shown (finding the line of a value in a bundled document means reading it again).
#[derive(Default)]
pub struct Warnings {
    doc: Option<Document>,
    found: Vec<ConditionError>,
}

impl Warnings {
    /// Each warning, at its place in the file.
    pub fn iter(&self) -> impl Iterator<Item = SourceError> + '_ {
        self.doc.iter().flat_map(|doc| {
            self.found
                .iter()
                .map(|w| doc.error_at(&w.pointer, w.message.clone()))
        })
    }
}

/// Which files hold checks: a single file, or every YAML/JSON file (not schemas) of a folder.
fn check_files(files: &dyn Files, path: &Path) -> Result<Vec<PathBuf>, SourceError> {
    if !files.exists(path) {
        return Err(SourceError::new(path, None, "no such file or folder"));
    }
    if !files.is_dir(path) {
        return Ok(vec![path.to_path_buf()]);
    }
    let listed = files
        .list(path, false)
        .map_err(|e| SourceError::new(path, None, format!("cannot list folder: {e}")))?;
    Ok(listed
        .into_iter()
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            !name.ends_with(".schema.json")
                && (name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json"))
        })
        .collect())
}

fn read_docs(files: &dyn Files, path: &Path) -> Result<Vec<Document>, SourceError> {
    files.documents(path)
}

fn read_single(files: &dyn Files, path: &Path) -> Result<Document, SourceError> {
    crate::source::single(path, files.documents(path)?)
}

/// A definition and where it was written.
struct Located<T> {
    def: T,
    doc: usize,
    pointer: String,
}

/// Loads and cross-checks the standards. `checks` replaces the check/track set of `config`
/// (a file or folder, e.g. a JSON array of Tech Insights checks).
pub fn load(config: &ConfigSource, checks: Option<&ConfigSource>) -> Result<Loaded, ConfigErrors> {
    load_patched(config, checks, None)
}

/// [`load`], then `patch` — a document in the shape of a checks file (`{checks, tracks}`) —
/// replaces the checks and tracks of the same id and adds the others (an impact preview's
/// candidate change). Its problems are reported at their place in the patch.
pub fn load_patched(
    config: &ConfigSource,
    checks: Option<&ConfigSource>,
    patch: Option<Document>,
) -> Result<Loaded, ConfigErrors> {
    load_compiled(config, checks, patch, &schema::validate_in)
}

/// How the documents are checked against their schemas (the errors found, or none for now).
type Validate<'v> = &'v (dyn Fn(&dyn Files, &Document, &'static str) -> Vec<SourceError> + Sync);

/// The schema check of [`load_unchecked`], running on another thread.
pub struct Pending(Option<std::thread::JoinHandle<bool>>);

impl Pending {
    /// Waits for the check: whether every document from the disk matched its schema.
    pub fn passed(self) -> bool {
        self.0.is_none_or(|check| check.join().unwrap_or(false))
    }
}

/// [`load`] without waiting for the JSON Schema check of the documents from the disk: it runs
/// on another thread while the caller goes on. Unless [`Pending::passed`], the standards are
/// not to be used: [`load`] then reports what is wrong. As [`load`] when anything else is
/// wrong.
pub fn load_unchecked(
    config: &ConfigSource,
    checks: Option<&ConfigSource>,
) -> Result<(Loaded, Pending), ConfigErrors> {
    let deferred = parking_lot::Mutex::new(Vec::new());
    let defer = |files: &dyn Files, doc: &Document, schema: &'static str| {
        if !files.bundled() {
            deferred.lock().push((doc.clone(), schema));
        }
        Vec::new()
    };
    let Ok(loaded) = load_compiled(config, checks, None, &defer) else {
        return load(config, checks).map(|loaded| (loaded, Pending(None)));
    };
    let deferred = deferred.into_inner();
    let check = (!deferred.is_empty()).then(|| {
        std::thread::spawn(move || {
            deferred
                .iter()
                .all(|(doc, schema)| schema::validate(doc, schema).is_empty())
        })
    });
    Ok((loaded, Pending(check)))
}

/// [`load_patched`], documents checked by `validate`.
fn load_compiled(
    config: &ConfigSource,
    checks: Option<&ConfigSource>,
    patch: Option<Document>,
    validate: Validate,
) -> Result<Loaded, ConfigErrors> {
    let replaced = checks.is_some();
    let mut errors = Vec::new();
    let mut docs: Vec<Document> = Vec::new();
    let (check_src, check_path) = match checks {
        Some(c) => (c.files, c.dir.clone()),
        None => (config.files, config.dir.join("checks")),
    };
    let mut check_defs: Vec<Located<CheckDef>> = Vec::new();
    let mut track_defs: Vec<Located<TrackDef>> = Vec::new();
    match check_files(check_src, &check_path) {
        Err(e) => errors.push(e),
        Ok(paths) => {
            for path in paths {
                match read_docs(check_src, &path) {
                    Err(e) => errors.push(e),
                    Ok(file_docs) => {
                        for doc in file_docs {
                            let schema_errors = validate(check_src, &doc, schema::CHECKS);
                            if !schema_errors.is_empty() {
                                errors.extend(schema_errors);
                                continue;
                            }
                            let di = docs.len();
                            collect_definitions(
                                &doc,
                                di,
                                &mut check_defs,
                                &mut track_defs,
                                &mut errors,
                            );
                            docs.push(doc);
                        }
                    }
                }
            }
        }
    }

    if let Some(doc) = patch {
        apply_patch(
            doc,
            &mut docs,
            &mut check_defs,
            &mut track_defs,
            &mut errors,
        );
    }
    let radar = load_radar(config, validate, &mut errors);
    let mut facts = FactTable::default();
    let checks = compile_checks(check_defs, &docs, &mut facts, &mut errors);
    let tracks = compile_tracks(track_defs, &docs, &checks, &mut facts, &mut errors);
    let mut warnings = Warnings::default();
    let policy_doc = golden_tech(
        config,
        validate,
        "fleet-policy.yaml",
        schema::FLEET_POLICY,
        &mut errors,
    );
    let policy = load_policy(
        policy_doc,
        &checks,
        &tracks,
        &mut facts,
        replaced,
        &mut errors,
        &mut warnings,
    );
    if !errors.is_empty() {
        errors.sort_by(|a, b| {
            (&a.file, a.pos.map(|p| (p.line, p.column)))
                .cmp(&(&b.file, b.pos.map(|p| (p.line, p.column))))
        });
        errors.dedup();
        return Err(ConfigErrors(errors));
    }
    let engine = Engine::new(facts, checks, tracks, policy, radar.unwrap_or_default());
    Ok(Loaded { engine, warnings })
}

/// Replaces same-id definitions with the patch's, adds the rest.
fn apply_patch(
    doc: Document,
    docs: &mut Vec<Document>,
    checks: &mut Vec<Located<CheckDef>>,
    tracks: &mut Vec<Located<TrackDef>>,
    errors: &mut Vec<SourceError>,
) {
    let schema_errors = schema::validate(&doc, schema::CHECKS);
    if !schema_errors.is_empty() {
        errors.extend(schema_errors);
        return;
    }
    let (mut new_checks, mut new_tracks) = (Vec::new(), Vec::new());
    collect_definitions(&doc, docs.len(), &mut new_checks, &mut new_tracks, errors);
    docs.push(doc);
    for c in new_checks {
        match checks.iter_mut().find(|o| o.def.id == c.def.id) {
            Some(old) => *old = c,
            None => checks.push(c),
        }
    }
    for t in new_tracks {
        match tracks.iter_mut().find(|o| o.def.id == t.def.id) {
            Some(old) => *old = t,
            None => tracks.push(t),
        }
    }
}

fn collect_definitions(
    doc: &Document,
    di: usize,
    checks: &mut Vec<Located<CheckDef>>,
    tracks: &mut Vec<Located<TrackDef>>,
    errors: &mut Vec<SourceError>,
) {
    let (check_items, check_base, track_items): (&[Value], &str, &[Value]) = match &doc.value {
        Value::Array(items) => (items, "", &[]),
        Value::Object(map) => (
            map.get("checks")
                .and_then(Value::as_array)
                .map_or(&[], Vec::as_slice),
            "/checks",
            map.get("tracks")
                .and_then(Value::as_array)
                .map_or(&[], Vec::as_slice),
        ),
        _ => (&[], "", &[]),
    };
    collect_located(doc, di, check_items, check_base, checks, errors);
    collect_located(doc, di, track_items, "/tracks", tracks, errors);
}

/// Deserialises each item of a list found at `base` in `doc`, remembering where it was written.
fn collect_located<T: DeserializeOwned>(
    doc: &Document,
    di: usize,
    items: &[Value],
    base: &str,
    out: &mut Vec<Located<T>>,
    errors: &mut Vec<SourceError>,
) {
    for (i, item) in items.iter().enumerate() {
        let pointer = format!("{base}/{i}");
        match deserialize_at::<T>(doc, item, &pointer) {
            Ok(def) => out.push(Located {
                def,
                doc: di,
                pointer,
            }),
            Err(e) => errors.push(e),
        }
    }
}

fn compile_checks(
    defs: Vec<Located<CheckDef>>,
    docs: &[Document],
    facts: &mut FactTable,
    errors: &mut Vec<SourceError>,
) -> Vec<Check> {
    // Where each id was first defined: its document and pointer (positions are looked up
    // only for an error).
    let mut seen: rustc_hash::FxHashMap<String, (usize, String)> = Default::default();
    let mut out = Vec::with_capacity(defs.len());
    for Located { def, doc, pointer } in defs {
        let d = &docs[doc];
        if let Some((first_doc, first_pointer)) = seen.get(&def.id) {
            let first = &docs[*first_doc];
            errors.push(d.error_at(
                &format!("{pointer}/id"),
                format!(
                    "duplicate check id `{}` (first defined at {}:{})",
                    def.id,
                    first.file.display(),
                    first.pos(&format!("{first_pointer}/id")).line
                ),
            ));
            continue;
        }
        seen.insert(def.id.clone(), (doc, pointer.clone()));
        let id = def.id.clone();
        match Check::compile(def, facts) {
            Ok(c) => out.push(c),
            Err(e) => errors.push(d.error_at(
                &format!("{pointer}{}", e.pointer),
                format!("check `{id}`: {}", e.message),
            )),
        }
    }
    out
}

fn compile_tracks(
    defs: Vec<Located<TrackDef>>,
    docs: &[Document],
    checks: &[Check],
    facts: &mut FactTable,
    errors: &mut Vec<SourceError>,
) -> Vec<Track> {
    let mut out: Vec<Track> = Vec::new();
    for Located { def, doc, pointer } in defs {
        let d = &docs[doc];
        let before = errors.len();
        if out.iter().any(|t| t.def.id == def.id) {
            errors.push(d.error_at(
                &format!("{pointer}/id"),
                format!("duplicate track id `{}`", def.id),
            ));
        }
        if def.levels.is_empty() {
            errors.push(d.error_at(
                &format!("{pointer}/levels"),
                format!("track `{}` has no levels", def.id),
            ));
        }
        let mut levels = Vec::new();
        for (li, level) in def.levels.iter().enumerate() {
            if def.levels[..li].iter().any(|l| l.id == level.id) {
                errors.push(d.error_at(
                    &format!("{pointer}/levels/{li}/id"),
                    format!("duplicate level id `{}` in track `{}`", level.id, def.id),
                ));
            }
            let mut indexes = Vec::new();
            for (ci, check_id) in level.checks.iter().enumerate() {
                match checks.iter().position(|c| c.id() == check_id) {
                    Some(i) => indexes.push(i),
                    None => errors.push(d.error_at(
                        &format!("{pointer}/levels/{li}/checks/{ci}"),
                        format!(
                            "track `{}` level `{}` names unknown check `{check_id}`",
                            def.id, level.id
                        ),
                    )),
                }
            }
            levels.push(indexes);
        }
        let filter = match def
            .filter
            .as_ref()
            .map(|f| Filter::compile(f, "/filter", facts))
        {
            Some(Err(e)) => {
                errors.push(d.error_at(&format!("{pointer}{}", e.pointer), e.message));
                None
            }
            Some(Ok(f)) => Some(f),
            None => None,
        };
        if errors.len() == before {
            out.push(Track {
                def,
                filter,
                levels,
            });
        }
    }
    out
}

/// The one document of `golden-tech/<name>` when it matches `schema`; else its errors.
fn golden_tech(
    config: &ConfigSource,
    validate: Validate,
    name: &str,
    schema: &'static str,
    errors: &mut Vec<SourceError>,
) -> Option<Document> {
    let path = config.dir.join("golden-tech").join(name);
    let doc = read_single(config.files, &path)
        .map_err(|e| errors.push(e))
        .ok()?;
    let schema_errors = validate(config.files, &doc, schema);
    if !schema_errors.is_empty() {
        errors.extend(schema_errors);
        return None;
    }
    Some(doc)
}

fn load_radar(
    config: &ConfigSource,
    validate: Validate,
    errors: &mut Vec<SourceError>,
) -> Option<Radar> {
    let doc = golden_tech(config, validate, "radar.yaml", schema::RADAR, errors)?;
    Radar::from_document(&doc)
        .map_err(|e| errors.extend(e.0))
        .ok()
}

fn load_policy(
    doc: Option<Document>,
    checks: &[Check],
    tracks: &[Track],
    facts: &mut FactTable,
    lenient: bool,
    errors: &mut Vec<SourceError>,
    warnings: &mut Warnings,
) -> FleetPolicy {
    let Some(doc) = doc else {
        return FleetPolicy::default();
    };
    let def: FleetPolicyDef = match deserialize_at(&doc, &doc.value, "") {
        Ok(d) => d,
        Err(e) => {
            errors.push(e);
            return FleetPolicy::default();
        }
    };
    match FleetPolicy::compile(&def, checks, tracks, facts, lenient) {
        Ok((policy, found)) => {
            *warnings = Warnings {
                doc: Some(doc),
                found,
            };
            policy
        }
        Err(errs) => {
            errors.extend(
                errs.into_iter()
                    .map(|e| doc.error_at(&e.pointer, e.message)),
            );
            FleetPolicy::default()
        }
    }
}
