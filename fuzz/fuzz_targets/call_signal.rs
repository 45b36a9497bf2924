//! The SDP and ICE checks of WebRTC signaling: a relayed signal as signal-svc receives it
//! (`RelaySignalRequest` over NATS, `signal-svc/src/handlers/signaling.rs`), parsed and checked
//! with `Signal::validate`. A signal that passes is within the documented limits.
#![no_main]

use chatalot_shared::contracts::calls::{
    MAX_ICE_CANDIDATE_BYTES, MAX_ICE_TAG_BYTES, MAX_SDP_BYTES, RelaySignalRequest, Signal,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Both the bare signal (what a client puts in its call command) and the whole request.
    let signal = match serde_json::from_slice::<RelaySignalRequest>(data) {
        Ok(request) => request.signal,
        Err(_) => match serde_json::from_slice::<Signal>(data) {
            Ok(signal) => signal,
            Err(_) => return,
        },
    };
    if signal.validate().is_err() {
        return;
    }
    match &signal {
        Signal::Offer { sdp } | Signal::Answer { sdp } => {
            assert!(sdp.len() <= MAX_SDP_BYTES);
            assert!(!sdp.trim().is_empty());
        }
        Signal::IceCandidate {
            candidate,
            sdp_mid,
            username_fragment,
            ..
        } => {
            assert!(candidate.len() <= MAX_ICE_CANDIDATE_BYTES);
            for tag in [sdp_mid, username_fragment].into_iter().flatten() {
                assert!(tag.len() <= MAX_ICE_TAG_BYTES);
            }
        }
    }
    // What signal-svc relays is what it checked.
    let relayed = serde_json::to_vec(&signal).expect("a valid signal serialises");
    let back: Signal = serde_json::from_slice(&relayed).expect("a relayed signal parses");
    assert_eq!(back, signal);
});
