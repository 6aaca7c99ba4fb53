//! Finding the repositories of organisations and users: the REST list endpoints, page by page
//! along the `Link` header, each page conditional on its ETag (an unchanged page costs nothing).

use std::collections::BTreeMap;

use serde_json::Value;

use super::GitHubError;
use super::client::{Client, Fetched};
use super::state::{PageState, RepoSummary};

/// Whose repositories to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner<'a> {
    Org(&'a str),
    User(&'a str),
}

impl Owner<'_> {
    fn first_page(&self) -> String {
        match self {
            Owner::Org(o) => format!("/orgs/{o}/repos?type=all&per_page=100"),
            Owner::User(u) => format!("/users/{u}/repos?type=owner&per_page=100"),
        }
    }
}

/// Lists one owner's repositories. Pages answered 304 are taken from `previous`; every page
/// read is recorded in `pages`.
pub async fn list(
    client: &Client,
    owner: Owner<'_>,
    previous: &BTreeMap<String, PageState>,
    pages: &mut BTreeMap<String, PageState>,
) -> Result<Vec<RepoSummary>, GitHubError> {
    let mut repos = Vec::new();
    let mut path = Some(owner.first_page());
    let mut seen = 0;
    while let Some(p) = path.take() {
        seen += 1;
        if seen > 1000 {
            return Err(GitHubError::Answer(format!(
                "{owner:?}: more than 1000 pages; is the Link header looping?"
            )));
        }
        let before = previous.get(&p);
        let page = match client
            .get(&p, before.and_then(|b| b.etag.as_deref()))
            .await?
        {
            Fetched::NotModified => match before {
                Some(b) => b.clone(),
                None => {
                    return Err(GitHubError::Answer(format!(
                        "GET {p}: 304 for a page never seen"
                    )));
                }
            },
            Fetched::NotFound => {
                return Err(GitHubError::Answer(format!("GET {p}: 404, no such owner")));
            }
            Fetched::Ok { body, etag, next } => PageState {
                etag,
                repos: parse_list(&body)
                    .map_err(|e| GitHubError::Answer(format!("GET {p}: {e}")))?,
                next,
            },
        };
        repos.extend(page.repos.iter().cloned());
        path.clone_from(&page.next);
        pages.insert(p, page);
    }
    Ok(repos)
}

/// A repository list answer (an array of GitHub's repository objects).
pub fn parse_list(body: &Value) -> Result<Vec<RepoSummary>, String> {
    let items = body.as_array().ok_or("expected an array of repositories")?;
    items.iter().map(parse_repo).collect()
}

/// One repository object (`GET /repos/{owner}/{repo}` or an item of a list).
pub fn parse_repo(v: &Value) -> Result<RepoSummary, String> {
    let s = |ptr: &str| v.pointer(ptr).and_then(Value::as_str).map(str::to_string);
    let full = s("/full_name").ok_or("a repository without `full_name`")?;
    let (owner, name) = full
        .split_once('/')
        .ok_or_else(|| format!("`full_name` {full:?} is not owner/name"))?;
    Ok(RepoSummary {
        owner: owner.to_string(),
        name: name.to_string(),
        url: s("/html_url").unwrap_or_else(|| format!("https://github.com/{full}")),
        default_branch: s("/default_branch"),
        archived: v.get("archived").and_then(Value::as_bool).unwrap_or(false),
        secret_scanning: s("/security_and_analysis/secret_scanning/status").map(|s| s == "enabled"),
    })
}
