use std::process::ExitCode;

use clap::Parser;

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
