//! Writes the committed seed corpora, `fuzz/corpus/<target>/`: valid frames, real SDP, real
//! invite codes, real ciphertexts made by the crypto crate with the fixture keys, and small
//! real file headers. Run from `fuzz/` after changing a wire format or the fixtures:
//!
//!     cargo run --example seeds
//!
//! It rewrites only the files it names (seeds libFuzzer found and someone committed stay).

use base64::{Engine, engine::general_purpose::STANDARD};
use chatalot_crypto::{
    prekey_message::{Ciphertext, PreKeyMessage},
    sender_keys::InboundSenderKey,
};
use chatalot_fuzz::{FixedRng, Responder, group_distribution, group_sender, initiator_messages};
use chatalot_shared::invites::InviteCode;
use std::{fs, io, path::Path};

/// A WebRTC offer as browsers make it for one audio track, shortened to what parsers look at.
const SDP_OFFER: &str = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
a=group:BUNDLE 0\r\na=msid-semantic: WMS\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\n\
c=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:EsAw\r\n\
a=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\na=ice-options:trickle\r\n\
a=fingerprint:sha-256 D1:2C:BE:AD:C4:F6:64:5C:25:16:11:9C:AF:E7:0F:73:79:36:4E:9C:1E:15:54:39:0C:06:8B:ED:96:86:00:39\r\n\
a=setup:actpass\r\na=mid:0\r\na=sendrecv\r\na=msid:- 6f1b\r\na=rtcp-mux\r\n\
a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\na=rtpmap:0 PCMU/8000\r\n";
const ICE_CANDIDATE: &str = "candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 10.0.0.2 rport 46154 generation 0 ufrag EsAw network-cost 999";
const USER: &str = "0192f0c4-7d1e-7c3a-9b1e-2f4d5a6b7c8d";
const CHANNEL: &str = "0192f0c4-7d1e-7c3a-9b1e-000000000001";

