//! Header fields for an outgoing request or response, made in one host call.

/// A `fields` resource: spin-sdk's (the answer's head) and the `wasi` crate's (upstream
/// requests, shared with the WASIp3 build) are distinct Rust types of one WIT resource.
pub trait FieldsResource: Sized {
    fn from_list(list: &[(String, Vec<u8>)]) -> Option<Self>;
    fn empty() -> Self;
    fn append(&self, name: &str, value: &[u8]);
}

/// `pairs` as one `fields` resource: `from-list` is one host call where an `append` per
/// header is one each, and every host call costs on Spin. Should the host refuse the list as a
/// whole, each header is appended on its own and only the refused ones are left out.
pub fn fields<'a, F: FieldsResource>(pairs: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> F {
    let list: Vec<(String, Vec<u8>)> = pairs
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_vec()))
        .collect();
    F::from_list(&list).unwrap_or_else(|| {
        let fields = F::empty();
        for (name, value) in &list {
            fields.append(name, value);
        }
        fields
    })
}

/// One impl per binding of the resource; a refused header is left out, as `fields` says.
macro_rules! fields_resource {
    ($ty:ty) => {
        impl FieldsResource for $ty {
            fn from_list(list: &[(String, Vec<u8>)]) -> Option<Self> {
                <$ty>::from_list(list).ok()
            }
            fn empty() -> Self {
                <$ty>::new()
            }
            fn append(&self, name: &str, value: &[u8]) {
                let _ = <$ty>::append(self, &name.to_owned(), &value.to_vec());
            }
        }
    };
}

fields_resource!(wasi::http::types::Fields);
