//! Prongsai's frontend: Yew pages for the field app (in Tauri's webview) and the web dashboard.
//! Thai first with an English switch. All backend calls go through [`backend`].

pub mod backend;
pub mod components;
pub mod form;
pub mod format;
pub mod i18n;
pub mod place;
pub mod state;

/// Mounts the app into the page's body.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    yew::Renderer::<components::app::App>::new().render();
}
