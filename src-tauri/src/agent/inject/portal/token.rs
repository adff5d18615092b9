//! The portal's restore token, kept in the data directory (mode 0600): with it,
//! the next `Start` is granted without the dialog. It is single use: every
//! granted `Start` hands out a new one, which replaces it at once.

use std::path::{Path, PathBuf};

use crate::config::{ensure_data_dir, write_private, ConfigError};

/// The file in the data directory.
pub const FILE_NAME: &str = "portal-restore-token";

/// Where the token lives; `None`: nowhere (nothing is remembered).
#[derive(Debug, Clone, Default)]
pub struct TokenStore {
    dir: Option<PathBuf>,
}

impl TokenStore {
    pub fn new(dir: Option<&Path>) -> TokenStore {
        TokenStore {
            dir: dir.map(Path::to_owned),
        }
    }

    fn path(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(FILE_NAME))
    }

    /// The token stored, if there is one.
    pub fn load(&self) -> Option<String> {
        let text = std::fs::read_to_string(self.path()?).ok()?;
        Some(text.trim().to_owned()).filter(|t| !t.is_empty())
    }

    /// Keep `token` for the next run (replacing the one used now).
    pub fn store(&self, token: &str) -> Result<(), ConfigError> {
        let (Some(dir), Some(path)) = (&self.dir, self.path()) else {
            return Ok(());
        };
        ensure_data_dir(dir)?;
        write_private(&path, token)
    }

    /// Forget the token (refused, or not handed out again).
    pub fn forget(&self) {
        if let Some(path) = self.path() {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_private_replaced_and_forgotten() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        let store = TokenStore::new(Some(&data));
        assert_eq!(store.load(), None);
        store.store("first").expect("store");
        assert_eq!(store.load().as_deref(), Some("first"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(data.join(FILE_NAME))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        store.store("second").expect("renew");
        assert_eq!(store.load().as_deref(), Some("second"));
        store.forget();
        assert_eq!(store.load(), None);
        let nowhere = TokenStore::new(None);
        nowhere.store("x").expect("no dir: nothing kept");
        assert_eq!(nowhere.load(), None);
    }
}
