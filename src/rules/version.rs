//! Versions as people and build files write them (`17`, `v1.2`, `1.8.0_292`, `2.17.1-rc1`) and
//! npm-style ranges (`>=17.0.5`, `<2.17.1`, `^3.1 || >=4`, `1.2.x`, `1.0 - 2.0`).

use semver::{Version, VersionReq};

/// Reads a version leniently: up to three numeric parts (missing ones are 0), an optional
/// pre-release after `-`; anything after a `_`, `+` or space is ignored.
pub fn parse_version(text: &str) -> Option<Version> {
    let t = text.trim();
    let t = t.strip_prefix(['v', 'V', '=']).unwrap_or(t);
    let t = t.split(['_', '+', ' ']).next()?;
    let (core, pre) = match t.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (t, None),
    };
    let mut parts = [0u64; 3];
    let mut count = 0;
    for piece in core.split('.') {
        if count == 3 {
            break;
        }
        if piece.is_empty() || !piece.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        parts[count] = piece.parse().ok()?;
        count += 1;
    }
    if count == 0 {
        return None;
    }
    let mut v = Version::new(parts[0], parts[1], parts[2]);
    if let Some(pre) = pre.filter(|p| !p.is_empty()) {
        v.pre = semver::Prerelease::new(pre).ok()?;
    }
    Some(v)
}

/// Reads a version from a fact value: a string, or a number such as `17` or `3.11`.
pub fn version_of(value: &serde_json::Value) -> Option<Version> {
    match value {
        serde_json::Value::String(s) => parse_version(s),
        serde_json::Value::Number(n) => parse_version(&n.to_string()),
        _ => None,
    }
}

/// An npm-style range: alternatives separated by `||`, each a set of comparators.
#[derive(Debug, Clone)]
pub struct VersionRange {
    text: String,
    alternatives: Vec<VersionReq>,
}

impl PartialEq for VersionRange {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl VersionRange {
    pub fn parse(text: &str) -> Result<VersionRange, String> {
        let alternatives = text
            .split("||")
            .map(|alt| {
                let req = npm_to_cargo(alt.trim());
                VersionReq::parse(&req)
                    .map_err(|e| format!("version range `{}` is not valid: {e}", text.trim()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(VersionRange {
            text: text.trim().to_string(),
            alternatives,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn matches(&self, v: &Version) -> bool {
        self.alternatives.iter().any(|req| req.matches(v))
    }
}

/// Rewrites one npm range alternative into the comma-separated syntax of the semver crate.
fn npm_to_cargo(alt: &str) -> String {
    if alt.is_empty() || alt == "*" || alt.eq_ignore_ascii_case("x") {
        return "*".to_string();
    }
    let tokens: Vec<&str> = alt.split_whitespace().collect();
    // Hyphen range: `1.2.3 - 2.3.4`.
    if tokens.len() == 3 && tokens[1] == "-" {
        return format!(">={}, <={}", tokens[0], tokens[2]);
    }
    let mut comparators = Vec::new();
    let mut pending_op: Option<&str> = None;
    for tok in tokens {
        if tok.chars().all(|c| "<>=~^".contains(c)) {
            pending_op = Some(tok);
            continue;
        }
        let tok = tok.trim_start_matches('v');
        let comparator = match pending_op.take() {
            Some(op) => format!("{op}{tok}"),
            // npm: a bare version means exactly that version.
            None if tok.starts_with(|c: char| c.is_ascii_digit())
                && !tok.contains(['x', 'X', '*']) =>
            {
                format!("={tok}")
            }
            None => tok.to_string(),
        };
        comparators.push(comparator.replace(['x', 'X'], "*"));
    }
    comparators.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        parse_version(s).unwrap()
    }

    #[test]
    fn lenient_versions() {
        assert_eq!(v("17"), Version::new(17, 0, 0));
        assert_eq!(v("v1.2"), Version::new(1, 2, 0));
        assert_eq!(v("1.8.0_292"), Version::new(1, 8, 0));
        assert_eq!(v("17.0.9.1"), Version::new(17, 0, 9));
        assert_eq!(v("2.17.1-rc1").pre.as_str(), "rc1");
        assert!(parse_version("latest").is_none());
        assert!(parse_version("").is_none());
    }

    #[test]
    fn npm_ranges() {
        let r = VersionRange::parse(">=17.0.5").unwrap();
        assert!(r.matches(&v("17.0.5")) && r.matches(&v("21")) && !r.matches(&v("17.0.4")));
        let r = VersionRange::parse("<2.17.1").unwrap();
        assert!(r.matches(&v("2.14.0")) && !r.matches(&v("2.17.1")));
        let r = VersionRange::parse("^3.1 || >= 5").unwrap();
        assert!(r.matches(&v("3.4.0")) && !r.matches(&v("4.0.0")) && r.matches(&v("5.1")));
        let r = VersionRange::parse("1.2.x").unwrap();
        assert!(r.matches(&v("1.2.9")) && !r.matches(&v("1.3.0")));
        let r = VersionRange::parse("1.0 - 2.0").unwrap();
        assert!(r.matches(&v("1.5.0")) && r.matches(&v("2.0.1")) && !r.matches(&v("2.1.0")));
        let r = VersionRange::parse("1.2.3").unwrap();
        assert!(r.matches(&v("1.2.3")) && !r.matches(&v("1.2.4")));
        assert!(VersionRange::parse(">=banana").is_err());
    }
}
