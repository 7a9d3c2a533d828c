//! The one way a rule's configuration is written: a table of documented fields with their
//! defaults and domains.

/// Writes a rule's configuration from one table of documented fields
/// `pub name: Type = default`, each real field optionally followed by `=> Domain`, the
/// [`Domain`](crate::error::Domain) its value is checked against.
///
/// It writes the struct (`Debug`, `Clone`, `Copy`, `PartialEq`, and serde's traits with the
/// `serde` feature), with every doc comment kept on its field; its `Default` from the defaults
/// of the table, in which `F` is bound by [`Real`](crate::Real); and `check_domains`, which
/// checks the fields that name a domain, in the order of the table, and returns
/// [`Error::InvalidParameter`](crate::Error::InvalidParameter) naming the first one outside
/// its domain.
macro_rules! rule_config {
    (
        $(#[$attr:meta])*
        pub struct $name:ident<F> {
            $(
                $(#[$field_attr:meta])*
                pub $field:ident: $ty:ty = $default:expr $(=> $domain:ident)?,
            )*
        }
    ) => {
        $(#[$attr])*
        #[derive(Debug, Clone, Copy, PartialEq)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        pub struct $name<F> {
            $(
                $(#[$field_attr])*
                pub $field: $ty,
            )*
        }

        impl<F: $crate::Real> Default for $name<F> {
            fn default() -> Self {
                $name {
                    $($field: $default,)*
                }
            }
        }

        impl<F: $crate::Real> $name<F> {
            /// Checks every field the table gives a domain, in the order of the table.
            #[allow(dead_code)]
            pub(crate) fn check_domains(&self) -> $crate::error::Result<()> {
                $($(
                    $crate::error::check(
                        stringify!($field),
                        self.$field,
                        $crate::error::Domain::$domain,
                    )?;
                )?)*
                Ok(())
            }
        }
    };
}
pub(crate) use rule_config;
