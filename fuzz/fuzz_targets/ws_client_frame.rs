//! A WebSocket text frame from a client, parsed as the gateway's connection loop does
//! (`gateway/src/ws/connection.rs`): a `ClientFrame`, then for call commands the action
//! (`gateway/src/calls`) and the signal checks signal-svc applies. The transport only hands
//! over valid UTF-8 (anything else closes with 1007), so other bytes are skipped.
//!
//! Beyond "no panic": whatever parses serialises again and parses back to the same frame, so
//! what a gateway forwards is what the client sent.
#![no_main]

use chatalot_shared::contracts::{
    calls::CallAction,
    gateway::{ClientFrame, Identify},
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(frame) = serde_json::from_str::<ClientFrame>(text) else {
        return;
    };
    let again = serde_json::to_string(&frame).expect("a parsed frame serialises");
    let reparsed: ClientFrame = serde_json::from_str(&again).expect("a serialised frame parses");
    match (&frame, &reparsed) {
        (ClientFrame::Identify(Identify { token, resume }), ClientFrame::Identify(back)) => {
            assert_eq!(token, &back.token);
            assert_eq!(
                resume.as_ref().map(|r| (&r.channels, &r.conversations)),
                back.resume
                    .as_ref()
                    .map(|r| (&r.channels, &r.conversations))
            );
        }
        (ClientFrame::Heartbeat, ClientFrame::Heartbeat) => {}
        (ClientFrame::Activity(a), ClientFrame::Activity(b)) => assert_eq!(a, b),
        (ClientFrame::Call(a), ClientFrame::Call(b)) => {
            assert_eq!(a.reference, b.reference);
            assert_eq!(a.body, b.body);
        }
        _ => panic!("the frame changed kind on the way back: {text:?} -> {again:?}"),
    }
    if let ClientFrame::Call(command) = frame
        && let Ok(CallAction::Signal { signal, .. }) = command.action()
    {
        let _ = signal.validate();
    }
});
