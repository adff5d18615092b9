//! Build script.
//!
//! With the `gui` feature, runs tauri-build against the top-level
//! `tauri.conf.json` (the config sits next to `icons/` and `ui/`, one level
//! above this crate; the app code uses `generate_context!("../tauri.conf.json")`
//! to match). Without it there is nothing to do: the headless core needs no
//! build step, and `tauri-build` is not even compiled.
//!
//! Cargo compiles build scripts with the package's features as `cfg`s, so
//! `#[cfg(feature = "gui")]` works here; a run-time check of
//! `CARGO_FEATURE_GUI` alone would not, because `tauri_build` is an optional
//! build-dependency that does not exist without the feature.

fn main() {
    #[cfg(feature = "gui")]
    gui();

    #[cfg(not(feature = "gui"))]
    println!("cargo:rerun-if-changed=build.rs");
}

#[cfg(feature = "gui")]
fn gui() {
    // `generate_context!` embeds `ui/` and the window icon when the crate is
    // compiled, but tauri-build only watches the config file and
    // `capabilities/`: watch the assets too, or edits to them would not be
    // picked up until something else triggers a rebuild.
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=../ui");
    println!("cargo:rerun-if-changed=../icons");

    let attributes = tauri_build::Attributes::new().config_path("../tauri.conf.json");
    if let Err(error) = tauri_build::try_build(attributes) {
        // Cargo shows a build script's output when it fails.
        eprintln!("tauri-build failed: {error:#}");
        std::process::exit(1);
    }
}
