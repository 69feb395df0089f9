//! The parts of an `Owner` ARN that policies name: account, principal name and role.

/// An `Owner` value split as an ARN: `arn:partition:service:region:account:resource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnerArn<'a> {
    account: Option<&'a str>,
    resource: &'a str,
}

impl<'a> OwnerArn<'a> {
    /// Splits `owner`; `None` when it is not an ARN.
    pub fn parse(owner: &'a str) -> Option<Self> {
        let mut parts = owner.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        let (_partition, _service, _region) = (parts.next()?, parts.next()?, parts.next()?);
        let account = parts.next()?;
        let resource = parts.next()?;
        let is_account_id = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
        Some(Self {
            account: is_account_id.then_some(account),
            resource,
        })
    }

    /// The 12-digit account id, when the ARN has one.
    pub fn account(&self) -> Option<&'a str> {
        self.account
    }

    /// The last `/`-separated part of the resource: `jdoe` in `user/jdoe` and `assumed-role/Admin/jdoe`.
    pub fn name(&self) -> Option<&'a str> {
        let name = self.resource.rsplit('/').next()?;
        (!name.is_empty()).then_some(name)
    }

    /// The role of an `assumed-role/Role/session` resource.
    pub fn role(&self) -> Option<&'a str> {
        let mut parts = self.resource.split('/');
        if parts.next()? != "assumed-role" {
            return None;
        }
        parts.next().filter(|role| !role.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assumed_role_arns_give_account_role_and_name() {
        let arn = OwnerArn::parse("arn:aws:sts::123456789012:assumed-role/Admin/jdoe").unwrap();
        assert_eq!(arn.account(), Some("123456789012"));
        assert_eq!(arn.role(), Some("Admin"));
        assert_eq!(arn.name(), Some("jdoe"));
    }

    #[test]
    fn user_arns_have_no_role() {
        let arn = OwnerArn::parse("arn:aws:iam::123456789012:user/jdoe").unwrap();
        assert_eq!(arn.role(), None);
        assert_eq!(arn.name(), Some("jdoe"));
    }

    #[test]
    fn a_root_arn_names_root() {
        let arn = OwnerArn::parse("arn:aws:iam::123456789012:root").unwrap();
        assert_eq!(arn.name(), Some("root"));
    }

    #[test]
    fn non_arns_give_nothing() {
        assert_eq!(OwnerArn::parse("jdoe"), None);
        assert_eq!(OwnerArn::parse("arn:aws:iam"), None);
    }

    #[test]
    fn session_names_with_colons_stay_whole() {
        let arn = OwnerArn::parse("arn:aws:sts::123456789012:assumed-role/R/a:b").unwrap();
        assert_eq!(arn.name(), Some("a:b"));
    }
}
