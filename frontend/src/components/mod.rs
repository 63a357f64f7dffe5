//! What the pages are made of. Components render and call the backend; page state lives in the
//! reducers of `state` and `form`.

pub mod agency;
pub mod app;
pub mod dashboard;
pub mod datepicker;
pub mod itas;
pub mod login;
pub mod measure;
pub mod memo;
pub mod notifications;
pub mod plan;
pub mod reports;
pub mod saved_text;
pub mod sync;
pub mod table;
pub mod tracks;
pub mod users;

use yew::UseReducerHandle;

use crate::state::AppState;

/// The app's state, shared with every page.
pub type AppContext = UseReducerHandle<AppState>;
