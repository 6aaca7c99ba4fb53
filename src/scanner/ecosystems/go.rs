//! Go modules: `go.mod` (`require` lines and blocks, `// indirect`, the `go` and `toolchain`
//! directives).

use super::super::findings::{Findings, Runtime, rank};
use super::super::repo::Repo;
use super::super::versions::leading_version;

/// Reads every `go.mod` into `out`.
pub fn read(repo: &Repo, out: &mut Findings) {
    for path in repo.named(|n| n == "go.mod") {
        let Some(text) = repo.text(path) else {
            continue;
        };
        out.tool("go-modules", None, path);
        if let Err(line) = read_go_mod(path, &text, out) {
            repo.warn(
                path,
                format!("line {line}: a `require` block is not closed"),
            );
        }
    }
}

/// `Err` holds the line of a `require (` block that never ends.
fn read_go_mod(path: &str, text: &str, out: &mut Findings) -> Result<(), usize> {
    let mut block: Option<usize> = None;
    for (i, raw) in text.lines().enumerate() {
        let (code, comment) = match raw.split_once("//") {
            Some((c, k)) => (c.trim(), k.trim()),
            None => (raw.trim(), ""),
        };
        if block.is_some() {
            if code == ")" {
                block = None;
            } else {
                require(code, comment, path, out);
            }
            continue;
        }
        let mut words = code.split_whitespace();
        match words.next() {
            Some("go") => {
                let v = words.next().and_then(leading_version);
                out.runtime(Runtime::Go, v, path, rank::BUILD);
            }
            Some("toolchain") => {
                let v = words
                    .next()
                    .and_then(|w| w.strip_prefix("go"))
                    .and_then(leading_version);
                out.runtime(Runtime::Go, v, path, rank::PIN);
            }
            Some("require") => {
                let rest = code["require".len()..].trim();
                if rest == "(" {
                    block = Some(i + 1);
                } else {
                    require(rest, comment, path, out);
                }
            }
            _ => {}
        }
    }
    match block {
        Some(line) => Err(line),
        None => Ok(()),
    }
}

fn require(code: &str, comment: &str, path: &str, out: &mut Findings) {
    let mut words = code.split_whitespace();
    if let (Some(module), Some(version)) = (words.next(), words.next()) {
        let direct = comment != "indirect" && !comment.starts_with("indirect;");
        out.dependency("go", module, Some(version.to_string()), path, direct);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requires_in_lines_and_blocks() {
        let text = "module example.com/svc\n\ngo 1.22.3\n\nrequire github.com/google/uuid v1.6.0\n\nrequire (\n\tgithub.com/go-chi/chi/v5 v5.0.12\n\tgolang.org/x/sys v0.21.0 // indirect\n)\n";
        let mut out = Findings::default();
        read_go_mod("go.mod", text, &mut out).unwrap();
        let deps: Vec<_> = out
            .dependencies
            .iter()
            .map(|d| (d.name.as_str(), d.version.as_deref(), d.direct))
            .collect();
        assert_eq!(
            deps,
            vec![
                ("github.com/google/uuid", Some("v1.6.0"), true),
                ("github.com/go-chi/chi/v5", Some("v5.0.12"), true),
                ("golang.org/x/sys", Some("v0.21.0"), false),
            ]
        );
        assert_eq!(out.runtimes[0].version, "1.22.3");
        assert_eq!(
            read_go_mod("go.mod", "require (\n a v1\n", &mut out),
            Err(1)
        );
    }
}
