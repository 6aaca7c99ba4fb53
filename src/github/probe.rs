//! The cheap question asked of every repository on every run: where is the default branch's
//! head? Conditional on the last ETag, so an unmoved branch answers 304 at no rate-limit cost.

use serde_json::Value;

use super::client::{Client, Fetched};
use super::state::{RepoState, RepoSummary};

/// What the default branch probe found.
pub enum Probe {
    /// 304: the branch is as the last run saw it.
    Unchanged,
    Head {
        sha: String,
        date: Option<String>,
        protected: Option<bool>,
        etag: Option<String>,
    },
    Failed(String),
}

/// Probes the default branch; `None` for repositories not scanned (archived, empty).
pub async fn probe(client: &Client, repo: &RepoSummary, before: &RepoState) -> Option<Probe> {
    if repo.archived {
        return None;
    }
    let branch = repo.default_branch.as_deref()?;
    // A 304 is only of use when the last facts are at hand.
    let etag = before.branch_etag.as_deref().filter(|_| {
        before.facts.contains_key(super::collect::SCANNER)
            && before.branch.as_deref() == Some(branch)
    });
    let path = format!(
        "/repos/{}/{}/branches/{}",
        repo.owner,
        repo.name,
        encode_branch(branch)
    );
    Some(match client.get(&path, etag).await {
        Ok(Fetched::NotModified) => Probe::Unchanged,
        // An empty repository names a default branch that has no commit yet.
        Ok(Fetched::NotFound) => return None,
        Ok(Fetched::Ok { body, etag, .. }) => {
            match body.pointer("/commit/sha").and_then(Value::as_str) {
                Some(sha) => Probe::Head {
                    sha: sha.to_string(),
                    date: body
                        .pointer("/commit/commit/committer/date")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    protected: body.get("protected").and_then(Value::as_bool),
                    etag,
                },
                None => Probe::Failed(format!("GET {path}: no `commit.sha` in the answer")),
            }
        }
        Err(e) => Probe::Failed(e.to_string()),
    })
}

/// A branch name in a URL path: `/` stays (GitHub reads `release/1.x` whole), everything but
/// unreserved characters is percent-encoded.
fn encode_branch(branch: &str) -> String {
    let mut out = String::with_capacity(branch.len());
    for b in branch.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn branch_names_are_safe_in_a_path() {
        assert_eq!(super::encode_branch("release/1.x"), "release/1.x");
        assert_eq!(super::encode_branch("feat#1 ü"), "feat%231%20%C3%BC");
    }
}
