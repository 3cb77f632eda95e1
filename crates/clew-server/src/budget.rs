//! The memory budget of requests being decoded: each receiver estimates what a body takes
//! decoded ([`crate::receivers::estimate`]) and reserves that much before decoding it; the
//! reservation lasts until the spans are in the store. Requests that do not fit wait a
//! little, then are answered "busy" (503, or RESOURCE_EXHAUSTED with a `RetryInfo`) so that
//! clients retry later instead of the server running out of memory; a request that would
//! take more than the whole budget, or far more than its own size, is refused outright.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a request waits for room in the budget before it is answered busy.
pub(crate) const WAIT: Duration = Duration::from_secs(2);

/// A request decodes to more than this many times its body: refused as malformed (no real
/// client sends bodies of empty items), before anything is decoded. Real OTLP traffic is
/// estimated at 5 to 15 times its size, a body of empty spans at 250 to 400.
pub(crate) const MAX_RATIO: usize = 64;

/// Bodies under this many bytes are never refused for their ratio.
const SMALL_BODY: usize = 64 << 10;

/// The budget is counted in units of this many bytes (a semaphore's permits are `u32`).
const UNIT: usize = 1024;

/// Room for decoded requests, shared by every receiver.
#[derive(Debug)]
pub(crate) struct DecodeBudget {
    permits: Arc<Semaphore>,
    units: u32,
    wait: Duration,
}

/// Why a request may not be decoded now.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum OverBudget {
    /// Its decoded form would be more than [`MAX_RATIO`] times its body.
    Malformed { estimate: usize, body: usize },
    /// Its decoded form would not fit in the whole budget.
    TooLarge { estimate: usize, budget: usize },
    /// The budget stayed full while the request waited.
    Busy { budget: usize },
}

impl std::fmt::Display for OverBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OverBudget::Malformed { estimate, body } => write!(
                f,
                "the request's {body} bytes would take {estimate} bytes to decode, more than \
                 {MAX_RATIO} times their size: too many empty items"
            ),
            OverBudget::TooLarge { estimate, budget } => write!(
                f,
                "the request would take {estimate} bytes to decode, more than all of max_decoding_bytes \
                 ({budget}): send smaller batches"
            ),
            OverBudget::Busy { budget } => {
                write!(f, "the server is decoding {budget} bytes of other requests (max_decoding_bytes); retry later")
            }
        }
    }
}

/// A reservation in the budget, given back when dropped.
#[derive(Debug)]
pub(crate) struct Reserved {
    _permit: OwnedSemaphorePermit,
}

impl DecodeBudget {
    /// A budget of `bytes` (at least one unit), where requests wait up to `wait` for room.
    pub(crate) fn new(bytes: usize, wait: Duration) -> DecodeBudget {
        let units = u32::try_from(bytes.div_ceil(UNIT)).unwrap_or(u32::MAX).max(1);
        DecodeBudget { permits: Arc::new(Semaphore::new(units as usize)), units, wait }
    }

    /// Reserves room for a request of `body` bytes that decodes to `estimate` bytes.
    pub(crate) async fn reserve(&self, body: usize, estimate: usize) -> Result<Reserved, OverBudget> {
        if body >= SMALL_BODY && estimate > body.saturating_mul(MAX_RATIO) {
            return Err(OverBudget::Malformed { estimate, body });
        }
        let budget = self.units as usize * UNIT;
        let units = match u32::try_from(estimate.div_ceil(UNIT)) {
            Ok(units) if units <= self.units => units.max(1),
            _ => return Err(OverBudget::TooLarge { estimate, budget }),
        };
        // Room now: no timer to set up.
        if let Ok(permit) = Arc::clone(&self.permits).try_acquire_many_owned(units) {
            return Ok(Reserved { _permit: permit });
        }
        let busy = OverBudget::Busy { budget };
        match tokio::time::timeout(self.wait, Arc::clone(&self.permits).acquire_many_owned(units)).await {
            Ok(Ok(permit)) => Ok(Reserved { _permit: permit }),
            // The semaphore is never closed; a timeout is the budget staying full.
            Ok(Err(_)) | Err(_) => Err(busy),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requests_share_the_budget_and_wait_for_room() {
        let budget = DecodeBudget::new(10 * UNIT, Duration::from_millis(50));
        let first = budget.reserve(UNIT, 6 * UNIT).await.expect("room for the first");
        assert_eq!(budget.reserve(UNIT, 6 * UNIT).await.unwrap_err(), OverBudget::Busy { budget: 10 * UNIT });
        let waiting = budget.reserve(UNIT, 6 * UNIT);
        drop(first);
        waiting.await.expect("room once the first is done");
    }

    #[tokio::test]
    async fn a_request_larger_than_the_budget_is_refused_and_one_as_large_runs_alone() {
        let budget = DecodeBudget::new(10 * UNIT, Duration::from_millis(50));
        let error = budget.reserve(UNIT, 10 * UNIT + 1).await.unwrap_err();
        assert_eq!(error, OverBudget::TooLarge { estimate: 10 * UNIT + 1, budget: 10 * UNIT });
        let alone = budget.reserve(UNIT, 10 * UNIT).await.expect("the whole budget");
        assert!(budget.reserve(UNIT, 1).await.is_err());
        drop(alone);
        budget.reserve(UNIT, 1).await.expect("room again");
    }

    #[tokio::test]
    async fn a_body_of_empty_items_is_refused_before_waiting() {
        let budget = DecodeBudget::new(10 * UNIT, Duration::from_millis(50));
        let body = SMALL_BODY;
        let error = budget.reserve(body, body * MAX_RATIO + 1).await.unwrap_err();
        assert_eq!(error, OverBudget::Malformed { estimate: body * MAX_RATIO + 1, body });
        assert!(error.to_string().contains("too many empty items"), "{error}");
        // A small body is never refused for its ratio.
        budget.reserve(10, 5000).await.expect("a small body");
    }
}
