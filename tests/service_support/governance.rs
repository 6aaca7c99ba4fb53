//! Shared set-up for the governance tests: tokens with the governance scopes, a fixed clock.

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::{Value, json};
use tech_health::service::Sources;
use tech_health::settings::{SettingsFile, TokenSetting};

use super::{Running, hash};

pub const SECURITY: &str = "security-lead-token-for-tests";
pub const CAMPAIGNER: &str = "campaign-runner-token-for-tests";

pub fn settings() -> SettingsFile {
    let mut s = super::settings();
    for (name, token, scope) in [
        ("security-lead", SECURITY, "exemptions:write"),
        ("campaign-runner", CAMPAIGNER, "campaigns:write"),
    ] {
        s.auth.tokens.push(TokenSetting {
            name: name.into(),
            sha256: hash(token),
            scopes: vec![scope.into()],
        });
    }
    s.exemptions.max_days = 30;
    s
}

pub fn demo() -> Sources {
    Sources {
        demo: true,
        ..Default::default()
    }
}

/// A fixed clock an hour ahead of the wall clock, so pushed facts are the newest.
pub fn start_clock(s: &Running) -> DateTime<Utc> {
    let t0 = (Utc::now() + chrono::Duration::hours(1)).trunc_subsecs(0);
    s.app.set_clock(Some(t0));
    t0
}

pub fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

pub fn ci(entity: &str, green: bool) -> Value {
    json!([{ "entity": entity, "collector": "ci",
             "facts": { "ciGreenOnDefaultBranch": green, "testCoverage": 55.2 } }])
}
