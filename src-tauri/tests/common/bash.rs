//! A real `bash` in a plain xterm (no translation override), with a key (Ctrl+T)
//! that writes the line being edited to a file, so a test reads exactly what sits
//! on the prompt, and a directory where the commands it runs leave their files.

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use super::desktop::XDisplay;

/// How long a shell gets to start or answer.
const WAIT: Duration = Duration::from_secs(20);

pub struct Bash {
    child: Child,
    pub dir: PathBuf,
}

impl Bash {
    /// bash in an xterm titled `title`, in `dir`, with the focus.
    pub fn start(display: &XDisplay, dir: &Path, title: &str) -> Bash {
        let rc = dir.join("bashrc");
        let (line, ready) = (dir.join("line"), dir.join("ready"));
        let script = format!(
            "PS1='$ '\nbind 'set enable-bracketed-paste on'\n\
             bind -x '\"\\C-t\": printf %s \"$READLINE_LINE\" > {line}.tmp; mv {line}.tmp {line}'\n\
             cd {dir}\ntouch {ready}\n",
            line = line.display(),
            dir = dir.display(),
            ready = ready.display(),
        );
        std::fs::write(&rc, script).expect("bashrc");
        let bash = format!("exec bash --noprofile --rcfile {} -i", rc.display());
        let child = display
            .command("xterm")
            .args(["-u8", "-geometry", "100x30", "-name", title, "-T", title])
            .args(["-e", "sh", "-c", &bash])
            .spawn()
            .expect("xterm");
        display.focus("--classname", title);
        wait_until(|| ready.exists(), "bash started");
        Bash {
            child,
            dir: dir.to_owned(),
        }
    }

    /// The line on bash's prompt (Ctrl+T writes it).
    pub fn prompt_line(&self, display: &XDisplay) -> String {
        let line = self.dir.join("line");
        let _ = std::fs::remove_file(&line);
        let pressed = display
            .command("xdotool")
            .args(["key", "ctrl+t"])
            .status()
            .expect("xdotool key");
        assert!(pressed.success());
        wait_until(|| line.exists(), "the prompt line written");
        std::fs::read_to_string(&line).expect("line")
    }

    /// Wait until `name` exists in the shell's directory (a command ran).
    pub fn wait_file(&self, name: &str) {
        wait_until(|| self.dir.join(name).exists(), name);
    }
}

impl Drop for Bash {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_until(mut done: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
