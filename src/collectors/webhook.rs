//! GitHub webhook deliveries: the `X-Hub-Signature-256` check and the repository they concern.

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Events that make a repository worth re-collecting.
pub const EVENTS: &[&str] = &["push", "repository"];

/// Events that may carry outcomes of fleet changes.
pub const PULL_REQUEST_EVENTS: &[&str] = &["pull_request", "check_suite"];

/// True when `header` is `sha256=` + the hex HMAC-SHA256 of `body` under `secret`. The
/// comparison takes the same time wherever the first difference is.
pub fn signature_matches(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(given) = header
        .strip_prefix("sha256=")
        .and_then(|h| hex::decode(h.trim()).ok())
    else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    let expected = mac.finalize().into_bytes();
    expected.len() == given.len() && bool::from(expected.as_slice().ct_eq(&given))
}

/// The header value GitHub would send for `body` (for tests and tools that sign deliveries).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// `repository.full_name` of a delivery, as `owner/name`.
pub fn repository_of(payload: &Value) -> Option<String> {
    payload
        .pointer("/repository/full_name")
        .and_then(Value::as_str)
        .filter(|s| s.split('/').count() == 2 && !s.starts_with('/') && !s.ends_with('/'))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of GitHub's "Validating webhook deliveries" guide.
    const SECRET: &[u8] = b"It's a Secret to Everybody";
    const BODY: &[u8] = b"Hello, World!";
    const SIGNATURE: &str =
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn github_documented_example_verifies() {
        assert!(signature_matches(SECRET, BODY, SIGNATURE));
        assert_eq!(sign(SECRET, BODY), SIGNATURE);
    }

    #[test]
    fn wrong_secret_body_or_format_is_refused() {
        assert!(!signature_matches(b"other", BODY, SIGNATURE));
        assert!(!signature_matches(SECRET, b"Hello, World?", SIGNATURE));
        assert!(!signature_matches(
            SECRET,
            BODY,
            &SIGNATURE.replace("sha256=", "sha1=")
        ));
        assert!(!signature_matches(SECRET, BODY, "sha256=zz"));
        assert!(!signature_matches(SECRET, BODY, &SIGNATURE[..40]));
    }

    #[test]
    fn repository_is_the_full_name() {
        let p = serde_json::json!({"repository": {"full_name": "acme/billing-service"}});
        assert_eq!(repository_of(&p).as_deref(), Some("acme/billing-service"));
        assert_eq!(repository_of(&serde_json::json!({"zen": "hi"})), None);
    }
}
