//! Readers of build files, lockfiles and version pins, one module per ecosystem. Each reads the
//! files it knows into the shared [`Findings`]; a file it cannot read is a warning, never an
//! error of the scan.

mod boms;
mod cargo;
mod go;
mod gradle;
mod js_locks;
mod maven;
mod node;
mod python;
mod tool_pins;

pub use boms::Managed;

use super::findings::Findings;
use super::repo::Repo;

/// Runs every reader over the repository.
pub fn read_all(repo: &Repo) -> Findings {
    let mut out = Findings::default();
    maven::read(repo, &mut out);
    gradle::read(repo, &mut out);
    node::read(repo, &mut out);
    python::read(repo, &mut out);
    go::read(repo, &mut out);
    cargo::read(repo, &mut out);
    tool_pins::read(repo, &mut out);
    out
}
