//! Validated input of channel messages. Each type can only be built through its `parse`, so a
//! handler that holds one knows the rules were checked; the rules and their messages live next to
//! their tests.

pub mod emoji;
pub mod mentions;
pub mod page;
pub mod push;
pub mod text;

pub use emoji::Emoji;
pub use mentions::ParsedMentions;
pub use page::{HistoryCursor, HistoryLimit, PageLimit, SearchLimit};
pub use text::{MessageBody, Nonce, SearchText};
