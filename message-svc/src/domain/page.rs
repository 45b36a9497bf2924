//! Page sizes and history cursors.

use chatalot_shared::ApiError;
use uuid::Uuid;

/// A page size between 1 and `MAX`, `DEFAULT` when the client does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit<const DEFAULT: u32, const MAX: u32>(u32);

/// History pages: 1 to 100 messages; 50 by default.
pub type HistoryLimit = Limit<50, 100>;
/// Search pages: 1 to 50 messages; 25 by default.
pub type SearchLimit = Limit<25, 50>;
/// Other lists (who reacted): 1 to 100; 50 by default.
pub type PageLimit = Limit<50, 100>;

impl<const DEFAULT: u32, const MAX: u32> Limit<DEFAULT, MAX> {
    pub fn parse(limit: Option<u32>) -> Result<Self, ApiError> {
        match limit.unwrap_or(DEFAULT) {
            n @ 1.. if n <= MAX => Ok(Self(n)),
            _ => Err(ApiError::invalid_request(format!(
                "limit must be between 1 and {MAX}"
            ))),
        }
    }

    /// For SQL `limit`.
    pub fn as_i64(self) -> i64 {
        i64::from(self.0)
    }

    /// A page this long may have more after it.
    pub fn is_full(self, len: usize) -> bool {
        usize::try_from(self.0).is_ok_and(|limit| len >= limit)
    }
}

/// Where a history page is taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryCursor {
    Newest,
    Before(Uuid),
    After(Uuid),
    Around(Uuid),
}

impl HistoryCursor {
    /// At most one of the three may be given.
    pub fn parse(
        before: Option<Uuid>,
        after: Option<Uuid>,
        around: Option<Uuid>,
    ) -> Result<Self, ApiError> {
        match (before, after, around) {
            (None, None, None) => Ok(Self::Newest),
            (Some(id), None, None) => Ok(Self::Before(id)),
            (None, Some(id), None) => Ok(Self::After(id)),
            (None, None, Some(id)) => Ok(Self::Around(id)),
            _ => Err(ApiError::invalid_request(
                "give at most one of before, after and around",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_have_defaults_and_bounds() {
        assert_eq!(HistoryLimit::parse(None).map(HistoryLimit::as_i64), Ok(50));
        assert_eq!(
            HistoryLimit::parse(Some(100)).map(HistoryLimit::as_i64),
            Ok(100)
        );
        assert!(HistoryLimit::parse(Some(0)).is_err());
        assert!(HistoryLimit::parse(Some(101)).is_err());
        assert_eq!(SearchLimit::parse(None).map(SearchLimit::as_i64), Ok(25));
        assert!(SearchLimit::parse(Some(51)).is_err());
        assert_eq!(PageLimit::parse(Some(1)).map(PageLimit::as_i64), Ok(1));
    }

    #[test]
    fn one_cursor_at_most() {
        let id = Uuid::now_v7();
        assert_eq!(
            HistoryCursor::parse(None, None, None),
            Ok(HistoryCursor::Newest)
        );
        assert_eq!(
            HistoryCursor::parse(None, None, Some(id)),
            Ok(HistoryCursor::Around(id))
        );
        assert!(HistoryCursor::parse(Some(id), Some(id), None).is_err());
        assert!(HistoryCursor::parse(Some(id), None, Some(id)).is_err());
    }
}
