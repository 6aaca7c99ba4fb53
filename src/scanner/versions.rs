//! Reading versions out of what build files write: ranges, tool pins, image tags.

/// The leading version of a text: digits and dots, e.g. `21.0.4` of `21.0.4+7` or of
/// `21-jre-alpine`; `None` when the text does not start with a digit. A trailing dot is dropped.
pub fn leading_version(text: &str) -> Option<String> {
    let t = text.trim();
    let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let v = t[..end].trim_end_matches('.');
    (!v.is_empty() && v.starts_with(|c: char| c.is_ascii_digit())).then(|| v.to_string())
}

/// The lowest version a range admits, as written: `>=3.11,<4` → `3.11`, `^20.1` → `20.1`,
/// `~=3.12.0` → `3.12.0`, `20.x` → `20`, `v20.15.1` → `20.15.1`. `None` for ranges with no
/// lower bound (`<4`, `*`, `lts/*`).
pub fn lower_bound(range: &str) -> Option<String> {
    for part in range.split([',', ' ', '|']) {
        let p = part.trim();
        if p.is_empty() || p.starts_with('<') || p.starts_with("!=") {
            continue;
        }
        let p = p.trim_start_matches(['>', '=', '^', '~']);
        if let Some(v) = leading_version(p) {
            return Some(v);
        }
    }
    None
}

/// A Java release as people name it: `1.8` → `8`, `17` stays `17`, `21.0.4` stays.
pub fn java_release(text: &str) -> Option<String> {
    let v = leading_version(text)?;
    Some(match v.strip_prefix("1.") {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => v,
    })
}

/// Whether `fine` says the same as `coarse`, with more parts (`21.0.4` refines `21`).
pub fn refines(fine: &str, coarse: &str) -> bool {
    let f: Vec<&str> = fine.split('.').collect();
    let c: Vec<&str> = coarse.split('.').collect();
    f.len() > c.len() && f[..c.len()] == c[..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_bounds_of_common_ranges() {
        assert_eq!(lower_bound(">=3.11,<4").as_deref(), Some("3.11"));
        assert_eq!(lower_bound("^3.11").as_deref(), Some("3.11"));
        assert_eq!(lower_bound("~=3.12.0").as_deref(), Some("3.12.0"));
        assert_eq!(lower_bound(">= 20.0.0").as_deref(), Some("20.0.0"));
        assert_eq!(lower_bound("20.x").as_deref(), Some("20"));
        assert_eq!(lower_bound("<4 >=3.10").as_deref(), Some("3.10"));
        assert_eq!(lower_bound("lts/*"), None);
        assert_eq!(lower_bound("*"), None);
    }

    #[test]
    fn java_releases_and_refinement() {
        assert_eq!(java_release("1.8").as_deref(), Some("8"));
        assert_eq!(java_release("17").as_deref(), Some("17"));
        assert_eq!(java_release("21.0.4+7").as_deref(), Some("21.0.4"));
        assert_eq!(leading_version("21-jre-alpine").as_deref(), Some("21"));
        assert_eq!(leading_version("latest"), None);
        assert!(refines("21.0.4", "21"));
        assert!(!refines("17.0.4", "21"));
        assert!(!refines("21", "21"));
    }
}
