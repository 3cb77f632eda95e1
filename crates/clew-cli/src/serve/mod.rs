//! `clew serve`: starts the server, opens the embedded store behind it (the ports answer
//! while the log replays), and runs until SIGINT or
//! SIGTERM, when the server stops accepting, finishes what is in flight and closes the
//! store. Its settings are in [`settings`].

pub(crate) mod settings;
mod values;

use std::sync::Arc;

use clew_store_embedded::EmbeddedStore;

use crate::{client, demo, log};
use settings::{Resolved, ServeSettings};

/// Reads the settings and serves until told to stop.
pub(crate) fn run(settings: ServeSettings) -> Result<(), String> {
    let resolved = settings.load(|path| std::fs::read_to_string(path))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("clew-serve")
        .build()
        .map_err(|error| format!("cannot start the runtime: {error}"))?;
    runtime.block_on(serve(resolved))
}

/// File descriptors kept for what is not a connection: the listeners, the log, block
/// files being read, the runtime's own.
const FILES_BESIDES_CONNECTIONS: u64 = 64;

/// Makes the four listeners' `max_connections` fit under the open-file limit: the soft
/// limit is raised towards the hard one when it is too low (as Go's runtime does), and
/// `max_connections` lowered if that is not enough, so that connections cannot use up the
/// descriptors the store needs. Returns what was done, for the log.
fn fit_open_files(config: &mut clew_server::ServerConfig) -> Option<String> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let listeners = 4;
    let needed = (config.max_connections as u64).saturating_mul(listeners).saturating_add(FILES_BESIDES_CONNECTIONS);
    let limit = getrlimit(Resource::Nofile);
    let soft = limit.current?;
    if soft >= needed {
        return None;
    }
    let raised = limit.maximum.map_or(needed, |hard| hard.min(needed));
    let raise = Rlimit { current: Some(raised), maximum: limit.maximum };
    if raised > soft && setrlimit(Resource::Nofile, raise).is_ok() && raised >= needed {
        return Some(format!("raised the open-file limit from {soft} to {raised}"));
    }
    let files = getrlimit(Resource::Nofile).current.unwrap_or(soft);
    let fitting = (files.saturating_sub(FILES_BESIDES_CONNECTIONS) / listeners).max(1);
    let before = config.max_connections;
    config.max_connections = usize::try_from(fitting).unwrap_or(usize::MAX).min(before);
    Some(format!(
        "max_connections lowered from {before} to {} per listener to fit the open-file limit of {files}",
        config.max_connections
    ))
}

async fn serve(resolved: Resolved) -> Result<(), String> {
    let Resolved { server: mut config, store: store_config, demo } = resolved;
    if let Some(done) = fit_open_files(&mut config) {
        log(&format!("clew serve: {done}"));
    }
    let data_dir = store_config.data_dir.clone();
    // The ports open first; requests wait while the log replays.
    let opening = clew_server::OpeningStore::new("replaying the write-ahead log");
    let mut server = clew_server::start(config, Arc::clone(&opening) as _).await.map_err(|error| error.to_string())?;
    log(&format!(
        "clew serve: query API and UI on http://{}, OTLP/gRPC on {}, OTLP/HTTP on http://{}, Zipkin on http://{}",
        server.http_addr, server.otlp_grpc_addr, server.otlp_http_addr, server.zipkin_addr
    ));
    let opened = tokio::task::spawn_blocking(move || EmbeddedStore::open(store_config))
        .await
        .map_err(|error| format!("opening the store was cancelled: {error}"))
        .and_then(|opened| opened.map_err(|error| format!("store: {error}")));
    let report = match opened {
        Ok((store, report)) => {
            opening.open(Arc::new(store));
            report
        }
        Err(error) => {
            opening.fail(error.clone());
            let _ = server.shutdown().await;
            return Err(error);
        }
    };
    log(&format!(
        "clew serve: data in {} ({} blocks, {} spans replayed from the log)",
        data_dir.display(),
        report.blocks,
        report.replayed_spans
    ));
    for damage in &report.damage {
        log(&format!(
            "clew serve: cut {} damaged bytes at offset {} of {} ({})",
            damage.discarded_bytes,
            damage.offset,
            damage.path.display(),
            damage.reason
        ));
    }
    for reason in &report.undecodable_records {
        log(&format!("clew serve: skipped a log record that passed its checksum but could not be decoded: {reason}"));
    }
    for (path, reason) in &report.unreadable_blocks {
        log(&format!("clew serve: skipped unreadable block {}: {reason}", path.display()));
    }
    if demo {
        let endpoint = format!("http://{}", client::loopback(server.otlp_http_addr));
        tokio::task::spawn_blocking(move || {
            if let Err(error) = demo::send(&endpoint, demo::DEFAULT_TRACES) {
                log(&format!("clew serve: the demo workload failed: {error}"));
            }
        });
    }
    let failure = tokio::select! {
        () = shutdown_signal() => None,
        error = server.wait_for_failure() => Some(error),
    };
    log("clew serve: shutting down, writing the head to a block");
    server.shutdown().await.map_err(|error| error.to_string())?;
    match failure {
        Some(error) => Err(error.to_string()),
        None => Ok(()),
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => {
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
