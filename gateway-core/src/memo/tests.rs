use super::*;
use std::cell::Cell;

use crate::auth::mem_kv::MemKv;

/// A clock the test sets.
#[derive(Default)]
struct At(Cell<i64>);

impl Clock for At {
    fn now_ms(&self) -> i64 {
        self.0.get()
    }
    fn sleep_ms(&self, _ms: u64) {}
}

fn at(ms: i64) -> At {
    At(Cell::new(ms))
}

fn gets(store: &MemKv) -> usize {
    store.op_counts().gets
}

#[test]
fn a_read_serves_later_requests_of_the_instance_until_it_is_a_second_old() {
    let (store, memo, clock) = (MemKv::new(), Memo::default(), at(10_000));
    store.set("k", b"one").unwrap();
    let reads = Reads::new(&store, Some(&memo), &clock);
    assert_eq!(reads.get("k").unwrap(), Some(b"one".to_vec()));
    store.set("k", b"two").unwrap();
    // One request's view ages with the clock, not with when it began.
    let get_at = |now| {
        clock.0.set(now);
        reads.get("k").unwrap()
    };
    assert_eq!((get_at(10_999), gets(&store)), (Some(b"one".to_vec()), 1));
    assert_eq!((get_at(11_000), gets(&store)), (Some(b"two".to_vec()), 2));
    // A clock that stepped back never serves the old value.
    assert_eq!((get_at(9_000), gets(&store)), (Some(b"two".to_vec()), 3));
}

#[test]
fn absence_is_remembered_too_and_own_writes_are_seen_at_once() {
    let (store, memo, clock) = (MemKv::new(), Memo::default(), at(0));
    let reads = Reads::new(&store, Some(&memo), &clock);
    assert_eq!(reads.get("k").unwrap(), None);
    assert_eq!((reads.get("k").unwrap(), gets(&store)), (None, 1));
    reads.set("k", b"v").unwrap();
    assert_eq!(
        (reads.get("k").unwrap(), gets(&store)),
        (Some(b"v".to_vec()), 1)
    );
    reads.delete("k").unwrap();
    assert_eq!((reads.get("k").unwrap(), gets(&store)), (None, 1));
    assert_eq!(store.get("k").unwrap(), None);
}

#[test]
fn forgetting_and_counters_go_to_the_store() {
    let (store, memo, clock) = (MemKv::new(), Memo::default(), at(0));
    store.set("token", b"old").unwrap();
    let reads = Reads::new(&store, Some(&memo), &clock);
    reads.get("token").unwrap();
    store.set("token", b"new").unwrap();
    reads.forget("token");
    assert_eq!(reads.get("token").unwrap(), Some(b"new".to_vec()));
    assert_eq!(reads.increment("n", 2).unwrap(), 2);
    assert_eq!(reads.increment("n", 2).unwrap(), 4);
    reads.remember("token", b"refreshed".to_vec());
    assert_eq!(reads.get("token").unwrap(), Some(b"refreshed".to_vec()));
    assert_eq!(reads.store().get("token").unwrap(), Some(b"new".to_vec()));
}

#[test]
fn without_a_memo_every_read_is_the_stores() {
    let (store, clock) = (MemKv::new(), at(0));
    let reads = Reads::new(&store, None, &clock);
    reads.set("k", b"v").unwrap();
    reads.get("k").unwrap();
    reads.get("k").unwrap();
    assert_eq!(gets(&store), 2);
}

#[test]
fn a_failed_write_is_not_remembered() {
    let (store, memo, clock) = (MemKv::new(), Memo::default(), at(0));
    store.set("k", b"stored").unwrap();
    let reads = Reads::new(&store, Some(&memo), &clock);
    store.set_failing(true);
    assert!(reads.set("k", b"lost").is_err());
    store.set_failing(false);
    assert_eq!(reads.get("k").unwrap(), Some(b"stored".to_vec()));
}

#[test]
fn clearing_forgets_every_key() {
    let (store, memo, clock) = (MemKv::new(), Memo::default(), at(0));
    let reads = Reads::new(&store, Some(&memo), &clock);
    reads.get("a").unwrap();
    store.set("a", b"new").unwrap();
    memo.clear();
    assert_eq!(reads.get("a").unwrap(), Some(b"new".to_vec()));
}
