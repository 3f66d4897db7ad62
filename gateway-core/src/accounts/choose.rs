//! Which account serves a request, and which ones to fail over to, in order.
//!
//! Pure: the caller reads the accounts' state and supplies a turn only when a choice needs one:
//! the shared counter for strict round robin, any random number to break a tie (a write per
//! request would cost more than the choice is worth: on Spin's SQLite store each one is a
//! committed transaction).

use super::state::AccountView;
use crate::fnv::fnv1a64;

/// Key of the shared counter of `round-robin`.
pub const TURN_KEY: &str = "codex-gateway/accounts-turn";

/// The `account_strategy` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// The account with the most headroom in its last usage snapshot; a tie is broken at random.
    #[default]
    Headroom,
    /// The first account (in the index's order) that is not cooling down.
    FillFirst,
    /// Every account in turn.
    RoundRobin,
}

impl Strategy {
    /// The accepted spellings (any case).
    pub const VALUES: &'static [(&'static str, Self)] = &[
        ("headroom", Self::Headroom),
        ("fill-first", Self::FillFirst),
        ("round-robin", Self::RoundRobin),
    ];
}

/// The accounts to try, best first: every account not cooling down at `now`.
///
/// A request with a `session` (its prompt cache key, or the client's session header) goes first
/// to the account that session hashes to among the available ones (rendezvous hashing), so a
/// conversation's turns share one account and its prompt cache; when that account rests, only
/// its sessions move. `fill-first` has no need for it: everything already goes to one account.
/// `turn` is called at most once, only when the order depends on it.
pub fn order(
    strategy: Strategy,
    accounts: &[AccountView],
    session: Option<&str>,
    now: i64,
    turn: impl FnOnce() -> u64,
) -> Vec<usize> {
    let mut order: Vec<(usize, &AccountView)> = accounts
        .iter()
        .enumerate()
        .filter(|(_, account)| !account.cooling(now))
        .collect();
    if order.len() < 2 {
        return order.into_iter().map(|(i, _)| i).collect();
    }
    let sticky = session
        .filter(|_| strategy != Strategy::FillFirst)
        .and_then(|session| {
            order
                .iter()
                .max_by_key(|(_, account)| affinity(session, &account.name))
                .map(|(i, _)| *i)
        });
    match strategy {
        Strategy::FillFirst => {}
        Strategy::RoundRobin if sticky.is_none() => rotate(&mut order, turn()),
        Strategy::RoundRobin => {}
        Strategy::Headroom => {
            order.sort_by_key(|(_, account)| std::cmp::Reverse(headroom(account, now)));
            let best = order.first().map(|(_, account)| headroom(account, now));
            let tied = order
                .iter()
                .take_while(|(_, account)| Some(headroom(account, now)) == best)
                .count();
            if let (Some(top), true) = (order.get_mut(..tied), tied > 1 && sticky.is_none()) {
                rotate(top, turn());
            }
        }
    }
    let mut order: Vec<usize> = order.into_iter().map(|(i, _)| i).collect();
    if let Some(first) = sticky {
        order.retain(|&i| i != first);
        order.insert(0, first);
    }
    order
}

/// Percent left, in whole percents: a tenth of a percent is no reason to prefer an account.
fn headroom(account: &AccountView, now: i64) -> i64 {
    let left = account.usage.as_ref().map_or(100.0, |u| u.headroom(now));
    left.round() as i64
}

fn rotate<T>(order: &mut [T], turn: u64) {
    let len = order.len() as u64;
    order.rotate_left(usize::try_from(turn % len).unwrap_or(0));
}

