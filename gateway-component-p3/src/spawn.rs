//! Starting a task beside the current one.
//!
//! wit-bindgen's executor adds a spawned task to its set only after the current poll returns,
//! and polls it first when something wakes the executor: a task spawned just before awaiting a
//! host call that needs it (the upstream send needs its body written) would never start. So
//! the spawner yields once, with itself woken, and the executor turns again at once.

use std::future::Future;
use std::task::Poll;

use spin_sdk::wasip3::wit_bindgen;

/// Run `task` beside the caller, started before the caller goes on.
pub async fn spawn(task: impl Future<Output = ()> + 'static) {
    wit_bindgen::spawn(task);
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if std::mem::replace(&mut yielded, true) {
            Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await;
}
