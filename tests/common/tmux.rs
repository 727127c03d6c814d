//! A private tmux server running hipvoice in a real terminal: keys typed with `send-keys`, the
//! screen read with `capture-pane`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::{fresh_data_home, root};

/// A private tmux server running one command in a terminal of its own.
pub struct Tmux {
    socket: String,
    dir: tempfile::TempDir,
}

impl Tmux {
    /// Runs `hipvoice ARGS` in a new terminal; when it ends, its exit code and the terminal's
    /// settings (`stty -a`) are written to files in a private folder.
    pub fn start(args: &str, state: &Path) -> Tmux {
        Tmux::start_in(args, state, &fresh_data_home(), "")
    }

    /// [`Tmux::start`] with the history in `data`, and `env` (`NAME=value ...`) set.
    pub fn start_in(args: &str, state: &Path, data: &Path, env: &str) -> Tmux {
        let dir = tempfile::tempdir().unwrap();
        // A socket of its own per terminal: `kill-server` returns before the old server has
        // gone, and a new session on the same socket then meets a dying server ("server exited
        // unexpectedly", seen in CI).
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let socket = format!("hipvoice-test-{}-{n}", std::process::id());
        let cmd = format!(
            "env XDG_CONFIG_HOME={cfg} XDG_STATE_HOME={state} XDG_DATA_HOME={data} NO_COLOR=1 {env} {bin} {args}; \
             echo $? > {d}/exit.tmp; stty -a > {d}/stty; mv {d}/exit.tmp {d}/exit; sleep 60",
            cfg = root().join("tests/fixtures/no-config").display(),
            state = state.display(),
            data = data.display(),
            bin = env!("CARGO_BIN_EXE_hipvoice"),
            d = dir.path().display(),
        );
        let ok = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", "160", "-y", "100", "-c"])
            .arg(root())
            .arg(cmd)
            .status()
            .expect("tmux runs")
            .success();
        assert!(ok, "tmux started the session");
        Tmux { socket, dir }
    }

    pub fn keys(&self, keys: &[&str]) {
        let ok = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "0"])
            .args(keys)
            .status()
            .unwrap()
            .success();
        assert!(ok, "send-keys {keys:?}");
    }

    /// Everything the terminal shows, history included, one line per line.
    pub fn screen(&self) -> Vec<String> {
        let o = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-J", "-S", "-"])
            .args(["-t", "0"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| l.trim_end().to_owned())
            .filter(|l| !l.is_empty())
            .collect()
    }

    pub fn wait_for(&self, what: &str, limit: Duration, pred: impl Fn(&[String]) -> bool) {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return;
            }
            if start.elapsed() > limit {
                panic!(
                    "waited {limit:?} for {what}; the terminal shows:\n{}",
                    s.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn wait_line(&self, line: &str, times: usize) {
        self.wait_for(line, Duration::from_secs(20), |s| {
            s.iter().filter(|l| *l == line).count() >= times
        });
    }

    pub fn exit(&self, limit: Duration) -> (String, String) {
        let f = self.dir.path().join("exit");
        let start = Instant::now();
        while !f.exists() {
            assert!(
                start.elapsed() < limit,
                "hipvoice did not end; the terminal shows:\n{}",
                self.screen().join("\n")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let stty = std::fs::read_to_string(self.dir.path().join("stty")).unwrap();
        (std::fs::read_to_string(&f).unwrap().trim().to_owned(), stty)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}
