//! Declarative infrastructure: Kubernetes manifests (any YAML document with a top-level
//! `apiVersion` and `kind`, Helm templates included), Helm charts, Kustomize, Terraform,
//! Pulumi, CloudFormation and Docker Compose; the images they run; progressive delivery (Argo
//! Rollouts canaries, Flagger, Spinnaker) and GitOps auto-sync.
//!
//! Manifests are read line by line rather than parsed: Helm templates are not valid YAML until
//! rendered, and only the top-level keys matter here.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;
use serde_json::Value;

use super::findings::Findings;
use super::repo::{Repo, file_name, is_fixture, parent_dir};
use super::versions::{leading_version, lower_bound};

/// YAML files larger than this are data, not manifests, and are not read.
const MAX_MANIFEST_BYTES: u64 = 512 * 1024;

/// What the infrastructure files of a repository say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Infra {
    /// `kubernetes`, `helm`, `kustomize`, `terraform`, `pulumi`, `cloudformation`,
    /// `docker-compose`, in that order.
    pub formats: Vec<&'static str>,
    /// The first file of each format, and of `argo-rollouts`.
    pub sources: Vec<(&'static str, String)>,
    /// An Argo Rollouts canary with steps or analysis, a Flagger `Canary`, or a Spinnaker
    /// pipeline with canary analysis.
    pub canary: bool,
    /// An Argo CD `Application` that syncs automatically.
    pub gitops_auto_sync: bool,
    /// The images the deployment files run.
    pub images: Vec<DeployedImage>,
}

/// An image a deployment file runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeployedImage {
    /// `[registry/]repository[:tag][@digest]`.
    pub image: String,
    /// The Compose file, manifest or Helm values file, relative to the repository root.
    pub source: String,
}

impl Infra {
    fn found(&mut self, format: &'static str, path: &str) {
        if !self.sources.iter().any(|(f, _)| *f == format) {
            self.sources.push((format, path.to_string()));
        }
    }

    fn image(&mut self, image: &str, path: &str) {
        let image = image.trim();
        // A templated value (`{{ .Values.image }}`, `${IMAGE}`) names no image yet.
        if image.is_empty() || image.contains("{{") || image.contains('$') {
            return;
        }
        let found = DeployedImage {
            image: image.to_string(),
            source: path.to_string(),
        };
        if !self.images.contains(&found) {
            self.images.push(found);
        }
    }
}

/// Whether a file name is a Docker Compose file's.
fn is_compose(name: &str) -> bool {
    let stem = name
        .strip_suffix(".yml")
        .or_else(|| name.strip_suffix(".yaml"))
        .unwrap_or("");
    stem == "docker-compose"
        || stem == "compose"
        || stem.starts_with("docker-compose.")
        || stem.starts_with("compose.")
}

static REQUIRED_VERSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"required_version\s*=\s*"([^"]+)""#).expect("a valid regular expression")
});

/// A provider of `.terraform.lock.hcl` and the version it is locked at.
static LOCKED_PROVIDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?s)provider\s+"([^"]+)"\s*\{[^}]*?\bversion\s*=\s*"([^"]+)""#)
        .expect("a valid regular expression")
});

/// A `module` block of a `.tf` file (up to its closing brace at the start of a line).
static MODULE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?ms)^module\s+"[^"]+"\s*\{(.*?)^\}"#).expect("a valid regular expression")
});

static ATTRIBUTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)^\s*(source|version)\s*=\s*"([^"]+)""#).expect("a valid regular expression")
});

/// An `image:` line of a manifest.
static IMAGE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)^\s*(?:-\s+)?image:\s*["']?([^"'\s#]+)["']?\s*(?:#.*)?$"#)
        .expect("a valid regular expression")
});

