//! The web UI in real browsers, each against `clew serve` filled by `clew demo`:
//!
//! - Chromium driven by Playwright (`crates/clew-ui/tests/browser/ui.test.mjs`) searches,
//!   opens traces, folds and selects spans, follows a dot of the scatter plot, compares two
//!   traces, opens the operations, errors and service map pages and a trace of 100,000
//!   spans;
//! - Firefox ESR driven over WebDriver BiDi by puppeteer (`firefox.test.mjs`) searches,
//!   opens a trace and the operations page.
//!
//! Screenshots of each page are kept in `target/ui-screenshots/`.
//!
//! `CLEW_UI_TEST_ONLY=<name>` runs only the Chromium tests whose name starts with it (and
//! not Firefox); `CLEW_UI_TEST_ONLY=big-trace` is the 100,000-span benchmark
//! (`scripts/bench-ui`), whose figures are printed with `-- --nocapture`.
//!
//! Needs `node`, Chromium at `/usr/bin/chromium` (or `CLEW_TEST_CHROMIUM`), Firefox ESR at
//! `/usr/bin/firefox-esr` (or `CLEW_TEST_FIREFOX`) and `npm ci` run in
//! `crates/clew-ui/tests/browser`; `scripts/test` installs them all. When one is missing the
//! test fails and says which.

// The server child is killed and waited for by Drop. The browsers' reports are printed:
// they carry the 100,000-span benchmark's figures (shown with `-- --nocapture`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::zombie_processes, clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

use common::{Serve, serve};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).unwrap().to_path_buf()
}

/// The browser harness's folder, after checking that node and the named npm package are there.
fn harness(package: &str) -> PathBuf {
    let harness = workspace_root().join("crates/clew-ui/tests/browser");
    assert!(
        harness.join("node_modules").join(package).exists(),
        "{package} is missing: run `npm ci` in {} (scripts/test does)",
        harness.display()
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|output| output.status.success()),
        "node is missing: run scripts/test (it installs it with apt-get) or `apt-get install -y nodejs npm`"
    );
    harness
}

/// A browser's executable: the variable's value, or the path Debian installs it at.
fn browser(variable: &str, default: &str, package: &str) -> String {
    let path = std::env::var(variable).unwrap_or_else(|_| default.to_owned());
    assert!(
        Path::new(&path).exists(),
        "{package} is missing at {path}: run scripts/test (it installs it with apt-get) or `apt-get install -y {package}`"
    );
    path
}

/// A server in `dir` holding `clew demo`'s traces.
fn filled_server(dir: &Path) -> Serve {
    let server = serve(dir);
    let demo = Command::new(env!("CARGO_BIN_EXE_clew"))
        .args(["demo", "--endpoint", &server.otlp_http, "--traces", "60"])
        .output()
        .unwrap();
    assert!(demo.status.success(), "clew demo failed: {}", String::from_utf8_lossy(&demo.stderr));
    server
}

/// Runs a harness script and prints its report, failing unless it passed.
fn run_script(mut node: Command, passed: &str) {
    let run = node.output().unwrap();
    let report = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert!(run.status.success(), "the browser tests failed:\n{report}");
    assert!(report.contains(passed), "{report}");
    print!("{report}");
}

fn only() -> Option<String> {
    std::env::var("CLEW_UI_TEST_ONLY").ok().filter(|only| !only.is_empty())
}

#[test]
fn the_ui_answers_search_trace_compare_operations_errors_and_map_in_chromium() {
    let harness = harness("playwright-core");
    let chromium = browser("CLEW_TEST_CHROMIUM", "/usr/bin/chromium", "chromium");
    let dir = tempfile::tempdir().unwrap();
    let server = filled_server(dir.path());

    let screenshots = workspace_root().join("target/ui-screenshots");
    let only = only();
    let mut node = Command::new("node");
    node.arg(harness.join("ui.test.mjs"))
        .args(["--url", &server.http, "--otlp", &server.otlp_http, "--chromium", &chromium])
        .arg("--screenshots")
        .arg(&screenshots)
        .current_dir(&harness);
    if let Some(only) = &only {
        node.args(["--only", only]);
    }
    run_script(node, "all browser checks passed");
    if only.is_some() {
        return;
    }
    let pages = [
        "search",
        "trace",
        "trace-error",
        "flame-order",
        "trace-events",
        "flame",
        "statistics",
        "compare",
        "operations",
        "errors",
        "service-map",
        "big-trace",
    ];
    for page in pages {
        assert!(screenshots.join(format!("{page}.png")).exists(), "no screenshot of {page}");
    }
}

#[test]
fn the_ui_searches_and_opens_a_trace_in_firefox() {
    if let Some(only) = only() {
        println!("Firefox not run: CLEW_UI_TEST_ONLY={only} chooses Chromium tests");
        return;
    }
    let harness = harness("puppeteer-core");
    let firefox = browser("CLEW_TEST_FIREFOX", "/usr/bin/firefox-esr", "firefox-esr");
    let dir = tempfile::tempdir().unwrap();
    let server = filled_server(dir.path());

    let screenshots = workspace_root().join("target/ui-screenshots");
    let mut node = Command::new("node");
    node.arg(harness.join("firefox.test.mjs"))
        .args(["--url", &server.http, "--firefox", &firefox])
        .arg("--screenshots")
        .arg(&screenshots)
        .current_dir(&harness);
    run_script(node, "all Firefox checks passed");
    for page in ["firefox-search", "firefox-trace", "firefox-operations"] {
        assert!(screenshots.join(format!("{page}.png")).exists(), "no screenshot of {page}");
    }
}
