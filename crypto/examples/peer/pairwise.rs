//! PLACEHOLDER: filled in by the interop work.

use crate::wire::PeerError;
use serde_json::Value;

#[derive(Default)]
pub struct State {}

impl State {
    /// Answers `op` if it is one of this module's operations, else `None`.
    pub fn handle(&mut self, op: &str, params: &Value) -> Result<Option<Value>, PeerError> {
        let _ = (op, params);
        Ok(None)
    }
}
