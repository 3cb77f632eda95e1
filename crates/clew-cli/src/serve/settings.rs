//! Everything `clew serve` can be told, in one struct read from three places: command-line
//! flags, `CLEW_*` variables and a TOML file, each setting under one name in all three
//! (`--data-dir`, `CLEW_DATA_DIR`, `data_dir`). Flags win over variables (clap reads both),
//! which win over the file; what none of them gives keeps the default of the part it
//! configures (`ServerConfig::default()` for the server, `StoreConfig::new` for the embedded
//! store), and `--help` shows those defaults.
//!
//! ```toml
//! # clew.toml, read with --config clew.toml or CLEW_CONFIG=clew.toml
//! data_dir = "/var/lib/clew"
//! retention = "3d"
//! head_max_bytes = "256MiB"
//! self_tracing = true
//! ```

use std::error::Error as _;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clew_server::ServerConfig;
use clew_store_embedded::StoreConfig;
use serde::Deserialize;

use super::values::{ByteSize, Count, HumanDuration, ListenAddr, Switch, ZstdLevel};

/// Where the embedded store keeps its files when `data_dir` is not given.
pub(crate) const DEFAULT_DATA_DIR: &str = "clew-data";

/// The settings of `clew serve`; every one is optional, see the module's docs for the order
/// in which they are read.
#[derive(Debug, Clone, Default, PartialEq, clap::Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServeSettings {
    /// TOML file of settings (flags and CLEW_* variables win over it)
    #[arg(long, env = "CLEW_CONFIG", value_name = "FILE")]
    #[serde(skip)]
    pub(crate) config: Option<PathBuf>,

    /// Directory of the embedded store
    #[arg(long, env = "CLEW_DATA_DIR", value_name = "DIR", value_parser = non_empty_path)]
    pub(crate) data_dir: Option<PathBuf>,

    /// Address of the query APIs, UI, /metrics and health checks
    #[arg(long, env = "CLEW_HTTP_ADDR", value_name = "ADDR")]
    pub(crate) http_addr: Option<ListenAddr>,

    /// Address of OTLP/gRPC
    #[arg(long, env = "CLEW_OTLP_GRPC_ADDR", value_name = "ADDR")]
    pub(crate) otlp_grpc_addr: Option<ListenAddr>,

    /// Address of OTLP/HTTP
    #[arg(long, env = "CLEW_OTLP_HTTP_ADDR", value_name = "ADDR")]
    pub(crate) otlp_http_addr: Option<ListenAddr>,

    /// Address of the Zipkin v2 API
    #[arg(long, env = "CLEW_ZIPKIN_ADDR", value_name = "ADDR")]
    pub(crate) zipkin_addr: Option<ListenAddr>,

    /// How long blocks are kept, e.g. 7d, 12h
    #[arg(long, env = "CLEW_RETENTION", value_name = "DURATION")]
    pub(crate) retention: Option<HumanDuration>,

    /// Spans in memory before they are written to a block
    #[arg(long, env = "CLEW_HEAD_MAX_SPANS", value_name = "N")]
    pub(crate) head_max_spans: Option<Count<1>>,

    /// Memory the head may take before it is written to a block, e.g. 1GiB
    #[arg(long, env = "CLEW_HEAD_MAX_BYTES", value_name = "SIZE")]
    pub(crate) head_max_bytes: Option<ByteSize>,

    /// Age of the oldest span in memory before a block is written
    #[arg(long, env = "CLEW_HEAD_MAX_AGE", value_name = "DURATION")]
    pub(crate) head_max_age: Option<HumanDuration>,

    /// Blocks of one level merged into one
    #[arg(long, env = "CLEW_COMPACTION_BLOCKS", value_name = "N")]
    pub(crate) compaction_blocks: Option<Count<2>>,

    /// Spans a compacted block holds at most
    #[arg(long, env = "CLEW_COMPACTION_MAX_SPANS", value_name = "N")]
    pub(crate) compaction_max_spans: Option<Count<1>>,

    /// Bytes of a write-ahead log segment before the next one starts
    #[arg(long, env = "CLEW_WAL_SEGMENT_BYTES", value_name = "SIZE")]
    pub(crate) wal_segment_bytes: Option<ByteSize>,

    /// Zstd level of blocks, 1 to 22
    #[arg(long, env = "CLEW_ZSTD_LEVEL", value_name = "LEVEL")]
    pub(crate) zstd_level: Option<ZstdLevel>,

    /// Rows per Parquet row group of blocks
    #[arg(long, env = "CLEW_ROW_GROUP_ROWS", value_name = "N")]
    pub(crate) row_group_rows: Option<Count<1>>,

    /// How often compaction and retention look for work
    #[arg(long, env = "CLEW_MAINTENANCE_INTERVAL", value_name = "DURATION")]
    pub(crate) maintenance_interval: Option<HumanDuration>,

    /// Free space below which writes are refused (503) before the disk is full
    #[arg(long, env = "CLEW_MIN_FREE_DISK_BYTES", value_name = "SIZE")]
    pub(crate) min_free_disk_bytes: Option<ByteSize>,

    /// Largest request body after decompression, e.g. 16MiB
    #[arg(long, env = "CLEW_MAX_REQUEST_BYTES", value_name = "SIZE")]
    pub(crate) max_request_bytes: Option<ByteSize>,

    /// Memory for decoding requests at once (estimated from each body); past it, requests wait, then get 503
    #[arg(long, env = "CLEW_MAX_DECODING_BYTES", value_name = "SIZE")]
    pub(crate) max_decoding_bytes: Option<ByteSize>,

    /// Attributes kept per span, event and link
    #[arg(long, env = "CLEW_MAX_ATTRIBUTES_PER_SPAN", value_name = "N")]
    pub(crate) max_attributes_per_span: Option<Count<0>>,

    /// Longest string (name, attribute key or value, status message…) kept before it is cut
    #[arg(long, env = "CLEW_MAX_VALUE_BYTES", value_name = "SIZE")]
    pub(crate) max_value_bytes: Option<ByteSize>,

    /// Events kept per span
    #[arg(long, env = "CLEW_MAX_EVENTS_PER_SPAN", value_name = "N")]
    pub(crate) max_events_per_span: Option<Count<0>>,

    /// Links kept per span
    #[arg(long, env = "CLEW_MAX_LINKS_PER_SPAN", value_name = "N")]
    pub(crate) max_links_per_span: Option<Count<0>>,

    /// Spans kept per trace in memory
    #[arg(long, env = "CLEW_MAX_SPANS_PER_TRACE", value_name = "N")]
    pub(crate) max_spans_per_trace: Option<Count<1>>,

    /// Open connections per listener (HTTP and gRPC) at most; more wait until one closes
    #[arg(long, env = "CLEW_MAX_CONNECTIONS", value_name = "N")]
    pub(crate) max_connections: Option<Count<1>>,

    /// Time for a request's headers to arrive; an idle keep-alive connection is closed after it
    #[arg(long, env = "CLEW_HEADER_TIMEOUT", value_name = "DURATION")]
    pub(crate) header_timeout: Option<HumanDuration>,

    /// Time for a request's body to arrive (408 after it); a gRPC call's time
    #[arg(long, env = "CLEW_BODY_TIMEOUT", value_name = "DURATION")]
    pub(crate) body_timeout: Option<HumanDuration>,

    /// Trace the server's own requests into its own store
    #[arg(long, env = "CLEW_SELF_TRACING", value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true")]
    pub(crate) self_tracing: Option<Switch>,

    /// Send a demo workload after start
    #[arg(long, env = "CLEW_DEMO", value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true")]
    pub(crate) demo: Option<Switch>,
}