fn main() -> io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let write = |target: &str, name: &str, bytes: &[u8]| -> io::Result<()> {
        let dir = root.join(target);
        fs::create_dir_all(&dir)?;
        fs::write(dir.join(name), bytes)
    };

    let signal_offer = serde_json::json!({ "type": "offer", "sdp": SDP_OFFER });
    let signal_answer =
        serde_json::json!({ "type": "answer", "sdp": SDP_OFFER.replace("actpass", "active") });
    let signal_candidate = serde_json::json!({
        "type": "ice_candidate", "candidate": ICE_CANDIDATE, "sdp_mid": "0",
        "sdp_m_line_index": 0, "username_fragment": "EsAw"
    });
    let end_of_candidates = serde_json::json!({ "type": "ice_candidate", "candidate": "" });
    let call = serde_json::json!({ "kind": "channel", "id": CHANNEL });

    // ws_client_frame: every client frame kind.
    let frames = [
        (
            "identify",
            serde_json::json!({ "op": "identify", "d": { "token": "eyJhbGciOiJFZERTQSJ9.e30.sig" } }),
        ),
        (
            "identify-resume",
            serde_json::json!({ "op": "identify", "d": { "token": "t", "resume": {
            "channels": { CHANNEL: USER }, "conversations": { USER: CHANNEL } } } }),
        ),
        ("heartbeat", serde_json::json!({ "op": "heartbeat" })),
        (
            "activity",
            serde_json::json!({ "op": "activity", "d": { "idle": true } }),
        ),
        (
            "call-join",
            serde_json::json!({ "op": "call", "d": { "ref": "1", "action": "join", "call": call, "muted": true } }),
        ),
        (
            "call-leave",
            serde_json::json!({ "op": "call", "d": { "ref": "2", "action": "leave",
            "call": { "kind": "conversation", "id": USER } } }),
        ),
        (
            "call-update",
            serde_json::json!({ "op": "call", "d": { "ref": "3", "action": "update_state", "call": call,
            "camera": true, "screen_sharing": false } }),
        ),
        (
            "call-offer",
            serde_json::json!({ "op": "call", "d": { "ref": "4", "action": "signal", "call": call,
            "to_user_id": USER, "signal": signal_offer } }),
        ),
        (
            "call-candidate",
            serde_json::json!({ "op": "call", "d": { "ref": "5", "action": "signal", "call": call,
            "to_user_id": USER, "signal": signal_candidate } }),
        ),
    ];
    for (name, frame) in frames {
        write("ws_client_frame", name, frame.to_string().as_bytes())?;
    }

    // call_signal: bare signals and the request signal-svc receives.
    for (name, signal) in [
        ("offer", &signal_offer),
        ("answer", &signal_answer),
        ("candidate", &signal_candidate),
        ("end-of-candidates", &end_of_candidates),
    ] {
        write("call_signal", name, signal.to_string().as_bytes())?;
    }
    let relay = serde_json::json!({
        "connection": { "gateway_id": USER, "connection_id": 7 }, "call": call,
        "to_user_id": USER, "signal": signal_candidate
    });
    write("call_signal", "relay-request", relay.to_string().as_bytes())?;

    // invite_code: codes as issued and as people paste them.
    let code = InviteCode::generate();
    write("invite_code", "generated", code.as_str().as_bytes())?;
    write(
        "invite_code",
        "pasted",
        format!(" {}\n", code.as_str()).as_bytes(),
    )?;
    write("invite_code", "longest", "a-Z_".repeat(16).as_bytes())?;

    // e2e_ciphertext: the initiator's first three prekey messages and a bare session message.
    let prekeys = initiator_messages(3);
    for (i, message) in prekeys.iter().enumerate() {
        write(
            "e2e_ciphertext",
            &format!("prekey-{i}"),
            &message.to_bytes(),
        )?;
    }
    if let Some(second) = prekeys.get(1) {
        write(
            "e2e_ciphertext",
            "message-1",
            &Ciphertext::Message(second.message.clone()).to_bytes(),
        )?;
    }

    // sender_key_message: the distribution and the first messages of the fixture's chain.
    write(
        "sender_key_message",
        "distribution",
        &group_distribution().to_bytes(),
    )?;
    let mut sender = group_sender();
    let mut rng = FixedRng::new(5);
    for i in 0..3 {
        let plaintext = format!("group message {i}").repeat(i + 1);
        if let Ok(message) = sender.encrypt(plaintext.as_bytes(), &mut rng) {
            write(
                "sender_key_message",
                &format!("message-{i}"),
                message.as_bytes(),
            )?;
        }
    }

    // conversation_envelope: a send with real ciphertexts for two devices.
    let ciphertext = |i: usize| {
        prekeys
            .get(i)
            .map(|m| STANDARD.encode(m.to_bytes()))
            .unwrap_or_default()
    };
    let send = serde_json::json!({
        "nonce": "n-1",
        "envelope": { "sender_device_id": "laptop", "recipients": [
            { "user_id": USER, "device_id": "phone", "ciphertext": ciphertext(0) },
            { "user_id": CHANNEL, "device_id": "web", "ciphertext": ciphertext(1) },
        ] },
        "attachment_ids": [USER],
    });
    write("conversation_envelope", "send", send.to_string().as_bytes())?;
    let plaintext = serde_json::json!({ "nonce": "n-2", "body": "hello",
        "envelope": { "sender_device_id": "laptop", "recipients": [] } });
    write(
        "conversation_envelope",
        "plaintext",
        plaintext.to_string().as_bytes(),
    )?;

    check_seeds_authenticate(&prekeys)?;

    // upload_sniffing: flag byte (bit 0: complete, bit 1: a NUL-terminated name follows), then
    // the head of a small real file of each kind detection distinguishes.
    let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x03\x00\x00\x00\x02\x08\x06\x00\x00\x00".to_vec();
    png.extend_from_slice(b"\x00\x00\x00\x00IEND\xaeB`\x82");
    let gif = b"GIF89a\x03\x00\x02\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x03\x00\x02\x00\x00\x02\x02D\x01\x00;".to_vec();
    let jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xc0\x00\x11\x08\x00\x02\x00\x03\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01\xff\xd9".to_vec();
    let webp =
        b"RIFF\x24\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x01\x00\x00"
            .to_vec();
    let bmp = b"BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00\x03\x00\x00\x00\x02\x00\x00\x00\x01\x00\x18\x00".to_vec();
    let ico =
        b"\x00\x00\x01\x00\x01\x00\x10\x10\x00\x00\x01\x00\x20\x00\x68\x04\x00\x00\x16\x00\x00\x00"
            .to_vec();
    let pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n".to_vec();
    let zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec();
    let text = "hello, wörld\n".as_bytes().to_vec();
    let named = |flags: u8, name: &str, head: &[u8]| {
        let mut seed = vec![flags | 2];
        seed.extend_from_slice(name.as_bytes());
        seed.push(0);
        seed.extend_from_slice(head);
        seed
    };
    write("upload_sniffing", "png", &named(1, "cat.png", &png))?;
    write("upload_sniffing", "gif", &[&[1u8][..], &gif].concat())?;
    write(
        "upload_sniffing",
        "jpeg-head",
        &named(0, "../photos/IMG_0001.JPG", &jpeg),
    )?;
    write("upload_sniffing", "webp", &[&[0u8][..], &webp].concat())?;
    write("upload_sniffing", "bmp", &[&[1u8][..], &bmp].concat())?;
    write("upload_sniffing", "ico", &named(1, "favicon.ico", &ico))?;
    write(
        "upload_sniffing",
        "pdf",
        &named(1, "report\u{202e}fdp.exe", &pdf),
    )?;
    write(
        "upload_sniffing",
        "zip",
        &named(0, "C:\\docs\\a \"b\".zip", &zip),
    )?;
    write("upload_sniffing", "text", &named(1, "notes.txt", &text))?;
    Ok(())
}

/// The crypto seeds are only worth having if the targets' fixtures accept them: the responder
/// accepts the first prekey message, its session then reads the second message, and a member
/// decrypts the group messages.
fn check_seeds_authenticate(prekeys: &[PreKeyMessage]) -> io::Result<()> {
    let fail = |what: &str| io::Error::other(format!("seed check: {what}"));
    let responder = Responder::new();
    let first = prekeys.first().ok_or_else(|| fail("no prekey message"))?;
    let (mut session, plaintext) = first
        .accept(
            &responder.identity,
            &responder.signed_prekey,
            Some(&responder.one_time_prekey),
        )
        .map_err(|e| fail(&format!("the first prekey message is refused: {e}")))?;
    if plaintext != b"message 0" {
        return Err(fail("the first prekey message reads wrong"));
    }
    let second = prekeys.get(1).ok_or_else(|| fail("no second message"))?;
    if session.decrypt(&second.message).ok().as_deref() != Some(&b"message 1"[..]) {
        return Err(fail("the session does not read the second message"));
    }
    let mut member = InboundSenderKey::from_distribution(&group_distribution());
    let mut sender = group_sender();
    let message = sender
        .encrypt(b"group message check", &mut FixedRng::new(6))
        .map_err(|e| fail(&e.to_string()))?;
    if member.decrypt(&message).ok().as_deref() != Some(&b"group message check"[..]) {
        return Err(fail("a member does not read the group message"));
    }
    Ok(())
}
