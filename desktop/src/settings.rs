//! What the app remembers between starts: the server it connects to and whether it starts
//! minimised. A small JSON file in the OS's config folder for the app (nothing secret: keys live
//! in the keychain, see `keychain.rs`).

use serde::{Deserialize, Serialize};
use std::{
    fs, io,
    path::{Path, PathBuf},
};
use url::Url;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The Chatalot server's origin (`https://chat.example.com`), `None` until the user enters it.
    pub server_url: Option<String>,
    /// Start hidden in the tray instead of with an open window.
    pub start_minimised: bool,
}

/// Where [`Settings`] are kept, and the only way to read and write them.
#[derive(Debug, Clone)]
pub struct SettingsFile {
    path: PathBuf,
}

impl SettingsFile {
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            path: dir.join("settings.json"),
        }
    }

    /// The saved settings; defaults when there are none yet or the file is unreadable (a broken
    /// file must not keep the app from starting: the user enters the server again).
    pub fn load(&self) -> Settings {
        fs::read(&self.path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Writes to a temporary file and renames it over the old one, so a crash mid-write leaves
    /// the previous settings, never half a file.
    pub fn save(&self, settings: &Settings) -> io::Result<()> {
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir)?;
        }
        let json = serde_json::to_vec_pretty(settings).map_err(io::Error::other)?;
        let temporary = self.path.with_extension("json.tmp");
        fs::write(&temporary, json)?;
        fs::rename(&temporary, &self.path)
    }
}

/// The origin of a server address the user typed: `https://chat.example.com/invite/x` becomes
/// `https://chat.example.com` (Chatalot serves its API and client from the root). A missing
/// scheme means https.
pub fn normalise_server_url(input: &str) -> Result<String, String> {
    let input = input.trim();
    if input.is_empty() {
        return Err("Enter the address of your Chatalot server.".into());
    }
    let with_scheme = if input.contains("://") {
        input.to_owned()
    } else {
        format!("https://{input}")
    };
    let url = Url::parse(&with_scheme).map_err(|err| format!("Not a web address: {err}."))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("The address must start with https:// (or http:// on a local network).".into());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("The address has no host name.".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("The address must not contain a user name or password.".into());
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn server_urls_become_origins() {
        for (input, origin) in [
            ("https://chat.example.com", "https://chat.example.com"),
            ("https://chat.example.com/", "https://chat.example.com"),
            (
                " https://Chat.Example.com/invite/abc?x=1 ",
                "https://chat.example.com",
            ),
            ("chat.example.com", "https://chat.example.com"),
            ("http://192.168.1.5:8080/app", "http://192.168.1.5:8080"),
            ("https://chat.example.com:443", "https://chat.example.com"),
        ] {
            assert_eq!(
                normalise_server_url(input).as_deref(),
                Ok(origin),
                "{input}"
            );
        }
    }

    #[test]
    fn server_urls_that_cannot_be_a_server_are_refused() {
        for input in [
            "",
            "   ",
            "ftp://chat.example.com",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "https://user:pw@chat.example.com",
            "https://",
            "http://[::1",
        ] {
            assert!(
                normalise_server_url(input).is_err(),
                "{input:?} was accepted"
            );
        }
    }

    #[test]
    fn settings_survive_a_restart_and_a_broken_file_gives_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = SettingsFile::in_dir(&dir.path().join("nested"));
        assert_eq!(file.load(), Settings::default());
        let settings = Settings {
            server_url: Some("https://chat.example.com".into()),
            start_minimised: true,
        };
        file.save(&settings).unwrap();
        assert_eq!(
            SettingsFile::in_dir(&dir.path().join("nested")).load(),
            settings
        );
        fs::write(dir.path().join("nested/settings.json"), b"{not json").unwrap();
        assert_eq!(file.load(), Settings::default());
    }
}
