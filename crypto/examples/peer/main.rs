//! `peer`: one Chatalot crypto device driven by newline-delimited JSON on stdin/stdout.
//!
//! Interoperability tests (Python, Node) and anyone else drive the crate through it. Each input
//! line is one request object, each output line the answer to it, in order:
//!
//! ```text
//! → {"id": 1, "op": "generate_identity"}
//! ← {"id": 1, "ok": {"identity_key": "BQ…"}}
//! → {"id": 2, "op": "no_such_thing"}
//! ← {"id": 2, "error": {"code": "unknown_op", "message": "…"}}
//! ```
//!
//! `id` is echoed unchanged (any JSON value, optional). Byte strings are standard base64 with
//! padding. The operations are listed in `crypto/README.md`; pairwise sessions (X3DH and the
//! Double Ratchet) live in `pairwise.rs`, sender keys in `group.rs`. A failed operation answers
//! with an error and changes no state; the process keeps reading until stdin closes.

mod group;
mod pairwise;
mod wire;

use serde_json::{Value, json};
use std::io::{BufRead, Write};
use wire::PeerError;

/// Everything one peer process holds: one device.
#[derive(Default)]
struct Peer {
    pairwise: pairwise::State,
    group: group::State,
}

impl Peer {
    fn handle(&mut self, op: &str, params: &Value) -> Result<Value, PeerError> {
        if let Some(answer) = self.pairwise.handle(op, params)? {
            return Ok(answer);
        }
        if let Some(answer) = self.group.handle(op, params)? {
            return Ok(answer);
        }
        Err(PeerError::new("unknown_op", format!("unknown op {op:?}")))
    }
}

fn answer(peer: &mut Peer, line: &str) -> Value {
    let request: Value = match serde_json::from_str(line) {
        Ok(request) => request,
        Err(error) => {
            return json!({"id": null, "error": {"code": "bad_json", "message": error.to_string()}});
        }
    };
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let Some(op) = request.get("op").and_then(Value::as_str) else {
        return json!({"id": id, "error": {"code": "bad_request", "message": "missing \"op\""}});
    };
    match peer.handle(op, &request) {
        Ok(ok) => json!({"id": id, "ok": ok}),
        Err(error) => json!({"id": id, "error": {"code": error.code, "message": error.message}}),
    }
}

fn main() -> std::io::Result<()> {
    let mut peer = Peer::default();
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let reply = answer(&mut peer, &line);
        writeln!(stdout, "{reply}")?;
        stdout.flush()?;
    }
    Ok(())
}
