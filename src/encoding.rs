//! Bytes and field elements ⇄ text (a leaf: it imports nothing of the crate).
//!
//! The one place hex is written and read: artifact digests, bytecode, proofs and the field
//! elements of public instances. Parsing refuses anything that is not exactly hex (a non-ASCII
//! character, an odd length, a value outside the field) instead of guessing.

use halo2_proofs::halo2curves::ff::PrimeField;

/// Lowercase hex of bytes, without a prefix.
pub fn hex(bytes: impl AsRef<[u8]>) -> String {
    ::hex::encode(bytes)
}

/// Lowercase hex of bytes with a `0x` prefix.
pub fn hex0x(bytes: impl AsRef<[u8]>) -> String {
    format!("0x{}", ::hex::encode(bytes))
}

/// Bytes of a hex string (optional `0x`, surrounding whitespace ignored); `None` if not hex.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    let t = s.trim();
    ::hex::decode(t.strip_prefix("0x").unwrap_or(t)).ok()
}

/// A field element (scalar or base field of BN254) as `0x` + 64 big-endian hex digits: the
/// canonical value, as the EVM and Solidity read a `uint256`.
pub fn field_hex<F: PrimeField<Repr = [u8; 32]>>(v: &F) -> String {
    let mut b = v.to_repr();
    b.reverse();
    hex0x(b)
}

/// The field element written by [`field_hex`]: `0x` and exactly 64 hex digits of a canonical
/// value; `None` for anything else (a missing prefix, another length, a value ≥ the modulus).
pub fn field_from_hex<F: PrimeField<Repr = [u8; 32]>>(s: &str) -> Option<F> {
    let digits = s.strip_prefix("0x")?;
    let mut b: [u8; 32] = ::hex::decode(digits).ok()?.try_into().ok()?;
    b.reverse();
    Option::from(F::from_repr(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_proofs::halo2curves::bn256::{Fq, Fr};

    #[test]
    fn unhex_reads_hex_and_refuses_anything_else() {
        assert_eq!(unhex(" 0x00ff7A\n"), Some(vec![0, 255, 122]));
        assert_eq!(unhex(""), Some(vec![]));
        // A sign, an odd length, a multi-byte character where a pair boundary falls inside it.
        for bad in [
            "0x0",
            "zz",
            "0xé1",
            "éé",
            "0x 00",
            "0x0x00",
            "+f",
            "abc",
            "60\u{73d}80",
            "0x6g",
        ] {
            assert_eq!(unhex(bad), None, "{bad:?}");
        }
        assert_eq!(hex([0u8, 255, 122]), "00ff7a");
        assert_eq!(hex0x([1u8]), "0x01");
    }

    #[test]
    fn field_elements_round_trip_and_out_of_field_values_are_refused() {
        for v in [Fr::zero(), Fr::one(), -Fr::one(), Fr::from(0xdead_beef_u64)] {
            let h = field_hex(&v);
            assert_eq!(h.len(), 66);
            assert_eq!(field_from_hex::<Fr>(&h), Some(v), "{h}");
        }
        assert_eq!(
            field_hex(&Fr::from(258u64)),
            format!("0x{}0102", "0".repeat(60))
        );
        assert_eq!(field_hex(&Fq::one()), format!("0x{}1", "0".repeat(63)));
        // The modulus itself and 2^256 − 1 are not canonical field elements.
        let r = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";
        assert_eq!(field_from_hex::<Fr>(r), None);
        assert_eq!(field_from_hex::<Fr>(&format!("0x{}", "f".repeat(64))), None);
        for bad in ["", "0x", "01", "0x01", "0xé", &"0".repeat(66)] {
            assert_eq!(field_from_hex::<Fr>(bad), None, "{bad:?}");
        }
        // A two-byte character where a digit pair would be sliced: refused, not a panic.
        let odd = format!("0x{}é{}", "0".repeat(31), "0".repeat(31));
        assert_eq!(field_from_hex::<Fr>(&odd), None);
    }
}
