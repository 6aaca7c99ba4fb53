//! Outcomes from GitHub itself: `pull_request` and `check_suite` deliveries of the signed
//! webhook, mapped to the outcomes an orchestrator would report.

use serde_json::Value;

use super::{GithubMatch, Outcome};

/// One pull request's outcome, as a delivery tells it.
#[derive(Debug, Clone, PartialEq)]
pub struct PrOutcome {
    /// `owner/name`.
    pub repository: String,
    pub outcome: Outcome,
    /// `https://github.com/owner/name/pull/N`: what members are matched on when the delivery
    /// carries no labels (check suites).
    pub pr_url: String,
    /// The head branch (for a revert: the branch of the pull request it reverts).
    pub branch: String,
    pub labels: Vec<String>,
}

fn text<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn pr_url(repository: &str, number: Option<u64>) -> Option<String> {
    number.map(|n| format!("https://github.com/{repository}/pull/{n}"))
}

/// The outcomes a delivery carries (none for other events and actions).
pub fn outcomes(event: &str, payload: &Value) -> Vec<PrOutcome> {
    let Some(repository) = text(payload, "/repository/full_name").map(str::to_string) else {
        return Vec::new();
    };
    match event {
        "pull_request" => {
            let pr = &payload["pull_request"];
            let action = text(payload, "/action").unwrap_or_default();
            let merged = pr.get("merged").and_then(Value::as_bool) == Some(true);
            let mut branch = text(pr, "/head/ref").unwrap_or_default().to_string();
            let title = text(pr, "/title").unwrap_or_default();
            let outcome = match action {
                "opened" | "reopened" | "ready_for_review" => Outcome::Opened,
                "closed" if merged => {
                    // GitHub's revert button: branch `revert-<n>-<branch>`, title `Revert "…"`.
                    let reverted = branch
                        .strip_prefix("revert-")
                        .and_then(|rest| rest.split_once('-'))
                        .filter(|(n, _)| n.chars().all(|c| c.is_ascii_digit()))
                        .map(|(_, original)| original.to_string());
                    match reverted {
                        Some(original) if title.starts_with("Revert ") => {
                            branch = original;
                            Outcome::Reverted
                        }
                        _ => Outcome::Merged,
                    }
                }
                "closed" => Outcome::ClosedUnmerged,
                _ => return Vec::new(),
            };
            let labels = pr
                .get("labels")
                .and_then(Value::as_array)
                .map(|l| {
                    l.iter()
                        .filter_map(|x| text(x, "/name").map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let url = text(pr, "/html_url")
                .map(str::to_string)
                .or_else(|| pr_url(&repository, pr.get("number").and_then(Value::as_u64)));
            let Some(pr_url) = url else { return Vec::new() };
            vec![PrOutcome {
                repository,
                outcome,
                pr_url,
                branch,
                labels,
            }]
        }
        "check_suite" => {
            let suite = &payload["check_suite"];
            let failed = text(payload, "/action") == Some("completed")
                && matches!(
                    text(suite, "/conclusion"),
                    Some("failure" | "timed_out" | "startup_failure")
                );
            if !failed {
                return Vec::new();
            }
            let branch = text(suite, "/head_branch").unwrap_or_default().to_string();
            suite
                .get("pull_requests")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|pr| pr_url(&repository, pr.get("number").and_then(Value::as_u64)))
                .map(|pr_url| PrOutcome {
                    repository: repository.clone(),
                    outcome: Outcome::CiFailed,
                    pr_url,
                    branch: branch.clone(),
                    labels: Vec::new(),
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

impl GithubMatch {
    /// Whether the pull request belongs to the change by its label or branch.
    pub fn matches(&self, pr: &PrOutcome) -> bool {
        self.label
            .as_ref()
            .is_some_and(|l| pr.labels.iter().any(|x| x == l))
            || self
                .branch_prefix
                .as_ref()
                .is_some_and(|p| pr.branch.starts_with(p.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pr(action: &str, merged: bool, branch: &str, title: &str) -> Value {
        json!({
            "action": action,
            "repository": {"full_name": "acme/billing-service"},
            "pull_request": {
                "number": 42, "html_url": "https://github.com/acme/billing-service/pull/42",
                "merged": merged, "title": title, "head": {"ref": branch},
                "labels": [{"name": "fleet:log4j"}]
            }
        })
    }

    #[test]
    fn pull_request_actions_map_to_outcomes() {
        let o = |a, m, b, t| outcomes("pull_request", &pr(a, m, b, t));
        assert_eq!(
            o("opened", false, "fleet/log4j", "Bump")[0].outcome,
            Outcome::Opened
        );
        assert_eq!(
            o("closed", true, "fleet/log4j", "Bump")[0].outcome,
            Outcome::Merged
        );
        assert_eq!(
            o("closed", false, "fleet/log4j", "Bump")[0].outcome,
            Outcome::ClosedUnmerged
        );
        assert!(o("labeled", false, "fleet/log4j", "Bump").is_empty());
        let revert = &o("closed", true, "revert-42-fleet/log4j", "Revert \"Bump\"")[0];
        assert_eq!(revert.outcome, Outcome::Reverted);
        assert_eq!(revert.branch, "fleet/log4j");
        let m = GithubMatch {
            label: None,
            branch_prefix: Some("fleet/".into()),
        };
        assert!(m.matches(revert));
        let by_label = GithubMatch {
            label: Some("fleet:log4j".into()),
            branch_prefix: None,
        };
        assert!(by_label.matches(&o("opened", false, "other", "Bump")[0]));
        assert!(!m.matches(&o("opened", false, "feature/x", "Bump")[0]));
    }

    #[test]
    fn a_failed_check_suite_fails_its_pull_requests() {
        let p = json!({
            "action": "completed",
            "repository": {"full_name": "acme/billing-service"},
            "check_suite": {"conclusion": "failure", "head_branch": "fleet/log4j",
                            "pull_requests": [{"number": 42}, {"number": 43}]}
        });
        let got = outcomes("check_suite", &p);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].outcome, Outcome::CiFailed);
        assert_eq!(
            got[1].pr_url,
            "https://github.com/acme/billing-service/pull/43"
        );
        let ok = json!({"action": "completed", "repository": {"full_name": "a/b"},
                        "check_suite": {"conclusion": "success", "pull_requests": [{"number": 1}]}});
        assert!(outcomes("check_suite", &ok).is_empty());
    }
}
