//! Community invites use the shared invite rules (`chatalot_shared::invites`).

pub use chatalot_shared::invites::{InviteState, invite_invalid};
