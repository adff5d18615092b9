//! The real `saytype` binary as a child process.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_saytype");

pub struct Served {
    pub child: Child,
    pub url: String,
    pub port: u16,
    stderr_path: std::path::PathBuf,
}

impl Served {
    /// `saytype serve --no-agent --port PORT` on `data_dir`, waiting for its
    /// `listening on` line.
    pub fn start(data_dir: &Path, port: u16, token: Option<&str>, extra: &[&str]) -> Served {
        let port = port.to_string();
        let mut args = vec!["--no-agent", "--port", &port];
        args.extend_from_slice(extra);
        Served::spawn(data_dir, token, &args, &[])
    }

    /// `saytype serve` with the given arguments and environment (`""` removes a
    /// variable), on top of
    /// `--no-mdns --device-id desk --data-dir DIR`, port 0 and bind 127.0.0.1 unless
    /// given.
    pub fn spawn(
        data_dir: &Path,
        token: Option<&str>,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Served {
        let stderr_path = data_dir.with_extension(format!("stderr-{}", std::process::id()));
        let stderr = std::fs::File::create(&stderr_path).expect("stderr file");
        let mut cmd = Command::new(BIN);
        cmd.args(["serve", "--no-mdns", "--device-id", "desk"])
            .arg("--data-dir")
            .arg(data_dir)
            .args(args)
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(stderr);
        if !args.contains(&"--port") {
            cmd.args(["--port", "0"]);
        }
        if !args.contains(&"--bind") {
            cmd.args(["--bind", "127.0.0.1"]);
        }
        // An empty value removes the variable.
        for (k, v) in env {
            if v.is_empty() {
                cmd.env_remove(k);
            } else {
                cmd.env(k, v);
            }
        }
        match token {
            Some(t) => cmd.env("SAYTYPE_TOKEN", t),
            None => cmd.env_remove("SAYTYPE_TOKEN"),
        };
        let mut child = cmd.spawn().expect("spawn saytype");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read stdout");
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        let port = addr
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port");
        Served {
            child,
            url: format!("http://{addr}"),
            port,
            stderr_path,
        }
    }

    /// Wait until `device` is registered (a local agent connects right after the
    /// `listening on` line); panics after 10 s, showing the relay's log.
    pub async fn wait_online(&self, token: &str, device: &str) {
        let mut c = saytype::client::HttpClient::connect(&self.url)
            .await
            .expect("connect");
        for _ in 0..500 {
            let list = c
                .get("/devices", Some(token))
                .await
                .expect("get")
                .json()
                .expect("json");
            let online = list.as_array().is_some_and(|a| {
                a.iter()
                    .any(|d| d["deviceId"] == device && d["online"] == true)
            });
            if online {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("{device} never came online:\n{}", self.stderr());
    }

    pub fn ws_url(&self) -> String {
        format!("{}/ws", self.url.replace("http://", "ws://"))
    }

    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        for _ in 0..200 {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        let _ = self.child.kill();
        panic!("saytype did not exit within 5 s");
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.stderr_path);
    }
}
