//! KDE and GNOME (issue 10): headless KWin 5.27 (fake-input) and mutter 43
//! (RemoteDesktop, with Xwayland for pasting), a fresh native GTK 3 window per
//! run, the real `saytype serve --inject type`. Per compositor two scenarios:
//! 1,000 mixed characters that are all on the US layout (ASCII letters, digits,
//! punctuation, tabs, newlines: typed with the layout's keys), and 1,000 mixed
//! Unicode characters (not all on the layout: pasted whole).

use super::common::kwin::{Grant, Kwin};
use super::common::mutter::Mutter;
use super::common::wayland::serve_in;
use super::{ascii_text, measure, mixed_text, report_typing, scale, HttpClient};

/// A text of `n` characters from a seed.
type MakeText = fn(usize, usize) -> String;

/// A compositor session the bench types into.
enum Desktop {
    Kwin(Kwin),
    Mutter(Mutter),
}

impl Desktop {
    fn env(&self) -> Vec<(&'static str, String)> {
        match self {
            Desktop::Kwin(k) => k.env(),
            Desktop::Mutter(m) => m.env(),
        }
    }

    fn gtk(&self, dir: &std::path::Path) -> super::Target {
        match self {
            Desktop::Kwin(k) => k.gtk(dir),
            Desktop::Mutter(m) => m.gtk(dir),
        }
    }
}

pub(crate) async fn desktops() {
    let (chars, runs) = (1_000usize, scale(10));
    println!(
        "kde-gnome: {runs} runs of {chars} characters per route, GTK 3 (GDK_BACKEND=wayland), fresh window per run, --inject type"
    );
    let only = std::env::var("SAYTYPE_BENCH_ROUTES").unwrap_or_default();
    let scenarios: [(&str, MakeText); 2] = [
        ("typed (on the layout)", ascii_text),
        ("pasted (mixed Unicode)", mixed_text),
    ];
    for compositor in ["KWin fake-input", "mutter RemoteDesktop"] {
        for (what, make_text) in scenarios {
            let label = format!("{compositor}, {what}");
            if !label.contains(only.as_str()) {
                continue;
            }
            let desktop = if compositor.starts_with("KWin") {
                Desktop::Kwin(Kwin::start(Grant::DesktopEntry, "us"))
            } else {
                Desktop::Mutter(Mutter::start(true))
            };
            let dir = tempfile::tempdir().expect("tempdir");
            let mut env = desktop.env();
            env.push(("RUST_LOG", "warn".into()));
            let served = serve_in(&dir.path().join("data"), "type", &env).await;
            let mut client = HttpClient::connect(&served.url).await.expect("connect");
            let mut done = Vec::new();
            for run in 0..runs {
                let target_dir = dir.path().join(format!("target-{run}"));
                std::fs::create_dir_all(&target_dir).expect("target dir");
                let target = desktop.gtk(&target_dir);
                let text = make_text(chars, run * 13);
                let id = format!("kg-{}-{run}", label.len());
                let measured = measure(&mut client, &target, &text, &id).await;
                done.push((text, measured));
            }
            println!(" {label}:");
            report_typing("", chars, done);
        }
    }
}
