//! What can go wrong in a store, as a caller sees it.

use std::error::Error;
use std::fmt;

/// Why a store could not do what was asked.
///
/// The kinds are what a caller acts on: retry later ([`Busy`](StoreError::Busy)), stop
/// ([`Closed`](StoreError::Closed)), fix the request ([`InvalidQuery`](StoreError::InvalidQuery)),
/// or report the engine's own failure ([`Backend`](StoreError::Backend)), whose source is
/// the engine's error (a file, a block, a log, a database answer) to be read or downcast.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// Too much is waiting to be written out; try again after a while.
    Busy {
        /// What is full.
        reason: String,
    },
    /// The store is closed.
    Closed,
    /// The query asks for something the store does not answer.
    InvalidQuery {
        /// What is wrong with it.
        reason: String,
    },
    /// The engine failed.
    Backend {
        /// What the engine was doing, or on what (a file, a block).
        context: String,
        /// The engine's error.
        source: Box<dyn Error + Send + Sync>,
    },
}

impl StoreError {
    /// A failure of the engine while doing `context`.
    ///
    /// ```
    /// use clew_store::StoreError;
    ///
    /// let io = std::io::Error::new(std::io::ErrorKind::StorageFull, "no space left");
    /// let error = StoreError::backend("blocks/0001", io);
    /// assert_eq!(error.to_string(), "blocks/0001: no space left");
    /// let source = std::error::Error::source(&error).unwrap();
    /// assert!(source.downcast_ref::<std::io::Error>().is_some());
    /// ```
    pub fn backend(context: impl Into<String>, source: impl Into<Box<dyn Error + Send + Sync>>) -> StoreError {
        StoreError::Backend { context: context.into(), source: source.into() }
    }

    /// The engine's error of a [`Backend`](StoreError::Backend) failure, if it is an `E`.
    pub fn backend_source<E: Error + 'static>(&self) -> Option<&E> {
        match self {
            StoreError::Backend { source, .. } => source.downcast_ref::<E>(),
            _ => None,
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Busy { reason } => write!(f, "the store is busy: {reason}"),
            StoreError::Closed => f.write_str("the store is closed"),
            StoreError::InvalidQuery { reason } => write!(f, "invalid query: {reason}"),
            StoreError::Backend { context, source } => write!(f, "{context}: {source}"),
        }
    }
}

impl Error for StoreError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            StoreError::Backend { source, .. } => Some(source.as_ref()),
            _ => None,
        }
    }
}
