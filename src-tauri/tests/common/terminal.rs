//! A native Wayland terminal for the terminal tests: bash in tmux (`common::shell`'s
//! rc file) in foot (on sway) or Konsole (on KWin, where foot 1.13 dies of a
//! division by zero: the virtual output has no physical size).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::wayland::wait_for;

/// Which terminal emulator.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Emulator {
    Foot,
    Konsole,
}

/// bash in tmux in a terminal, with a key (Ctrl+T, sent through tmux) that writes
/// the line being edited to `buffer`, so the test reads exactly what sits on the
/// prompt.
pub struct Terminal {
    child: Child,
    buffer: PathBuf,
    socket: PathBuf,
}

/// `emulator`, as root, on the Wayland session of `env`, titled `title`; `command`
/// runs in it.
pub fn spawn_terminal(
    emulator: Emulator,
    env: &[(&str, String)],
    title: &str,
    command: &[&str],
) -> Child {
    let mut env = env.to_vec();
    env.retain(|(k, _)| *k != "DISPLAY");
    let mut cmd = match emulator {
        Emulator::Foot => {
            let mut cmd = Command::new("foot");
            // No user configuration; a TERM that tmux and bash know everywhere.
            cmd.args([
                "--config=/dev/null",
                "-o",
                "term=xterm-256color",
                "--title",
                title,
            ]);
            cmd
        }
        Emulator::Konsole => {
            let mut cmd = Command::new("konsole");
            // Its own window and process; the tab's title fixed (the window's is
            // "<tab title> — Konsole").
            cmd.args(["--separate", "--nofork", "-p"])
                .arg(format!("LocalTabTitleFormat={title}"))
                .arg("-e")
                .env("QT_QPA_PLATFORM", "wayland");
            cmd
        }
    };
    cmd.args(command)
        .envs(env)
        .env_remove("DISPLAY")
        .env("LC_ALL", "C.UTF-8")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{emulator:?} (scripts/setup.sh test installs it): {e}"))
}

/// A file tmux creates in `dir` once the terminal has the keyboard focus (tmux
/// asks the terminal for focus reports and runs a hook): how a test tells that a
/// compositor which says nothing about focus (mutter) gave it to the terminal.
pub fn focused_marker(dir: &Path) -> PathBuf {
    dir.join("terminal.focused")
}

impl Terminal {
    /// Started on the session of `env`, titled "saytype-shell", then focused with
    /// `focus` (true once done).
    pub fn start(
        emulator: Emulator,
        env: &[(&str, String)],
        dir: &Path,
        focus: impl Fn() -> bool,
    ) -> Terminal {
        let rc = super::shell::BashRc::write(dir);
        let bash = rc.command.clone();
        let ready = rc.ready.clone();
        let socket = dir.join("tmux.sock");
        let socket_arg = socket.display().to_string();
        let conf = dir.join("tmux.conf");
        std::fs::write(
            &conf,
            format!(
                "set -g focus-events on\nset-hook -g pane-focus-in \"run-shell 'touch {}'\"\n",
                focused_marker(dir).display()
            ),
        )
        .expect("tmux.conf");
        let conf_arg = conf.display().to_string();
        let child = spawn_terminal(
            emulator,
            env,
            "saytype-shell",
            &[
                "tmux",
                "-S",
                &socket_arg,
                "-f",
                &conf_arg,
                "new-session",
                &bash,
            ],
        );
        wait_for(|| ready.exists().then_some(()), "bash in the terminal");
        wait_for(|| focus().then_some(()), "the terminal's window");
        Terminal {
            child,
            buffer: rc.buffer,
            socket,
        }
    }

    fn tmux(&self, args: &[&str]) {
        let status = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .status()
            .expect("tmux");
        assert!(status.success());
    }

    /// The line on bash's prompt, read with the Ctrl+T binding.
    pub fn prompt_line(&self) -> String {
        let buffer = self.buffer.clone();
        let _ = std::fs::remove_file(&buffer);
        self.tmux(&["send-keys", "C-t"]);
        // Written to a side file and renamed: whole once it exists.
        wait_for(|| buffer.exists().then_some(()), "the prompt line written");
        std::fs::read_to_string(&buffer).expect("buffer")
    }

    /// Wait until bash's line is `expected` (the keys may still be on their way
    /// through the terminal when the message is reported), and return it; a
    /// timeout says what the line was.
    pub fn wait_prompt(&self, expected: &str) -> String {
        self.wait_prompt_within(expected, std::time::Duration::from_secs(10))
    }

    /// [`wait_prompt`](Self::wait_prompt), for at most `within`.
    pub fn wait_prompt_within(&self, expected: &str, within: std::time::Duration) -> String {
        let mut last = String::new();
        let deadline = std::time::Instant::now() + within;
        while std::time::Instant::now() < deadline {
            last = self.prompt_line();
            if last == expected {
                return last;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        last
    }

    /// Empty bash's line (end of line, kill to its start, for each line).
    pub fn clear_prompt(&self) {
        self.tmux(&["send-keys", "C-e", "C-u", "C-h", "C-u"]);
        wait_for(
            || self.prompt_line().is_empty().then_some(()),
            "an empty prompt",
        );
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