fn non_empty_path(text: &str) -> Result<PathBuf, String> {
    if text.trim().is_empty() { Err("must not be empty".into()) } else { Ok(PathBuf::from(text)) }
}

/// What the settings come to: the server's, the embedded store's, and whether to send the
/// demo workload.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub(crate) server: ServerConfig,
    pub(crate) store: StoreConfig,
    pub(crate) demo: bool,
}

/// The default of each setting, as `--help` shows it.
fn defaults() -> Vec<(&'static str, String)> {
    let server = ServerConfig::default();
    let store = StoreConfig::new(DEFAULT_DATA_DIR);
    let duration = |duration| HumanDuration(duration).to_string();
    let bytes = |bytes: usize| ByteSize(bytes as u64).to_string();
    vec![
        ("data_dir", format!("./{DEFAULT_DATA_DIR}")),
        ("http_addr", server.http_addr.to_string()),
        ("otlp_grpc_addr", server.otlp_grpc_addr.to_string()),
        ("otlp_http_addr", server.otlp_http_addr.to_string()),
        ("zipkin_addr", server.zipkin_addr.to_string()),
        ("retention", duration(store.retention)),
        ("head_max_spans", store.head_max_spans.to_string()),
        ("head_max_bytes", bytes(store.head_max_bytes)),
        ("head_max_age", duration(store.head_max_age)),
        ("compaction_blocks", store.compaction_blocks.to_string()),
        ("compaction_max_spans", store.compaction_max_spans.to_string()),
        ("wal_segment_bytes", ByteSize(store.wal_segment_bytes).to_string()),
        ("zstd_level", store.zstd_level.to_string()),
        ("row_group_rows", store.row_group_rows.to_string()),
        ("maintenance_interval", duration(store.maintenance_interval)),
        ("min_free_disk_bytes", ByteSize(store.min_free_disk_bytes).to_string()),
        ("max_request_bytes", bytes(server.limits.max_request_bytes)),
        ("max_decoding_bytes", bytes(server.limits.max_decoding_bytes)),
        ("max_attributes_per_span", server.limits.max_attributes_per_span.to_string()),
        ("max_value_bytes", bytes(server.limits.max_value_bytes)),
        ("max_spans_per_trace", server.limits.max_spans_per_trace.to_string()),
        ("max_events_per_span", server.limits.max_events_per_span.to_string()),
        ("max_links_per_span", server.limits.max_links_per_span.to_string()),
        ("max_connections", server.max_connections.to_string()),
        ("header_timeout", duration(server.header_timeout)),
        ("body_timeout", duration(server.body_timeout)),
        ("self_tracing", server.self_tracing.to_string()),
        ("demo", "false".to_owned()),
    ]
}

