//! A host that serves many requests per instance keeps its recent store reads
//! ([`crate::memo`]): fewer reads, a 401 still answered from the store, and requests that
//! interleave at each await sharing it without conflict.

use std::cell::RefCell;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Waker};

use super::*;
use crate::auth::token::TOKEN_KEY;
use crate::memo::Memo;

fn remembering(answers: Vec<Answer>) -> FakeHost {
    FakeHost {
        memo: Some(Memo::default()),
        ..FakeHost::new(answers)
    }
}

fn gets(host: &FakeHost) -> usize {
    host.kv.op_counts().gets
}

#[test]
fn the_next_request_of_an_instance_reads_nothing_the_last_one_read() {
    let host = remembering(vec![(200, ANSWER.to_vec()), (200, ANSWER.to_vec())]);
    assert_eq!(host.chat(false).head.map(|h| h.0), Some(200));
    let first = gets(&host);
    assert!(first > 0);
    assert_eq!(host.chat(false).head.map(|h| h.0), Some(200));
    assert_eq!(
        gets(&host),
        first,
        "the second request read the store again"
    );

    let plain = FakeHost::new(vec![(200, ANSWER.to_vec()), (200, ANSWER.to_vec())]);
    plain.chat(false);
    plain.chat(false);
    assert_eq!(
        gets(&plain),
        2 * first,
        "without a memo every request reads"
    );
}

#[test]
fn a_401_on_a_remembered_token_takes_the_one_another_instance_stored() {
    let host = remembering(vec![
        (200, ANSWER.to_vec()),
        (401, vec![b"{}"]),
        (200, ANSWER.to_vec()),
    ]);
    host.chat(false);
    let before = stored(&*host.kv);
    // Another instance refreshed meanwhile; this one still holds the old token.
    let mut other = record(Some(NOW + 7200), NOW);
    other.access_token = crate::auth::token::Secret::new("at-other");
    store(&*host.kv, &other);
    assert_ne!(before.access_token.expose(), "at-other");

    assert_eq!(host.chat(false).head.map(|h| h.0), Some(200));
    let calls = host.calls.borrow();
    let bearer = |i: usize| -> Option<String> {
        let (_, headers) = calls.get(i)?;
        let auth = headers.iter().find(|(n, _)| n == "authorization")?;
        Some(auth.1.clone())
    };
    assert_eq!(
        calls.len(),
        3,
        "no refresh call: the store had a newer token"
    );
    assert_eq!(
        bearer(1),
        Some(format!("Bearer {}", before.access_token.expose()))
    );
    assert_eq!(bearer(2).as_deref(), Some("Bearer at-other"));
    drop(calls);
    // And the replacement is what the instance remembers now.
    let kv = host.kv.clone();
    let reads = crate::memo::Reads::new(&*kv, host.memo.as_ref(), &host);
    kv.delete(TOKEN_KEY).unwrap();
    assert!(reads.get(TOKEN_KEY).unwrap().is_some());
}

/// Poll both to the end, a turn each, as a WASIp3 executor interleaves an instance's requests.
fn interleave(a: impl Future<Output = ()>, b: impl Future<Output = ()>) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut a_done, mut b_done) = (false, false);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..10_000 {
        a_done = a_done || a.as_mut().poll(&mut cx).is_ready();
        b_done = b_done || b.as_mut().poll(&mut cx).is_ready();
        if a_done && b_done {
            return;
        }
    }
    panic!("the interleaved requests never finished");
}

#[test]
fn requests_interleaved_at_each_await_share_the_memo_and_both_answer() {
    let host = FakeHost {
        send_yields: true,
        ..remembering(vec![(200, ANSWER.to_vec()), (200, ANSWER.to_vec())])
    };
    let (one, two) = (RefCell::new(Sent::default()), RefCell::new(Sent::default()));
    interleave(
        serve(&host, chat_request(false), RecordingReply(&one)),
        serve(&host, chat_request(true), RecordingReply(&two)),
    );
    for sent in [one.into_inner(), two.into_inner()] {
        assert_eq!(sent.head.map(|h| h.0), Some(200));
        assert_eq!(sent.ended, Some(true));
    }
    assert_eq!(host.urls().len(), 2);
}
