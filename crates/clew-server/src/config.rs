//! Settings of `clew serve`, and how they are read: defaults, then an optional TOML file,
//! then `CLEW_*` environment variables, then command-line flags, each later source winning.
//!
//! Every setting has one name, used in all three places: `data_dir` in the file,
//! `CLEW_DATA_DIR` in the environment, `--data-dir` on the command line. A bad value is an
//! error that names the setting and where it came from.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Limits applied to what arrives.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// The largest request body, after decompression, in bytes.
    pub max_request_bytes: usize,
    /// Attributes kept per span (and per event and link); the rest are dropped and counted.
    pub max_attributes_per_span: usize,
    /// String values longer than this many bytes are cut and marked.
    pub max_value_bytes: usize,
    /// Spans kept per trace in memory; later spans of a trace are refused and counted.
    pub max_spans_per_trace: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_request_bytes: 16 << 20,
            max_attributes_per_span: 256,
            max_value_bytes: 16 << 10,
            max_spans_per_trace: 200_000,
        }
    }
}

/// Everything `clew serve` can be told.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    /// Where the store keeps its files.
    pub data_dir: PathBuf,
    /// The query APIs, metrics and health checks.
    pub http_addr: SocketAddr,
    /// OTLP over gRPC.
    pub otlp_grpc_addr: SocketAddr,
    /// OTLP over HTTP.
    pub otlp_http_addr: SocketAddr,
    /// Zipkin v2 (ingest, and the read API as well).
    pub zipkin_addr: SocketAddr,
    /// Blocks older than this are deleted.
    pub retention: Duration,
    /// The head is written to a block at this many spans…
    pub head_max_spans: usize,
    /// …or this many bytes…
    pub head_max_bytes: usize,
    /// …or at this age.
    pub head_max_age: Duration,
    /// Blocks of one level are compacted into one at this count.
    pub compaction_blocks: usize,
    /// Limits on what arrives.
    pub limits: Limits,
    /// Trace the server's own requests with clew (into its own store).
    pub self_tracing: bool,
    /// Send a demo workload into the server after it starts.
    pub demo: bool,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            data_dir: PathBuf::from("clew-data"),
            http_addr: SocketAddr::from(([0, 0, 0, 0], 16686)),
            otlp_grpc_addr: SocketAddr::from(([0, 0, 0, 0], 4317)),
            otlp_http_addr: SocketAddr::from(([0, 0, 0, 0], 4318)),
            zipkin_addr: SocketAddr::from(([0, 0, 0, 0], 9411)),
            retention: Duration::from_secs(7 * 24 * 3600),
            head_max_spans: 1_000_000,
            head_max_bytes: 512 << 20,
            head_max_age: Duration::from_secs(120),
            compaction_blocks: 4,
            limits: Limits::default(),
            self_tracing: false,
            demo: false,
        }
    }
}

/// A setting with a bad value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The setting, as named where it was given (`--data-dir`, `CLEW_DATA_DIR`, `data_dir`).
    pub setting: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.setting, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// The settings, by their file names, with a one-line description for `--help`.
pub const SETTINGS: [(&str, &str); 17] = [
    ("config", "TOML file of settings (flags and CLEW_* variables win over it)"),
    ("data_dir", "directory of the store [default: ./clew-data]"),
    ("http_addr", "address of the query APIs, UI, /metrics and health checks [default: 0.0.0.0:16686]"),
    ("otlp_grpc_addr", "address of OTLP/gRPC [default: 0.0.0.0:4317]"),
    ("otlp_http_addr", "address of OTLP/HTTP [default: 0.0.0.0:4318]"),
    ("zipkin_addr", "address of the Zipkin v2 API [default: 0.0.0.0:9411]"),
    ("retention", "how long blocks are kept, e.g. 7d, 12h [default: 7d]"),
    ("head_max_spans", "spans in memory before they are written to a block [default: 1000000]"),
    ("head_max_bytes", "bytes in memory before they are written to a block, e.g. 512MiB [default: 512MiB]"),
    ("head_max_age", "age of the oldest span in memory before a block is written [default: 2m]"),
    ("compaction_blocks", "blocks of one level merged into one [default: 4]"),
    ("max_request_bytes", "largest request body after decompression, e.g. 16MiB [default: 16MiB]"),
    ("max_attributes_per_span", "attributes kept per span, event and link [default: 256]"),
    ("max_value_bytes", "longest string value kept before it is cut [default: 16KiB]"),
    ("max_spans_per_trace", "spans kept per trace in memory [default: 200000]"),
    ("self_tracing", "trace the server's own requests, true or false [default: false]"),
    ("demo", "send a demo workload after start, true or false [default: false]"),
];

