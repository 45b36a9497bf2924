//! The tray icon (show the window, quit) and the unread indicator: the tray icon gains a dot,
//! its tooltip and the window title carry the count, and the dock badge shows it where the
//! desktop supports one.

use crate::MAIN_WINDOW;
use tauri::{
    AppHandle, Manager, Runtime,
    image::Image,
    menu::{Menu, MenuItem},
    tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent},
};

const TRAY_ID: &str = "chatalot";
const ICON: &[u8] = include_bytes!("../icons/32x32.png");
const ICON_UNREAD: &[u8] = include_bytes!("../icons/tray-unread.png");

pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let show = MenuItem::with_id(app, "show", "Show Chatalot", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&show, &quit])?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(Image::from_bytes(ICON)?)
        .tooltip("Chatalot")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "show" => show_main_window(app),
            "quit" => app.exit(0),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                show_main_window(tray.app_handle());
            }
        })
        .build(app)?;
    Ok(())
}

pub fn show_main_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Shows `count` unread (mentions and conversation messages; 0 clears the indicator).
pub fn set_unread<R: Runtime>(app: &AppHandle<R>, count: u32) -> tauri::Result<()> {
    let label = match count {
        0 => "Chatalot".to_owned(),
        n => format!("Chatalot ({n})"),
    };
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let icon = if count == 0 { ICON } else { ICON_UNREAD };
        tray.set_icon(Some(Image::from_bytes(icon)?))?;
        tray.set_tooltip(Some(&label))?;
    }
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        window.set_title(&label)?;
        // Only some desktops have a badge (Unity launcher API, Windows taskbar overlay differs):
        // where there is none the title and the tray still say it.
        let _ = window.set_badge_count((count > 0).then_some(i64::from(count)));
    }
    Ok(())
}
