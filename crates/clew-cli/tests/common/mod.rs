//! `clew serve` as a child process on ephemeral ports, for the tests of the `clew` binary.

// Not every test binary uses every field.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::time::{Duration, Instant};

/// A running `clew serve`, killed and waited for on drop.
pub(crate) struct Serve {
    pub(crate) child: Child,
    /// The query API and UI, `http://…`.
    pub(crate) http: String,
    /// OTLP/HTTP, `http://…`.
    pub(crate) otlp_http: String,
    /// The log lines up to the one with the addresses.
    pub(crate) startup: Vec<String>,
    /// The log lines after it, as they come (the condition variable is told of each).
    pub(crate) log: Arc<(Mutex<Vec<String>>, Condvar)>,
    /// The line with the addresses, from "query" on.
    addresses: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Serve {
    /// The log lines after startup that contain `what`.
    pub(crate) fn log_lines(&self, what: &str) -> Vec<String> {
        self.log.0.lock().unwrap().iter().filter(|line| line.contains(what)).cloned().collect()
    }

    /// Waits until `count` log lines after startup contain `what`; panics after `timeout`.
    pub(crate) fn wait_for_log(&self, what: &str, count: usize, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let (lines, told) = &*self.log;
        let mut lines = lines.lock().unwrap();
        while lines.iter().filter(|line| line.contains(what)).count() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no {count} log lines with {what:?} in {timeout:?}: {lines:?}");
            lines = told.wait_timeout(lines, left).unwrap().0;
        }
    }

    /// The address after `label` in the line with the addresses ("query ", "OTLP/gRPC on "…).
    pub(crate) fn addr(&self, label: &str) -> String {
        let start = self.addresses.find(label).unwrap() + label.len();
        self.addresses[start..].split(',').next().unwrap().trim().to_owned()
    }
}

/// Starts `clew serve` on ephemeral ports and reads the bound addresses off its log.
pub(crate) fn serve(data_dir: &Path) -> Serve {
    serve_with(data_dir, &[])
}

/// Starts `clew serve` on ephemeral ports with more flags.
pub(crate) fn serve_with(data_dir: &Path, flags: &[&str]) -> Serve {
    serve_in(Command::new(env!("CARGO_BIN_EXE_clew")), data_dir, flags)
}

/// Starts `clew serve` with at most `files` open file descriptors (`ulimit -n`).
pub(crate) fn serve_with_open_files(files: u32, data_dir: &Path, flags: &[&str]) -> Serve {
    let mut command = Command::new("sh");
    command.args(["-c", &format!("ulimit -n {files} && exec \"$0\" \"$@\""), env!("CARGO_BIN_EXE_clew")]);
    serve_in(command, data_dir, flags)
}

fn serve_in(mut command: Command, data_dir: &Path, flags: &[&str]) -> Serve {
    let mut child = command
        .args(["serve", "--data-dir"])
        .arg(data_dir)
        .args(["--http-addr", "127.0.0.1:0", "--otlp-http-addr", "127.0.0.1:0"])
        .args(["--otlp-grpc-addr", "127.0.0.1:0", "--zipkin-addr", "127.0.0.1:0"])
        .args(flags)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (sender, lines) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let mut log = Vec::new();
    loop {
        let line = lines.recv().unwrap_or_else(|_| panic!("clew serve exited early:\n{}", log.join("\n")));
        if let Some(rest) = line.strip_prefix("clew serve: query API and UI on ") {
            let addresses = format!("query {rest}");
            log.push(line);
            // Keep draining the log so that the server never blocks on a full pipe.
            let later = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
            let sink = Arc::clone(&later);
            std::thread::spawn(move || {
                while let Ok(line) = lines.recv() {
                    sink.0.lock().unwrap().push(line);
                    sink.1.notify_all();
                }
            });
            let mut serve =
                Serve { child, http: String::new(), otlp_http: String::new(), startup: log, log: later, addresses };
            serve.http = serve.addr("query ");
            serve.otlp_http = serve.addr("OTLP/HTTP on ");
            return serve;
        }
        log.push(line);
    }
}