/// Where a value came from, to name the setting in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The TOML file.
    File,
    /// A `CLEW_*` variable.
    Env,
    /// A command-line flag.
    Flag,
}

impl Source {
    /// The setting's name as written in this source.
    pub fn name(self, setting: &str) -> String {
        match self {
            Source::File => setting.to_owned(),
            Source::Env => format!("CLEW_{}", setting.to_ascii_uppercase()),
            Source::Flag => format!("--{}", setting.replace('_', "-")),
        }
    }
}

impl ServerConfig {
    /// Sets one setting from its text; `source` names it in the error.
    pub fn set(&mut self, setting: &str, value: &str, source: Source) -> Result<(), ConfigError> {
        let error = |message: String| ConfigError { setting: source.name(setting), message };
        let value = value.trim();
        match setting {
            "data_dir" if value.is_empty() => return Err(error("must not be empty".into())),
            "data_dir" => self.data_dir = PathBuf::from(value),
            "http_addr" => self.http_addr = parse_addr(value).map_err(error)?,
            "otlp_grpc_addr" => self.otlp_grpc_addr = parse_addr(value).map_err(error)?,
            "otlp_http_addr" => self.otlp_http_addr = parse_addr(value).map_err(error)?,
            "zipkin_addr" => self.zipkin_addr = parse_addr(value).map_err(error)?,
            "retention" => self.retention = parse_duration(value).map_err(error)?,
            "head_max_spans" => self.head_max_spans = parse_count(value).map_err(error)?,
            "head_max_bytes" => self.head_max_bytes = parse_bytes(value).map_err(error)?,
            "head_max_age" => self.head_max_age = parse_duration(value).map_err(error)?,
            "compaction_blocks" => {
                self.compaction_blocks = parse_count(value).map_err(error)?;
                if self.compaction_blocks < 2 {
                    return Err(error("must be at least 2".into()));
                }
            }
            "max_request_bytes" => self.limits.max_request_bytes = parse_bytes(value).map_err(error)?,
            "max_attributes_per_span" => self.limits.max_attributes_per_span = parse_count(value).map_err(error)?,
            "max_value_bytes" => self.limits.max_value_bytes = parse_bytes(value).map_err(error)?,
            "max_spans_per_trace" => self.limits.max_spans_per_trace = parse_count(value).map_err(error)?,
            "self_tracing" => self.self_tracing = parse_bool(value).map_err(error)?,
            "demo" => self.demo = parse_bool(value).map_err(error)?,
            _ => return Err(error("unknown setting".into())),
        }
        Ok(())
    }

    /// Applies a TOML file's settings. Values may be strings, integers or booleans.
    pub fn apply_toml(&mut self, text: &str) -> Result<(), ConfigError> {
        let table: toml::Table =
            text.parse().map_err(|error| ConfigError { setting: "config".into(), message: format!("{error}") })?;
        for (key, value) in &table {
            let text = match value {
                toml::Value::String(text) => text.clone(),
                toml::Value::Integer(number) => number.to_string(),
                toml::Value::Boolean(flag) => flag.to_string(),
                other => {
                    return Err(ConfigError {
                        setting: key.clone(),
                        message: format!("expected a string, integer or boolean, found {}", other.type_str()),
                    });
                }
            };
            if key == "config" {
                return Err(ConfigError { setting: key.clone(), message: "a config file cannot name another".into() });
            }
            self.set(key, &text, Source::File)?;
        }
        Ok(())
    }

    /// Applies every `CLEW_*` variable that names a setting.
    pub fn apply_env(&mut self, lookup: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        for (setting, _) in SETTINGS.iter().skip(1) {
            if let Some(value) = lookup(&Source::Env.name(setting)) {
                self.set(setting, &value, Source::Env)?;
            }
        }
        Ok(())
    }

