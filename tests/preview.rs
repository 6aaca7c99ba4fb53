//! Impact preview through HTTP: a stricter track shows who drops and who loses eligibility,
//! per department; invalid candidate standards get a 422 naming file and line; nothing is
//! stored or served differently afterwards.

mod service_support;

use serde_json::{Value, json};
use service_support::{ADMIN, READER, Running, TestDb, WRITER, serve_demo};

const TRACKS: &str = include_str!("../checks/tracks.yaml");
const SILVER: &str =
    "checks: [ci-runs-tests, ci-green-default-branch, coverage-50, recently-active]";

/// Fleet readiness Silver also asking for 80 % coverage (a Gold check today).
fn stricter_tracks() -> String {
    assert!(TRACKS.contains(SILVER));
    TRACKS.replace(
        SILVER,
        "checks: [ci-runs-tests, ci-green-default-branch, coverage-50, coverage-80, recently-active]",
    )
}

async fn served(s: &Running) -> (String, Value, Value) {
    let export = s
        .http
        .get(format!("{}/api/v1/fleet/eligibility", s.base))
        .header("accept", "application/x-ndjson")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (_, payments) = s.get("/api/v1/groups/default/payments/health").await;
    let (_, adapter) = s
        .get("/api/v1/entities/component/default/payment-gateway-adapter/health")
        .await;
    (export, payments, adapter)
}

async fn a_stricter_track_shows_who_drops(db: &TestDb) {
    let s = serve_demo(db).await;
    let before = served(&s).await;
    let (status, preview) = s
        .post(
            "/api/v1/preview",
            Some(ADMIN),
            &json!({ "files": { "checks/tracks.yaml": stricter_tracks() } }),
        )
        .await;
    assert_eq!(status, 200, "{preview}");
    let summary = &preview["summary"];
    assert_eq!(summary["entities"], 67);
    assert_eq!(summary["eligibleBefore"], 35);
    let entities = preview["entities"].as_array().unwrap();
    let find = |name: &str| {
        entities
            .iter()
            .find(|e| e["entity"] == format!("component:default/{name}"))
    };
    // 63.5 % coverage: Silver before, Bronze after, and no longer eligible.
    let pipeline = find("ingestion-pipeline").expect("ingestion-pipeline drops");
    assert_eq!(pipeline["before"]["levels"]["fleet-readiness"], "silver");
    assert_eq!(pipeline["after"]["levels"]["fleet-readiness"], "bronze");
    assert_eq!(pipeline["droppedIn"], json!(["fleet-readiness"]));
    assert_eq!(
        (
            &pipeline["before"]["eligible"],
            &pipeline["after"]["eligible"]
        ),
        (&json!(true), &json!(false))
    );
    assert_eq!(
        pipeline["after"]["blocking"],
        json!(["level-too-low:fleet-readiness<silver"])
    );
    assert_eq!(pipeline["department"], "group:default/music-streaming");
    // 86.4 % coverage: untouched, so not listed.
    assert!(find("checkout-api").is_none());
    // Only what changes is listed, and every change is a drop here.
    let dropped = entities
        .iter()
        .filter(|e| e["droppedIn"] == json!(["fleet-readiness"]))
        .count();
    assert_eq!(entities.len(), dropped);
    assert_eq!(summary["changed"], dropped);
    assert_eq!(summary["dropped"], dropped);
    assert_eq!(summary["raised"], 0);
    let lost = summary["lostEligibility"].as_u64().unwrap();
    assert!(
        lost >= 10,
        "most Silver components have under 80 % coverage: {summary}"
    );
    assert_eq!(
        summary["eligibleAfter"].as_u64().unwrap(),
        35 - lost,
        "{summary}"
    );
    // Per department, adding up to the fleet.
    let departments = preview["departments"].as_object().unwrap();
    let total: u64 = departments
        .values()
        .map(|d| d["entities"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 67);
    let lost_by_department: u64 = departments
        .values()
        .map(|d| d["lostEligibility"].as_u64().unwrap())
        .sum();
    assert_eq!(lost_by_department, lost);
    assert_eq!(departments["group:default/payments"]["entities"], 17);
    assert!(
        departments["group:default/music-streaming"]["lostEligibility"]
            .as_u64()
            .unwrap()
            >= 1
    );

    // Nothing was saved: the store and what is served are as before.
    assert!(
        served(&s).await == before,
        "a preview changed what is served"
    );
    // And a reload from the store's standards gives the same levels as before.
    let (_, report) = s
        .post("/api/v1/admin/reload", Some(ADMIN), &json!({}))
        .await;
    assert_eq!(report["scored"], 67);
    let after = served(&s).await;
    assert!(after.0 == before.0, "the eligibility export changed");
    assert_eq!(after.1["tracks"], before.1["tracks"]);
}

async fn bad_candidates_are_refused(db: &TestDb) {
    let s = serve_demo(db).await;
    let body = json!({ "files": { "checks/tracks.yaml": TRACKS.replace("coverage-50, recently-active", "coverage-99, recently-active") } });
    // Costly, so not for every reader or writer.
    assert_eq!(s.post("/api/v1/preview", None, &body).await.0, 401);
    let (status, refused) = s.post("/api/v1/preview", Some(READER), &body).await;
    assert_eq!(status, 403);
    assert_eq!(refused["error"]["details"]["scope"], "preview");
    assert_eq!(s.post("/api/v1/preview", Some(WRITER), &body).await.0, 403);

    let line = TRACKS.lines().position(|l| l.contains(SILVER)).unwrap() + 1;
    let (status, refused) = s.post("/api/v1/preview", Some(ADMIN), &body).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["code"], "invalid-standards");
    let first = refused["error"]["details"]["errors"][0].as_str().unwrap();
    assert!(
        first.starts_with(&format!("checks/tracks.yaml:{line}:"))
            && first.contains("names unknown check `coverage-99`"),
        "{first}"
    );

    let bad_yaml = json!({ "files": { "golden-tech/fleet-policy.yaml": "rollout:\n  waves: [{ name: only, owner: 3 }]\n  extra: true\n" } });
    let (status, refused) = s.post("/api/v1/preview", Some(ADMIN), &bad_yaml).await;
    assert_eq!(status, 422, "{refused}");
    let errors = refused["error"]["details"]["errors"].to_string();
    assert!(
        errors.contains("golden-tech/fleet-policy.yaml:2:32: /rollout/waves/0/owner"),
        "{errors}"
    );

    let outside = json!({ "files": { "../secrets.yaml": "x: 1" } });
    let (status, refused) = s.post("/api/v1/preview", Some(ADMIN), &outside).await;
    assert_eq!(status, 400, "{refused}");
    // Removing a file the others need is caught too.
    let removed = json!({ "files": { "checks/fleet-readiness.yaml": null } });
    let (status, refused) = s.post("/api/v1/preview", Some(ADMIN), &removed).await;
    assert_eq!(status, 422, "{refused}");
}

