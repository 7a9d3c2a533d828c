//! The one way a rule's configuration is written: a table of documented fields with their
//! defaults.

/// Writes a rule's configuration from one table of documented fields `pub name: Type = default`:
/// the struct (`Debug`, `Clone`, `Copy`, `PartialEq`, and serde's traits with the `serde`
/// feature), with every doc comment kept on its field, and its `Default` from the defaults of the
/// table, in which `F` is bound by [`Real`](crate::Real).
macro_rules! rule_config {
    (
        $(#[$attr:meta])*
        pub struct $name:ident<F> {
            $(
                $(#[$field_attr:meta])*
                pub $field:ident: $ty:ty = $default:expr,
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
    };
}
pub(crate) use rule_config;