    /// Reads the settings: defaults, the TOML file (named by `--config` or `CLEW_CONFIG`),
    /// `CLEW_*` variables, then `flags` (pairs of setting name and value).
    pub fn load(
        flags: &[(String, String)],
        lookup: impl Fn(&str) -> Option<String>,
        read_file: impl Fn(&std::path::Path) -> std::io::Result<String>,
    ) -> Result<ServerConfig, ConfigError> {
        let mut config = ServerConfig::default();
        let file = flags
            .iter()
            .rev()
            .find(|(name, _)| name == "config")
            .map(|(_, value)| (value.clone(), Source::Flag))
            .or_else(|| lookup("CLEW_CONFIG").map(|value| (value, Source::Env)));
        if let Some((path, source)) = file {
            let text = read_file(std::path::Path::new(&path))
                .map_err(|error| ConfigError { setting: source.name("config"), message: format!("{path}: {error}") })?;
            config.apply_toml(&text).map_err(|error| ConfigError {
                setting: error.setting,
                message: format!("{} (in {path})", error.message),
            })?;
        }
        config.apply_env(lookup)?;
        for (name, value) in flags {
            if name != "config" {
                config.set(name, value, Source::Flag)?;
            }
        }
        Ok(config)
    }
}

fn parse_addr(text: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = text.parse() {
        return Ok(addr);
    }
    // ":4318" and a bare port listen on every interface.
    let port = text.strip_prefix(':').unwrap_or(text);
    port.parse::<u16>()
        .map(|port| SocketAddr::from(([0, 0, 0, 0], port)))
        .map_err(|_| format!("{text:?} is not an address like 127.0.0.1:4318, :4318 or 4318"))
}

fn parse_count(text: &str) -> Result<usize, String> {
    let digits: String = text.chars().filter(|c| *c != '_').collect();
    digits.parse::<usize>().map_err(|_| format!("{text:?} is not a whole number"))
}

fn parse_bool(text: &str) -> Result<bool, String> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(format!("{text:?} is not true or false")),
    }
}

/// `16MiB`, `512KB`, `1024`: a size in bytes.
pub(crate) fn parse_bytes(text: &str) -> Result<usize, String> {
    let split = text.find(|c: char| !c.is_ascii_digit() && c != '_').unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number = parse_count(number).map_err(|_| format!("{text:?} is not a size like 16MiB or 1048576"))?;
    let scale: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("{text:?} has an unknown unit (use B, KiB, MiB or GiB)")),
    };
    number.checked_mul(scale).ok_or_else(|| format!("{text:?} is too large"))
}

/// `7d`, `12h`, `30m`, `45s`, `1h30m`, `250ms`: a duration.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("{text:?} is not a duration like 7d, 12h, 30m, 45s or 250ms");
    if text.is_empty() {
        return Err(bad());
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return Err(bad());
        }
        let number: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(1),
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            "d" => Duration::from_secs(86_400),
            "w" => Duration::from_secs(7 * 86_400),
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        let part = unit.checked_mul(u32::try_from(number).map_err(|_| bad())?).ok_or_else(bad)?;
        total = total.checked_add(part).ok_or_else(bad)?;
    }
    Ok(total)
}

