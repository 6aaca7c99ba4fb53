//! Declarative infrastructure: Kubernetes manifests (any YAML document with a top-level
//! `apiVersion` and `kind`, Helm templates included), Helm charts, Kustomize, Terraform,
//! Pulumi and CloudFormation; progressive delivery (Argo Rollouts canaries, Flagger, Spinnaker)
//! and GitOps auto-sync.
//!
//! Manifests are read line by line rather than parsed: Helm templates are not valid YAML until
//! rendered, and only the top-level keys matter here.

use std::sync::LazyLock;

use regex::Regex;

use super::findings::Findings;
use super::repo::{Repo, file_name, is_fixture};
use super::versions::lower_bound;

/// YAML files larger than this are data, not manifests, and are not read.
const MAX_MANIFEST_BYTES: u64 = 512 * 1024;

/// What the infrastructure files of a repository say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Infra {
    /// `kubernetes`, `helm`, `kustomize`, `terraform`, `pulumi`, `cloudformation`, in that order.
    pub formats: Vec<&'static str>,
    /// The first file of each format, and of `argo-rollouts`.
    pub sources: Vec<(&'static str, String)>,
    /// An Argo Rollouts canary with steps or analysis, a Flagger `Canary`, or a Spinnaker
    /// pipeline with canary analysis.
    pub canary: bool,
    /// An Argo CD `Application` that syncs automatically.
    pub gitops_auto_sync: bool,
}

impl Infra {
    fn found(&mut self, format: &'static str, path: &str) {
        if !self.sources.iter().any(|(f, _)| *f == format) {
            self.sources.push((format, path.to_string()));
        }
    }
}

static REQUIRED_VERSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"required_version\s*=\s*"([^"]+)""#).expect("a valid regular expression")
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
        } else if matches!(
            name,
            "kustomization.yaml" | "kustomization.yml" | "Kustomization"
        ) {
            infra.found("kustomize", path);
        } else if name == "Pulumi.yaml" || name == "Pulumi.yml" {
            infra.found("pulumi", path);
        } else if name.ends_with(".tf") || name.ends_with(".tf.json") {
            infra.found("terraform", path);
            if let Some(text) = repo.text_quiet(path)
                && let Some(c) = REQUIRED_VERSION.captures(&text)
            {
                out.tool("terraform", lower_bound(&c[1]), path);
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
    ];
    infra.formats = order
        .into_iter()
        .filter(|f| infra.sources.iter().any(|(s, _)| s == f))
        .collect();
    infra
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
