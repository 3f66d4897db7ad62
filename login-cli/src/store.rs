//! The token stores: Spin's default key-value store (the SQLite file `spin up` uses, value a
//! BLOB of the record's compact JSON under the account's key, `codex-gateway/token` for the
//! `default` account) and the token files (`oauth-token.json`, `oauth-token.<account>.json`;
//! pretty JSON, mode 0600, written atomically). One record type for both.
//!
//! In the Spin store a token never comes or goes alone: saving one registers the account in the
//! gateway's account index and forgets what the gateway learned about it (a new login starts the
//! account afresh); removing one also takes the account out of the index.

mod spin_db;

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use gateway_core::accounts::{index, state, token_key};
use gateway_core::auth::token::TokenRecord;
use gateway_core::ports::Kv as _;
use kv_sqlite::DEFAULT_STORE;

pub use spin_db::SpinDb;

use crate::cli::{AccountArgs, StoreArgs, StoreChoice};
use crate::paths::RuntimePaths;

/// One place an account's token can be kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// Spin's SQLite key-value file, under the account's key.
    Spin {
        /// The database file.
        db: PathBuf,
        /// The account.
        account: String,
    },
    /// The account's token file.
    File(PathBuf),
}

impl Location {
    /// `spin` or `file`.
    pub fn kind(&self) -> &'static str {
        match self {
            Location::Spin { .. } => "spin",
            Location::File(_) => "file",
        }
    }

    /// The file behind it.
    pub fn path(&self) -> &Path {
        match self {
            Location::Spin { db: p, .. } | Location::File(p) => p,
        }
    }

    /// The stored bytes, unparsed; `Ok(None)` when none are stored. Never creates a file.
    pub fn read(&self) -> anyhow::Result<Option<Vec<u8>>> {
        match self {
            Location::Spin { db, account } => {
                if !db.exists() {
                    return Ok(None);
                }
                SpinDb::open(db)?
                    .get(&token_key(account))
                    .with_context(|| format!("read {self}"))
            }
            Location::File(path) => match std::fs::read(path) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e).with_context(|| format!("read {self}")),
            },
        }
    }

    /// Read the record; `Ok(None)` when none is stored.
    pub fn load(&self) -> anyhow::Result<Option<TokenRecord>> {
        self.read()?
            .map(|b| TokenRecord::from_json(&b).with_context(|| format!("read {self}")))
            .transpose()
    }

    /// Store the record (in the Spin store: and register the account, afresh).
    pub fn save(&self, record: &TokenRecord) -> anyhow::Result<()> {
        match self {
            Location::Spin { db, account } => {
                let json = record.to_json()?;
                let kv = SpinDb::open(db)?;
                kv.set(&token_key(account), &json)
                    .and_then(|()| index::register(&kv, account))
                    .and_then(|()| state::clear(&kv, account))
                    .with_context(|| format!("write {self}"))
            }
            Location::File(path) => write_private_atomic(path, record.to_json_pretty()?.as_bytes())
                .with_context(|| format!("write {self}")),
        }
    }

    /// Remove the record (in the Spin store: and the account from the index, with its state);
    /// true when a record was there.
    pub fn remove(&self) -> anyhow::Result<bool> {
        match self {
            Location::Spin { db, account } => {
                if !db.exists() {
                    return Ok(false);
                }
                let kv = SpinDb::open(db)?;
                let key = token_key(account);
                let existed = kv
                    .get(&key)
                    .with_context(|| format!("read {self}"))?
                    .is_some();
                kv.delete(&key)
                    .and_then(|()| index::unregister(&kv, account))
                    .and_then(|()| state::clear(&kv, account))
                    .with_context(|| format!("delete from {self}"))?;
                Ok(existed)
            }
            Location::File(path) => match std::fs::remove_file(path) {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
                Err(e) => Err(e).with_context(|| format!("delete {self}")),
            },
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Spin { db, account } => write!(
                f,
                "Spin key-value store {} (store \"{DEFAULT_STORE}\", key {})",
                db.display(),
                token_key(account)
            ),
            Location::File(path) => write!(f, "token file {}", path.display()),
        }
    }
}

