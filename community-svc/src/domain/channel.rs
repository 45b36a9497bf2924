//! Channel settings with bounds: slow mode, voice capacity, position.

use chatalot_shared::{ApiError, contracts::community::ChannelKind};

/// Seconds between two messages of one member: 0 (off) or 5 to 600.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlowMode(i32);

impl SlowMode {
    pub const OFF: SlowMode = SlowMode(0);

    pub fn parse(secs: u32) -> Result<Self, ApiError> {
        match secs {
            0 | 5..=600 => Ok(Self(i32::try_from(secs).unwrap_or(0))),
            _ => Err(ApiError::invalid_request(
                "slow_mode_secs must be 0 (off) or between 5 and 600",
            )),
        }
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

/// How many people a voice channel holds at once: 1 to 25 (the WebRTC mesh limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoiceCap(i32);

impl VoiceCap {
    pub const MAX: VoiceCap = VoiceCap(25);

    /// The capacity of a channel of `kind`: voice channels get `requested` or 25; text channels
    /// have none and refuse one.
    pub fn for_kind(kind: ChannelKind, requested: Option<u32>) -> Result<Option<Self>, ApiError> {
        match (kind, requested) {
            (ChannelKind::Text, None) => Ok(None),
            (ChannelKind::Text, Some(_)) => Err(ApiError::invalid_request(
                "voice_cap is only for voice channels",
            )),
            (ChannelKind::Voice, None) => Ok(Some(Self::MAX)),
            (ChannelKind::Voice, Some(cap @ 1..=25)) => {
                Ok(Some(Self(i32::try_from(cap).unwrap_or(25))))
            }
            (ChannelKind::Voice, Some(_)) => Err(ApiError::invalid_request(
                "voice_cap must be between 1 and 25",
            )),
        }
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

/// A channel's place among its group's channels, from 0 (past the end means last).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelPosition(usize);

impl ChannelPosition {
    pub fn parse(position: i32) -> Result<Self, ApiError> {
        usize::try_from(position)
            .map(Self)
            .map_err(|_| ApiError::invalid_request("position must be 0 or more"))
    }

    pub fn index(self) -> usize {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_mode_is_off_or_five_seconds_to_ten_minutes() {
        for ok in [0, 5, 60, 600] {
            assert_eq!(SlowMode::parse(ok).map(SlowMode::get), Ok(ok as i32));
        }
        for bad in [1, 4, 601, u32::MAX] {
            assert!(SlowMode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn voice_cap_is_for_voice_channels_only_and_defaults_to_the_mesh_limit() {
        let cap =
            |kind, requested| VoiceCap::for_kind(kind, requested).map(|c| c.map(VoiceCap::get));
        assert_eq!(cap(ChannelKind::Voice, None), Ok(Some(25)));
        assert_eq!(cap(ChannelKind::Voice, Some(1)), Ok(Some(1)));
        assert_eq!(cap(ChannelKind::Voice, Some(25)), Ok(Some(25)));
        assert!(cap(ChannelKind::Voice, Some(0)).is_err());
        assert!(cap(ChannelKind::Voice, Some(26)).is_err());
        assert_eq!(cap(ChannelKind::Text, None), Ok(None));
        assert!(cap(ChannelKind::Text, Some(10)).is_err());
    }

    #[test]
    fn positions_are_not_negative() {
        assert_eq!(ChannelPosition::parse(0).map(ChannelPosition::index), Ok(0));
        assert_eq!(ChannelPosition::parse(7).map(ChannelPosition::index), Ok(7));
        assert!(ChannelPosition::parse(-1).is_err());
    }
}
