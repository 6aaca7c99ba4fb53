//! Bearer tokens: hashed tokens from the settings file, the bootstrap
//! `TECH_HEALTH_ADMIN_TOKEN`, and optionally Backstage user tokens verified against a JWKS.
//! Hashes are compared in constant time.

use std::marker::PhantomData;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use jsonwebtoken::{DecodingKey, Validation, decode, decode_header, jwk::JwkSet};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::AppState;
use super::error::ApiError;
use crate::settings::{AuthSettings, JwksSetting};

pub const FACTS_WRITE: &str = "facts:write";
pub const CATALOG_WRITE: &str = "catalog:write";
pub const EXEMPTIONS_WRITE: &str = "exemptions:write";
pub const CAMPAIGNS_WRITE: &str = "campaigns:write";
pub const CHANGES_WRITE: &str = "changes:write";
pub const ADMIN: &str = "admin";

/// A scope a route requires, as a type, so that [`Authorized`] can name it.
pub trait Scope: Send + Sync + 'static {
    const NAME: &'static str;
}

macro_rules! scopes {
    ($($ty:ident => $name:expr),* $(,)?) => {$(
        #[doc = concat!("The scope [`", stringify!($name), "`].")]
        pub struct $ty;
        impl Scope for $ty {
            const NAME: &'static str = $name;
        }
    )*};
}

scopes! {
    FactsWrite => FACTS_WRITE,
    CatalogWrite => CATALOG_WRITE,
    ExemptionsWrite => EXEMPTIONS_WRITE,
    CampaignsWrite => CAMPAIGNS_WRITE,
    ChangesWrite => CHANGES_WRITE,
    Preview => PREVIEW,
    Admin => ADMIN,
}

/// The scope `POST /api/v1/preview` needs: a preview evaluates the whole fleet again.
pub const PREVIEW: &str = "preview";

/// A caller holding the scope `S`, taken from the headers alone. Put it before the body
/// extractor: axum runs extractors in order, so a request without the right token is refused
/// (401/403) before its body is read or parsed.
pub struct Authorized<S>(pub Principal, pub PhantomData<S>);

impl<S: Scope> FromRequestParts<AppState> for Authorized<S> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let who = state.auth.require(&parts.headers, S::NAME).await?;
        Ok(Authorized(who, PhantomData))
    }
}

/// A caller who may read (anyone, unless `auth.requireTokenForReads`). Put it before the
/// query extractor, so that a request without a token is refused before its query is parsed.
pub struct Reader;

impl FromRequestParts<AppState> for Reader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        state.auth.allow_read(&parts.headers).await?;
        Ok(Reader)
    }
}

/// Who is calling, and what they may do.
#[derive(Debug, Clone)]
pub struct Principal {
    pub name: String,
    pub scopes: Vec<String>,
}

impl Principal {
    pub fn has(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope || s == ADMIN)
    }
}

/// The key set of the JWKS issuer and when it was fetched.
type KeyCache = tokio::sync::Mutex<Option<(Instant, JwkSet)>>;

struct Known {
    name: String,
    digest: [u8; 32],
    scopes: Vec<String>,
}

pub struct Auth {
    require_for_reads: bool,
    tokens: Vec<Known>,
    jwks: Option<(JwksSetting, KeyCache)>,
    http: reqwest::Client,
}

