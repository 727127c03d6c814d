fn main() -> std::process::ExitCode {
    // The embedded voice runs in a worker process: this same program (see `voice::worker`).
    if std::env::args_os().nth(1).as_deref()
        == Some(std::ffi::OsStr::new(hipvoice::voice::worker::ARG))
    {
        return hipvoice::voice::worker::serve();
    }
    // A message that cannot be printed (stderr on a full disk or a closed pipe) ends the
    // program with exit code 2, as a failed write of the output does, not with a panic.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !is_print_failure(info.payload()) {
            default_hook(info);
        }
    }));
    match std::panic::catch_unwind(hipvoice::cli::main) {
        Ok(code) => code,
        Err(payload) if is_print_failure(&*payload) => std::process::ExitCode::from(2),
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

/// The panic `eprintln!` and `println!` raise when they cannot write.
fn is_print_failure(payload: &(dyn std::any::Any + Send)) -> bool {
    let text = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("");
    text.starts_with("failed printing to std")
}
