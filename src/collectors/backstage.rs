//! A Backstage catalog as a source of entities: `GET /api/catalog/entities/by-query`, page by
//! page (the first request carries the filter and limit, the next ones only the opaque `cursor`
//! the catalog gave out), with a static bearer token. A full run replaces the entities this
//! source gave before; one entity is re-read through `GET /api/catalog/entities/by-name/…`.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use super::settings::BackstageSetting;
use super::{CollectError, Collection, Collector, EntitySync, Handles, Scope};

/// Stops a catalog that hands out cursors forever.
const MAX_PAGES: usize = 100_000;

pub struct BackstageCollector {
    name: String,
    base_url: String,
    filter: Vec<String>,
    page_size: u32,
    token: Option<String>,
    http: reqwest::Client,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    items: Vec<Value>,
    #[serde(default)]
    page_info: PageInfo,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    next_cursor: Option<String>,
}

impl BackstageCollector {
    /// `token` is the value of the setting's `tokenEnv` variable, when set.
    pub fn new(setting: &BackstageSetting, token: Option<String>) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(setting.timeout_secs))
            .connect_timeout(Duration::from_secs(setting.timeout_secs.min(10)))
            .build()
            .map_err(|e| {
                format!(
                    "collector {}: cannot build an HTTP client: {e}",
                    setting.name
                )
            })?;
        Ok(BackstageCollector {
            name: setting.name.clone(),
            base_url: setting.base_url.trim_end_matches('/').to_string(),
            filter: setting.filter.clone(),
            page_size: setting.page_size,
            token,
            http,
        })
    }

    async fn get(&self, url: &str, query: &[(&str, String)]) -> Result<reqwest::Response, String> {
        let mut req = self.http.get(url).query(query);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let response = req.send().await.map_err(|e| {
            if e.is_timeout() {
                format!("{url}: no answer in time")
            } else {
                format!("{url}: {e}")
            }
        })?;
        match response.status() {
            s if s.is_success() || s == StatusCode::NOT_FOUND => Ok(response),
            s @ (StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) => Err(format!(
                "{url}: the catalog refused the request ({s}); check the token in `tokenEnv`"
            )),
            s => {
                let body = response.text().await.unwrap_or_default();
                Err(format!(
                    "{url}: the catalog answered {s}: {}",
                    excerpt(&body)
                ))
            }
        }
    }

    /// Every entity matching the filter, following `pageInfo.nextCursor`.
    pub async fn all(&self) -> Result<Vec<Value>, String> {
        let url = format!("{}/api/catalog/entities/by-query", self.base_url);
        let mut query: Vec<(&str, String)> = vec![("limit", self.page_size.to_string())];
        query.extend(self.filter.iter().map(|f| ("filter", f.clone())));
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..MAX_PAGES {
            let response = self.get(&url, &query).await?;
            if response.status() == StatusCode::NOT_FOUND {
                return Err(format!(
                    "{url}: not found; is `baseUrl` the Backstage backend?"
                ));
            }
            let page: Page = response
                .json()
                .await
                .map_err(|e| format!("{url}: not a page of entities: {e}"))?;
            out.extend(page.items);
            match page.page_info.next_cursor {
                Some(c) if seen.insert(c.clone()) => query = vec![("cursor", c)],
                Some(c) => return Err(format!("{url}: the catalog repeated the cursor `{c}`")),
                None => return Ok(out),
            }
        }
        Err(format!("{url}: more than {MAX_PAGES} pages"))
    }

    /// One entity, or `None` when the catalog does not have it.
    pub async fn one(
        &self,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Result<Option<Value>, String> {
        let url = format!(
            "{}/api/catalog/entities/by-name/{kind}/{namespace}/{name}",
            self.base_url
        );
        let response = self.get(&url, &[]).await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        response
            .json()
            .await
            .map(Some)
            .map_err(|e| format!("{url}: not an entity: {e}"))
    }
}

fn excerpt(body: &str) -> String {
    let mut s: String = body.chars().take(200).collect();
    if s.len() < body.len() {
        s.push('…');
    }
    s
}

#[async_trait]
impl Collector for BackstageCollector {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &str {
        "backstage"
    }

    fn handles(&self) -> Handles {
        Handles {
            entity: true,
            repository: false,
        }
    }

    fn fact_collectors(&self) -> Vec<String> {
        Vec::new()
    }

    async fn collect(&self, scope: &Scope) -> Result<Collection, CollectError> {
        let sync = match scope {
            Scope::All => EntitySync {
                entities: self.all().await.map_err(CollectError)?,
                complete: true,
                removed: Vec::new(),
            },
            Scope::Entity { entity, .. } => {
                match self
                    .one(entity.kind(), entity.namespace(), entity.name())
                    .await
                    .map_err(CollectError)?
                {
                    Some(e) => EntitySync {
                        entities: vec![e],
                        complete: false,
                        removed: Vec::new(),
                    },
                    None => EntitySync {
                        entities: Vec::new(),
                        complete: false,
                        removed: vec![entity.clone()],
                    },
                }
            }
            Scope::Repository(_) => return Ok(Collection::default()),
        };
        Ok(Collection {
            entities: Some(sync),
            ..Default::default()
        })
    }
}
