use super::*;
use crate::auth::mem_kv::MemKv;

fn gets(store: &MemKv) -> usize {
    store.op_counts().gets
}

#[test]
fn a_read_serves_later_requests_of_the_instance_until_it_is_a_second_old() {
    let (store, memo) = (MemKv::new(), Memo::default());
    store.set("k", b"one").unwrap();
    assert_eq!(
        Reads::new(&store, Some(&memo), 10_000).get("k").unwrap(),
        Some(b"one".to_vec())
    );
    store.set("k", b"two").unwrap();
    let at = |now| Reads::new(&store, Some(&memo), now).get("k").unwrap();
    assert_eq!((at(10_999), gets(&store)), (Some(b"one".to_vec()), 1));
    assert_eq!((at(11_000), gets(&store)), (Some(b"two".to_vec()), 2));
    // A clock that stepped back never serves the old value.
    assert_eq!((at(9_000), gets(&store)), (Some(b"two".to_vec()), 3));
}

#[test]
fn absence_is_remembered_too_and_own_writes_are_seen_at_once() {
    let (store, memo) = (MemKv::new(), Memo::default());
    let reads = Reads::new(&store, Some(&memo), 0);
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
    let (store, memo) = (MemKv::new(), Memo::default());
    store.set("token", b"old").unwrap();
    let reads = Reads::new(&store, Some(&memo), 0);
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
    let store = MemKv::new();
    let reads = Reads::new(&store, None, 0);
    reads.set("k", b"v").unwrap();
    reads.get("k").unwrap();
    reads.get("k").unwrap();
    assert_eq!(gets(&store), 2);
}

#[test]
fn a_failed_write_is_not_remembered() {
    let (store, memo) = (MemKv::new(), Memo::default());
    store.set("k", b"stored").unwrap();
    let reads = Reads::new(&store, Some(&memo), 0);
    store.set_failing(true);
    assert!(reads.set("k", b"lost").is_err());
    store.set_failing(false);
    assert_eq!(reads.get("k").unwrap(), Some(b"stored".to_vec()));
}
