//! The real `tech-health serve` as a child process, for the tests that kill it, abuse it or
//! run several at once.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A running `tech-health serve --demo` on a port of its own, killed when dropped.
pub struct Served {
    /// `http://127.0.0.1:PORT`, as the process printed it.
    pub base: String,
    pub child: Child,
}

impl Served {
    /// `serve --demo` on a free port, its SQLite file (when it uses one) in `data`, with the
    /// admin token `token`, none of the caller's own settings, and what `configure` adds
    /// (arguments, environment). Waits until it listens.
    pub fn start(data: &Path, token: &str, configure: impl FnOnce(&mut Command)) -> Served {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tech-health"));
        command
            .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
            .env("TECH_HEALTH_DATA_DIR", data)
            .env("TECH_HEALTH_ADMIN_TOKEN", token)
            .env("RUST_LOG", "warn")
            .env_remove("DATABASE_URL")
            .env_remove("TECH_HEALTH_BIND")
            .env_remove("TECH_HEALTH_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        configure(&mut command);
        let mut child = command.spawn().expect("serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .trim()
            .strip_prefix("tech-health listening on ")
            .unwrap_or_else(|| panic!("serve did not start: {line:?}"))
            .to_string();
        Served { base, child }
    }

    /// SIGKILL: no shutdown, no flush, nothing.
    pub fn kill_9(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().unwrap();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