/// Reads the infrastructure files; Terraform's required version is recorded in `out`.
pub fn detect(repo: &Repo, out: &mut Findings) -> Infra {
    let mut infra = Infra::default();
    for f in repo.files() {
        let path = f.path.as_str();
        if is_fixture(path) {
            continue;
        }
        let name = file_name(path);
        let lower = name.to_ascii_lowercase();
        if name == "Chart.yaml" || name == "Chart.yml" {
            infra.found("helm", path);
            chart(repo, path, out);
        } else if name == "values.yaml" && is_chart_dir(repo, parent_dir(path)) {
            helm_values(repo, path, &mut infra);
        } else if is_compose(name) {
            compose(repo, path, &mut infra);
        } else if name == ".terraform.lock.hcl" {
            for c in LOCKED_PROVIDER.captures_iter(&repo.text_quiet(path).unwrap_or_default()) {
                let provider = c[1].trim_start_matches("registry.terraform.io/");
                out.dependency("terraform", provider, Some(c[2].to_string()), path, true);
            }
        } else if matches!(
            name,
            "kustomization.yaml" | "kustomization.yml" | "Kustomization"
        ) {
            infra.found("kustomize", path);
        } else if name == "Pulumi.yaml" || name == "Pulumi.yml" {
            infra.found("pulumi", path);
        } else if name.ends_with(".tf") || name.ends_with(".tf.json") {
            infra.found("terraform", path);
            if let Some(text) = repo.text_quiet(path) {
                // A version pin (`.terraform-version`) says more than the lower bound.
                let pinned = out
                    .tools
                    .iter()
                    .any(|t| t.id == "terraform" && t.version.is_some());
                if let Some(c) = REQUIRED_VERSION.captures(&text).filter(|_| !pinned) {
                    out.tool("terraform", lower_bound(&c[1]), path);
                }
                terraform_modules(path, &text, out);
            }
        } else if lower == "dinghyfile" || path.contains("spinnaker") {
            let text = repo.text_quiet(path).unwrap_or_default();
            infra.canary |= text.to_ascii_lowercase().contains("canary");
        } else if (lower.ends_with(".yaml")
            || lower.ends_with(".yml")
            || lower.ends_with(".template.json"))
            && !path.starts_with(".github/")
            && f.size <= MAX_MANIFEST_BYTES
            && let Some(text) = repo.text_quiet(path)
        {
            manifests(path, &text, &mut infra);
        }
    }
    let order = [
        "kubernetes",
        "helm",
        "kustomize",
        "terraform",
        "pulumi",
        "cloudformation",
        "docker-compose",
    ];
    infra.formats = order
        .into_iter()
        .filter(|f| infra.sources.iter().any(|(s, _)| s == f))
        .collect();
    infra
}

/// Whether a folder holds a Helm chart.
fn is_chart_dir(repo: &Repo, dir: &str) -> bool {
    let chart = if dir.is_empty() {
        "Chart.yaml".to_string()
    } else {
        format!("{dir}/Chart.yaml")
    };
    repo.exists(&chart)
}

/// A chart's dependencies (`dependencies:` of `Chart.yaml`), with their version when exact.
fn chart(repo: &Repo, path: &str, out: &mut Findings) {
    let Some(text) = repo.text(path) else { return };
    let Some(doc) = repo.yaml(path, &text).and_then(|d| d.into_iter().next()) else {
        return;
    };
    for d in doc["dependencies"].as_array().into_iter().flatten() {
        let Some(name) = d["name"].as_str() else {
            continue;
        };
        let version = d["version"]
            .as_str()
            .filter(|v| leading_version(v).as_deref() == Some(v.trim_start_matches('v')));
        out.dependency("helm", name, version.map(str::to_string), path, true);
    }
}

/// The images of a chart's `values.yaml`: every `{repository, tag}` map (with `registry`), the
/// chart's `appVersion` standing in for an empty tag, as Helm charts conventionally do.
fn helm_values(repo: &Repo, path: &str, infra: &mut Infra) {
    let Some(text) = repo.text(path) else { return };
    let Some(values) = repo.yaml(path, &text).and_then(|d| d.into_iter().next()) else {
        return;
    };
    let chart_path = match parent_dir(path) {
        "" => "Chart.yaml".to_string(),
        dir => format!("{dir}/Chart.yaml"),
    };
    let app_version = repo
        .text_quiet(&chart_path)
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("appVersion:")
                    .map(|v| v.trim().trim_matches(['"', '\'']).to_string())
            })
        })
        .unwrap_or_default();
    fn walk(v: &Value, app_version: &str, path: &str, infra: &mut Infra) {
        let Value::Object(map) = v else { return };
        if let Some(repository) = map.get("repository").and_then(Value::as_str) {
            let tag = match map.get("tag") {
                Some(Value::String(t)) if !t.is_empty() => t.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => app_version.to_string(),
            };
            let registry = map.get("registry").and_then(Value::as_str);
            let name = match registry {
                Some(r) if !r.is_empty() => format!("{r}/{repository}"),
                _ => repository.to_string(),
            };
            let image = if tag.is_empty() {
                name
            } else {
                format!("{name}:{tag}")
            };
            infra.image(&image, path);
        }
        for child in map.values() {
            walk(child, app_version, path, infra);
        }
    }
    walk(&values, &app_version, path, infra);
}

