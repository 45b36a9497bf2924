//! Page sizes of list operations.

use chatalot_shared::ApiError;

/// 1 to 100 items per page; 50 when the client does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimit(u32);

impl PageLimit {
    pub const DEFAULT: u32 = 50;
    pub const MAX: u32 = 100;

    pub fn parse(limit: Option<u32>) -> Result<Self, ApiError> {
        match limit.unwrap_or(Self::DEFAULT) {
            n @ 1..=Self::MAX => Ok(Self(n)),
            _ => Err(ApiError::invalid_request("limit must be between 1 and 100")),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }

    /// For SQL `limit`.
    pub fn as_i64(self) -> i64 {
        i64::from(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_fifty_and_bounds_to_one_hundred() {
        assert_eq!(PageLimit::parse(None).map(PageLimit::get), Ok(50));
        assert_eq!(PageLimit::parse(Some(1)).map(PageLimit::get), Ok(1));
        assert_eq!(PageLimit::parse(Some(100)).map(PageLimit::get), Ok(100));
        assert!(PageLimit::parse(Some(0)).is_err());
        assert!(PageLimit::parse(Some(101)).is_err());
    }
}
