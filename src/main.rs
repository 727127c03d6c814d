fn main() -> std::process::ExitCode {
    // The embedded voice runs in a worker process: this same program (see `voice::worker`).
    if std::env::args_os().nth(1).as_deref()
        == Some(std::ffi::OsStr::new(hipvoice::voice::worker::ARG))
    {
        return hipvoice::voice::worker::serve();
    }
    hipvoice::cli::main()
}
