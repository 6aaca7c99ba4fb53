use std::process::ExitCode;

use clap::Parser;

/// mimalloc returns freed memory to the system; with glibc's per-thread arenas the service
/// kept several times its live heap resident. The `system-alloc` feature leaves it out, for
/// heap profilers that trace malloc.
#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = tech_health::cli::Cli::parse();
    match tech_health::cli::run(cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
