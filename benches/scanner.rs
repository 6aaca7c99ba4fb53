//! Repository scanner throughput on local checkouts, on one core: the fixture repositories of
//! every ecosystem (`tests/fixtures/repos/`, small: the cost per repository) and this
//! repository's own checkout (hundreds of files: the cost per file), each scanned again and
//! again for about `BENCH_SECONDS` (default 3) seconds. Reports repositories/s, files listed/s,
//! files read/s and MB read/s.
//!
//! ```text
//! cargo bench --bench scanner
//! ```

#[path = "support/env.rs"]
mod env;

use std::cell::Cell;
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use env::env_or;
use tech_health::config::{self, ConfigSource};
use tech_health::radar::Radar;
use tech_health::scanner::{DirTree, FileTree, TreeFile, scan};
use tech_health::source::BundledFiles;

/// A local checkout that counts what the scanner lists and reads.
struct Counted {
    tree: DirTree,
    listed: Cell<u64>,
    read: Cell<u64>,
    bytes: Cell<u64>,
}

impl FileTree for Counted {
    fn files(&self) -> io::Result<Vec<TreeFile>> {
        let files = self.tree.files()?;
        self.listed.set(self.listed.get() + files.len() as u64);
        Ok(files)
    }

    fn read(&self, path: &str) -> io::Result<Vec<u8>> {
        let bytes = self.tree.read(path)?;
        self.read.set(self.read.get() + 1);
        self.bytes.set(self.bytes.get() + bytes.len() as u64);
        Ok(bytes)
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scanner bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && !"scanner".contains(&a))
    {
        return Ok(());
    }
    let seconds: u64 = env_or("BENCH_SECONDS", 3)?;
    let loaded = config::load(
        &ConfigSource {
            files: &BundledFiles,
            dir: PathBuf::new(),
        },
        None,
    )
    .map_err(|e| format!("bundled standards: {e}"))?;
    let radar = &loaded.engine.radar;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(root.join("tests/fixtures/repos"))
        .map_err(|e| format!("tests/fixtures/repos: {e}"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    fixtures.sort();
    println!("| checkouts | repositories/s | files listed/s | files read/s | MB read/s |");
    println!("|---|---|---|---|---|");
    measure(
        &format!("{} fixture repositories", fixtures.len()),
        &fixtures,
        radar,
        seconds,
    );
    measure("this repository", &[root.to_path_buf()], radar, seconds);
    Ok(())
}

fn measure(name: &str, repos: &[PathBuf], radar: &Radar, seconds: u64) {
    let length = Duration::from_secs(seconds);
    let (mut scanned, mut listed, mut read, mut bytes) = (0u64, 0u64, 0u64, 0u64);
    let start = Instant::now();
    while start.elapsed() < length {
        for repo in repos {
            let tree = Counted {
                tree: DirTree::new(repo),
                listed: Cell::new(0),
                read: Cell::new(0),
                bytes: Cell::new(0),
            };
            std::hint::black_box(scan(&tree, Some(radar)));
            scanned += 1;
            listed += tree.listed.get();
            read += tree.read.get();
            bytes += tree.bytes.get();
        }
    }
    let s = start.elapsed().as_secs_f64();
    println!(
        "| {name} | {:.0} | {:.0} | {:.0} | {:.1} |",
        scanned as f64 / s,
        listed as f64 / s,
        read as f64 / s,
        bytes as f64 / s / 1e6
    );
}
