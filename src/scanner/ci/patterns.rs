//! Command patterns shared by every CI provider: what runs tests, what deploys, what rolls out
//! progressively; and the text-only reading of providers other than GitHub Actions.

use std::sync::LazyLock;

use regex::Regex;

use super::super::docker::runtime_of;
use super::super::findings::{RuntimeHint, rank};
use super::Found;

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid regular expression")
}

static TEST_COMMAND: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?x)
        \bmvnw?\b[^\n;&|]*\b(?:verify|test|install|package|deploy)\b
        | \bgradlew?\b[^\n;&|]*\b(?:test|check|build)\b
        | \b(?:npm|pnpm|yarn|bun)\s+(?:run\s+)?test
        | \b(?:jest|vitest|mocha)\b
        | \bpytest\b | \bpython3?\s+-m\s+(?:pytest|unittest)\b | \btox\b | \bnox\b
        | \bgo\s+test\b
        | \bcargo\s+(?:test|nextest)\b
        | \bsbt\b[^\n]*\btest\b
        | \bbazel\s+test\b
        | \bmake\s+(?:test|check)\b
        | \bdotnet\s+test\b
        | \bswift\s+test\b | \bxcodebuild\b[^\n]*\btest\b
        | \bplaywright\s+test\b | \bcypress\s+run\b
        | \bnode\s+--test\b | \bdeno\s+test\b
        | \bhelm\s+unittest\b | \bct\s+(?:install|lint-and-install)\b
        | \b(?:terraform|tofu)\s+test\b
        | \b(?:just|task|turbo(?:\s+run)?|nx(?:\s+run-many)?)\s+(?:-\S+\s+)*test\b
        | \bmake\s+[\w-]*test
        | \bhatch\s+test\b
        # a test script run through a Python project tool: `uv run tests/run_all.py`,
        # `poetry run ./scripts/test`
        | \b(?:uv|poetry|pipenv|hatch|pdm|rye)\s+run\s+(?:-\S+\s+)*\S*test
        # a wrapper script: `./scripts/test`, `bash ci/run-tests.sh`, `./test.sh`
        | (?:^|[\s;&|(])(?:(?:bash|sh)\s+)?\.?/?(?:scripts|bin|ci|tools|hack|\.github/scripts)/[\w./-]*test
        | (?:^|[\s;&|(])\./[\w.-]*test",
    )
});

/// Flags that switch the tests off again.
static SKIP_TESTS: LazyLock<Regex> =
    LazyLock::new(|| regex(r"-DskipTests\b|-Dmaven\.test\.skip=true|-x\s+test\b"));

static DEPLOY_COMMAND: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?x)
        \bkubectl\s+(?:apply|rollout|set\s+image|argo\s+rollouts)
        | \bhelm\s+(?:upgrade|install)\b | \bhelmfile\s+(?:apply|sync)\b
        | \bargocd\s+app\s+(?:sync|set)\b | \bflux\s+reconcile\b
        | \bterraform\s+apply\b
        | \bgcloud\s+(?:run|app|functions)\s+deploy\b | \baws\s+ecs\s+update-service\b
        | \b(?:serverless|sls|cdk|sam)\s+deploy\b | \bskaffold\s+(?:run|deploy)\b
        | \bkustomize\s+edit\s+set\s+image\b
        | \bdeploy(?:\.sh)?\b",
    )
});

/// Publishing a container image (on the default branch, that is a delivery).
static IMAGE_PUSH: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?x)
        \b(?:docker|podman|buildah)\s+push\b
        | \bdocker\s+(?:buildx\s+)?build\b[^\n]*\s--push\b
        | \bjib(?::build\b|\s)
        | \bko\s+(?:build|publish|apply|resolve)\b
        | \bcrane\s+push\b | \bskopeo\s+copy\b",
    )
});

/// A cluster created for the job and thrown away with it (kind, k3d, minikube): what is
/// applied to it is a test, not a deployment.
static THROWAWAY_CLUSTER: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?ix)
        \bkind\s+create\s+cluster\b | \bk3d\s+cluster\s+create\b | \bminikube\s+start\b
        | \bctlptl\s+create\b
        | helm/kind-action | engineerd/setup-kind | container-tools/kind-action
        | AbsaOSS/k3d-action | nolar/setup-k3d-k3s | medyagh/setup-minikube",
    )
});

static CANARY: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)\bcanary\b|\bcanaries\b|progressive[\s_-]?(?:delivery|rollout)|\bflagger\b|\bkayenta\b|argo\s+rollouts\s+promote|\bsetWeight\b",
    )
});

