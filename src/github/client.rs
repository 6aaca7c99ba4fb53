//! The HTTP edge: octocrab with GitHub's rate-limit rules, retries, timeouts, a bound on
//! requests in flight, and counts of the requests made and the rate-limit points they cost.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::{ETAG, IF_NONE_MATCH, LINK};
use http::{HeaderMap, HeaderValue};
use octocrab::Octocrab;
use octocrab::service::middleware::retry::RetryConfig;
use serde_json::{Value, json};
use tokio::sync::{Mutex, Semaphore};
use tokio::time::Instant;

use super::GitHubError;

/// The body type of octocrab's raw answers.
type Body = http_body_util::combinators::BoxBody<bytes::Bytes, octocrab::Error>;
use super::rate::{self, Answer, Backoff, Next};
use super::settings::GitHubSettings;

/// A REST answer.
#[derive(Debug)]
pub enum Fetched {
    /// 304: what was stored under the ETag sent is still current (costs no rate-limit point).
    NotModified,
    Ok {
        body: Value,
        etag: Option<String>,
        /// The `rel="next"` page of a paginated list, as a path below the API root.
        next: Option<String>,
    },
    /// 404: the repository, branch or owner does not exist (or the token cannot see it).
    NotFound,
}

/// A GraphQL answer: `data` and the per-alias `errors` (GitHub answers 200 with both when only
/// some aliases fail).
#[derive(Debug)]
pub struct GraphqlReply {
    pub data: Value,
    pub errors: Vec<Value>,
}

pub struct Client {
    rest: Octocrab,
    graphql: Octocrab,
    /// The GraphQL path below the `graphql` client's base (`/graphql`).
    graphql_path: String,
    in_flight: Semaphore,
    /// Requests wait until this moment after GitHub said the limit is used up.
    paused_until: Mutex<Option<Instant>>,
    backoff: Backoff,
    timeout: Duration,
    max_retries: u32,
    max_wait: Duration,
    requests: AtomicU64,
    points: AtomicU64,
}

impl Client {
    pub fn new(settings: &GitHubSettings) -> Result<Client, GitHubError> {
        let token = settings.token();
        let build = |base: &str| -> Result<Octocrab, GitHubError> {
            let mut b = Octocrab::builder()
                .base_uri(base)
                .map_err(|e| GitHubError::Settings(format!("`{base}`: {e}")))?
                // Retries are ours: octocrab's would hide rate limits and count nothing.
                .add_retry_config(RetryConfig::None)
                .set_connect_timeout(Some(settings.request_timeout()))
                .set_read_timeout(Some(settings.request_timeout()));
            if let Some(t) = &token {
                b = b.personal_token(t.clone());
            }
            b.build()
                .map_err(|e| GitHubError::Settings(format!("cannot build the HTTP client: {e}")))
        };
        let endpoint = settings.graphql_endpoint();
        // octocrab posts GraphQL to `<base>/graphql`, which is `/api/v3/graphql` on GitHub
        // Enterprise Server; give it its own client whose base is the endpoint's folder.
        let (gql_base, gql_path) = match endpoint.rfind('/') {
            Some(i) if i > endpoint.find("://").map_or(0, |s| s + 2) => {
                (endpoint[..i].to_string(), endpoint[i..].to_string())
            }
            _ => (endpoint.clone(), "/".to_string()),
        };
        Ok(Client {
            rest: build(settings.rest_url())?,
            graphql: build(&gql_base)?,
            graphql_path: gql_path,
            in_flight: Semaphore::new(settings.concurrency),
            paused_until: Mutex::new(None),
            backoff: Backoff {
                base: Duration::from_millis(settings.backoff_base_ms),
                cap: settings.max_wait(),
            },
            timeout: settings.request_timeout(),
            max_retries: settings.max_retries,
            max_wait: settings.max_wait(),
            requests: AtomicU64::new(0),
            points: AtomicU64::new(0),
        })
    }

