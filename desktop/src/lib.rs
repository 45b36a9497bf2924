//! The Chatalot desktop app: a Tauri 2 window that runs the web client bundled from web/build
//! against the server the user chose, with what a browser tab cannot give it: native
//! notifications, an unread indicator in the tray and the window title, a start-minimised
//! option and the OS keychain for the key that protects end-to-end state at rest.
//!
//! - `settings.rs`: the remembered server and options (a JSON file, nothing secret).
//! - `keychain.rs`: the per-account store key in the OS keychain.
//! - `commands.rs`: what the web client may ask of the native side (web/src/lib/desktop).
//! - `tray.rs`: the tray icon, its menu and the unread indicator.

mod commands;
pub mod keychain;
pub mod settings;
mod tray;

use settings::{Settings, SettingsFile};
use std::sync::Mutex;
use tauri::Manager;

/// The label of the app's one window (tauri.conf.json).
pub const MAIN_WINDOW: &str = "main";

/// What the running app holds: its settings, as saved.
pub struct AppState {
    file: SettingsFile,
    settings: Mutex<Settings>,
}

impl AppState {
    fn settings(&self) -> Settings {
        self.settings
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Applies a change, saves it, and keeps the old settings when saving fails.
    fn update(&self, change: impl FnOnce(&mut Settings)) -> Result<Settings, String> {
        let mut current = self
            .settings
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut next = current.clone();
        change(&mut next);
        self.file
            .save(&next)
            .map_err(|err| format!("the settings cannot be saved: {err}"))?;
        *current = next.clone();
        Ok(next)
    }
}

/// Whether the command line asks to start hidden in the tray (for autostart entries).
fn minimised_flag() -> bool {
    std::env::args().any(|arg| arg == "--minimised" || arg == "--minimized")
}

pub fn run() {
    let result = tauri::Builder::default()
        // First, so a second launch only brings the running app's window forward.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            tray::show_main_window(app);
        }))
        .plugin(tauri_plugin_notification::init())
        .setup(|app| {
            let file = SettingsFile::in_dir(&app.path().app_config_dir()?);
            let settings = file.load();
            let start_hidden = settings.start_minimised || minimised_flag();
            app.manage(AppState {
                file,
                settings: Mutex::new(settings),
            });
            tray::create(app.handle())?;
            if !start_hidden {
                tray::show_main_window(app.handle());
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::desktop_info,
            commands::set_server_url,
            commands::set_start_minimised,
            commands::store_key,
            commands::notify,
            commands::set_unread,
        ])
        .run(tauri::generate_context!());
    if let Err(err) = result {
        eprintln!("chatalot-desktop: {err}");
        std::process::exit(1);
    }
}
