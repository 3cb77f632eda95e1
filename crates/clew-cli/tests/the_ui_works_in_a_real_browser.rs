//! The web UI in a real browser: `clew serve` filled by `clew demo`, then Chromium driven
//! by Playwright (`crates/clew-ui/tests/browser/ui.test.mjs`) searches, opens traces,
//! folds and selects spans, follows a dot of the scatter plot, compares two traces, opens
//! the service map and a trace of 100,000 spans. Screenshots of each page are kept in
//! `target/ui-screenshots/`.
//!
//! Needs `node`, Chromium at `/usr/bin/chromium` (or `CLEW_TEST_CHROMIUM`) and
//! `npm ci` run in `crates/clew-ui/tests/browser`; `scripts/test` installs all three.
//! When one is missing the test fails and says which.

// The server child is killed and waited for by Drop.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::zombie_processes)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

struct Serve {
    child: Child,
    http: String,
    otlp_http: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(data_dir: &Path) -> Serve {
    let mut child = Command::new(env!("CARGO_BIN_EXE_clew"))
        .args(["serve", "--data-dir"])
        .arg(data_dir)
        .args(["--http-addr", "127.0.0.1:0", "--otlp-http-addr", "127.0.0.1:0"])
        .args(["--otlp-grpc-addr", "127.0.0.1:0", "--zipkin-addr", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    loop {
        let line = lines.next().expect("clew serve prints its addresses").unwrap();
        if let Some(rest) = line.strip_prefix("clew serve: query API and UI on ") {
            let http = rest.split(',').next().unwrap().to_owned();
            let start = rest.find("OTLP/HTTP on ").unwrap() + "OTLP/HTTP on ".len();
            let otlp_http = rest[start..].split(',').next().unwrap().to_owned();
            std::thread::spawn(move || for _ in lines {});
            return Serve { child, http, otlp_http };
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).unwrap().to_path_buf()
}

#[test]
fn the_ui_answers_search_trace_compare_and_map_in_chromium() {
    let root = workspace_root();
    let harness = root.join("crates/clew-ui/tests/browser");
    let chromium = std::env::var("CLEW_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    assert!(
        Path::new(&chromium).exists(),
        "Chromium is missing at {chromium}: run scripts/test (it installs it with apt-get) or `apt-get install -y chromium`"
    );
    assert!(
        harness.join("node_modules/playwright-core").exists(),
        "playwright-core is missing: run `npm ci` in {} (scripts/test does)",
        harness.display()
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|output| output.status.success()),
        "node is missing: run scripts/test (it installs it with apt-get) or `apt-get install -y nodejs npm`"
    );

    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path());
    let demo = Command::new(env!("CARGO_BIN_EXE_clew"))
        .args(["demo", "--endpoint", &server.otlp_http, "--traces", "60"])
        .output()
        .unwrap();
    assert!(demo.status.success(), "clew demo failed: {}", String::from_utf8_lossy(&demo.stderr));

    let screenshots = root.join("target/ui-screenshots");
    let run = Command::new("node")
        .arg(harness.join("ui.test.mjs"))
        .args(["--url", &server.http, "--otlp", &server.otlp_http, "--chromium", &chromium])
        .arg("--screenshots")
        .arg(&screenshots)
        .current_dir(&harness)
        .output()
        .unwrap();
    let report = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert!(run.status.success(), "the browser tests failed:\n{report}");
    assert!(report.contains("all browser checks passed"), "{report}");
    for page in ["search", "trace", "trace-events", "flame", "statistics", "compare", "service-map", "big-trace"] {
        assert!(screenshots.join(format!("{page}.png")).exists(), "no screenshot of {page}");
    }
}
