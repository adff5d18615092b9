fn main() -> std::process::ExitCode {
    saytype::cli::main()
}
