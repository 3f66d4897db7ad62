//! The answer's head, passed from the flow (a spawned task that goes on writing the body) to
//! the export call that returns it to the host.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use spin_sdk::wasip3::http::types::Response;

#[derive(Default)]
struct Slot {
    response: Option<Response>,
    /// The flow ended (or sent): no head will come after this.
    closed: bool,
    waker: Option<Waker>,
}

/// The flow's end: sends the head once.
pub struct HeadSender(Rc<RefCell<Slot>>);

/// The export's end: resolves to the head, or `None` if the flow ended without one.
pub struct HeadReceiver(Rc<RefCell<Slot>>);

/// A one-shot pair for one request's head.
pub fn channel() -> (HeadSender, HeadReceiver) {
    let slot = Rc::new(RefCell::new(Slot::default()));
    (HeadSender(slot.clone()), HeadReceiver(slot))
}

impl HeadSender {
    /// Hand `response` over; false if nobody is waiting for it any more.
    pub fn send(self, response: Response) -> bool {
        if Rc::strong_count(&self.0) < 2 {
            return false;
        }
        let Ok(mut slot) = self.0.try_borrow_mut() else {
            return false;
        };
        slot.response = Some(response);
        true
        // Dropping `self` after this wakes the receiver.
    }
}

impl Drop for HeadSender {
    fn drop(&mut self) {
        if let Ok(mut slot) = self.0.try_borrow_mut() {
            slot.closed = true;
            if let Some(waker) = slot.waker.take() {
                waker.wake();
            }
        }
    }
}

impl Future for HeadReceiver {
    type Output = Option<Response>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Ok(mut slot) = self.0.try_borrow_mut() else {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        };
        if let Some(response) = slot.response.take() {
            return Poll::Ready(Some(response));
        }
        if slot.closed {
            return Poll::Ready(None);
        }
        slot.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}