    /// Requests sent so far (retries included).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Rate-limit points spent so far: 1 per REST answer other than 304, the reported `cost`
    /// of each GraphQL query.
    pub fn points(&self) -> u64 {
        self.points.load(Ordering::Relaxed)
    }

    /// `GET path` (below the API root), conditional on `etag` when given.
    pub async fn get(&self, path: &str, etag: Option<&str>) -> Result<Fetched, GitHubError> {
        let mut headers = HeaderMap::new();
        if let Some(tag) = etag.and_then(|t| HeaderValue::from_str(t).ok()) {
            headers.insert(IF_NONE_MATCH, tag);
        }
        let (status, headers, body) = self
            .send(path, || async {
                self.rest
                    ._get_with_headers(path, Some(headers.clone()))
                    .await
            })
            .await?;
        match status {
            304 => Ok(Fetched::NotModified),
            404 => {
                self.points.fetch_add(1, Ordering::Relaxed);
                Ok(Fetched::NotFound)
            }
            200..=299 => {
                self.points.fetch_add(1, Ordering::Relaxed);
                let body = serde_json::from_str(&body)
                    .map_err(|e| GitHubError::Answer(format!("GET {path}: not JSON: {e}")))?;
                let etag = headers
                    .get(ETAG)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                let next = headers
                    .get(LINK)
                    .and_then(|v| v.to_str().ok())
                    .and_then(next_link)
                    .map(|url| self.below_root(&url));
                Ok(Fetched::Ok { body, etag, next })
            }
            _ => {
                // GitHub charges refusals, not its own failures.
                if status < 500 {
                    self.points.fetch_add(1, Ordering::Relaxed);
                }
                Err(GitHubError::Answer(format!(
                    "GET {path}: {status} {}",
                    message_of(&body)
                )))
            }
        }
    }

    /// Runs one GraphQL query. GitHub reports an exhausted GraphQL limit as a `RATE_LIMITED`
    /// error (with a 200 or a 403); the query is sent again once the limit resets.
    pub async fn graphql(&self, query: &str) -> Result<GraphqlReply, GitHubError> {
        let payload = json!({ "query": query });
        let path = self.graphql_path.as_str();
        let mut attempt = 0;
        loop {
            let (status, _, body) = self
                .send("graphql", || async {
                    self.graphql._post(path, Some(&payload)).await
                })
                .await?;
            let parsed: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            let errors = parsed
                .get("errors")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let limited = errors
                .iter()
                .any(|e| e.get("type").and_then(Value::as_str) == Some("RATE_LIMITED"));
            if limited {
                if attempt >= self.max_retries {
                    return Err(GitHubError::Answer(format!(
                        "GraphQL: rate limited (gave up after {} tries)",
                        attempt + 1
                    )));
                }
                // `send` paused every request until the reset when the headers said so.
                tokio::time::sleep(self.backoff.wait(attempt)).await;
                self.wait_for_pause().await;
                attempt += 1;
                continue;
            }
            let cost = parsed
                .pointer("/data/rateLimit/cost")
                .and_then(Value::as_u64)
                .unwrap_or(1);
            self.points.fetch_add(cost, Ordering::Relaxed);
            if !(200..300).contains(&status) {
                return Err(GitHubError::Answer(format!(
                    "GraphQL: {status} {}",
                    message_of(&body)
                )));
            }
            return match parsed.get("data") {
                Some(data) if !data.is_null() => Ok(GraphqlReply {
                    data: data.clone(),
                    errors,
                }),
                _ => Err(GitHubError::Answer(format!(
                    "GraphQL: no data: {}",
                    errors
                        .first()
                        .and_then(|e| e.get("message"))
                        .and_then(Value::as_str)
                        .unwrap_or("the answer holds neither data nor errors")
                ))),
            };
        }
    }

