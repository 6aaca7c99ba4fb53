//! The bundled standards' YAML, read once at build time: `$OUT_DIR/ready.rs` holds each file
//! of `checks/` and `golden-tech/` as JSON (every document with where it starts), which the
//! binary reads many times faster than the YAML on every run. Where each value stands is
//! still read from the YAML, should a message need it. A test checks that this reading and
//! the binary's own YAML reader agree.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let mut out = String::from("&[\n");
    for dir in ["checks", "golden-tech"] {
        println!("cargo:rerun-if-changed={dir}");
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .map(|entry| entry.expect("a folder entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
            .collect();
        paths.sort();
        for path in paths {
            let json = ready(&path);
            let key = format!("{dir}/{}", path.file_name().unwrap().to_string_lossy());
            writeln!(out, "    ({key:?}, {json:?}),").unwrap();
        }
    }
    out.push(']');
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("ready.rs");
    std::fs::write(&dest, out).unwrap_or_else(|e| panic!("{}: {e}", dest.display()));
}

/// The file's documents as a JSON array of `{"line", "column", "value"}`.
fn ready(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let options = serde_saphyr::options! { strict_booleans: true };
    let docs: Vec<serde_saphyr::Spanned<serde_json::Value>> =
        serde_saphyr::from_multiple_with_options(&text, options)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let docs: Vec<serde_json::Value> = docs
        .into_iter()
        .map(|d| {
            serde_json::json!({
                "line": d.referenced.line(),
                "column": d.referenced.column(),
                "value": d.value,
            })
        })
        .collect();
    serde_json::to_string(&docs).unwrap()
}
