//! clew's web UI: static HTML, CSS and ES modules, embedded into the binary at compile
//! time, so `cargo build` alone gives a working UI (no Node, no bundler, nothing fetched
//! from elsewhere).
//!
//! The server answers `/` with [`index`] and `/ui/<path>` with [`asset`]. The UI routes
//! with the URL's fragment (`/#/trace/<id>`, `/#/search?service=…`), so every page is the
//! same document and a shared link needs nothing from the server but `/`.
//!
//! ```
//! let script = clew_ui::asset("js/main.js").expect("the UI's entry module is embedded");
//! assert_eq!(script.content_type, "text/javascript; charset=utf-8");
//! assert!(clew_ui::index().bytes.starts_with(b"<!doctype html>"));
//! ```

/// One embedded file.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// The file's path under `assets/`, such as `js/main.js`.
    pub path: &'static str,
    /// The `Content-Type` to answer with.
    pub content_type: &'static str,
    /// The file's bytes.
    pub bytes: &'static [u8],
    /// A strong entity tag (a hash of the bytes, quoted), for `ETag`/`If-None-Match`.
    pub etag: &'static str,
}

/// The prefix under which the server answers [`asset`] paths.
pub const ASSET_PREFIX: &str = "/ui/";

macro_rules! assets {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/", $path)) as &[u8])),*]
    };
}

/// Every file of the UI, by path under `assets/`.
const FILES: &[(&str, &[u8])] = assets!(
    "index.html",
    "css/app.css",
    "js/api.js",
    "js/chart.js",
    "js/compare.js",
    "js/dom.js",
    "js/errors.js",
    "js/filters.js",
    "js/flame.js",
    "js/format.js",
    "js/main.js",
    "js/operations.js",
    "js/route.js",
    "js/search.js",
    "js/scatter.js",
    "js/servicemap.js",
    "js/spanpanel.js",
    "js/states.js",
    "js/stats.js",
    "js/timerange.js",
    "js/trace.js",
    "js/tracemodel.js",
    "js/waterfall.js",
);

/// The hashes of [`FILES`], computed when the program is compiled.
const ETAGS: [u64; FILES.len()] = {
    let mut hashes = [0u64; FILES.len()];
    let mut index = 0;
    while index < FILES.len() {
        hashes[index] = fnv1a(FILES[index].1);
        index += 1;
    }
    hashes
};

/// The entity tags as text, built once.
fn etag_text(index: usize) -> &'static str {
    static TEXT: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| ETAGS.iter().map(|hash| format!("\"{hash:016x}\"")).collect())
        .get(index)
        .map_or("\"0\"", String::as_str)
}

const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut index = 0;
    while index < bytes.len() {
        hash ^= bytes[index] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        index += 1;
    }
    hash
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, extension)| extension) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// The embedded file at `path` (relative to `assets/`, without a leading slash), if any.
#[must_use]
pub fn asset(path: &str) -> Option<Asset> {
    let index = FILES.iter().position(|(name, _)| *name == path)?;
    let (name, bytes) = FILES[index];
    Some(Asset { path: name, content_type: content_type(name), bytes, etag: etag_text(index) })
}

/// The UI's single page, answered at `/` (every view is chosen by the URL's fragment).
#[must_use]
pub fn index() -> Asset {
    match asset("index.html") {
        Some(index) => index,
        None => Asset { path: "index.html", content_type: "text/html; charset=utf-8", bytes: b"", etag: "\"0\"" },
    }
}

/// The paths of every embedded file.
pub fn paths() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|(path, _)| *path)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn every_file_under_assets_is_embedded_and_nothing_else() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
        let mut on_disk = Vec::new();
        let mut folders = vec![root.clone()];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    folders.push(path);
                } else {
                    on_disk.push(path.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/"));
                }
            }
        }
        on_disk.sort();
        let mut embedded: Vec<String> = paths().map(str::to_owned).collect();
        embedded.sort();
        assert_eq!(embedded, on_disk);
    }

    #[test]
    fn assets_answer_with_their_type_and_a_stable_tag() {
        let css = asset("css/app.css").unwrap();
        assert_eq!(css.content_type, "text/css; charset=utf-8");
        assert_eq!(css.etag, asset("css/app.css").unwrap().etag);
        assert_ne!(css.etag, asset("js/main.js").unwrap().etag);
        assert!(asset("../Cargo.toml").is_none());
        assert!(asset("js/nope.js").is_none());
    }

    #[test]
    fn modules_import_only_embedded_files() {
        for path in paths().filter(|path| path.ends_with(".js")) {
            let text = std::str::from_utf8(asset(path).unwrap().bytes).unwrap();
            for line in text.lines().filter(|line| line.starts_with("import ")) {
                let target = line.rsplit_once("from '").map(|(_, rest)| rest.trim_end_matches("';")).unwrap();
                let resolved = format!("js/{}", target.trim_start_matches("./"));
                assert!(asset(&resolved).is_some(), "{path} imports {target}, which is not embedded");
            }
        }
    }
}
