//! Safety numbers, compared by two users out of band.

use chatalot_crypto::safety_number::safety_number as compute;
use wasm_bindgen::prelude::wasm_bindgen;

use crate::encoding::public_key_from_base64;
use crate::error::Error;

/// The 60-digit safety number of two identities (base64 identity keys), each with its user's
/// stable id (the Chatalot user id as text; its UTF-8 bytes are hashed). Either side computing
/// it gets the same digits.
#[wasm_bindgen(js_name = safetyNumber)]
pub fn safety_number(
    local_identity_key: &str,
    local_user_id: &str,
    remote_identity_key: &str,
    remote_user_id: &str,
) -> Result<String, Error> {
    let local = public_key_from_base64(local_identity_key, "local identity key")?;
    let remote = public_key_from_base64(remote_identity_key, "remote identity key")?;
    Ok(compute(
        &local,
        local_user_id.as_bytes(),
        &remote,
        remote_user_id.as_bytes(),
    ))
}
