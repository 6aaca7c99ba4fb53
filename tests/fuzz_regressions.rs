//! Every input a fuzz target of `fuzz/` found to crash, hang or disagree, kept under
//! `tests/fixtures/fuzz/<target>/` and checked again exactly as the fuzzer checks it
//! (`tech_health::fuzzing`). Add a reproducer by copying it from `fuzz/artifacts/<target>/`.

use std::path::Path;

fn each_reproducer(target: &str, check: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return 0;
    };
    let mut n = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{} fails again", path.display());
        n += 1;
    }
    n
}

#[test]
fn reproducers_found_by_the_fuzzers_pass() {
    let mut found = 0;
    for (target, check) in [
        (
            "catalog_yaml",
            tech_health::fuzzing::catalog_yaml as fn(&[u8]),
        ),
        ("facts_file", tech_health::fuzzing::facts_file),
        ("rules", tech_health::fuzzing::rules),
        ("manifests", tech_health::fuzzing::manifests),
        ("webhook", tech_health::fuzzing::webhook),
    ] {
        found += each_reproducer(target, check);
    }
    assert!(found >= 1, "the reproducers are under tests/fixtures/fuzz/");
}

/// The seeds the fuzzers start from (fuzz/seed.py) pass too: realistic inputs of every kind.
#[test]
fn realistic_inputs_pass_every_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let facts = std::fs::read(root.join("examples/fleet/facts.json")).unwrap();
    for chunk in [0u8, 7, 255] {
        let mut data = vec![chunk];
        data.extend_from_slice(&facts);
        tech_health::fuzzing::facts_file(&data);
    }
    for file in ["examples/fleet/org.yaml", "examples/fleet/apis.yaml"] {
        tech_health::fuzzing::catalog_yaml(&std::fs::read(root.join(file)).unwrap());
    }
}
