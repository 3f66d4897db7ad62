//! Driving the request flow on a host whose calls all complete before they return (WASI 0.2):
//! every future the core awaits there is ready when first polled, so no executor, waker or
//! thread is needed.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Run `future` to completion by polling it. Meant for futures built only on a host whose
/// calls block (WASI 0.2, the tests' in-memory hosts): they never stay pending, so this never
/// spins more than once. A future that waits on a real event source belongs on that source's
/// executor instead (the WASI 0.3 component's).
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::hint::spin_loop();
    }
}

/// `.now()` on a future in a test: [`block_on`] it where an `.await` would go.
#[cfg(test)]
pub(crate) trait Now: Future + Sized {
    fn now(self) -> Self::Output {
        block_on(self)
    }
}

#[cfg(test)]
impl<F: Future> Now for F {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_of_ready_futures_completes_in_one_call() {
        async fn double(n: u32) -> u32 {
            n * 2
        }
        assert_eq!(block_on(async { double(double(3).await).await }), 12);
    }

    #[test]
    fn a_future_that_is_pending_once_is_polled_again() {
        let mut polled = false;
        let once = std::future::poll_fn(|_| {
            if polled {
                Poll::Ready("done")
            } else {
                polled = true;
                Poll::Pending
            }
        });
        assert_eq!(block_on(once), "done");
    }
}
