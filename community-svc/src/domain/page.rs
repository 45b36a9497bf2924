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

    /// For SQL `limit`.
    pub fn as_i64(self) -> i64 {
        i64::from(self.0)
    }

    /// The id of the last item when the page is full (there may be more); `None` otherwise.
    pub fn next_cursor<T>(self, items: &[T], id: impl Fn(&T) -> uuid::Uuid) -> Option<uuid::Uuid> {
        let full = usize::try_from(self.0).is_ok_and(|limit| items.len() >= limit);
        if full { items.last().map(id) } else { None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_fifty_and_bounds_to_one_hundred() {
        assert_eq!(PageLimit::parse(None).map(PageLimit::as_i64), Ok(50));
        assert_eq!(PageLimit::parse(Some(1)).map(PageLimit::as_i64), Ok(1));
        assert_eq!(PageLimit::parse(Some(100)).map(PageLimit::as_i64), Ok(100));
        assert!(PageLimit::parse(Some(0)).is_err());
        assert!(PageLimit::parse(Some(101)).is_err());
    }

    #[test]
    fn a_cursor_only_follows_a_full_page() {
        let ids = [uuid::Uuid::from_u128(1), uuid::Uuid::from_u128(2)];
        let two = PageLimit::parse(Some(2)).unwrap_or(PageLimit(50));
        assert_eq!(two.next_cursor(&ids, |id| *id), Some(ids[1]));
        let three = PageLimit::parse(Some(3)).unwrap_or(PageLimit(50));
        assert_eq!(three.next_cursor(&ids, |id| *id), None);
    }
}
