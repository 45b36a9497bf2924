//! Validated input. Each type can only be built through `parse()`, so a handler that holds one
//! knows the rules were checked; the rules and their error codes live next to their tests.

pub mod custom_status;
pub mod device_name;
pub mod display_name;
pub mod email;
pub mod invite;
pub mod page;
pub mod password;
pub mod username;

pub use chatalot_shared::invites::{InviteCode, InviteExpiry, InviteMaxUses};
pub use custom_status::ValidCustomStatus;
pub use device_name::DeviceName;
pub use display_name::DisplayName;
pub use email::Email;
pub use page::PageLimit;
pub use password::Password;
pub use username::Username;
