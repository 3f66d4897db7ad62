//! Where things live: the workdir, the config file inside it, and the two token stores.
//!
//! Keeps the original gateway's policy (everything resolved against `--workdir`, the config must
//! lie inside it) and closes its gap: the containment check also runs on the resolved path, so a
//! symlink cannot lead out of the workdir.

use std::path::{Component, Path, PathBuf};

use anyhow::Context as _;
use gateway_core::accounts::{check_name, DEFAULT_ACCOUNT};

use crate::exit::{fail, ExitKind};

/// The config file used when `--config` is not given; missing is fine then.
pub const DEFAULT_CONFIG: &str = "config.yaml";

/// The token file, inside the workdir.
pub const TOKEN_FILE: &str = "oauth-token.json";

/// What every token file's name starts with (`oauth-token.json`, `oauth-token.<account>.json`).
const TOKEN_FILE_STEM: &str = "oauth-token";

/// The account whose token file is named `file_name`, if it is one: `oauth-token.json` is the
/// `default` account's, `oauth-token.<account>.json` another's (with a valid name other than
/// `default`, so no second file can claim the default account).
pub fn token_file_account(file_name: &str) -> Option<String> {
    if file_name == TOKEN_FILE {
        return Some(DEFAULT_ACCOUNT.to_owned());
    }
    let name = file_name
        .strip_prefix(TOKEN_FILE_STEM)?
        .strip_prefix('.')?
        .strip_suffix(".json")?;
    (name != DEFAULT_ACCOUNT && check_name(name).is_ok()).then(|| name.to_owned())
}

/// Resolved runtime paths.
#[derive(Debug, Clone)]
pub struct RuntimePaths {
    /// Absolute workdir.
    pub workdir: PathBuf,
    /// Absolute config path.
    pub config: PathBuf,
    /// Whether `--config` was given (an explicit config must exist).
    pub config_explicit: bool,
}

impl RuntimePaths {
    /// Resolve `workdir` against the current directory and `config` against the workdir.
    pub fn resolve(workdir: &Path, config: Option<&Path>) -> anyhow::Result<RuntimePaths> {
        let workdir = absolute(workdir).context("resolve workdir")?;
        let meta = std::fs::metadata(&workdir)
            .with_context(|| format!("stat workdir {}", workdir.display()))
            .map_err(|e| fail(ExitKind::Usage, format!("{e:#}")))?;
        if !meta.is_dir() {
            return Err(fail(
                ExitKind::Usage,
                format!("workdir is not a directory: {}", workdir.display()),
            ));
        }
        let config_explicit = config.is_some();
        let config = config.unwrap_or(Path::new(DEFAULT_CONFIG));
        let config = clean(&workdir.join(config));
        check_inside(&workdir, &config)?;
        Ok(RuntimePaths {
            workdir,
            config,
            config_explicit,
        })
    }

    /// `<workdir>/oauth-token.json`, the `default` account's (the only one the gateway's
    /// mounted-file import reads); `<workdir>/oauth-token.<account>.json` for any other.
    pub fn token_file(&self, account: &str) -> PathBuf {
        if account == DEFAULT_ACCOUNT {
            self.workdir.join(TOKEN_FILE)
        } else {
            self.workdir
                .join(format!("{TOKEN_FILE_STEM}.{account}.json"))
        }
    }

    /// `<workdir>/.spin/sqlite_key_value.db`, or `override_path` resolved against the workdir.
    pub fn spin_db(&self, override_path: Option<&Path>) -> PathBuf {
        match override_path {
            Some(p) => clean(&self.workdir.join(p)),
            None => self.workdir.join(kv_sqlite::SPIN_DEFAULT_DB),
        }
    }
}

fn outside(config: &Path) -> anyhow::Error {
    fail(
        ExitKind::Usage,
        format!("config path is outside of workdir: {}", config.display()),
    )
}

/// Lexical check, then (when the file exists) the same check on the resolved paths.
fn check_inside(workdir: &Path, config: &Path) -> anyhow::Result<()> {
    if !config.starts_with(workdir) || config == workdir {
        return Err(outside(config));
    }
    if let (Ok(real_dir), Ok(real_config)) = (workdir.canonicalize(), config.canonicalize()) {
        if !real_config.starts_with(&real_dir) {
            return Err(outside(config));
        }
    }
    Ok(())
}

fn absolute(path: &Path) -> std::io::Result<PathBuf> {
    let text = path.as_os_str().to_string_lossy();
    let trimmed = text.trim();
    let path = if trimmed.is_empty() {
        Path::new(".")
    } else {
        Path::new(trimmed)
    };
    Ok(clean(&std::path::absolute(path)?))
}

/// Remove `.` and resolve `..` lexically (symlinks are not followed).
pub fn clean(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push(component);
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_paths_must_stay_inside_the_workdir() {
        let dir = tempfile::tempdir().unwrap();
        let ok = RuntimePaths::resolve(dir.path(), Some(Path::new("sub/../config.yaml"))).unwrap();
        assert_eq!(ok.config, clean(&dir.path().join("config.yaml")));
        for bad in ["../config.yaml", ".", "/etc/passwd"] {
            let err = RuntimePaths::resolve(dir.path(), Some(Path::new(bad))).unwrap_err();
            assert!(
                err.to_string()
                    .contains("config path is outside of workdir"),
                "{bad}: {err}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_cannot_lead_out_of_the_workdir() {
        let outer = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        std::fs::write(outer.path().join("real.yaml"), "{}").unwrap();
        std::os::unix::fs::symlink(outer.path().join("real.yaml"), work.path().join("c.yaml"))
            .unwrap();
        let err = RuntimePaths::resolve(work.path(), Some(Path::new("c.yaml"))).unwrap_err();
        assert!(err.to_string().contains("outside of workdir"), "{err}");
    }

    #[test]
    fn each_account_has_its_own_token_file() {
        let dir = tempfile::tempdir().unwrap();
        let paths = RuntimePaths::resolve(dir.path(), None).unwrap();
        assert_eq!(
            paths.token_file("default"),
            paths.workdir.join("oauth-token.json")
        );
        assert_eq!(
            paths.token_file("work"),
            paths.workdir.join("oauth-token.work.json")
        );
        for (file, account) in [
            ("oauth-token.json", Some("default")),
            ("oauth-token.work.json", Some("work")),
            ("oauth-token.default.json", None),
            ("oauth-token.Work.json", None),
            ("oauth-token..json", None),
            (".oauth-token.abc.tmp", None),
            ("oauth-token.a.b.json", None),
            ("config.yaml", None),
        ] {
            assert_eq!(token_file_account(file).as_deref(), account, "{file}");
        }
    }

    #[test]
    fn a_missing_workdir_is_a_usage_error() {
        let err = RuntimePaths::resolve(Path::new("/no/such/dir/here"), None).unwrap_err();
        assert_eq!(crate::exit::exit_kind(&err), ExitKind::Usage);
    }
}
