//! The fake's GraphQL API: the part of GitHub's schema the collector reads
//! (`repository`, `object(expression:)`, `Tree.entries`, `Blob`, `Commit.statusCheckRollup`,
//! `rateLimit`), executed by a real GraphQL engine so that aliases, fragments and nesting are
//! checked as GitHub would check them.

use std::sync::Arc;

use async_graphql::{
    Context, EmptyMutation, EmptySubscription, Enum, ErrorExtensions, Object, Schema, SimpleObject,
    Union,
};

use super::{FakeRepo, Shared};

pub type FakeSchema = Schema<Query, EmptyMutation, EmptySubscription>;

pub fn schema(shared: Arc<Shared>) -> FakeSchema {
    Schema::build(Query, EmptyMutation, EmptySubscription)
        .data(shared)
        .finish()
}

pub struct Query;

#[Object]
impl Query {
    /// GitHub answers `null` for the alias and a `NOT_FOUND` error naming it.
    async fn repository(
        &self,
        ctx: &Context<'_>,
        owner: String,
        name: String,
    ) -> async_graphql::Result<Option<Repository>> {
        let shared = ctx.data_unchecked::<Arc<Shared>>();
        match shared.repo(&format!("{owner}/{name}")) {
            Some(r) => Ok(Some(Repository(r))),
            None => Err(async_graphql::Error::new(format!(
                "Could not resolve to a Repository with the name '{owner}/{name}'."
            ))
            .extend_with(|_, e| e.set("type", "NOT_FOUND"))),
        }
    }

    async fn rate_limit(&self, ctx: &Context<'_>) -> RateLimit {
        let shared = ctx.data_unchecked::<Arc<Shared>>();
        RateLimit {
            cost: 1,
            limit: 5000,
            remaining: 5000 - shared.counts().points.min(5000) as i32,
            reset_at: "2030-01-01T00:00:00Z".into(),
        }
    }
}

#[derive(SimpleObject)]
pub struct RateLimit {
    cost: i32,
    limit: i32,
    remaining: i32,
    reset_at: String,
}

pub struct Repository(Arc<FakeRepo>);

#[Object]
impl Repository {
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn name_with_owner(&self) -> String {
        self.0.slug()
    }
    async fn is_archived(&self) -> bool {
        self.0.archived
    }
    async fn default_branch_ref(&self) -> Ref {
        Ref(self.0.clone())
    }
    /// `<rev>:<path>` gives a tree or a blob, `<rev>` the commit; `rev` is the head's oid or
    /// `HEAD` (the fake keeps no history: older commits are not found).
    async fn object(&self, expression: String) -> Option<GitObject> {
        let repo = &self.0;
        let (rev, path) = match expression.split_once(':') {
            Some((rev, path)) => (rev, Some(path.trim_matches('/'))),
            None => (expression.as_str(), None),
        };
        if rev != repo.head && rev != "HEAD" && rev != repo.default_branch {
            return None;
        }
        match path {
            None => Some(GitObject::Commit(Commit(repo.clone()))),
            Some(p) if repo.files.contains_key(p) => Some(GitObject::Blob(Blob {
                repo: repo.clone(),
                path: p.to_string(),
            })),
            Some(p)
                if p.is_empty() || repo.files.keys().any(|f| f.starts_with(&format!("{p}/"))) =>
            {
                Some(GitObject::Tree(Tree {
                    repo: repo.clone(),
                    dir: p.to_string(),
                }))
            }
            Some(_) => None,
        }
    }
}

pub struct Ref(Arc<FakeRepo>);

#[Object]
impl Ref {
    async fn name(&self) -> &str {
        &self.0.default_branch
    }
    async fn target(&self) -> GitObject {
        GitObject::Commit(Commit(self.0.clone()))
    }
}

#[derive(Union)]
pub enum GitObject {
    Commit(Commit),
    Tree(Tree),
    Blob(Blob),
}

pub struct Commit(Arc<FakeRepo>);

#[derive(Enum, Copy, Clone, PartialEq, Eq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum StatusState {
    Error,
    Expected,
    Failure,
    Pending,
    Success,
}

#[derive(SimpleObject)]
pub struct StatusCheckRollup {
    state: StatusState,
}

#[Object]
impl Commit {
    async fn oid(&self) -> &str {
        &self.0.head
    }
    async fn committed_date(&self) -> &str {
        &self.0.committed_date
    }
    async fn status_check_rollup(&self) -> Option<StatusCheckRollup> {
        let state = match self.0.ci.as_str() {
            "success" => StatusState::Success,
            "failure" => StatusState::Failure,
            "error" => StatusState::Error,
            "pending" => StatusState::Pending,
            "expected" => StatusState::Expected,
            _ => return None,
        };
        Some(StatusCheckRollup { state })
    }
}

pub struct Tree {
    repo: Arc<FakeRepo>,
    dir: String,
}

#[Object]
impl Tree {
    async fn entries(&self) -> Vec<TreeEntry> {
        let prefix = if self.dir.is_empty() {
            String::new()
        } else {
            format!("{}/", self.dir)
        };
        let mut out: Vec<TreeEntry> = Vec::new();
        for (path, bytes) in &self.repo.files {
            let Some(rest) = path.strip_prefix(&prefix) else {
                continue;
            };
            let (name, is_dir) = match rest.split_once('/') {
                Some((d, _)) => (d, true),
                None => (rest, false),
            };
            if out.last().is_some_and(|e| e.name == name) {
                continue;
            }
            out.push(TreeEntry {
                repo: self.repo.clone(),
                path: format!("{prefix}{name}"),
                name: name.to_string(),
                is_dir,
                size: if is_dir { 0 } else { bytes.len() as i32 },
            });
        }
        out
    }
}

pub struct TreeEntry {
    repo: Arc<FakeRepo>,
    path: String,
    name: String,
    is_dir: bool,
    size: i32,
}

#[Object]
impl TreeEntry {
    async fn name(&self) -> &str {
        &self.name
    }
    async fn path(&self) -> &str {
        &self.path
    }
    #[graphql(name = "type")]
    async fn kind(&self) -> &str {
        if self.is_dir { "tree" } else { "blob" }
    }
    async fn mode(&self) -> i32 {
        if self.is_dir { 0o040000 } else { 0o100644 }
    }
    async fn size(&self) -> i32 {
        self.size
    }
    async fn object(&self) -> GitObject {
        if self.is_dir {
            GitObject::Tree(Tree {
                repo: self.repo.clone(),
                dir: self.path.clone(),
            })
        } else {
            GitObject::Blob(Blob {
                repo: self.repo.clone(),
                path: self.path.clone(),
            })
        }
    }
}

pub struct Blob {
    repo: Arc<FakeRepo>,
    path: String,
}

#[Object]
impl Blob {
    async fn byte_size(&self) -> i32 {
        self.bytes().len() as i32
    }
    async fn is_binary(&self) -> bool {
        std::str::from_utf8(self.bytes()).is_err()
    }
    async fn is_truncated(&self) -> bool {
        false
    }
    async fn text(&self) -> Option<String> {
        std::str::from_utf8(self.bytes()).ok().map(str::to_string)
    }
}

impl Blob {
    fn bytes(&self) -> &[u8] {
        self.repo.files.get(&self.path).map_or(&[], Vec::as_slice)
    }
}
