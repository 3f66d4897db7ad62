//! The token stores: Spin's default key-value store (the SQLite file `spin up` uses, value a
//! BLOB of the record's compact JSON under `codex-gateway/token`) and `oauth-token.json`
//! (pretty JSON, mode 0600, written atomically). One record type for both.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use gateway_core::auth::token::{TokenRecord, TOKEN_KEY};
use kv_sqlite::{SqliteKv, DEFAULT_STORE};

use crate::cli::{StoreArgs, StoreChoice};
use crate::paths::RuntimePaths;

/// One place a token can be kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// Spin's SQLite key-value file.
    Spin(PathBuf),
    /// A token file.
    File(PathBuf),
}

impl Location {
    /// `spin` or `file`.
    pub fn kind(&self) -> &'static str {
        match self {
            Location::Spin(_) => "spin",
            Location::File(_) => "file",
        }
    }

    /// The file behind it.
    pub fn path(&self) -> &Path {
        match self {
            Location::Spin(p) | Location::File(p) => p,
        }
    }

    /// Read the record; `Ok(None)` when none is stored.
    pub fn load(&self) -> anyhow::Result<Option<TokenRecord>> {
        let bytes = match self {
            Location::Spin(path) => {
                if !path.exists() {
                    return Ok(None);
                }
                open_kv(path)?
                    .get(TOKEN_KEY)
                    .with_context(|| format!("read {self}"))?
            }
            Location::File(path) => match std::fs::read(path) {
                Ok(bytes) => Some(bytes),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(e).with_context(|| format!("read {self}")),
            },
        };
        bytes
            .map(|b| TokenRecord::from_json(&b).with_context(|| format!("read {self}")))
            .transpose()
    }

    /// Store the record.
    pub fn save(&self, record: &TokenRecord) -> anyhow::Result<()> {
        match self {
            Location::Spin(path) => {
                let json = record.to_json()?;
                open_kv(path)?
                    .set(TOKEN_KEY, &json)
                    .with_context(|| format!("write {self}"))
            }
            Location::File(path) => write_private_atomic(path, record.to_json_pretty()?.as_bytes())
                .with_context(|| format!("write {self}")),
        }
    }

    /// Remove the record; true when one was there.
    pub fn remove(&self) -> anyhow::Result<bool> {
        match self {
            Location::Spin(path) => {
                if !path.exists() {
                    return Ok(false);
                }
                let kv = open_kv(path)?;
                let existed = kv
                    .exists(TOKEN_KEY)
                    .with_context(|| format!("read {self}"))?;
                kv.delete(TOKEN_KEY)
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
            Location::Spin(p) => write!(
                f,
                "Spin key-value store {} (store \"{DEFAULT_STORE}\", key {TOKEN_KEY})",
                p.display()
            ),
            Location::File(p) => write!(f, "token file {}", p.display()),
        }
    }
}

fn open_kv(path: &Path) -> anyhow::Result<SqliteKv> {
    SqliteKv::open(path, DEFAULT_STORE)
        .with_context(|| format!("open the Spin key-value store {}", path.display()))
}

/// The locations selected by `--store` / `--spin-db`, Spin first.
pub fn locations(paths: &RuntimePaths, args: &StoreArgs) -> Vec<Location> {
    let spin = Location::Spin(paths.spin_db(args.spin_db.as_deref()));
    let file = Location::File(paths.token_file());
    match args.store {
        StoreChoice::Spin => vec![spin],
        StoreChoice::File => vec![file],
        StoreChoice::Both => vec![spin, file],
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
            Location::Spin(dir.path().join(".spin/sqlite_key_value.db")),
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
