//! Loading a realistic catalog from disk: a root Location, globs, the group tree, ownership,
//! and what happens to files that are not what they claim to be.

use std::path::{Path, PathBuf};

use tech_health::catalog::{Catalog, EntityRef, Problem, Severity};
use tech_health::source::{BundledFiles, DiskFiles};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/catalog")
        .join(path)
}

fn r(text: &str) -> EntityRef {
    text.parse().expect("a full entity ref")
}

fn refs<'a>(refs: impl IntoIterator<Item = &'a EntityRef>) -> Vec<String> {
    refs.into_iter().map(ToString::to_string).collect()
}

fn entity_refs(catalog: &Catalog) -> Vec<String> {
    refs(catalog.entities().iter().map(|e| &e.entity_ref))
}

/// `(severity, file name, line, message)` of every problem, for compact assertions.
fn summary(problems: &[Problem]) -> Vec<(Severity, String, u32, String)> {
    problems
        .iter()
        .map(|p| {
            let name = p
                .file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (
                p.severity,
                name,
                p.pos.map_or(0, |p| p.line),
                p.message.clone(),
            )
        })
        .collect()
}

const ACME: [&str; 15] = [
    "location:default/acme-catalog",
    "group:default/acme",
    "group:default/engineering",
    "user:default/jane.doe",
    "group:default/payments",
    "group:default/checkout",
    "group:default/fraud-detection",
    "domain:default/commerce",
    "system:default/payments",
    "component:default/billing",
    "api:default/billing-api",
    "resource:default/billing-db",
    "component:default/checkout-web",
    "component:default/fraud-scoring",
    "component:default/legacy-reports",
];

fn acme() -> Catalog {
    Catalog::load(&DiskFiles, &[fixture("acme/catalog-info.yaml")])
}

#[test]
fn a_root_location_loads_the_whole_org_and_says_what_it_could_not() {
    let catalog = acme();
    assert_eq!(entity_refs(&catalog), ACME);
    // Sorted by file name and line: the unowned component's Warning comes first.
    let mut problems = summary(catalog.problems());
    problems.sort_by(|a, b| (&a.1, a.2).cmp(&(&b.1, b.2)));
    assert_eq!(problems.len(), 3, "{problems:#?}");
    // An unowned component loads: reporting it is tech-health's job.
    let (severity, file, line, message) = &problems[0];
    assert_eq!(
        (*severity, file.as_str(), *line),
        (Severity::Warning, "catalog-info.yaml", 8)
    );
    assert!(message.contains("no spec.owner"), "{message}");
    let (severity, file, line, message) = &problems[1];
    assert_eq!(
        (*severity, file.as_str(), *line),
        (Severity::Warning, "catalog-info.yaml", 13)
    );
    assert!(
        message.contains("https://github.com/acme/partner-portal")
            && message.contains("not fetched"),
        "{message}"
    );
    let (severity, file, line, message) = &problems[2];
    assert_eq!(
        (*severity, file.as_str(), *line),
        (Severity::Error, "catalog-info.yaml", 14)
    );
    assert!(
        message.contains("./services/search/catalog-info.yaml")
            && message.contains("does not exist"),
        "{message}"
    );
    let legacy = catalog
        .get(&r("component:default/legacy-reports"))
        .expect("loaded");
    assert_eq!(legacy.owner(), None);
    assert_eq!(legacy.lifecycle(), Some("deprecated"));
}

#[test]
fn the_group_tree_is_read_from_both_directions() {
    let catalog = acme();
    let engineering = r("group:default/engineering");
    let payments = r("group:default/payments");
    assert_eq!(
        refs(catalog.children(&engineering)),
        ["group:default/payments", "group:default/checkout"]
    );
    // fraud-detection is known to payments only through its own spec.parent.
    assert_eq!(
        refs(catalog.children(&payments)),
        ["group:default/fraud-detection"]
    );
    assert_eq!(
        catalog.parent(&r("group:default/fraud-detection")),
        Some(&payments)
    );
    assert_eq!(
        refs(&catalog.ancestors(&r("group:default/fraud-detection"))),
        [
            "group:default/payments",
            "group:default/engineering",
            "group:default/acme"
        ]
    );
    assert_eq!(
        refs(&catalog.descendants(&r("group:default/acme"))),
        [
            "group:default/acme",
            "group:default/engineering",
            "group:default/payments",
            "group:default/checkout",
            "group:default/fraud-detection"
        ]
    );
    assert!(catalog.is_department(&engineering));
    assert!(catalog.is_department(&payments));
    assert!(!catalog.is_department(&r("group:default/checkout")));
}

#[test]
fn a_department_owns_what_its_teams_own() {
    let catalog = acme();
    let owned = |group: &str, recursive: bool| {
        refs(
            catalog
                .owned_by(&r(group), recursive)
                .into_iter()
                .map(|e| &e.entity_ref),
        )
    };
    assert_eq!(
        owned("group:default/engineering", false),
        ["domain:default/commerce"]
    );
    assert_eq!(
        owned("group:default/engineering", true),
        [
            "domain:default/commerce",
            "system:default/payments",
            "component:default/billing",
            "api:default/billing-api",
            "resource:default/billing-db",
            "component:default/checkout-web",
            "component:default/fraud-scoring",
        ]
    );
    assert_eq!(owned("group:default/payments", false).len(), 4);
    assert_eq!(owned("group:default/payments", true).len(), 5);
}