/// The locations of the account in `args` selected by `--store` / `--spin-db`, Spin first.
pub fn locations(paths: &RuntimePaths, args: &AccountArgs) -> Vec<Location> {
    account_locations(paths, &args.stores, &args.account)
}

/// The locations of `account` selected by `--store` / `--spin-db`, Spin first.
pub fn account_locations(paths: &RuntimePaths, stores: &StoreArgs, account: &str) -> Vec<Location> {
    let spin = spin_db(paths, stores).map(|db| Location::Spin {
        db,
        account: account.to_owned(),
    });
    let file = uses_files(stores).then(|| Location::File(paths.token_file(account)));
    spin.into_iter().chain(file).collect()
}

/// The Spin database, when `--store` selects it.
pub fn spin_db(paths: &RuntimePaths, stores: &StoreArgs) -> Option<PathBuf> {
    match stores.store {
        StoreChoice::Spin | StoreChoice::Both => Some(paths.spin_db(stores.spin_db.as_deref())),
        StoreChoice::File => None,
    }
}

/// Whether `--store` selects the token files.
pub fn uses_files(stores: &StoreArgs) -> bool {
    match stores.store {
        StoreChoice::File | StoreChoice::Both => true,
        StoreChoice::Spin => false,
    }
}

/// Write `bytes` to `path` with mode 0600: a temporary file in the same directory (created
/// 0600), flushed to disk, then renamed over the target. Readers never see a partial file.
pub fn write_private_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".oauth-token.")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .with_context(|| format!("create a temporary file in {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use gateway_core::auth::token::{Secret, RECORD_VERSION};

    fn record() -> TokenRecord {
        TokenRecord {
            version: RECORD_VERSION,
            access_token: Secret::new("at"),
            refresh_token: Secret::new("rt"),
            id_token: None,
            account_id: Some("acct".into()),
            email: None,
            plan_type: None,
            expires_at: Some(10),
            last_refresh: 1,
            last_failure: None,
        }
    }

    #[test]
    fn both_stores_round_trip_and_remove() {
        let dir = tempfile::tempdir().unwrap();
        for loc in [
            Location::Spin {
                db: dir.path().join(".spin/sqlite_key_value.db"),
                account: "default".into(),
            },
            Location::File(dir.path().join("oauth-token.json")),
        ] {
            assert_eq!(loc.load().unwrap(), None, "{loc}");
            loc.save(&record()).unwrap();
            assert_eq!(loc.load().unwrap(), Some(record()), "{loc}");
            assert!(loc.remove().unwrap());
            assert!(!loc.remove().unwrap());
            assert_eq!(loc.load().unwrap(), None, "{loc}");
        }
    }

    #[test]
    fn a_named_account_is_indexed_beside_the_default_and_starts_afresh() {
        use gateway_core::accounts::index::{AccountIndex, INDEX_KEY};
        use gateway_core::accounts::state::usage_key;
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join(".spin/sqlite_key_value.db");
        let spin = |account: &str| Location::Spin {
            db: db.clone(),
            account: account.into(),
        };
        spin("default").save(&record()).unwrap();
        let kv = SpinDb::open(&db).unwrap();
        kv.set(&usage_key("work"), b"{\"at\":1}").unwrap();
        spin("work").save(&record()).unwrap();
        assert_eq!(
            spin("work").to_string(),
            format!(
                "Spin key-value store {} (store \"default\", key codex-gateway/accounts/work/token)",
                db.display()
            )
        );
        assert!(kv
            .get("codex-gateway/accounts/work/token")
            .unwrap()
            .is_some());
        assert_eq!(
            kv.get(&usage_key("work")).unwrap(),
            None,
            "a login starts afresh"
        );
        let names = |kv: &SpinDb| AccountIndex::load(kv).unwrap().map(|i| i.accounts);
        assert_eq!(names(&kv).unwrap(), ["default", "work"]);

        assert!(spin("work").remove().unwrap());
        assert_eq!(names(&kv).unwrap(), ["default"]);
        assert!(spin("default").remove().unwrap());
        assert_eq!(kv.get(INDEX_KEY).unwrap(), None);
    }

    #[cfg(unix)]
    #[test]
    fn the_token_file_is_private_and_replaced_whole() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("oauth-token.json");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private_atomic(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1);
    }
}
