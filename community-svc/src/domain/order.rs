//! Orderings of groups, channels and roles. Positions are kept compact (0, 1, 2, ...) by
//! computing the new order in memory and writing it back in one statement.

use chatalot_shared::ApiError;
use std::collections::HashSet;
use uuid::Uuid;

/// `order` with `id` taken out (if present) and put at `index` (clamped to the end).
pub fn move_to(order: &[Uuid], id: Uuid, index: usize) -> Vec<Uuid> {
    let mut moved: Vec<Uuid> = order.iter().copied().filter(|x| *x != id).collect();
    let index = index.min(moved.len());
    moved.insert(index, id);
    moved
}

/// Checks that `requested` names each of `current` exactly once.
pub fn check_permutation(current: &[Uuid], requested: &[Uuid]) -> Result<(), ApiError> {
    let wanted: HashSet<Uuid> = requested.iter().copied().collect();
    let have: HashSet<Uuid> = current.iter().copied().collect();
    if wanted.len() != requested.len() {
        return Err(ApiError::invalid_request("group_ids has duplicates"));
    }
    if wanted != have {
        return Err(ApiError::invalid_request(
            "group_ids must list every group of the community exactly once",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: u128) -> Vec<Uuid> {
        (0..n).map(Uuid::from_u128).collect()
    }

    #[test]
    fn moving_keeps_everything_else_in_order() {
        let order = ids(4);
        assert_eq!(
            move_to(&order, order[3], 1),
            vec![order[0], order[3], order[1], order[2]]
        );
        assert_eq!(
            move_to(&order, order[0], 3),
            vec![order[1], order[2], order[3], order[0]]
        );
        assert_eq!(
            move_to(&order, order[1], 99),
            vec![order[0], order[2], order[3], order[1]]
        );
        let newcomer = Uuid::from_u128(9);
        assert_eq!(move_to(&order, newcomer, 0)[0], newcomer);
        assert_eq!(move_to(&order, newcomer, 0).len(), 5);
    }

    #[test]
    fn a_reorder_is_an_exact_permutation() {
        let order = ids(3);
        assert!(check_permutation(&order, &[order[2], order[0], order[1]]).is_ok());
        assert!(check_permutation(&order, &[order[2], order[0]]).is_err());
        assert!(check_permutation(&order, &[order[2], order[0], order[0]]).is_err());
        assert!(
            check_permutation(&order, &[order[2], order[0], order[1], Uuid::from_u128(7)]).is_err()
        );
        assert!(check_permutation(&[], &[]).is_ok());
    }
}