/// `clew serve`'s command with each setting's default appended to its help.
pub(crate) fn with_defaults(mut command: clap::Command) -> clap::Command {
    for (id, default) in defaults() {
        command = command.mut_arg(id, |arg| {
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            arg.help(format!("{help} [default: {default}]"))
        });
    }
    command
}

/// A clap error about a setting, naming the `CLEW_*` variable when the bad value came from
/// the environment rather than the command line.
pub(crate) fn name_the_source(error: &clap::Error, args: &[OsString]) -> Option<String> {
    if error.kind() != ErrorKind::ValueValidation && error.kind() != ErrorKind::InvalidValue {
        return None;
    }
    let Some(ContextValue::String(arg)) = error.get(ContextKind::InvalidArg) else { return None };
    let flag = arg.split_whitespace().next()?.to_owned();
    let on_command_line = args
        .iter()
        .filter_map(|arg| arg.to_str())
        .any(|given| given == flag || given.strip_prefix(flag.as_str()).is_some_and(|rest| rest.starts_with('=')));
    if on_command_line {
        return None;
    }
    let variable = format!("CLEW_{}", flag.trim_start_matches('-').replace('-', "_").to_ascii_uppercase());
    let value = std::env::var(&variable).ok()?;
    let reason = error.source().map(ToString::to_string).unwrap_or_else(|| "invalid value".to_owned());
    Some(format!("{variable}={value}: {reason}"))
}

impl ServeSettings {
    /// These settings, and for each one they leave out, `file`'s.
    fn over(self, file: ServeSettings) -> ServeSettings {
        ServeSettings {
            config: self.config,
            data_dir: self.data_dir.or(file.data_dir),
            http_addr: self.http_addr.or(file.http_addr),
            otlp_grpc_addr: self.otlp_grpc_addr.or(file.otlp_grpc_addr),
            otlp_http_addr: self.otlp_http_addr.or(file.otlp_http_addr),
            zipkin_addr: self.zipkin_addr.or(file.zipkin_addr),
            retention: self.retention.or(file.retention),
            head_max_spans: self.head_max_spans.or(file.head_max_spans),
            head_max_bytes: self.head_max_bytes.or(file.head_max_bytes),
            head_max_age: self.head_max_age.or(file.head_max_age),
            compaction_blocks: self.compaction_blocks.or(file.compaction_blocks),
            compaction_max_spans: self.compaction_max_spans.or(file.compaction_max_spans),
            wal_segment_bytes: self.wal_segment_bytes.or(file.wal_segment_bytes),
            zstd_level: self.zstd_level.or(file.zstd_level),
            row_group_rows: self.row_group_rows.or(file.row_group_rows),
            maintenance_interval: self.maintenance_interval.or(file.maintenance_interval),
            min_free_disk_bytes: self.min_free_disk_bytes.or(file.min_free_disk_bytes),
            max_request_bytes: self.max_request_bytes.or(file.max_request_bytes),
            max_decoding_bytes: self.max_decoding_bytes.or(file.max_decoding_bytes),
            max_attributes_per_span: self.max_attributes_per_span.or(file.max_attributes_per_span),
            max_value_bytes: self.max_value_bytes.or(file.max_value_bytes),
            max_spans_per_trace: self.max_spans_per_trace.or(file.max_spans_per_trace),
            max_events_per_span: self.max_events_per_span.or(file.max_events_per_span),
            max_links_per_span: self.max_links_per_span.or(file.max_links_per_span),
            max_connections: self.max_connections.or(file.max_connections),
            header_timeout: self.header_timeout.or(file.header_timeout),
            body_timeout: self.body_timeout.or(file.body_timeout),
            self_tracing: self.self_tracing.or(file.self_tracing),
            demo: self.demo.or(file.demo),
        }
    }

