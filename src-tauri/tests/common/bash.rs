//! A real `bash` in a plain xterm (no translation override), optionally inside
//! tmux, on the rc file of [`BashRc`](super::shell::BashRc): a test reads exactly
//! what sits on the prompt (Ctrl+T writes it), and the commands it runs leave their
//! files in its directory.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use super::desktop::XDisplay;
use super::netns::wait_until;
use super::shell::BashRc;

/// How long a shell gets to start or answer.
const WAIT: Duration = Duration::from_secs(20);

pub struct Bash {
    child: Child,
    pub dir: PathBuf,
    buffer: PathBuf,
    tmux: Option<PathBuf>,
}

impl Bash {
    /// bash in an xterm titled `title`, in `dir`, with the focus.
    pub fn start(display: &XDisplay, dir: &Path, title: &str) -> Bash {
        Bash::launch(display, dir, title, false)
    }

    /// The same, with bash inside tmux inside the xterm.
    pub fn start_in_tmux(display: &XDisplay, dir: &Path, title: &str) -> Bash {
        Bash::launch(display, dir, title, true)
    }

    fn launch(display: &XDisplay, dir: &Path, title: &str, in_tmux: bool) -> Bash {
        let rc = BashRc::write(dir);
        let socket = dir.join("tmux.sock");
        let mut cmd = display.command("xterm");
        cmd.args([
            "-u8",
            "-geometry",
            "100x30",
            "-name",
            title,
            "-T",
            title,
            "-e",
        ]);
        if in_tmux {
            cmd.arg("tmux").arg("-S").arg(&socket).args([
                "-f",
                "/dev/null",
                "new-session",
                &rc.command,
            ]);
        } else {
            cmd.args(["sh", "-c", &format!("exec {}", rc.command)]);
        }
        let child = cmd.spawn().expect("xterm");
        display.focus("--classname", title);
        wait_until("bash started", WAIT, || rc.ready.exists());
        Bash {
            child,
            dir: dir.to_owned(),
            buffer: rc.buffer,
            tmux: in_tmux.then_some(socket),
        }
    }

    /// The line on bash's prompt (Ctrl+T writes it aside and renames it: whole once
    /// it exists).
    pub fn prompt_line(&self, display: &XDisplay) -> String {
        let _ = std::fs::remove_file(&self.buffer);
        let pressed = display
            .command("xdotool")
            .args(["key", "ctrl+t"])
            .status()
            .expect("xdotool key");
        assert!(pressed.success());
        wait_until("the prompt line written", WAIT, || self.buffer.exists());
        std::fs::read_to_string(&self.buffer).expect("line")
    }

    /// Wait until `name` exists in the shell's directory (a command ran).
    pub fn wait_file(&self, name: &str) {
        wait_until(name, WAIT, || self.dir.join(name).exists());
    }
}

impl Drop for Bash {
    fn drop(&mut self) {
        if let Some(socket) = &self.tmux {
            let _ = std::process::Command::new("tmux")
                .arg("-S")
                .arg(socket)
                .arg("kill-server")
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
