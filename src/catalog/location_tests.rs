//! Following Locations through an in-memory file tree, as the bundled files are read.

use std::path::PathBuf;

use super::testing::{MemFiles, lines};
use super::{Catalog, Problem, Severity};

fn location(name: &str, targets: &[&str]) -> String {
    let targets: Vec<String> = targets.iter().map(|t| format!("    - {t}\n")).collect();
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: {name}\nspec:\n  targets:\n{}",
        targets.concat()
    )
}

fn group(name: &str) -> String {
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: {name}\nspec:\n  type: team\n  children: []\n"
    )
}

fn load(files: &[(&str, &str)], roots: &[&str]) -> Catalog {
    let roots: Vec<PathBuf> = roots.iter().map(PathBuf::from).collect();
    Catalog::load(&MemFiles::new(files), &roots)
}

fn names(c: &Catalog) -> Vec<&str> {
    c.entities()
        .iter()
        .map(|e| e.metadata.name.as_str())
        .collect()
}

/// Problems as `file line: message`.
fn placed(problems: &[Problem]) -> Vec<String> {
    problems
        .iter()
        .map(|p| {
            format!(
                "{} {}: {}",
                p.file.display(),
                p.pos.map_or(0, |p| p.line),
                p.message
            )
        })
        .collect()
}

#[test]
fn relative_targets_are_resolved_against_the_location_folder() {
    let root = location(
        "root",
        &["./teams/a.yaml", "../shared/b.yaml", "teams/./c.yaml"],
    );
    let c = load(
        &[
            ("catalog/all.yaml", &root),
            ("catalog/teams/a.yaml", &group("a")),
            ("shared/b.yaml", &group("b")),
            ("catalog/teams/c.yaml", &group("c")),
        ],
        &["catalog/all.yaml"],
    );
    assert_eq!(names(&c), ["root", "a", "b", "c"]);
    assert!(c.problems().is_empty(), "{:#?}", c.problems());
    assert_eq!(
        *c.entities()[2].origin.file,
        *std::path::Path::new("shared/b.yaml")
    );
}

#[test]
fn glob_targets_expand_and_a_location_matching_itself_is_no_cycle() {
    let root = location(
        "root",
        &[
            "./*.yaml",
            "./services/**/catalog-info.yaml",
            "./nothing/*.yaml",
        ],
    );
    let c = load(
        &[
            ("all.yaml", &root),
            ("org.yaml", &group("org")),
            ("services/billing/catalog-info.yaml", &group("billing")),
            ("services/shop/web/catalog-info.yaml", &group("web")),
            ("services/shop/web/README.md", "# not a descriptor"),
        ],
        &["all.yaml"],
    );
    assert_eq!(names(&c), ["root", "org", "billing", "web"]);
    assert_eq!(
        lines(c.problems()),
        ["warning 9: Location target `./nothing/*.yaml` matches no file"]
    );
}

#[test]
fn missing_and_folder_targets_are_errors_at_the_target_line() {
    let root = location("root", &["./teams/a.yaml", "./gone.yaml", "./teams"]);
    let c = load(
        &[("all.yaml", &root), ("teams/a.yaml", &group("a"))],
        &["all.yaml"],
    );
    assert_eq!(names(&c), ["root", "a"]);
    assert_eq!(
        placed(c.problems()),
        [
            "all.yaml 8: Location target `./gone.yaml` (gone.yaml) does not exist",
            "all.yaml 9: Location target `./teams` (teams) is a folder; name a file, or a glob such as ./*.yaml",
        ]
    );
    assert!(
        c.problems()
            .iter()
            .all(|p| p.severity == Severity::Error && p.document == Some(1))
    );
}

#[test]
fn remote_and_discovery_locations_are_not_followed() {
    let remote = location(
        "remote",
        &[
            "https://github.com/acme/repo/blob/main/catalog-info.yaml",
            "./a.yaml",
        ],
    );
    let discovery = "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: org\nspec:\n  type: github-org\n  target: https://github.com/acme\n";
    let c = load(
        &[
            ("remote.yaml", &remote),
            ("discovery.yaml", discovery),
            ("a.yaml", &group("a")),
        ],
        &["remote.yaml", "discovery.yaml"],
    );
    assert_eq!(names(&c), ["remote", "a", "org"]);
    assert_eq!(
        lines(c.problems()),
        [
            "warning 7: Location target `https://github.com/acme/repo/blob/main/catalog-info.yaml` is remote and is not fetched; only local files are read",
            "warning 6: Location type `github-org` is not followed; only file and url targets are read",
        ]
    );
}

#[test]
fn a_cycle_is_reported_once_and_every_file_loads_once() {
    let files = [
        ("a.yaml", location("a", &["./b.yaml"])),
        ("b.yaml", location("b", &["./c.yaml"])),
        (
            "c.yaml",
            format!("{}---\n{}", group("team"), location("c", &["./a.yaml"])),
        ),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let c = load(&files, &["a.yaml"]);
    assert_eq!(names(&c), ["a", "b", "team", "c"]);
    assert_eq!(
        placed(c.problems()),
        [
            "c.yaml 15: Location target `./a.yaml` leads back to a.yaml: a cycle (a.yaml -> b.yaml -> c.yaml -> a.yaml); not loaded again"
        ]
    );
    assert_eq!(c.problems()[0].severity, Severity::Warning);
}

#[test]
fn a_file_reached_twice_loads_once_without_complaint() {
    let files = [
        ("all.yaml", location("all", &["./teams.yaml", "./org.yaml"])),
        ("org.yaml", location("org", &["./teams.yaml"])),
        ("teams.yaml", group("a")),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let c = load(&files, &["all.yaml", "./teams.yaml", "org.yaml"]);
    assert_eq!(names(&c), ["all", "a", "org"]);
    assert!(c.problems().is_empty(), "{:#?}", c.problems());
}

#[test]
fn roots_that_name_nothing_say_so() {
    let c = load(
        &[("docs/README.md", "# hi"), ("a.yaml", &group("a"))],
        &["missing.yaml", "nothing/*.yaml", "docs", "a.yaml"],
    );
    assert_eq!(names(&c), ["a"]);
    assert_eq!(
        placed(c.problems()),
        [
            "missing.yaml 0: cannot read file: does not exist",
            "nothing/*.yaml 0: no .yaml or .yml file matches this pattern",
            "docs 0: the folder holds no .yaml or .yml file",
        ]
    );
    let severities: Vec<Severity> = c.problems().iter().map(|p| p.severity).collect();
    assert_eq!(
        severities,
        [Severity::Error, Severity::Error, Severity::Warning]
    );
}
