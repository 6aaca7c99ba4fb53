//! Reading repositories' files through batched GraphQL: the tree of the head commit, level by
//! level (a bounded depth per round, deeper folders in further rounds), then the contents of
//! exactly the files the scanner reads — found by running the scanner over what is fetched so
//! far and fetching what it asked for, until it asks for nothing new.

use std::path::Path;

use serde_json::{Map, Value};

use super::client::Client;
use super::files::{RemoteTree, blob_content};
use super::graphql::{self, Ask, Listing, Read};
use super::settings::GitHubSettings;
use crate::catalog::parse_descriptors;
use crate::radar::Radar;
use crate::scanner::{FileTree, ScanWarning, scan};

/// The commit of one repository to read.
#[derive(Debug, Clone)]
pub struct Target {
    pub owner: String,
    pub name: String,
    pub sha: String,
}

/// One repository's files and head commit, read.
pub struct RepoFiles {
    pub tree: RemoteTree,
    /// The `Commit` object (date, `statusCheckRollup`).
    pub commit: Option<Value>,
    /// Set when the tree had more files than `maxFiles`.
    pub truncated: bool,
}

/// The scanner's catalog file, read from every repository that has one.
pub const CATALOG_FILES: [&str; 2] = ["catalog-info.yaml", "catalog-info.yml"];

/// Rounds of content reads: the scanner follows references (a parent `pom.xml`, a Dockerfile
/// named by CI) a few files deep at most.
const BLOB_ROUNDS: usize = 8;

/// Reads every target; each gets its files or the reason it could not be read.
pub async fn read(
    client: &Client,
    settings: &GitHubSettings,
    targets: &[Target],
) -> Vec<Result<RepoFiles, String>> {
    let ask = |t: &Target, expression: String, read: Read| Ask {
        owner: t.owner.clone(),
        name: t.name.clone(),
        expression,
        read,
    };
    let mut failed: Vec<Option<String>> = vec![None; targets.len()];
    let mut listings: Vec<Listing> = targets.iter().map(|_| Listing::default()).collect();
    let mut commits: Vec<Option<Value>> = vec![None; targets.len()];
    let mut truncated = vec![false; targets.len()];

    // The root trees and head commits.
    let mut asks = Vec::new();
    let mut owners = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        asks.push(ask(
            t,
            format!("{}:", t.sha),
            Read::Tree(settings.tree_depth),
        ));
        asks.push(ask(t, t.sha.clone(), Read::Commit));
        owners.push((i, None));
        owners.push((i, Some(())));
    }
    let answers = graphql::fetch(client, &asks, settings.batch_size).await;
    for ((i, commit), answer) in owners.into_iter().zip(answers) {
        match (answer, commit) {
            (Err(e), _) => failed[i] = Some(e),
            (Ok(Some(o)), Some(())) => commits[i] = Some(o),
            (Ok(None), Some(())) => {}
            (Ok(Some(tree)), None) => graphql::read_tree(&tree, "", &mut listings[i]),
            (Ok(None), None) => {
                failed[i] = Some(format!("commit {} not found", targets[i].sha));
            }
        }
    }

    // Deeper folders, round after round.
    loop {
        let mut asks = Vec::new();
        let mut owners = Vec::new();
        for (i, t) in targets.iter().enumerate() {
            let listing = &mut listings[i];
            if failed[i].is_some() {
                continue;
            }
            let dirs = std::mem::take(&mut listing.unlisted);
            if listing.files.len() >= settings.max_files {
                truncated[i] |= !dirs.is_empty();
                continue;
            }
            for dir in dirs {
                asks.push(ask(
                    t,
                    format!("{}:{dir}", t.sha),
                    Read::Tree(settings.tree_depth),
                ));
                owners.push((i, dir));
            }
        }
        if asks.is_empty() {
            break;
        }
        let answers = graphql::fetch(client, &asks, settings.batch_size).await;
        for ((i, dir), answer) in owners.into_iter().zip(answers) {
            match answer {
                Err(e) => failed[i] = Some(e),
                Ok(Some(tree)) => graphql::read_tree(&tree, &dir, &mut listings[i]),
                Ok(None) => {}
            }
        }
    }

    let mut trees: Vec<Option<RemoteTree>> = listings
        .into_iter()
        .enumerate()
        .map(|(i, mut l)| {
            l.files.truncate(settings.max_files);
            failed[i].is_none().then(|| RemoteTree::new(l.files))
        })
        .collect();

    // Contents: the catalog file, then whatever the scanner asks for.
    // A tree whose scan asked for nothing new is complete; it is not scanned again.
    let mut complete = vec![false; targets.len()];
    for round in 0..BLOB_ROUNDS {
        let mut asks = Vec::new();
        let mut owners = Vec::new();
        for (i, t) in targets.iter().enumerate() {
            let Some(tree) = &trees[i] else { continue };
            if complete[i] {
                continue;
            }
            let mut wanted = if round == 0 {
                CATALOG_FILES
                    .iter()
                    .filter(|f| tree.has(f))
                    .map(|f| f.to_string())
                    .collect()
            } else {
                Vec::new()
            };
            scan(tree, None);
            wanted.extend(tree.take_wanted());
            complete[i] = wanted.is_empty();
            for path in wanted {
                asks.push(ask(t, format!("{}:{path}", t.sha), Read::Blob));
                owners.push((i, path));
            }
        }
        if asks.is_empty() {
            break;
        }
        let answers = graphql::fetch(client, &asks, settings.batch_size).await;
        for ((i, path), answer) in owners.into_iter().zip(answers) {
            match answer {
                Err(e) => {
                    failed[i] = Some(e);
                    trees[i] = None;
                }
                Ok(object) => {
                    if let Some(tree) = trees[i].as_mut() {
                        tree.add_blob(path, blob_content(object.as_ref()));
                    }
                }
            }
        }
    }

    trees
        .into_iter()
        .enumerate()
        .map(|(i, tree)| match (tree, failed[i].take()) {
            (Some(tree), None) => Ok(RepoFiles {
                tree,
                commit: commits[i].take(),
                truncated: truncated[i],
            }),
            (_, Some(e)) => Err(e),
            (None, None) => Err("not read".to_string()),
        })
        .collect()
}