pub fn sha256_hex(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Auth {
    /// `admin_token`: the bootstrap token (from `TECH_HEALTH_ADMIN_TOKEN`), with every scope.
    pub fn new(settings: &AuthSettings, admin_token: Option<&str>) -> Result<Auth, String> {
        let mut tokens = Vec::new();
        for t in &settings.tokens {
            let bytes = hex::decode(t.sha256.trim())
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or_else(|| format!("auth.tokens `{}`: sha256 must be 64 hex digits", t.name))?;
            tokens.push(Known {
                name: t.name.clone(),
                digest: bytes,
                scopes: t.scopes.clone(),
            });
        }
        if let Some(t) = admin_token.filter(|t| !t.is_empty()) {
            tokens.push(Known {
                name: "admin".into(),
                digest: Sha256::digest(t.as_bytes()).into(),
                scopes: vec![ADMIN.into()],
            });
        }
        Ok(Auth {
            require_for_reads: settings.require_token_for_reads,
            tokens,
            jwks: settings
                .jwks
                .clone()
                .map(|j| (j, tokio::sync::Mutex::new(None))),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .map_err(|e| e.to_string())?,
        })
    }

    /// The caller, when a token is given; an error when it is not valid.
    pub async fn identify(&self, headers: &HeaderMap) -> Result<Option<Principal>, ApiError> {
        let Some(value) = headers.get(axum::http::header::AUTHORIZATION) else {
            return Ok(None);
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::BadToken)?;
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        // Compare against every known token, without stopping early.
        let mut found: Option<&Known> = None;
        for k in &self.tokens {
            if bool::from(k.digest.ct_eq(&digest)) {
                found = Some(k);
            }
        }
        if let Some(k) = found {
            return Ok(Some(Principal {
                name: k.name.clone(),
                scopes: k.scopes.clone(),
            }));
        }
        if self.jwks.is_some() && token.split('.').count() == 3 {
            return self.verify_jwt(token).await.map(Some);
        }
        Err(ApiError::BadToken)
    }

    /// A caller with `scope`: 401 without or with a bad token, 403 without the scope.
    pub async fn require(&self, headers: &HeaderMap, scope: &str) -> Result<Principal, ApiError> {
        let p = self
            .identify(headers)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        if p.has(scope) {
            Ok(p)
        } else {
            Err(ApiError::Forbidden(scope.to_string()))
        }
    }

    /// Reads are open unless the settings say otherwise.
    pub async fn allow_read(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let p = self.identify(headers).await?;
        if self.require_for_reads && p.is_none() {
            return Err(ApiError::Unauthorized);
        }
        Ok(())
    }

    async fn keys(
        &self,
        setting: &JwksSetting,
        cache: &KeyCache,
        refresh: bool,
    ) -> Result<JwkSet, ApiError> {
        let mut guard = cache.lock().await;
        if let Some((at, set)) = guard.as_ref()
            && !refresh
            && at.elapsed() < Duration::from_secs(600)
        {
            return Ok(set.clone());
        }
        let set: JwkSet = self
            .http
            .get(&setting.url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| ApiError::Unavailable(format!("JWKS {}: {e}", setting.url)))?
            .json()
            .await
            .map_err(|e| ApiError::Unavailable(format!("JWKS {}: {e}", setting.url)))?;
        *guard = Some((Instant::now(), set.clone()));
        Ok(set)
    }

    async fn verify_jwt(&self, token: &str) -> Result<Principal, ApiError> {
        let Some((setting, cache)) = &self.jwks else {
            return Err(ApiError::BadToken);
        };
        let header = decode_header(token).map_err(|_| ApiError::BadToken)?;
        let kid = header.kid.ok_or(ApiError::BadToken)?;
        let mut set = self.keys(setting, cache, false).await?;
        if set.find(&kid).is_none() {
            set = self.keys(setting, cache, true).await?;
        }
        let jwk = set.find(&kid).ok_or(ApiError::BadToken)?;
        let key = DecodingKey::from_jwk(jwk).map_err(|_| ApiError::BadToken)?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&setting.issuer]);
        match &setting.audience {
            Some(a) => validation.set_audience(&[a]),
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        let data = decode::<serde_json::Value>(token, &key, &validation)
            .map_err(|_| ApiError::BadToken)?;
        let sub = data
            .claims
            .get("sub")
            .and_then(|s| s.as_str())
            .unwrap_or("unknown")
            .to_string();
        Ok(Principal {
            name: sub,
            scopes: setting.scopes.clone(),
        })
    }
}