    /// Sends with retries; returns status, headers and body text of the final answer.
    async fn send<F, Fut>(
        &self,
        what: &str,
        request: F,
    ) -> Result<(u16, HeaderMap, String), GitHubError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = octocrab::Result<http::Response<Body>>>,
    {
        let mut attempt = 0;
        loop {
            self.wait_for_pause().await;
            let answer = {
                let _permit =
                    self.in_flight.acquire().await.map_err(|_| {
                        GitHubError::Answer("the collector is shutting down".into())
                    })?;
                self.requests.fetch_add(1, Ordering::Relaxed);
                tokio::time::timeout(self.timeout, async {
                    let response = request().await?;
                    let status = response.status().as_u16();
                    let headers = response.headers().clone();
                    let body = self.rest.body_to_string(response).await?;
                    Ok::<_, octocrab::Error>((status, headers, body))
                })
                .await
            };
            // What went wrong, the wait before trying again, and why.
            let (failure, wait, reason) = match answer {
                Ok(Ok((status, headers, body))) => {
                    let a = answer_of(status, &headers);
                    if let Some(pause) = rate::pause_after(&a, now_secs()) {
                        self.pause(pause).await;
                    }
                    match rate::decide(&a, now_secs(), attempt, &self.backoff) {
                        Next::Done => return Ok((status, headers, body)),
                        Next::Retry { wait, reason } => (
                            format!("{what}: {status} {}", message_of(&body)),
                            wait,
                            reason,
                        ),
                    }
                }
                Ok(Err(e)) => (
                    format!("{what}: {e}"),
                    self.backoff.wait(attempt),
                    format!("connection error: {e}"),
                ),
                Err(_) => {
                    let reason = format!("no answer within {} ms", self.timeout.as_millis());
                    (
                        format!("{what}: {reason}"),
                        self.backoff.wait(attempt),
                        reason,
                    )
                }
            };
            if attempt >= self.max_retries {
                return Err(GitHubError::Answer(format!(
                    "{failure} (gave up after {} tries: {reason})",
                    attempt + 1
                )));
            }
            if wait > self.max_wait {
                return Err(GitHubError::Answer(format!(
                    "{failure} ({reason}; waiting {}s is more than maxWaitMs allows)",
                    wait.as_secs()
                )));
            }
            tracing::debug!(what, attempt, ?wait, %reason, "retrying a GitHub request");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn pause(&self, wait: Duration) {
        let until = Instant::now() + wait.min(self.max_wait);
        let mut p = self.paused_until.lock().await;
        if p.is_none_or(|t| t < until) {
            *p = Some(until);
        }
    }

    async fn wait_for_pause(&self) {
        let until = *self.paused_until.lock().await;
        if let Some(t) = until
            && t > Instant::now()
        {
            tokio::time::sleep_until(t).await;
        }
    }

    /// Turns an absolute URL from a Link header into a path below the API root, so octocrab
    /// adds the token (it withholds it from absolute URLs of hosts other than api.github.com).
    fn below_root(&self, url: &str) -> String {
        match url.parse::<http::Uri>() {
            Ok(u) => u
                .path_and_query()
                .map_or_else(|| url.to_string(), |p| p.as_str().to_string()),
            Err(_) => url.to_string(),
        }
    }
}

fn answer_of(status: u16, headers: &HeaderMap) -> Answer {
    let num = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    Answer {
        status,
        remaining: num("x-ratelimit-remaining"),
        reset: num("x-ratelimit-reset"),
        retry_after: num("retry-after"),
    }
}

/// The `rel="next"` URL of a Link header (RFC 8288, as GitHub sends it).
pub fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"")
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
    })
}

/// GitHub's `{"message": …}` error text, or the start of the body.
fn message_of(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| body.chars().take(200).collect())
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::next_link;

    #[test]
    fn next_page_is_read_from_the_link_header() {
        let h = r#"<https://api.github.com/organizations/9/repos?page=2>; rel="next", <https://api.github.com/organizations/9/repos?page=4>; rel="last""#;
        assert_eq!(
            next_link(h).as_deref(),
            Some("https://api.github.com/organizations/9/repos?page=2")
        );
        assert_eq!(next_link(r#"<https://x/y?page=1>; rel="prev""#), None);
    }
}
