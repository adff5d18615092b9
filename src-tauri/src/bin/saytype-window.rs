//! The SayType window (started by the tray app, `saytype`): see `saytype::window_app`.

fn main() -> std::process::ExitCode {
    saytype::window_app::main()
}
