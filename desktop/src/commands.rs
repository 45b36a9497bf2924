//! What the web client may ask of the native side, through Tauri's IPC (the web side is
//! web/src/lib/desktop). Errors are sentences the client shows as they are.

use crate::{AppState, keychain, settings::normalise_server_url, tray};
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_notification::NotificationExt;

/// Longest notification title and body passed on (a message can be far longer).
const TITLE_MAX_CHARS: usize = 120;
const BODY_MAX_CHARS: usize = 300;

#[derive(Debug, Serialize)]
pub struct DesktopInfo {
    version: String,
    server_url: Option<String>,
    start_minimised: bool,
}

#[tauri::command]
pub fn desktop_info<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> DesktopInfo {
    let settings = state.settings();
    DesktopInfo {
        version: app.package_info().version.to_string(),
        server_url: settings.server_url,
        start_minimised: settings.start_minimised,
    }
}

/// Remembers the server to connect to; answers the address as saved (its origin).
#[tauri::command]
pub fn set_server_url(url: String, state: State<'_, AppState>) -> Result<String, String> {
    let origin = normalise_server_url(&url)?;
    state.update(|settings| settings.server_url = Some(origin.clone()))?;
    Ok(origin)
}

#[tauri::command]
pub fn set_start_minimised(enabled: bool, state: State<'_, AppState>) -> Result<(), String> {
    state
        .update(|settings| settings.start_minimised = enabled)
        .map(|_| ())
}

/// The key that protects `account`'s end-to-end state on the current server (see keychain.rs).
/// Off the main thread: the keychain may take a while (or ask the user to unlock it).
#[tauri::command]
pub async fn store_key(account: String, state: State<'_, AppState>) -> Result<String, String> {
    let server = state.settings().server_url.ok_or("no server chosen yet")?;
    tauri::async_runtime::spawn_blocking(move || keychain::store_key(&server, &account))
        .await
        .map_err(|err| format!("the keychain task failed: {err}"))?
}

#[tauri::command]
pub fn notify<R: Runtime>(app: AppHandle<R>, title: String, body: String) -> Result<(), String> {
    app.notification()
        .builder()
        .title(truncate(&title, TITLE_MAX_CHARS))
        .body(truncate(&body, BODY_MAX_CHARS))
        .show()
        .map_err(|err| format!("the notification cannot be shown: {err}"))
}

#[tauri::command]
pub fn set_unread<R: Runtime>(app: AppHandle<R>, count: u32) -> Result<(), String> {
    tray::set_unread(&app, count).map_err(|err| err.to_string())
}

/// At most `max` characters, with an ellipsis when something was cut.
fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::truncate;

    #[test]
    fn long_texts_are_cut_on_a_character_boundary() {
        assert_eq!(truncate("hello", 5), "hello");
        assert_eq!(truncate("hello!", 5), "hello…");
        assert_eq!(truncate("héllo wörld", 4), "héll…");
        assert_eq!(truncate("🙂🙂🙂", 2), "🙂🙂…");
    }
}