/// A lookback such as `1h`, `30m` or `2d`, in nanoseconds.
pub fn parse_lookback(text: &str) -> Result<u64, String> {
    parse_duration(text).map(|duration| u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn load(flags: &[(&str, &str)], env: &[(&str, &str)], file: Option<&str>) -> Result<ServerConfig, ConfigError> {
        let flags: Vec<(String, String)> = flags.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let env: HashMap<String, String> = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let file = file.map(str::to_owned);
        ServerConfig::load(
            &flags,
            |name| env.get(name).cloned(),
            |_| file.clone().ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file")),
        )
    }

    #[test]
    fn flags_win_over_variables_which_win_over_the_file() {
        let file = "data_dir = \"from-file\"\nretention = \"3d\"\nhead_max_spans = 10\nself_tracing = true\n";
        let config = load(
            &[("config", "clew.toml"), ("data_dir", "from-flag")],
            &[("CLEW_DATA_DIR", "from-env"), ("CLEW_RETENTION", "12h")],
            Some(file),
        )
        .unwrap();
        assert_eq!(config.data_dir, PathBuf::from("from-flag"));
        assert_eq!(config.retention, Duration::from_secs(12 * 3600));
        assert_eq!(config.head_max_spans, 10);
        assert!(config.self_tracing);
        assert_eq!(config.http_addr, ServerConfig::default().http_addr);
    }

    #[test]
    fn every_setting_is_read_from_its_flag() {
        let config = load(
            &[
                ("http_addr", "127.0.0.1:1"),
                ("otlp_grpc_addr", ":2"),
                ("otlp_http_addr", "3"),
                ("zipkin_addr", "[::1]:4"),
                ("retention", "1w"),
                ("head_max_spans", "1_000"),
                ("head_max_bytes", "2MiB"),
                ("head_max_age", "1m30s"),
                ("compaction_blocks", "3"),
                ("max_request_bytes", "1KiB"),
                ("max_attributes_per_span", "5"),
                ("max_value_bytes", "64"),
                ("max_spans_per_trace", "7"),
                ("demo", "yes"),
            ],
            &[],
            None,
        )
        .unwrap();
        assert_eq!(config.http_addr, "127.0.0.1:1".parse().unwrap());
        assert_eq!(config.otlp_grpc_addr, "0.0.0.0:2".parse().unwrap());
        assert_eq!(config.otlp_http_addr, "0.0.0.0:3".parse().unwrap());
        assert_eq!(config.zipkin_addr, "[::1]:4".parse().unwrap());
        assert_eq!(config.retention, Duration::from_secs(7 * 86_400));
        assert_eq!(config.head_max_spans, 1000);
        assert_eq!(config.head_max_bytes, 2 << 20);
        assert_eq!(config.head_max_age, Duration::from_secs(90));
        assert_eq!(config.compaction_blocks, 3);
        assert_eq!(
            config.limits,
            Limits { max_request_bytes: 1024, max_attributes_per_span: 5, max_value_bytes: 64, max_spans_per_trace: 7 }
        );
        assert!(config.demo);
    }

    #[test]
    fn bad_values_are_errors_that_name_the_setting_where_it_was_given() {
        let error = load(&[("retention", "soon")], &[], None).unwrap_err();
        assert_eq!(error.setting, "--retention");
        assert!(error.message.contains("\"soon\" is not a duration"), "{error}");
        let error = load(&[], &[("CLEW_HTTP_ADDR", "localhost:port")], None).unwrap_err();
        assert_eq!(error.setting, "CLEW_HTTP_ADDR");
        let error = load(&[("config", "x.toml")], &[], Some("max_value_bytes = \"12 parsecs\"")).unwrap_err();
        assert_eq!(error.setting, "max_value_bytes");
        assert!(error.message.contains("(in x.toml)"), "{error}");
        let error = load(&[("config", "x.toml")], &[], Some("colour = \"blue\"")).unwrap_err();
        assert_eq!((error.setting.as_str(), error.message.as_str()), ("colour", "unknown setting (in x.toml)"));
        let error = load(&[("config", "x.toml")], &[], Some("data_dir = [1]")).unwrap_err();
        assert!(error.message.contains("found array"), "{error}");
        let error = load(&[("config", "x.toml")], &[], Some("= broken")).unwrap_err();
        assert_eq!(error.setting, "config");
        let error = load(&[("config", "missing.toml")], &[], None).unwrap_err();
        assert_eq!(error.setting, "--config");
        let error = load(&[("compaction_blocks", "1")], &[], None).unwrap_err();
        assert_eq!(error.message, "must be at least 2");
        let error = load(&[("head_max_bytes", "99999999999999999999GiB")], &[], None).unwrap_err();
        assert_eq!(error.setting, "--head-max-bytes");
        let error = load(&[("retention", "99999999999d")], &[], None).unwrap_err();
        assert_eq!(error.setting, "--retention");
        let error = load(&[("self_tracing", "maybe")], &[], None).unwrap_err();
        assert_eq!(error.setting, "--self-tracing");
    }

    #[test]
    fn sizes_and_durations_parse_with_their_units() {
        assert_eq!(parse_bytes("512"), Ok(512));
        assert_eq!(parse_bytes("4k"), Ok(4096));
        assert_eq!(parse_bytes("16MiB"), Ok(16 << 20));
        assert!(parse_bytes("MiB").is_err());
        assert!(parse_bytes("1TB").is_err());
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("1y").is_err());
    }
}