async fn a_patch_replaces_one_check(db: &TestDb) {
    let s = serve_demo(db).await;
    // Silver in fleet readiness now asks for 60 % coverage instead of 50 %.
    let patch = r#"
checks:
  - id: coverage-50
    name: Test coverage at least 60%
    severity: error
    rule:
      conditions:
        all:
          - { fact: testCoverage, operator: greaterThanInclusive, value: 60 }
"#;
    let (status, preview) = s
        .post("/api/v1/preview", Some(ADMIN), &json!({ "patch": patch }))
        .await;
    assert_eq!(status, 200, "{preview}");
    let changed: Vec<(&str, &Value)> = preview["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["entity"].as_str().unwrap(),
                &e["after"]["levels"]["fleet-readiness"],
            )
        })
        .collect();
    // podcast-catalog has 58 %: Bronze now. ingestion-pipeline (63.5 %) is untouched.
    assert!(
        changed.contains(&("component:default/podcast-catalog", &json!("bronze"))),
        "{changed:?}"
    );
    assert!(
        !changed
            .iter()
            .any(|(e, _)| *e == "component:default/ingestion-pipeline")
    );
    assert!(
        changed.iter().all(|(_, level)| **level == json!("bronze")),
        "{changed:?}"
    );

    let broken = "checks:\n  - id: coverage-50\n    name: Coverage\n    rule: { conditions: { all: [{ fact: testCoverage, operator: atLeast, value: 60 }] } }\n";
    let (status, refused) = s
        .post("/api/v1/preview", Some(ADMIN), &json!({ "patch": broken }))
        .await;
    assert_eq!(status, 422, "{refused}");
    let first = refused["error"]["details"]["errors"][0].as_str().unwrap();
    assert!(first.starts_with("patch:4:"), "{first}");
}

on_both_stores! {
    a_patch_replaces_one_check => super::a_patch_replaces_one_check;
    a_stricter_track_shows_who_drops => super::a_stricter_track_shows_who_drops;
    bad_candidates_are_refused => super::bad_candidates_are_refused;
}

/// A copy of the bundled standards with `tracks` as checks/tracks.yaml.
fn candidate_dir(tracks: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for sub in ["checks", "checks/collectors", "golden-tech"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        for f in std::fs::read_dir(root.join(sub)).unwrap() {
            let f = f.unwrap().path();
            if f.is_file() {
                std::fs::copy(&f, dir.path().join(sub).join(f.file_name().unwrap())).unwrap();
            }
        }
    }
    std::fs::write(dir.path().join("checks/tracks.yaml"), tracks).unwrap();
    dir
}

fn preview_cli(dir: &std::path::Path, format: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tech-health"))
        .args(["preview", "--config-dir"])
        .arg(dir)
        .args(["--format", format])
        .output()
        .unwrap()
}

#[test]
fn the_command_line_previews_a_config_folder_over_the_example_fleet() {
    let dir = candidate_dir(&stricter_tracks());
    let o = preview_cli(dir.path(), "json");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let p: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(p["summary"]["entities"], 67);
    assert_eq!(p["summary"]["eligibleBefore"], 35);
    assert_eq!(p["summary"]["eligibleAfter"], 13);
    assert_eq!(
        p["departments"]["group:default/payments"]["lostEligibility"],
        7
    );
    let names: Vec<&str> = p["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entity"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"component:default/ingestion-pipeline"));
    assert!(!names.contains(&"component:default/checkout-api"));

    let table = preview_cli(dir.path(), "table");
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.starts_with(
            "67 entities, 25 change: 25 drop a level, 0 rise; golden 6 -> 6; eligible 35 -> 13"
        ),
        "{text}"
    );

    // Unchanged standards: nothing changes.
    let same = candidate_dir(TRACKS);
    let p: Value = serde_json::from_slice(&preview_cli(same.path(), "json").stdout).unwrap();
    assert_eq!(p["summary"]["changed"], 0);
    assert_eq!(p["entities"], json!([]));

    // Invalid candidates: file and line, exit status 1.
    let bad = candidate_dir(&TRACKS.replace(
        "coverage-50, recently-active",
        "coverage-99, recently-active",
    ));
    let o = preview_cli(bad.path(), "json");
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("checks/tracks.yaml:68:") && err.contains("coverage-99"),
        "{err}"
    );
}
