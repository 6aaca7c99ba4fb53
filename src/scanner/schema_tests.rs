//! The scanner's output for every fixture repository validates against the published schema.

use std::path::{Path, PathBuf};

use super::{DirTree, MemoryTree, SCHEMA, scan};
use crate::config::{ConfigSource, load};
use crate::source::{BundledFiles, Files};

fn validator() -> jsonschema::Validator {
    let text = BundledFiles
        .read(Path::new(SCHEMA))
        .expect("the schema is bundled");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

/// The fixture repositories of every ecosystem and those laid out like real projects (the
/// accuracy test's).
fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut dirs: Vec<PathBuf> = ["repos", "layouts"]
        .iter()
        .flat_map(|folder| {
            std::fs::read_dir(root.join(folder)).expect("the fixture repositories exist")
        })
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn every_fixture_scans_to_valid_facts() {
    let config = ConfigSource {
        files: &BundledFiles,
        dir: PathBuf::new(),
    };
    let radar = load(&config, None)
        .expect("the bundled standards load")
        .engine
        .radar;
    let validator = validator();
    let dirs = fixtures();
    assert!(dirs.len() >= 20, "{dirs:?}");
    for dir in dirs {
        for with_radar in [Some(&radar), None] {
            let facts = scan(&DirTree::new(&dir), with_radar).to_json();
            let errors: Vec<String> = validator
                .iter_errors(&facts)
                .map(|e| format!("{}: {e}", e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{}: {errors:#?}", dir.display());
        }
    }
}

#[test]
fn an_empty_repository_scans_to_valid_facts() {
    let facts = scan(&MemoryTree::new(), None).to_json();
    assert!(validator().is_valid(&facts), "{facts:#}");
    assert_eq!(facts["hasTests"], false);
    assert!(facts.get("ciProvider").is_none());
}
