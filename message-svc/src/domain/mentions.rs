//! Mentions written in a body: `<@user_id>`, `<@&role_id>`, `@everyone` and `@here`. Text in
//! code (between backticks) mentions nobody, so people can write about the syntax.

use uuid::Uuid;

/// What a body mentions, before the author's rights are applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedMentions {
    /// In order of first appearance, without repeats.
    pub users: Vec<Uuid>,
    pub roles: Vec<Uuid>,
    /// `@everyone` or `@here` appears (they mean the same: there is no presence to narrow `@here`).
    pub everyone: bool,
}

impl ParsedMentions {
    pub fn parse(body: &str) -> Self {
        let mut found = Self::default();
        for segment in outside_code(body) {
            found.scan(segment);
        }
        found
    }

    /// Keeps `@everyone` only for authors who may use it; a role mention of `@everyone` itself
    /// (`<@&community_id>`) is the same as `@everyone`.
    pub fn authorised(mut self, community_id: Uuid, may_mention_everyone: bool) -> Self {
        if self.roles.contains(&community_id) {
            self.roles.retain(|r| *r != community_id);
            self.everyone = true;
        }
        self.everyone &= may_mention_everyone;
        self
    }

    fn scan(&mut self, text: &str) {
        let mut rest = text;
        while let Some(at) = rest.find('@') {
            let before = &rest[..at];
            let after = &rest[at + 1..];
            if before.ends_with('<') {
                let (is_role, tail) = match after.strip_prefix('&') {
                    Some(tail) => (true, tail),
                    None => (false, after),
                };
                if let Some(id) = tail
                    .get(..36)
                    .filter(|_| tail[36..].starts_with('>'))
                    .and_then(|id| Uuid::parse_str(id).ok())
                {
                    let list = if is_role {
                        &mut self.roles
                    } else {
                        &mut self.users
                    };
                    if !list.contains(&id) {
                        list.push(id);
                    }
                }
            } else {
                let word_start = !before
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_');
                let word = |name: &str| {
                    after.strip_prefix(name).is_some_and(|tail| {
                        !tail
                            .chars()
                            .next()
                            .is_some_and(|c| c.is_alphanumeric() || c == '_')
                    })
                };
                if word_start && (word("everyone") || word("here")) {
                    self.everyone = true;
                }
            }
            rest = after;
        }
    }
}

/// The parts of `body` outside code spans and blocks: a run of N backticks opens code that the
/// next run of exactly N backticks closes (unclosed runs are plain text, as in CommonMark).
fn outside_code(body: &str) -> Vec<&str> {
    let mut segments = Vec::new();
    let bytes = body.as_bytes();
    let mut plain_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'`' {
            i += 1;
            continue;
        }
        let run_start = i;
        while i < bytes.len() && bytes[i] == b'`' {
            i += 1;
        }
        let run = i - run_start;
        // Find the closing run of the same length.
        let mut j = i;
        let mut closed_at = None;
        while j < bytes.len() {
            if bytes[j] == b'`' {
                let close_start = j;
                while j < bytes.len() && bytes[j] == b'`' {
                    j += 1;
                }
                if j - close_start == run {
                    closed_at = Some(j);
                    break;
                }
            } else {
                j += 1;
            }
        }
        if let Some(end) = closed_at {
            segments.push(&body[plain_start..run_start]);
            plain_start = end;
            i = end;
        }
    }
    segments.push(&body[plain_start..]);
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_roles_and_everyone_are_found_once_each() {
        let user = Uuid::now_v7();
        let role = Uuid::now_v7();
        let body = format!("hi <@{user}> and <@&{role}>, again <@{user}>! @everyone");
        let found = ParsedMentions::parse(&body);
        assert_eq!(found.users, vec![user]);
        assert_eq!(found.roles, vec![role]);
        assert!(found.everyone);
        assert!(ParsedMentions::parse("@here, look").everyone);
    }

    #[test]
    fn lookalikes_mention_nobody() {
        let user = Uuid::now_v7();
        for text in [
            "mail me at bob@everyone.org".to_string(),
            "@everyones".to_string(),
            "<@not-a-uuid>".to_string(),
            format!("<@{user}"),
            format!("<@ {user}>"),
            format!("`<@{user}> @everyone`"),
            format!("```\n<@{user}>\n```"),
        ] {
            assert_eq!(
                ParsedMentions::parse(&text),
                ParsedMentions::default(),
                "{text}"
            );
        }
        // An unclosed backtick is plain text.
        assert_eq!(
            ParsedMentions::parse(&format!("` <@{user}>")).users,
            vec![user]
        );
    }

    #[test]
    fn everyone_needs_the_right() {
        let community = Uuid::now_v7();
        let found = ParsedMentions::parse("@everyone").authorised(community, false);
        assert!(!found.everyone);
        let role_everyone = ParsedMentions::parse(&format!("<@&{community}>"));
        let allowed = role_everyone.clone().authorised(community, true);
        assert!(allowed.everyone && allowed.roles.is_empty());
        let refused = role_everyone.authorised(community, false);
        assert!(!refused.everyone && refused.roles.is_empty());
    }
}
