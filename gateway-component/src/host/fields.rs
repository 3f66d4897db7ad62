//! Header fields for an outgoing request or response, made in one host call.

use spin_sdk::wit::wasi::http0_2_0::types::Fields;

/// `pairs` as one `fields` resource: `from-list` is one host call where an `append` per
/// header is one each, and every host call costs on Spin. Should the host refuse the list as a
/// whole, each header is appended on its own and only the refused ones are left out.
pub fn fields<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Fields {
    let list: Vec<(String, Vec<u8>)> = pairs
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_vec()))
        .collect();
    Fields::from_list(&list).unwrap_or_else(|_| {
        let fields = Fields::new();
        for (name, value) in &list {
            let _ = fields.append(name, value);
        }
        fields
    })
}