    /// The settings of the flags and variables over those of the file they name, if any.
    pub(crate) fn load(self, read_file: impl Fn(&Path) -> std::io::Result<String>) -> Result<Resolved, String> {
        let Some(path) = self.config.clone() else { return Ok(self.resolve()) };
        let text = read_file(&path).map_err(|error| format!("--config: {}: {error}", path.display()))?;
        let file: ServeSettings =
            toml::from_str(&text).map_err(|error| format!("{}: {}", path.display(), error.to_string().trim_end()))?;
        Ok(self.over(file).resolve())
    }

    /// The configuration these settings make, the defaults filling what they leave out.
    fn resolve(self) -> Resolved {
        let size = |bytes: ByteSize| usize::try_from(bytes.0).unwrap_or(usize::MAX);
        let count = |number: u64| usize::try_from(number).unwrap_or(usize::MAX);
        let mut server = ServerConfig::default();
        let mut store = StoreConfig::new(self.data_dir.unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)));
        let addresses = [
            (self.http_addr, &mut server.http_addr),
            (self.otlp_grpc_addr, &mut server.otlp_grpc_addr),
            (self.otlp_http_addr, &mut server.otlp_http_addr),
            (self.zipkin_addr, &mut server.zipkin_addr),
        ];
        for (given, slot) in addresses {
            if let Some(ListenAddr(addr)) = given {
                *slot = addr;
            }
        }
        let durations = [
            (self.retention, &mut store.retention),
            (self.head_max_age, &mut store.head_max_age),
            (self.maintenance_interval, &mut store.maintenance_interval),
            (self.header_timeout, &mut server.header_timeout),
            (self.body_timeout, &mut server.body_timeout),
        ];
        for (given, slot) in durations {
            if let Some(HumanDuration(duration)) = given {
                *slot = duration;
            }
        }
        let sizes = [
            (self.head_max_bytes, &mut store.head_max_bytes),
            (self.max_request_bytes, &mut server.limits.max_request_bytes),
            (self.max_decoding_bytes, &mut server.limits.max_decoding_bytes),
            (self.max_value_bytes, &mut server.limits.max_value_bytes),
        ];
        for (given, slot) in sizes {
            if let Some(bytes) = given {
                *slot = size(bytes);
            }
        }
        let counts = [
            (self.head_max_spans.map(|Count(n)| n), &mut store.head_max_spans),
            (self.compaction_blocks.map(|Count(n)| n), &mut store.compaction_blocks),
            (self.row_group_rows.map(|Count(n)| n), &mut store.row_group_rows),
            (self.max_attributes_per_span.map(|Count(n)| n), &mut server.limits.max_attributes_per_span),
            (self.max_spans_per_trace.map(|Count(n)| n), &mut server.limits.max_spans_per_trace),
            (self.max_connections.map(|Count(n)| n), &mut server.max_connections),
            (self.max_events_per_span.map(|Count(n)| n), &mut server.limits.max_events_per_span),
            (self.max_links_per_span.map(|Count(n)| n), &mut server.limits.max_links_per_span),
        ];
        for (given, slot) in counts {
            if let Some(number) = given {
                *slot = count(number);
            }
        }
        if let Some(Count(spans)) = self.compaction_max_spans {
            store.compaction_max_spans = spans;
        }
        if let Some(ByteSize(bytes)) = self.wal_segment_bytes {
            store.wal_segment_bytes = bytes;
        }
        if let Some(ByteSize(bytes)) = self.min_free_disk_bytes {
            store.min_free_disk_bytes = bytes;
        }
        if let Some(ZstdLevel(level)) = self.zstd_level {
            store.zstd_level = level;
        }
        if let Some(Switch(on)) = self.self_tracing {
            server.self_tracing = on;
        }
        Resolved { server, store, demo: self.demo.is_some_and(|Switch(on)| on) }
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::Duration;

    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Serve {
        #[command(flatten)]
        settings: ServeSettings,
    }

    /// The settings of `flags` over those of `file` (read as `clew.toml`); no variables.
    fn load(flags: &[&str], file: Option<&str>) -> Result<Resolved, String> {
        let mut args = vec!["serve"];
        args.extend_from_slice(flags);
        let settings = Serve::try_parse_from(args).map_err(|error| error.to_string())?.settings;
        let file = file.map(str::to_owned);
        settings.load(|_| file.clone().ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file")))
    }

    #[test]
    fn flags_win_over_the_file_and_the_defaults_fill_the_rest() {
        let file = "data_dir = \"from-file\"\nretention = \"3d\"\nhead_max_spans = 10\nself_tracing = true\n";
        let resolved =
            load(&["--config", "clew.toml", "--data-dir", "from-flag", "--retention", "12h"], Some(file)).unwrap();
        assert_eq!(resolved.store.data_dir, PathBuf::from("from-flag"));
        assert_eq!(resolved.store.retention, Duration::from_secs(12 * 3600));
        assert_eq!(resolved.store.head_max_spans, 10);
        assert!(resolved.server.self_tracing);
        assert_eq!(resolved.server.http_addr, ServerConfig::default().http_addr);
        assert_eq!(resolved.store.zstd_level, StoreConfig::new("x").zstd_level);
    }

    #[test]
    fn every_setting_is_read_from_its_flag() {
        let resolved = load(
            &[
                "--data-dir=/tmp/x",
                "--http-addr=127.0.0.1:1",
                "--otlp-grpc-addr=:2",
                "--otlp-http-addr=3",
                "--zipkin-addr=[::1]:4",
                "--retention=1w",
                "--head-max-spans=1_000",
                "--head-max-bytes=2MiB",
                "--head-max-age=1m30s",
                "--compaction-blocks=3",
                "--compaction-max-spans=5000",
                "--wal-segment-bytes=1MiB",
                "--zstd-level=9",
                "--row-group-rows=128",
                "--maintenance-interval=250ms",
                "--min-free-disk-bytes=3MiB",
                "--max-request-bytes=1KiB",
                "--max-decoding-bytes=1MiB",
                "--max-attributes-per-span=5",
                "--max-value-bytes=64",
                "--max-spans-per-trace=7",
                "--max-events-per-span=8",
                "--max-links-per-span=9",
                "--max-connections=3",
                "--header-timeout=2s",
                "--body-timeout=3s",
                "--self-tracing",
                "--demo=yes",
            ],
            None,
        )
        .unwrap();
        let (server, store) = (&resolved.server, &resolved.store);
        assert_eq!(store.data_dir, PathBuf::from("/tmp/x"));
        assert_eq!(server.http_addr, "127.0.0.1:1".parse::<SocketAddr>().unwrap());
        assert_eq!(server.otlp_grpc_addr, "0.0.0.0:2".parse::<SocketAddr>().unwrap());
        assert_eq!(server.otlp_http_addr, "0.0.0.0:3".parse::<SocketAddr>().unwrap());
        assert_eq!(server.zipkin_addr, "[::1]:4".parse::<SocketAddr>().unwrap());
        assert_eq!(store.retention, Duration::from_secs(7 * 86_400));
        assert_eq!((store.head_max_spans, store.head_max_bytes), (1000, 2 << 20));
        assert_eq!(store.head_max_age, Duration::from_secs(90));
        assert_eq!((store.compaction_blocks, store.compaction_max_spans), (3, 5000));
        assert_eq!((store.wal_segment_bytes, store.zstd_level, store.row_group_rows), (1 << 20, 9, 128));
        assert_eq!(store.maintenance_interval, Duration::from_millis(250));
        assert_eq!(store.min_free_disk_bytes, 3 << 20);
        assert_eq!(
            server.limits,
            clew_server::Limits {
                max_request_bytes: 1024,
                max_decoding_bytes: 1 << 20,
                max_attributes_per_span: 5,
                max_value_bytes: 64,
                max_spans_per_trace: 7,
                max_events_per_span: 8,
                max_links_per_span: 9,
            }
        );
        assert!(server.self_tracing && resolved.demo);
        assert_eq!(
            (server.max_connections, server.header_timeout, server.body_timeout),
            (3, Duration::from_secs(2), Duration::from_secs(3))
        );
    }

    #[test]
    fn every_setting_is_read_from_the_file_as_text_or_as_a_toml_value() {
        let file = "http_addr = \":9\"\nhead_max_bytes = 4096\nhead_max_age = \"2s\"\nzstd_level = \"5\"\n\
                    max_value_bytes = \"1KiB\"\ndemo = \"on\"\nself_tracing = false\n";
        let resolved = load(&["--config=clew.toml"], Some(file)).unwrap();
        assert_eq!(resolved.server.http_addr, "0.0.0.0:9".parse::<SocketAddr>().unwrap());
        assert_eq!((resolved.store.head_max_bytes, resolved.store.zstd_level), (4096, 5));
        assert_eq!(resolved.store.head_max_age, Duration::from_secs(2));
        assert_eq!(resolved.server.limits.max_value_bytes, 1024);
        assert!(resolved.demo && !resolved.server.self_tracing);
    }

    #[test]
    fn bad_values_are_errors_that_name_the_setting_where_it_was_given() {
        let error = load(&["--retention", "soon"], None).unwrap_err();
        assert!(error.contains("--retention") && error.contains("\"soon\" is not a duration"), "{error}");
        let error = load(&["--compaction-blocks", "1"], None).unwrap_err();
        assert!(error.contains("--compaction-blocks") && error.contains("must be at least 2"), "{error}");
        let error = load(&["--head-max-bytes", "99999999999999999999GiB"], None).unwrap_err();
        assert!(error.contains("--head-max-bytes"), "{error}");
        let error = load(&["--self-tracing=maybe"], None).unwrap_err();
        assert!(error.contains("--self-tracing"), "{error}");
        let error = load(&["--zstd-level", "99"], None).unwrap_err();
        assert!(error.contains("--zstd-level") && error.contains("from 1 to 22"), "{error}");
        let error = load(&["--data-dir", ""], None).unwrap_err();
        assert!(error.contains("--data-dir") && error.contains("must not be empty"), "{error}");
        let error = load(&["--colour", "blue"], None).unwrap_err();
        assert!(error.contains("--colour"), "{error}");

        let error = load(&["--config", "x.toml"], Some("max_value_bytes = \"12 parsecs\"")).unwrap_err();
        assert!(error.starts_with("x.toml:") && error.contains("max_value_bytes"), "{error}");
        assert!(error.contains("\"12 parsecs\" has an unknown unit"), "{error}");
        let error = load(&["--config", "x.toml"], Some("colour = \"blue\"")).unwrap_err();
        assert!(error.contains("unknown field `colour`"), "{error}");
        let error = load(&["--config", "x.toml"], Some("config = \"other.toml\"")).unwrap_err();
        assert!(error.contains("unknown field `config`"), "a file cannot name another: {error}");
        let error = load(&["--config", "x.toml"], Some("data_dir = [1]")).unwrap_err();
        assert!(error.contains("data_dir"), "{error}");
        let error = load(&["--config", "x.toml"], Some("= broken")).unwrap_err();
        assert!(error.starts_with("x.toml:"), "{error}");
        let error = load(&["--config", "missing.toml"], None).unwrap_err();
        assert!(error.starts_with("--config: missing.toml: no such file"), "{error}");
    }

    #[test]
    fn help_shows_the_default_of_every_setting() {
        let mut command = with_defaults(<Serve as clap::CommandFactory>::command());
        let help = command.render_help().to_string();
        for (id, default) in defaults() {
            let flag = format!("--{}", id.replace('_', "-"));
            let line = help.lines().position(|line| line.contains(&flag)).unwrap_or_else(|| panic!("{flag}: {help}"));
            let text: String = help.lines().skip(line).take(3).collect();
            assert!(text.contains(&format!("[default: {default}]")), "{flag}: {text}");
        }
        assert!(help.contains("[default: 7d]") && help.contains("[default: 1GiB]"), "{help}");
    }
}
