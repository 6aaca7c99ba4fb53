//! Batched GraphQL reads: many repositories (or folders, or files) per query, one alias each,
//! in the shapes of GitHub's GraphQL schema (`repository.object(expression:)` with `Tree`,
//! `Blob` and `Commit`).

use futures_util::future::join_all;
use serde_json::Value;

use super::client::Client;

/// What to read of one git object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// A folder's entries, this many levels deep.
    Tree(usize),
    /// A file's text.
    Blob,
    /// A commit's date and combined CI state.
    Commit,
}

/// One object of one repository: `expression` is git's `<rev>:<path>` (or `<rev>` alone for
/// the commit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    pub owner: String,
    pub name: String,
    pub expression: String,
    pub read: Read,
}

/// The object read for each ask, in order: `Ok(None)` when it does not exist, `Err` with the
/// reason when the query or this alias failed.
pub type Answers = Vec<Result<Option<Value>, String>>;

/// Reads every ask, `batch` per query, the queries in parallel (bounded by the client).
pub async fn fetch(client: &Client, asks: &[Ask], batch: usize) -> Answers {
    let queries = asks.chunks(batch.max(1)).map(|chunk| async move {
        let query = query_for(chunk);
        match client.graphql(&query).await {
            Ok(reply) => {
                let mut out: Answers = (0..chunk.len())
                    .map(|i| {
                        Ok(reply
                            .data
                            .get(alias(i))
                            .and_then(|r| r.get("object"))
                            .filter(|o| !o.is_null())
                            .cloned())
                    })
                    .collect();
                for e in &reply.errors {
                    let at = e
                        .pointer("/path/0")
                        .and_then(Value::as_str)
                        .and_then(|a| a.strip_prefix('a'))
                        .and_then(|n| n.parse::<usize>().ok());
                    let message = e
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or("GraphQL error")
                        .to_string();
                    match at {
                        Some(i) if i < out.len() => out[i] = Err(format!("GraphQL: {message}")),
                        // An error without a path spoils the whole query.
                        _ => out
                            .iter_mut()
                            .for_each(|o| *o = Err(format!("GraphQL: {message}"))),
                    }
                }
                out
            }
            Err(e) => vec![Err(e.to_string()); chunk.len()],
        }
    });
    join_all(queries).await.into_iter().flatten().collect()
}

fn alias(i: usize) -> String {
    format!("a{i}")
}

/// The query for one batch; `rateLimit { cost }` reports what GitHub charged for it.
pub fn query_for(asks: &[Ask]) -> String {
    let mut q = String::from("query {\n  rateLimit { cost remaining resetAt }\n");
    for (i, a) in asks.iter().enumerate() {
        let selection = match a.read {
            Read::Tree(depth) => format!("... on Tree {{ {} }}", entries(depth)),
            Read::Blob => "... on Blob { byteSize isBinary isTruncated text }".to_string(),
            Read::Commit => {
                "... on Commit { oid committedDate statusCheckRollup { state } }".to_string()
            }
        };
        q.push_str(&format!(
            "  {}: repository(owner: {}, name: {}) {{ object(expression: {}) {{ {selection} }} }}\n",
            alias(i),
            quote(&a.owner),
            quote(&a.name),
            quote(&a.expression),
        ));
    }
    q.push('}');
    q
}

/// `entries` nested `depth` levels; the deepest level lists names only.
fn entries(depth: usize) -> String {
    if depth <= 1 {
        "entries { name type mode size }".to_string()
    } else {
        format!(
            "entries {{ name type mode size object {{ ... on Tree {{ {} }} }} }}",
            entries(depth - 1)
        )
    }
}

/// A GraphQL string literal (JSON's escaping is valid GraphQL).
fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The files and the folders left to list, from a `Tree` object read with [`Read::Tree`].
#[derive(Debug, Default)]
pub struct Listing {
    /// `(path, size)` of each file.
    pub files: Vec<(String, u64)>,
    /// Folders whose entries were beyond the depth read.
    pub unlisted: Vec<String>,
}

/// Adds the entries of `tree` (the folder at `dir`, `""` for the root) to `out`. Symbolic
/// links and submodules are left out, as a local walk leaves them out; folders the scanner
/// ignores are not listed further.
pub fn read_tree(tree: &Value, dir: &str, out: &mut Listing) {
    let Some(entries) = tree.get("entries").and_then(Value::as_array) else {
        return;
    };
    for e in entries {
        let name = e.get("name").and_then(Value::as_str).unwrap_or_default();
        if name.is_empty() {
            continue;
        }
        let path = if dir.is_empty() {
            name.to_string()
        } else {
            format!("{dir}/{name}")
        };
        let mode = e.get("mode").and_then(Value::as_u64).unwrap_or(0o100644);
        match e.get("type").and_then(Value::as_str) {
            Some("blob") if mode != 0o120000 => {
                let size = e.get("size").and_then(Value::as_u64).unwrap_or(0);
                out.files.push((path, size));
            }
            Some("tree") if !crate::scanner::is_ignored_dir(name) => {
                match e.get("object").filter(|o| o.get("entries").is_some()) {
                    Some(sub) => read_tree(sub, &path, out),
                    None => out.unlisted.push(path),
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_query_asks_for_many_repositories_under_aliases() {
        let asks = vec![
            Ask {
                owner: "acme".into(),
                name: "checkout".into(),
                expression: "abc:".into(),
                read: Read::Tree(2),
            },
            Ask {
                owner: "acme".into(),
                name: "web \"ui\"".into(),
                expression: "def:package.json".into(),
                read: Read::Blob,
            },
        ];
        let q = query_for(&asks);
        assert!(q.contains(r#"a0: repository(owner: "acme", name: "checkout") { object(expression: "abc:") { ... on Tree { entries { name type mode size object { ... on Tree { entries { name type mode size } } } } } } }"#), "{q}");
        assert!(q.contains(r#"a1: repository(owner: "acme", name: "web \"ui\"")"#));
        assert!(q.contains("rateLimit { cost"));
    }

    #[test]
    fn a_tree_lists_files_and_the_folders_left_to_read() {
        let tree = json!({"entries": [
            {"name": "pom.xml", "type": "blob", "mode": 33188, "size": 120},
            {"name": "link", "type": "blob", "mode": 40960, "size": 7},
            {"name": "lib", "type": "commit", "mode": 57344, "size": 0},
            {"name": "node_modules", "type": "tree", "mode": 16384, "size": 0},
            {"name": "src", "type": "tree", "mode": 16384, "size": 0, "object": {"entries": [
                {"name": "main", "type": "tree", "mode": 16384, "size": 0}
            ]}}
        ]});
        let mut out = Listing::default();
        read_tree(&tree, "", &mut out);
        assert_eq!(out.files, vec![("pom.xml".to_string(), 120)]);
        assert_eq!(out.unlisted, vec!["src/main".to_string()]);
    }
}
