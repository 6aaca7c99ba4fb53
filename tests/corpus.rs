//! The real-world corpus: public catalog files as people write them, templates and mistakes
//! included. Every one must load without panicking, and either yield an entity or say,
//! naming the file, why not.
//!
//! The corpus lives outside the repository: `$TECH_HEALTH_CORPUS`, or else
//! `../shared/corpus/catalog` next to the crate. Run with `--nocapture` for a summary.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use tech_health::catalog::{Catalog, Severity};
use tech_health::source::{DiskFiles, Files};

/// The corpus folder, or `None` (after saying so) when it is absent outside CI.
fn corpus_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("TECH_HEALTH_CORPUS") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/catalog"),
    };
    if dir.is_dir() {
        return Some(dir.canonicalize().unwrap_or(dir));
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "corpus not found at {}; set TECH_HEALTH_CORPUS to the catalog corpus folder",
        dir.display()
    );
    println!(
        "corpus not found at {}, skipped (set TECH_HEALTH_CORPUS)",
        dir.display()
    );
    None
}

/// Every descriptor file of the corpus (its `SOURCES.md` is not one).
fn corpus_files(dir: &Path) -> Vec<PathBuf> {
    let files = DiskFiles
        .list(dir, true)
        .expect("the corpus folder can be listed");
    files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect()
}

fn load(roots: &[PathBuf]) -> Result<Catalog, String> {
    catch_unwind(AssertUnwindSafe(|| Catalog::load(&DiskFiles, roots))).map_err(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

/// What became of one file: how many of its own entities loaded, and its first error.
fn outcome(catalog: &Catalog, file: &Path) -> (usize, Option<String>) {
    let entities = catalog
        .entities()
        .iter()
        .filter(|e| *e.origin.file == *file)
        .count();
    let named = file.display().to_string();
    let first_error = catalog
        .problems()
        .iter()
        .find(|p| p.severity == Severity::Error && p.to_string().contains(&named))
        .map(ToString::to_string);
    (entities, first_error)
}

#[test]
fn every_corpus_file_loads_or_says_why() {
    let Some(dir) = corpus_dir() else { return };
    let files = corpus_files(&dir);
    assert!(!files.is_empty(), "no descriptor file in {}", dir.display());
    let mut failures = Vec::new();
    let (mut loaded, mut rejected, mut warnings) = (0, Vec::new(), 0);
    for file in &files {
        let catalog = match load(std::slice::from_ref(file)) {
            Ok(c) => c,
            Err(panic) => {
                failures.push(format!("{}: panicked: {panic}", file.display()));
                continue;
            }
        };
        warnings += catalog
            .problems()
            .iter()
            .filter(|p| p.severity == Severity::Warning)
            .count();
        match outcome(&catalog, file) {
            (0, None) => failures.push(format!(
                "{}: no entity and no error naming the file; problems: {:?}",
                file.display(),
                catalog
                    .problems()
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
            )),
            (0, Some(error)) => rejected.push(error),
            _ => loaded += 1,
        }
    }
    println!(
        "corpus: {} files: {loaded} load, {} rejected, {warnings} warnings",
        files.len(),
        rejected.len()
    );
    for error in &rejected {
        println!("  rejected: {error}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_whole_corpus_loads_at_once() {
    let Some(dir) = corpus_dir() else { return };
    let catalog = match load(std::slice::from_ref(&dir)) {
        Ok(c) => c,
        Err(panic) => panic!("loading {} panicked: {panic}", dir.display()),
    };
    let files = corpus_files(&dir);
    let silent: Vec<String> = files
        .iter()
        .filter(|f| outcome(&catalog, f) == (0, None))
        .map(|f| f.display().to_string())
        .collect();
    let errors = catalog
        .problems()
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    println!(
        "corpus folder: {} entities from {} files, {errors} errors, {} warnings",
        catalog.entities().len(),
        files.len(),
        catalog.problems().len() - errors
    );
    assert!(
        catalog.entities().len() >= files.len(),
        "most files hold at least one entity"
    );
    assert!(
        silent.is_empty(),
        "files with neither entity nor error:\n{}",
        silent.join("\n")
    );
}
