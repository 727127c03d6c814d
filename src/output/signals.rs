//! Signals: SIGINT, SIGTERM and SIGHUP become one flag that the session and the render check,
//! so each ends cleanly (its place saved, no partial file left) instead of being killed.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// Ctrl-C, SIGTERM and SIGHUP set this flag; the session ends cleanly at the next check. A
/// signal ignored when hipvoice starts stays ignored, as the shell meant: SIGHUP under
/// `nohup`, SIGINT for a script's background job.
pub fn stop_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    for sig in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        if ignored(sig) {
            continue;
        }
        // Registration only fails for forbidden signals, which these are not.
        let _ = signal_hook::flag::register(sig, flag.clone());
    }
    flag
}

/// Whether signal `sig` is ignored now.
fn ignored(sig: libc::c_int) -> bool {
    // SAFETY: with no new action, sigaction only reads the current one into `old`, a plain
    // C struct for which all zeros is a valid value.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(sig, std::ptr::null(), &mut old) == 0 && old.sa_sigaction == libc::SIG_IGN
    }
}
