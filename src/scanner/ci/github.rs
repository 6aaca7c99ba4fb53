//! GitHub Actions workflows (`.github/workflows/*.yml`): their triggers, jobs and steps.

use serde_json::Value;

use super::super::findings::{Runtime, RuntimeHint, rank};
use super::super::repo::Repo;
use super::super::versions::{java_release, leading_version};
use super::Found;
use super::patterns::{
    deploys, image_runtime, mentions_canary, pushes_image, runs_tests, throwaway_cluster,
};

/// Whether a path is a workflow file.
pub fn is_workflow(path: &str) -> bool {
    path.strip_prefix(".github/workflows/").is_some_and(|name| {
        !name.contains('/') && (name.ends_with(".yml") || name.ends_with(".yaml"))
    })
}

/// Words in a job's id or name that say it deploys. (`release` is not one: release notes,
/// release PRs and package releases ship nothing to an environment.)
const DEPLOY_WORDS: [&str; 2] = ["deploy", "rollout"];

/// Actions that set up a runtime, and the input that names its version.
const SETUP_ACTIONS: [(&str, &str, Runtime); 4] = [
    ("actions/setup-java", "java-version", Runtime::Java),
    ("actions/setup-node", "node-version", Runtime::Node),
    ("actions/setup-python", "python-version", Runtime::Python),
    ("actions/setup-go", "go-version", Runtime::Go),
];
/// Names of shared (reusable) workflows that build and test.
const BUILD_WORKFLOWS: [&str; 12] = [
    "ci", "build", "test", "gradle", "maven", "npm", "pnpm", "node", "poetry", "python", "go",
    "cargo",
];

/// What one workflow does. A malformed file is a warning and counts for nothing.
pub fn analyse(repo: &Repo, path: &str, text: &str) -> Found {
    let Some(workflow) = repo.yaml(path, text).and_then(|d| d.into_iter().next()) else {
        return Found::default();
    };
    let Some(jobs) = workflow.get("jobs").and_then(Value::as_object) else {
        repo.warn(path, "a workflow without `jobs`");
        return Found::default();
    };
    let on_merge = pushes_to_default_branch(workflow.get("on"));
    let mut found = Found::default();
    for (id, job) in jobs {
        let job_text = job_words(id, job);
        let runs: Vec<&str> = steps(job)
            .filter_map(|s| s.get("run").and_then(Value::as_str))
            .flat_map(str::lines)
            .collect();
        let reusable = job.get("uses").and_then(Value::as_str);
        let tests = runs.iter().any(|l| runs_tests(l))
            || reusable.is_some_and(|u| builds_and_tests(u, job));
        let pushes = runs.iter().any(|l| pushes_image(l)) || steps(job).any(pushes_with_action);
        // What a job applies to a cluster it creates for itself is a test, not a deployment.
        let throwaway = throwaway_cluster(&job_text) || runs.iter().any(|l| throwaway_cluster(l));
        let deploy = pushes
            || (!throwaway
                && (DEPLOY_WORDS.iter().any(|w| job_text.contains(w))
                    || job.get("environment").is_some()
                    || runs.iter().any(|l| deploys(l))
                    || steps(job)
                        .filter_map(|s| s.get("uses").and_then(Value::as_str))
                        .any(|u| u.to_ascii_lowercase().contains("deploy"))));
        setup_versions(path, job, &mut found.runtimes);
        let container = job.get("container");
        let image = container.and_then(Value::as_str).or_else(|| {
            container
                .and_then(|c| c.get("image"))
                .and_then(Value::as_str)
        });
        found
            .runtimes
            .extend(image.and_then(|i| image_runtime(i, path)));
        found.runs_tests |= tests;
        found.deploys_on_merge |= on_merge && deploy;
        found.canary |= mentions_canary(&job_text) || runs.iter().any(|l| mentions_canary(l));
    }
    found
}

/// A step that builds and pushes an image with an action (`docker/build-push-action` with
/// `push` other than false).
fn pushes_with_action(step: &Value) -> bool {
    let uses = step.get("uses").and_then(Value::as_str).unwrap_or("");
    if uses.starts_with("redhat-actions/push-to-registry") {
        return true;
    }
    if !uses.starts_with("docker/build-push-action") {
        return false;
    }
    match step.get("with").and_then(|w| w.get("push")) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s != "false",
        _ => false,
    }
}

/// The runtime versions a job's setup actions name: literal values, or each value of the
/// matrix variable they read.
fn setup_versions(path: &str, job: &Value, out: &mut Vec<RuntimeHint>) {
    for step in steps(job) {
        let uses = step.get("uses").and_then(Value::as_str).unwrap_or("");
        let Some((_, input, runtime)) = SETUP_ACTIONS
            .iter()
            .find(|(action, _, _)| uses.starts_with(&format!("{action}@")))
        else {
            continue;
        };
        let Some(value) = step.get("with").and_then(|w| w.get(*input)) else {
            continue;
        };
        let (values, rank) = match value.as_str().and_then(matrix_variable) {
            Some(name) => {
                let values = job
                    .pointer(&format!("/strategy/matrix/{name}"))
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                (values, rank::CI_MATRIX)
            }
            None => (vec![value.clone()], rank::CI),
        };
        for v in values {
            let text = match v {
                Value::String(s) => s,
                Value::Number(n) => n.to_string(),
                _ => continue,
            };
            let version = match runtime {
                Runtime::Java => java_release(&text),
                _ => leading_version(&text),
            };
            if let Some(version) = version {
                out.push(RuntimeHint {
                    runtime: *runtime,
                    version,
                    source: path.to_string(),
                    rank,
                });
            }
        }
    }
}