#[test]
fn relations_take_the_default_kind_of_their_field() {
    let catalog = acme();
    let billing = catalog
        .get(&r("component:default/billing"))
        .expect("loaded");
    assert_eq!(billing.owner(), Some(&r("group:default/payments")));
    assert_eq!(
        billing.relations.system(),
        Some(&r("system:default/payments"))
    );
    assert_eq!(
        refs(billing.relations.provides_apis()),
        ["api:default/billing-api"]
    );
    assert_eq!(
        refs(billing.relations.depends_on()),
        ["resource:default/billing-db"]
    );
    assert_eq!(billing.spec_type(), Some("service"));
    assert_eq!(
        billing.annotation("github.com/project-slug"),
        Some("acme/billing")
    );
    assert_eq!(billing.metadata.tags, ["java", "spring-boot"]);
    assert_eq!(
        billing.metadata.links[0].title.as_deref(),
        Some("Dashboard")
    );
    assert_eq!(
        billing.origin.file.to_path_buf(),
        fixture("acme/services/billing/catalog-info.yaml")
    );
    assert_eq!((billing.origin.document, billing.origin.line), (1, 1));
    let web = catalog
        .get(&r("component:default/checkout-web"))
        .expect("loaded");
    assert_eq!(web.owner(), Some(&r("group:default/checkout")));
    assert_eq!(
        refs(web.relations.consumes_apis()),
        ["api:default/billing-api"]
    );
    let jane = catalog.get(&r("user:default/jane.doe")).expect("loaded");
    assert_eq!(refs(jane.relations.member_of()), ["group:default/payments"]);
    let system = catalog.get(&r("system:default/payments")).expect("loaded");
    assert_eq!(
        system.relations.domain(),
        Some(&r("domain:default/commerce"))
    );
}

#[test]
fn a_folder_and_the_location_inside_it_load_each_file_once() {
    let catalog = Catalog::load(&DiskFiles, &[fixture("acme")]);
    let mut loaded = entity_refs(&catalog);
    loaded.sort();
    let mut expected = ACME.map(String::from).to_vec();
    expected.sort();
    assert_eq!(loaded, expected);
    assert!(
        !catalog
            .problems()
            .iter()
            .any(|p| p.message.contains("already defined"))
    );
}

#[test]
fn a_location_cycle_is_reported_and_nothing_loads_twice() {
    let catalog = Catalog::load(&DiskFiles, &[fixture("cycle/all.yaml")]);
    assert_eq!(
        entity_refs(&catalog),
        [
            "location:default/all",
            "group:default/team-a",
            "location:default/back-to-all"
        ]
    );
    let problems = summary(catalog.problems());
    assert_eq!(problems.len(), 1, "{problems:#?}");
    let (severity, file, line, message) = &problems[0];
    assert_eq!(
        (*severity, file.as_str(), *line),
        (Severity::Warning, "teams.yaml", 15)
    );
    assert!(
        message.contains("cycle")
            && message.contains("all.yaml -> ")
            && message.contains("teams.yaml"),
        "{message}"
    );
}

#[test]
fn files_that_are_no_catalog_are_rejected_by_name_and_the_rest_loads() {
    let catalog = Catalog::load(&DiskFiles, &[fixture("broken")]);
    assert_eq!(entity_refs(&catalog), ["component:default/search"]);
    let errors: Vec<String> = catalog
        .problems()
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .map(ToString::to_string)
        .collect();
    let expect = [
        ("cookiecutter.yaml:4:", "not valid YAML"),
        ("mixed.yaml:10:1: document 2:", "found a list"),
        (
            "mixed.yaml:17:14: document 3:",
            "metadata.namespace `Search` is not valid",
        ),
        (
            "pagerduty-service.yaml:2:1: document 1:",
            "apiVersion, kind and metadata are all missing",
        ),
        ("skeleton.yaml:4:9: document 1:", "template placeholder"),
    ];
    assert_eq!(errors.len(), expect.len(), "{errors:#?}");
    for (error, (place, what)) in errors.iter().zip(expect) {
        assert!(
            error.contains(place) && error.contains(what),
            "{error} should name {place} and say {what}"
        );
    }
    assert!(errors[0].contains("template placeholders"), "{}", errors[0]);
}

#[test]
fn the_bundled_example_fleet_loads_as_from_disk() {
    let bundled = Catalog::load(
        &BundledFiles,
        &[PathBuf::from("examples/fleet/catalog-info.yaml")],
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fleet/catalog-info.yaml");
    let disk = Catalog::load(&DiskFiles, &[root]);
    assert!(bundled.entities().len() > 1, "{:#?}", bundled.problems());
    assert_eq!(entity_refs(&bundled), entity_refs(&disk));
    let errors: Vec<String> = bundled
        .problems()
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .map(ToString::to_string)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn one_generated_file_may_hold_a_whole_catalog() {
    // Beyond the YAML parser's default budget of 1,024 documents and 250k nodes.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("all.yaml");
    let mut text = String::new();
    for i in 0..20_000 {
        text.push_str(&format!(
            "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc-{i}\n  \
             tags: [a, b, c]\n  annotations: {{ github.com/project-slug: acme/svc-{i} }}\n\
             spec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"
        ));
    }
    std::fs::write(&file, text).expect("write");
    let catalog = Catalog::load(&DiskFiles, &[file]);
    assert_eq!(catalog.entities().len(), 20_000);
    assert!(catalog.get(&r("component:default/svc-19999")).is_some());
}
