//! An interactive bash for the terminal tests: bracketed paste on, and a key
//! (Ctrl+T) that writes the line being edited to a file, so a test reads exactly
//! what sits on the prompt, whatever terminal it runs in.

use std::path::{Path, PathBuf};

pub struct BashRc {
    /// `bash --noprofile --rcfile … -i`: the command line to run in a terminal.
    pub command: String,
    /// Where Ctrl+T writes the line (whole once it exists: written aside, renamed).
    pub buffer: PathBuf,
    /// Exists once bash has read its rc file.
    pub ready: PathBuf,
}

impl BashRc {
    /// Write the rc file in `dir` (bash starts in `dir`).
    pub fn write(dir: &Path) -> BashRc {
        let rc = dir.join("bashrc");
        let buffer = dir.join("buffer");
        let ready = dir.join("ready");
        std::fs::write(
            &rc,
            format!(
                "PS1='$ '\n\
                 bind 'set enable-bracketed-paste on'\n\
                 bind -x '\"\\C-t\": printf %s \"$READLINE_LINE\" > {buffer}.tmp; mv {buffer}.tmp {buffer}'\n\
                 cd {dir}\n\
                 touch {ready}\n",
                buffer = buffer.display(),
                dir = dir.display(),
                ready = ready.display(),
            ),
        )
        .expect("rc");
        BashRc {
            command: format!("bash --noprofile --rcfile {} -i", rc.display()),
            buffer,
            ready,
        }
    }
}
