//! The protobuf subset both messages need: varints and length-delimited fields.
//! (libsignal's `SenderKeyMessage` and `SenderKeyDistributionMessage` are protobuf.)

use crate::error::{CryptoError, Result};

pub(super) const WIRE_VARINT: u8 = 0;
const WIRE_FIXED64: u8 = 1;
pub(super) const WIRE_LEN: u8 = 2;
const WIRE_FIXED32: u8 = 5;
/// Largest field number protobuf allows.
const MAX_FIELD_NUMBER: u64 = (1 << 29) - 1;
/// A 64-bit varint takes at most ten bytes.
const MAX_VARINT_LEN: usize = 10;

fn malformed(what: &'static str) -> CryptoError {
    CryptoError::MalformedMessage(what)
}

/// Bytes a varint of `value` takes.
pub(super) fn varint_len(mut value: u64) -> usize {
    let mut len = 1;
    while value >= 0x80 {
        value >>= 7;
        len += 1;
    }
    len
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value & 0x7f) as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn put_tag(out: &mut Vec<u8>, field: u32, wire_type: u8) {
    put_varint(out, (u64::from(field) << 3) | u64::from(wire_type));
}

/// Appends a varint field.
pub(super) fn put_varint_field(out: &mut Vec<u8>, field: u32, value: u64) {
    put_tag(out, field, WIRE_VARINT);
    put_varint(out, value);
}

/// Appends a `uint32` field.
pub(super) fn put_uint32(out: &mut Vec<u8>, field: u32, value: u32) {
    put_varint_field(out, field, u64::from(value));
}

/// Appends a `bytes` field.
pub(super) fn put_bytes(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_tag(out, field, WIRE_LEN);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Encoded size of a field with a one-byte tag.
pub(super) fn uint32_field_len(value: u32) -> usize {
    1 + varint_len(u64::from(value))
}

/// Encoded size of a `bytes` field with a one-byte tag.
pub(super) fn bytes_field_len(len: usize) -> usize {
    1 + varint_len(len as u64) + len
}

/// A decoded field value.
#[derive(Clone, Copy)]
pub(super) enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    /// A fixed-width value, only ever skipped.
    Fixed,
}

impl Value<'_> {
    fn wire_type(&self) -> u8 {
        match self {
            Value::Varint(_) => WIRE_VARINT,
            Value::Bytes(_) => WIRE_LEN,
            Value::Fixed => WIRE_FIXED64,
        }
    }
}

/// The fields `1..=N` of a message, each present at most once with its expected wire type.
pub(super) struct Fields<'a, const N: usize>([Option<Value<'a>>; N]);

impl<'a, const N: usize> Fields<'a, N> {
    /// Decodes `bytes`; `wire_types[i]` is the wire type of field `i + 1`. Higher field
    /// numbers are unknown and skipped.
    pub(super) fn decode(mut bytes: &'a [u8], wire_types: [u8; N]) -> Result<Self> {
        let mut fields = [None; N];
        while !bytes.is_empty() {
            let tag = take_varint(&mut bytes)?;
            let number = tag >> 3;
            if number == 0 || number > MAX_FIELD_NUMBER {
                return Err(malformed("invalid protobuf field number"));
            }
            let value = match (tag & 7) as u8 {
                WIRE_VARINT => Value::Varint(take_varint(&mut bytes)?),
                WIRE_LEN => {
                    let len = usize::try_from(take_varint(&mut bytes)?)
                        .map_err(|_| malformed("protobuf length too large"))?;
                    Value::Bytes(take(&mut bytes, len)?)
                }
                WIRE_FIXED64 => {
                    take(&mut bytes, 8)?;
                    Value::Fixed
                }
                WIRE_FIXED32 => {
                    take(&mut bytes, 4)?;
                    Value::Fixed
                }
                _ => return Err(malformed("unsupported protobuf wire type")),
            };
            // number ≥ 1 here; fields past N are unknown and skipped.
            let index = (number - 1) as usize;
            if let (Some(slot), Some(&expected)) = (fields.get_mut(index), wire_types.get(index)) {
                if value.wire_type() != expected {
                    return Err(malformed("protobuf field has the wrong wire type"));
                }
                if slot.replace(value).is_some() {
                    return Err(malformed("protobuf field repeated"));
                }
            }
        }
        Ok(Self(fields))
    }

    fn get(&self, number: u32) -> Option<Value<'a>> {
        let index = usize::try_from(number.checked_sub(1)?).ok()?;
        self.0.get(index).copied().flatten()
    }

    /// A required `uint32` field.
    pub(super) fn uint32(&self, number: u32, what: &'static str) -> Result<u32> {
        match self.get(number) {
            Some(Value::Varint(value)) => u32::try_from(value).map_err(|_| malformed(what)),
            _ => Err(malformed(what)),
        }
    }

    /// A required `bytes` field of exactly `LEN` bytes.
    pub(super) fn array<const LEN: usize>(
        &self,
        number: u32,
        what: &'static str,
    ) -> Result<[u8; LEN]> {
        <[u8; LEN]>::try_from(self.bytes(number, what)?).map_err(|_| malformed(what))
    }

    /// A required `bytes` field.
    pub(super) fn bytes(&self, number: u32, what: &'static str) -> Result<&'a [u8]> {
        match self.get(number) {
            Some(Value::Bytes(bytes)) => Ok(bytes),
            _ => Err(malformed(what)),
        }
    }
}

/// Splits `len` bytes off the front of `bytes`.
fn take<'a>(bytes: &mut &'a [u8], len: usize) -> Result<&'a [u8]> {
    if len > bytes.len() {
        return Err(malformed("truncated protobuf field"));
    }
    let (head, tail) = bytes.split_at(len);
    *bytes = tail;
    Ok(head)
}

/// Reads a minimal varint of at most 64 bits off the front of `bytes`.
fn take_varint(bytes: &mut &[u8]) -> Result<u64> {
    let mut value = 0u64;
    for (index, &byte) in bytes.iter().enumerate().take(MAX_VARINT_LEN) {
        // The tenth byte carries bit 63 only.
        if index == MAX_VARINT_LEN - 1 && byte > 1 {
            return Err(malformed("varint overflows 64 bits"));
        }
        value |= u64::from(byte & 0x7f) << (7 * index);
        if byte & 0x80 == 0 {
            if index > 0 && byte == 0 {
                return Err(malformed("varint is not minimally encoded"));
            }
            *bytes = &bytes[index + 1..];
            return Ok(value);
        }
    }
    Err(malformed(if bytes.len() < MAX_VARINT_LEN {
        "truncated varint"
    } else {
        "varint longer than ten bytes"
    }))
}
