//! A private D-Bus session bus for one test (as `dbus-run-session` gives, but with
//! the daemon's address in hand, so the compositor and `saytype serve` share it),
//! and child processes that are stopped when the test ends.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process, stopped (SIGTERM, then SIGKILL) on drop.
pub struct Spawned(pub Child);

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline && matches!(self.0.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `dbus-daemon --session` of our own.
pub struct SessionBus {
    pub address: String,
    _daemon: Spawned,
}

impl SessionBus {
    pub fn start() -> SessionBus {
        let mut child = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (package dbus)");
        let stdout = child.stdout.take().expect("stdout");
        let daemon = Spawned(child);
        let mut address = String::new();
        BufReader::new(stdout)
            .read_line(&mut address)
            .expect("dbus-daemon's address");
        let address = address.trim().to_owned();
        assert!(!address.is_empty(), "dbus-daemon printed no address");
        SessionBus {
            address,
            _daemon: daemon,
        }
    }
}

impl SessionBus {
    /// Start a compositor on this bus, its output in `log`, and wait until its
    /// Wayland socket `socket` takes connections.
    pub fn spawn_compositor(&self, cmd: &mut Command, log: &Path, socket: &Path) -> Spawned {
        let log = std::fs::File::create(log).expect("log");
        let child = cmd
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("{:?}: {e}", cmd.get_program()));
        let child = Spawned(child);
        super::wayland::wait_for(
            || std::os::unix::net::UnixStream::connect(socket).ok(),
            "the compositor's socket",
        );
        child
    }
}

/// Fails the test (never skips it) when `program` is not installed: the suite's
/// setup (`scripts/setup.sh test`) installs every compositor the tests use.
pub fn require(program: &str, package: &str) {
    let found = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()));
    assert!(
        found,
        "{program} is not installed: run scripts/setup.sh test (package {package})"
    );
}