/// A Docker Compose file: the `image` of each service.
fn compose(repo: &Repo, path: &str, infra: &mut Infra) {
    let Some(text) = repo.text(path) else { return };
    let Some(doc) = repo.yaml(path, &text).and_then(|d| d.into_iter().next()) else {
        return;
    };
    let Some(services) = doc["services"].as_object() else {
        return;
    };
    infra.found("docker-compose", path);
    for service in services.values() {
        if let Some(image) = service["image"].as_str() {
            infra.image(image, path);
        }
    }
}

/// The registry modules a Terraform file uses, with their version when exact.
fn terraform_modules(path: &str, text: &str, out: &mut Findings) {
    for block in MODULE.captures_iter(text) {
        let (mut source, mut version) = (None, None);
        for a in ATTRIBUTE.captures_iter(&block[1]) {
            match &a[1] {
                "source" => source = Some(a[2].to_string()),
                _ => version = Some(a[2].to_string()),
            }
        }
        // Local folders, Git and HTTP sources are not registry modules.
        let Some(source) = source.filter(|s| {
            !s.starts_with('.') && !s.starts_with('/') && !s.contains("::") && !s.contains("://")
        }) else {
            continue;
        };
        let exact = version.filter(|v| leading_version(v).as_deref() == Some(v.as_str()));
        out.dependency("terraform", source, exact, path, true);
    }
}

/// Reads the top-level `apiVersion` and `kind` of each document of a YAML file.
fn manifests(path: &str, text: &str, infra: &mut Infra) {
    if text.contains("AWSTemplateFormatVersion") || text.contains("AWS::Serverless") {
        infra.found("cloudformation", path);
        return;
    }
    for doc in text.split("\n---") {
        let top = |key: &str| {
            doc.lines().find_map(|l| {
                l.strip_prefix(key)
                    .and_then(|rest| rest.strip_prefix(':'))
                    .map(|v| v.trim().trim_matches(['"', '\'']).to_string())
            })
        };
        let (Some(api), Some(kind)) = (top("apiVersion"), top("kind")) else {
            continue;
        };
        // Backstage descriptors look like manifests but describe the catalog.
        if api.starts_with("backstage.io") || kind.is_empty() {
            continue;
        }
        for c in IMAGE_LINE.captures_iter(doc) {
            infra.image(&c[1], path);
        }
        match (kind.as_str(), api.split('/').next().unwrap_or("")) {
            ("Kustomization", "kustomize.config.k8s.io") => infra.found("kustomize", path),
            ("Rollout", "argoproj.io") => {
                infra.found("kubernetes", path);
                infra.found("argo-rollouts", path);
                infra.canary |= doc.contains("canary:")
                    && (doc.contains("steps:") || doc.contains("analysis:"));
            }
            ("Canary", "flagger.app") => {
                infra.found("kubernetes", path);
                infra.canary = true;
            }
            ("Application" | "ApplicationSet", "argoproj.io") => {
                infra.found("kubernetes", path);
                infra.gitops_auto_sync |= doc.contains("automated:");
            }
            _ => infra.found("kubernetes", path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_and_canaries() {
        let mut infra = Infra::default();
        let rollout = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nspec:\n  strategy:\n    canary:\n      steps:\n        - setWeight: 10\n---\napiVersion: v1\nkind: Service\n";
        manifests("deploy/rollout.yaml", rollout, &mut infra);
        assert!(infra.canary);
        assert_eq!(
            infra.sources[0],
            ("kubernetes", "deploy/rollout.yaml".to_string())
        );
        assert_eq!(infra.sources[1].0, "argo-rollouts");

        let mut other = Infra::default();
        manifests(
            "catalog-info.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: Component\n",
            &mut other,
        );
        manifests(
            "values.yaml",
            "image:\n  kind: x\n  apiVersion: y\n",
            &mut other,
        );
        assert!(other.sources.is_empty());
    }
}