/// The default branch named as a branch condition (`branch 'main'`, `== "main"`, `- main`,
/// `only: main`, `refs/heads/main`, `$CI_DEFAULT_BRANCH`), not any word `main`.
static DEFAULT_BRANCH: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r#"(?xim)
        (?: branch(?:es)?\s*[:=(]?\s*['"]? | ==\s*['"]? | ^\s*-\s+['"]? | only:\s*\[?\s*['"]? | refs/heads/ )
        (?:main|master)\b
        | \$\{?CI_DEFAULT_BRANCH\b"#,
    )
});

/// A manual gate before a deployment: GitLab's `when: manual`, Jenkins' `input`.
static MANUAL_GATE: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?m)when:\s*manual\b|^\s*input\s*[({]|\binput\s+message\b"));

/// Whether a shell line runs the tests.
pub fn runs_tests(line: &str) -> bool {
    TEST_COMMAND.is_match(line) && !SKIP_TESTS.is_match(line)
}

/// Whether a shell line deploys.
pub fn deploys(line: &str) -> bool {
    DEPLOY_COMMAND.is_match(line)
}

/// The `image:` a job runs in (GitLab, Bitbucket, Drone, CircleCI `- image:`).
static JOB_IMAGE: LazyLock<Regex> =
    LazyLock::new(|| regex(r#"(?m)^\s*(?:-\s+)?image:\s*["']?([^"'\s#{}]+)["']?\s*(?:#.*)?$"#));

/// The runtime of an image a CI job runs in, as a CI hint.
pub fn image_runtime(image: &str, path: &str) -> Option<RuntimeHint> {
    let (runtime, version) = runtime_of(image)?;
    Some(RuntimeHint {
        runtime,
        version,
        source: path.to_string(),
        rank: rank::CI,
    })
}

/// Whether a shell line publishes a container image.
pub fn pushes_image(line: &str) -> bool {
    IMAGE_PUSH.is_match(line)
}

/// Whether a text sets up a throwaway cluster.
pub fn throwaway_cluster(text: &str) -> bool {
    THROWAWAY_CLUSTER.is_match(text)
}

/// Whether a text speaks of a progressive rollout.
pub fn mentions_canary(text: &str) -> bool {
    CANARY.is_match(text)
}

/// A CI file read as text: tests when a line runs them; a deployment on merge when something
/// deploys, the default branch is named (or `$CI_DEFAULT_BRANCH`) and no manual gate stops it.
pub fn analyse_text(path: &str, text: &str) -> Found {
    let mut lines = text.lines().filter(|l| !l.trim_start().starts_with(['#']));
    let runs_tests = lines.clone().any(runs_tests);
    // Applying to a throwaway cluster tests the manifests; only an image push still ships.
    let throwaway = throwaway_cluster(text);
    let deploy_stage = lines.any(|l| {
        let l = l.to_ascii_lowercase();
        pushes_image(&l)
            || (!throwaway
                && (deploys(&l)
                    || l.contains("stage: deploy")
                    || l.contains("stage('deploy")
                    || l.contains("stage(\"deploy")))
    });
    Found {
        runs_tests,
        deploys_on_merge: deploy_stage
            && DEFAULT_BRANCH.is_match(text)
            && !MANUAL_GATE.is_match(text),
        canary: mentions_canary(text),
        runtimes: JOB_IMAGE
            .captures_iter(text)
            .filter_map(|c| image_runtime(&c[1], path))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_commands() {
        for yes in [
            "./mvnw -B verify",
            "mvn clean install",
            "./gradlew check",
            "gradle build --scan",
            "pnpm test",
            "npm run test:unit",
            "poetry run pytest -q",
            "go test ./...",
            "cargo test --all",
            "uv run python -m pytest",
            "uv run --frozen tests/run_all.py --junit-xml=report.xml",
            "poetry run ./scripts/test",
            "bunx playwright test",
            "npx playwright test --project=chromium",
            "node --test test/",
            "helm unittest charts/payments",
            "terraform test",
            "bash ci/run-tests.sh",
            "make unit-test",
        ] {
            assert!(runs_tests(yes), "{yes}");
        }
        for no in [
            "mvn -B package -DskipTests",
            "./gradlew build -x test",
            "npm ci",
            "go build ./...",
            "bunx playwright install --with-deps chromium",
            "poetry run ./scripts/lint",
            "echo the tests passed",
        ] {
            assert!(!runs_tests(no), "{no}");
        }
    }

    #[test]
    fn a_jenkinsfile_deploying_main() {
        let text = "pipeline {\n  stages {\n    stage('Test') { steps { sh './mvnw verify' } }\n    stage('Deploy') {\n      when { branch 'main' }\n      steps { sh 'helm upgrade --install api ./chart' }\n    }\n  }\n}\n";
        let found = analyse_text("Jenkinsfile", text);
        assert!(found.runs_tests && found.deploys_on_merge && !found.canary);
        assert!(
            !analyse_text(
                ".gitlab-ci.yml",
                "deploy:\n  script: ./deploy.sh\n  # python main.py\n"
            )
            .deploys_on_merge
        );
        let gated = text.replace(
            "steps { sh 'helm",
            "input { message 'Ship?' }\n steps { sh 'helm",
        );
        assert!(!analyse_text("Jenkinsfile", &gated).deploys_on_merge);
    }
}
