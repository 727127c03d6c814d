fn main() -> std::process::ExitCode {
    hipvoice::cli::main()
}
