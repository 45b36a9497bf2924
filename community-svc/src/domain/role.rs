//! Role settings: names, colours and positions.

use chatalot_shared::ApiError;

/// A role's name: 1 to 100 characters, and not `@everyone` (in any case), which would pass
/// for the default role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleName(String);

impl RoleName {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let value = raw.trim();
        let chars = value.chars().count();
        if chars == 0 || chars > 100 {
            return Err(ApiError::invalid_request(
                "name must have 1 to 100 characters",
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(ApiError::invalid_request(
                "name must not contain control characters",
            ));
        }
        if value.eq_ignore_ascii_case("@everyone") {
            return Err(ApiError::invalid_request(
                "@everyone is the name of the default role",
            ));
        }
        Ok(Self(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A colour as 0xRRGGBB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleColor(i32);

impl RoleColor {
    pub fn parse(color: u32) -> Result<Self, ApiError> {
        if color > 0xFF_FFFF {
            return Err(ApiError::invalid_request(
                "color must be between 0 and 16777215 (0xFFFFFF)",
            ));
        }
        Ok(Self(i32::try_from(color).unwrap_or(0)))
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

/// A role's place in the hierarchy: 1 or more (0 is `@everyone`'s); past the top means top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RolePosition(usize);

impl RolePosition {
    pub fn parse(position: i32) -> Result<Self, ApiError> {
        usize::try_from(position)
            .ok()
            .filter(|p| *p >= 1)
            .map(Self)
            .ok_or_else(|| {
                ApiError::invalid_request("position must be 1 or more (0 is @everyone's)")
            })
    }

    pub fn index(self) -> usize {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_are_bounded_and_never_everyone() {
        assert!(RoleName::parse("Moderators").is_ok());
        assert!(RoleName::parse(&"r".repeat(100)).is_ok());
        for bad in [
            "",
            "  ",
            &"r".repeat(101),
            "@everyone",
            "@EveryOne",
            "a\u{0}",
        ] {
            assert!(RoleName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn colors_are_24_bit() {
        assert_eq!(
            RoleColor::parse(0xFF_FFFF).map(RoleColor::get),
            Ok(0xFF_FFFF)
        );
        assert!(RoleColor::parse(0x100_0000).is_err());
    }

    #[test]
    fn positions_start_above_everyone() {
        assert_eq!(RolePosition::parse(1).map(RolePosition::index), Ok(1));
        assert!(RolePosition::parse(0).is_err());
        assert!(RolePosition::parse(-3).is_err());
    }
}
