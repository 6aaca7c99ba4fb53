//! The oracle: json-rules-engine 7 installed once under `<target>/jre` from the pinned
//! `tests/jre/package.json` + `package-lock.json`, shared by the differential test and the
//! benchmark (`#[path = "../tests/support/jre.rs"] mod jre;`).
//!
//! Installation is race-free across test threads (a `OnceLock`) and across processes (install
//! into a private temporary folder, then `rename` it into place). A missing `node`/`npm` or a
//! failed install is an error, never a skip.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// `tests/jre`: the pinned package.json, its lock file and the node scripts.
pub fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("jre")
}

/// The folder json-rules-engine is installed in: `<target>/jre`.
pub fn install_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("jre")
}

/// Installs json-rules-engine 7 (once per process, and only when not already installed) and
/// returns the install folder; pass `<dir>/package.json` as `JRE_FROM` to the node scripts.
pub fn ensure_installed() -> Result<PathBuf, String> {
    static INSTALLED: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    INSTALLED.get_or_init(install).clone()
}

/// A `node` command ready to run `script` with `JRE_FROM` pointing at the installation.
pub fn node(jre_dir: &Path, script: &Path) -> Command {
    let mut cmd = Command::new("node");
    cmd.arg(script)
        .env("JRE_FROM", jre_dir.join("package.json"));
    cmd
}

const PINNED_FILES: [&str; 2] = ["package.json", "package-lock.json"];

fn install() -> Result<PathBuf, String> {
    let dir = install_dir();
    if is_current(&dir) {
        return Ok(dir);
    }
    for tool in ["node", "npm"] {
        let ok = Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            return Err(format!(
                "`{tool} --version` failed: Node.js 20+ and npm must be on PATH to install the \
                 json-rules-engine@7 oracle (tests/jre/package.json) into {}",
                dir.display()
            ));
        }
    }
    let parent = dir.parent().ok_or("install dir has no parent")?;
    std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    let tmp = parent.join(format!("jre.tmp-{}-{}", std::process::id(), nanos()));
    std::fs::create_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let result = install_into(&tmp).and_then(|()| move_into_place(&tmp, &dir));
    let _ = std::fs::remove_dir_all(&tmp);
    result.map(|()| dir)
}

fn install_into(tmp: &Path) -> Result<(), String> {
    for f in PINNED_FILES {
        std::fs::copy(scripts_dir().join(f), tmp.join(f)).map_err(|e| format!("copy {f}: {e}"))?;
    }
    let out = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
        .current_dir(tmp)
        .output()
        .map_err(|e| format!("cannot run npm: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`npm ci` of json-rules-engine@7 in {} failed ({}):\n{}\n{}",
            tmp.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    match installed_version(tmp) {
        Some(v) if v.starts_with("7.") => Ok(()),
        other => Err(format!(
            "npm installed json-rules-engine {other:?}, expected 7.x"
        )),
    }
}

fn move_into_place(tmp: &Path, dir: &Path) -> Result<(), String> {
    for _ in 0..3 {
        if std::fs::rename(tmp, dir).is_ok() {
            return Ok(());
        }
        if is_current(dir) {
            return Ok(()); // another process installed it first
        }
        // A stale installation (older pin): move it aside, then retry.
        let old = dir.with_file_name(format!("jre.old-{}-{}", std::process::id(), nanos()));
        if std::fs::rename(dir, &old).is_ok() {
            let _ = std::fs::remove_dir_all(&old);
        }
    }
    Err(format!(
        "cannot move {} to {}",
        tmp.display(),
        dir.display()
    ))
}

fn is_current(dir: &Path) -> bool {
    let pinned = |f: &str| std::fs::read(scripts_dir().join(f)).ok();
    PINNED_FILES
        .iter()
        .all(|f| pinned(f).is_some() && std::fs::read(dir.join(f)).ok() == pinned(f))
        && installed_version(dir).is_some_and(|v| v.starts_with("7."))
}

fn installed_version(dir: &Path) -> Option<String> {
    let path = dir.join("node_modules/json-rules-engine/package.json");
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("version")?.as_str().map(str::to_string)
}

fn nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}