/// How strongly `session` prefers `account`.
fn affinity(session: &str, account: &str) -> u64 {
    fnv1a64(
        session
            .bytes()
            .chain(std::iter::once(0))
            .chain(account.bytes()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::state::{Cooldown, CooldownReason};
    use crate::accounts::usage::{UsageSnapshot, UsageWindow};

    fn view(name: &str, used: Option<f64>, cooling_until: Option<i64>) -> AccountView {
        AccountView {
            name: name.into(),
            cooldown: cooling_until.map(|until| Cooldown {
                reason: CooldownReason::UsageLimit,
                at: 0,
                until: Some(until),
            }),
            usage: used.map(|used_percent| UsageSnapshot {
                primary: Some(UsageWindow {
                    used_percent,
                    window_minutes: Some(300),
                    resets_at: None,
                }),
                secondary: None,
                at: 0,
            }),
        }
    }

    fn names(accounts: &[AccountView], order: &[usize]) -> Vec<String> {
        order.iter().map(|&i| accounts[i].name.clone()).collect()
    }

    #[test]
    fn headroom_goes_to_the_least_used_account_and_leaves_resting_ones_out() {
        let accounts = [
            view("a", Some(80.0), None),
            view("b", Some(10.0), None),
            view("c", Some(0.0), Some(500)),
        ];
        let order = order(Strategy::Headroom, &accounts, None, 100, || {
            panic!("no tie")
        });
        assert_eq!(names(&accounts, &order), ["b", "a"]);
    }

    #[test]
    fn a_tie_is_broken_by_the_turn() {
        let accounts = [
            view("a", None, None),
            view("b", None, None),
            view("c", Some(50.0), None),
        ];
        let firsts: Vec<String> = (0..4)
            .map(|turn| {
                names(
                    &accounts,
                    &order(Strategy::Headroom, &accounts, None, 0, || turn),
                )[0]
                .clone()
            })
            .collect();
        assert_eq!(firsts, ["a", "b", "a", "b"]);
        let full = order(Strategy::Headroom, &accounts, None, 0, || 1);
        assert_eq!(
            names(&accounts, &full),
            ["b", "a", "c"],
            "the rest follow for failover"
        );
    }

    #[test]
    fn a_session_stays_on_one_account_until_it_rests() {
        let accounts = [
            view("a", Some(90.0), None),
            view("b", None, None),
            view("c", None, None),
        ];
        let first = |accounts: &[AccountView], session: &str| {
            names(
                accounts,
                &order(Strategy::Headroom, accounts, Some(session), 0, || {
                    panic!("no turn")
                }),
            )[0]
            .clone()
        };
        let homes: Vec<String> = (0..40)
            .map(|n| first(&accounts, &format!("s{n}")))
            .collect();
        for name in ["a", "b", "c"] {
            assert!(
                homes.iter().any(|h| h == name),
                "sessions spread over {name}"
            );
        }
        assert_eq!(first(&accounts, "s1"), first(&accounts, "s1"));

        let home = first(&accounts, "s7");
        let mut resting = accounts.clone();
        let at = resting.iter().position(|a| a.name == home).unwrap();
        resting[at] = view(&home, None, Some(10));
        let moved = first(&resting, "s7");
        assert_ne!(moved, home);
        let others_stay = (0..40)
            .map(|n| format!("s{n}"))
            .filter(|s| first(&accounts, s) != home)
            .all(|s| first(&resting, &s) == first(&accounts, &s));
        assert!(others_stay, "only the resting account's sessions move");
    }

    #[test]
    fn fill_first_and_round_robin() {
        let accounts = [
            view("a", Some(99.0), Some(50)),
            view("b", Some(99.0), None),
            view("c", None, None),
        ];
        let fill = order(Strategy::FillFirst, &accounts, Some("s"), 10, || {
            panic!("no turn")
        });
        assert_eq!(names(&accounts, &fill), ["b", "c"]);
        let fill_later = order(Strategy::FillFirst, &accounts, None, 60, || {
            panic!("no turn")
        });
        assert_eq!(
            names(&accounts, &fill_later),
            ["a", "b", "c"],
            "a rested enough"
        );
        let turns: Vec<Vec<String>> = (0..3)
            .map(|t| {
                names(
                    &accounts,
                    &order(Strategy::RoundRobin, &accounts, None, 60, || t),
                )
            })
            .collect();
        assert_eq!(turns[0], ["a", "b", "c"]);
        assert_eq!(turns[1], ["b", "c", "a"]);
        assert_eq!(turns[2], ["c", "a", "b"]);
    }

    #[test]
    fn nothing_to_choose_from() {
        let accounts = [view("a", None, Some(50))];
        assert!(order(Strategy::Headroom, &accounts, None, 10, || 0).is_empty());
        assert!(order(Strategy::Headroom, &[], None, 10, || 0).is_empty());
    }
}