/// `x` of `${{ matrix.x }}`.
fn matrix_variable(value: &str) -> Option<&str> {
    let inner = value.trim().strip_prefix("${{")?.strip_suffix("}}")?.trim();
    inner.strip_prefix("matrix.")
}

fn steps(job: &Value) -> impl Iterator<Item = &Value> {
    job.get("steps")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The job's id, name, reusable workflow and the names and actions of its steps, lower case.
fn job_words(id: &str, job: &Value) -> String {
    let mut words = vec![id.to_string()];
    for key in ["name", "uses"] {
        if let Some(v) = job.get(key).and_then(Value::as_str) {
            words.push(v.to_string());
        }
    }
    for step in steps(job) {
        for key in ["name", "uses", "id"] {
            if let Some(v) = step.get(key).and_then(Value::as_str) {
                words.push(v.to_string());
            }
        }
    }
    words.join(" ").to_ascii_lowercase()
}

/// A reusable workflow that builds (`acme/ci-templates/.github/workflows/gradle.yaml@v4`)
/// runs the tests unless told `skip-tests: true`.
fn builds_and_tests(uses: &str, job: &Value) -> bool {
    let file = uses.split('@').next().unwrap_or(uses);
    let name = file.rsplit('/').next().unwrap_or(file);
    let stem = name
        .trim_end_matches(".yaml")
        .trim_end_matches(".yml")
        .to_ascii_lowercase();
    let skipped = job
        .get("with")
        .and_then(|w| w.get("skip-tests"))
        .is_some_and(|v| v == &Value::Bool(true) || v == "true");
    !skipped
        && stem
            .split(['-', '_', '.'])
            .any(|part| BUILD_WORKFLOWS.contains(&part))
}

/// Whether the `on:` of a workflow includes pushes to `main` or `master`.
fn pushes_to_default_branch(on: Option<&Value>) -> bool {
    match on {
        Some(Value::String(event)) => event == "push",
        Some(Value::Array(events)) => events.iter().any(|e| e == "push"),
        Some(Value::Object(events)) => match events.get("push") {
            None => false,
            Some(Value::Object(filter)) => branch_filter_admits_default(filter),
            Some(_) => true,
        },
        _ => false,
    }
}

fn branch_filter_admits_default(filter: &serde_json::Map<String, Value>) -> bool {
    let patterns = |key: &str| -> Vec<String> {
        match filter.get(key) {
            Some(Value::Array(xs)) => xs
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    };
    let admits = |pattern: &str| {
        let p = pattern.trim_start_matches('!');
        glob::Pattern::new(p).is_ok_and(|g| g.matches("main") || g.matches("master"))
    };
    if filter.contains_key("branches") {
        return patterns("branches")
            .iter()
            .any(|p| !p.starts_with('!') && admits(p));
    }
    if filter.contains_key("branches-ignore") {
        return !patterns("branches-ignore").iter().any(|p| admits(p));
    }
    // A push filter with only tags runs on tags, not on merges.
    !filter.contains_key("tags")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn push_triggers() {
        assert!(pushes_to_default_branch(Some(&json!("push"))));
        assert!(pushes_to_default_branch(Some(&json!([
            "pull_request",
            "push"
        ]))));
        assert!(pushes_to_default_branch(Some(
            &json!({"push": {"branches": ["main"]}})
        )));
        assert!(pushes_to_default_branch(Some(
            &json!({"push": {"branches": ["release/*", "ma*"]}})
        )));
        assert!(pushes_to_default_branch(Some(&json!({"push": null}))));
        assert!(!pushes_to_default_branch(Some(
            &json!({"push": {"tags": ["v*"]}})
        )));
        assert!(!pushes_to_default_branch(Some(
            &json!({"push": {"branches-ignore": ["main"]}})
        )));
        assert!(!pushes_to_default_branch(Some(
            &json!({"pull_request": null})
        )));
        assert!(!pushes_to_default_branch(Some(&json!("workflow_dispatch"))));
    }

    #[test]
    fn reusable_build_workflows_run_tests_unless_skipped() {
        let job = json!({"uses": "acme/ci-templates/.github/workflows/gradle.yaml@v4"});
        assert!(builds_and_tests(
            "acme/ci-templates/.github/workflows/gradle.yaml@v4",
            &job
        ));
        let skipped = json!({"with": {"skip-tests": true}});
        assert!(!builds_and_tests(
            "acme/ci-templates/.github/workflows/gradle.yaml@v4",
            &skipped
        ));
        assert!(!builds_and_tests(
            "acme/ci-templates/.github/workflows/release.yaml@v4",
            &job
        ));
    }
}