/// What the files of one repository say.
pub struct Scanned {
    /// The scanner's facts.
    pub facts: Map<String, Value>,
    /// The entities of its catalog file, as envelopes.
    pub entities: Vec<Value>,
    /// Dependabot or Renovate is configured.
    pub dependency_updates: bool,
}

/// Scans one repository's files and reads its catalog file.
pub fn scan_files(files: &RepoFiles, radar: Option<&Radar>, max_files: usize) -> Scanned {
    let mut facts = scan(&files.tree, radar);
    if files.truncated {
        facts.scan_warnings.push(ScanWarning {
            file: ".".into(),
            message: format!(
                "the repository has more than {} files; only that many were scanned",
                max_files
            ),
        });
    }
    let mut entities = Vec::new();
    for name in CATALOG_FILES {
        let Some(text) = files.tree.text(name) else {
            continue;
        };
        let path = Path::new(name);
        let (found, problems) = parse_descriptors(path, text);
        entities.extend(found.iter().map(|e| e.to_envelope()));
        facts
            .scan_warnings
            .extend(problems.iter().map(|p| ScanWarning {
                file: name.to_string(),
                message: p.to_string(),
            }));
    }
    let listed = files.tree.files().unwrap_or_default();
    let paths: Vec<&str> = listed.iter().map(|f| f.path.as_str()).collect();
    Scanned {
        facts: match facts.to_json() {
            Value::Object(m) => m,
            _ => Map::new(),
        },
        entities,
        dependency_updates: super::facts::dependency_updates(&paths),
    }
}
