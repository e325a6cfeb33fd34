//! Bytes, field elements and addresses ⇄ text (a leaf: it imports nothing of the crate).
//!
//! The one place hex is written and read: artifact digests, bytecode, proofs, the field
//! elements of public instances, and Ethereum addresses ([`Address`], EIP-55). Parsing refuses
//! anything that is not exactly hex (a non-ASCII character, an odd length, a value outside the
//! field, a wrong checksum) instead of guessing.

use std::fmt;
use std::str::FromStr;

use halo2_proofs::halo2curves::ff::PrimeField;

/// Lowercase hex of bytes, without a prefix.
pub fn hex(bytes: impl AsRef<[u8]>) -> String {
    ::hex::encode(bytes)
}

/// Lowercase hex of bytes with a `0x` prefix.
pub(crate) fn hex0x(bytes: impl AsRef<[u8]>) -> String {
    format!("0x{}", ::hex::encode(bytes))
}

/// Bytes of a hex string (optional `0x`, surrounding whitespace ignored); `None` if not hex.
pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    let t = s.trim();
    ::hex::decode(t.strip_prefix("0x").unwrap_or(t)).ok()
}

/// A field element (scalar or base field of BN254) as `0x` + 64 big-endian hex digits: the
/// canonical value, as the EVM and Solidity read a `uint256`.
pub(crate) fn field_hex<F: PrimeField<Repr = [u8; 32]>>(v: &F) -> String {
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

/// Serde form of a field element as [`field_hex`] writes it, for
/// `#[serde(with = "crate::encoding::field_serde")]`.
pub(crate) mod field_serde {
    use halo2_proofs::halo2curves::ff::PrimeField;

    pub(crate) fn serialize<F, S>(v: &F, s: S) -> Result<S::Ok, S::Error>
    where
        F: PrimeField<Repr = [u8; 32]>,
        S: serde::Serializer,
    {
        s.serialize_str(&super::field_hex(v))
    }

    pub(crate) fn deserialize<'de, F, D>(d: D) -> Result<F, D::Error>
    where
        F: PrimeField<Repr = [u8; 32]>,
        D: serde::Deserializer<'de>,
    {
        let text = <String as serde::Deserialize>::deserialize(d)?;
        super::field_from_hex(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{text} is not a field element (\"0x\" + 64 hex digits, below the modulus)"
            ))
        })
    }
}

/// An Ethereum address: 20 bytes, shown with its EIP-55 checksum (what web3.py requires and
/// ethers.js prints). Read from `0x` + 40 hex digits, all lower or all upper case, or mixed case
/// carrying a valid checksum (a mistyped checksummed address is refused, not taken).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Address(pub [u8; 20]);

/// Why a text is not an [`Address`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{text}' is not an Ethereum address: {reason}; expected 0x followed by 40 hex digits (20 bytes), e.g. 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")]
pub struct AddressError {
    pub text: String,
    pub reason: &'static str,
}

impl Address {
    /// Parse `0x` + 40 hex digits (see the type's docs for the case rule).
    pub fn parse(text: &str) -> Result<Self, AddressError> {
        let bad = |reason| AddressError {
            text: text.to_string(),
            reason,
        };
        let digits = text
            .strip_prefix("0x")
            .or_else(|| text.strip_prefix("0X"))
            .ok_or_else(|| bad("it does not start with 0x"))?;
        if digits.len() != 40 {
            return Err(bad("it does not have 40 hex digits"));
        }
        let bytes: [u8; 20] = ::hex::decode(digits)
            .map_err(|_| bad("it is not hex"))?
            .try_into()
            .expect("40 hex digits are 20 bytes");
        let address = Address(bytes);
        let mixed = digits.bytes().any(|c| c.is_ascii_lowercase())
            && digits.bytes().any(|c| c.is_ascii_uppercase());
        if mixed && address.checksummed()[2..] != *digits {
            return Err(bad(
                "its EIP-55 checksum (the case of its letters) is wrong",
            ));
        }
        Ok(address)
    }

    /// `0x` + 40 hex digits, each letter upper-cased where the Keccak-256 of the lower-case
    /// digits has a high nibble (EIP-55).
    pub(crate) fn checksummed(&self) -> String {
        let lower = ::hex::encode(self.0);
        let hash = ethers_core::utils::keccak256(lower.as_bytes());
        let digits: String = lower
            .chars()
            .enumerate()
            .map(|(i, c)| {
                let nibble = (hash[i / 2] >> if i % 2 == 0 { 4 } else { 0 }) & 0xf;
                if nibble >= 8 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect();
        format!("0x{digits}")
    }

    /// The address as an ABI word (a `uint256` or `address` argument): 12 zero bytes, then it.
    pub fn word(&self) -> [u8; 32] {
        let mut w = [0u8; 32];
        w[12..].copy_from_slice(&self.0);
        w
    }

    /// The low 20 bytes of an ABI word, as Solidity's `address(uint160(x))` reads a `uint256`
    /// (a public instance that carries a key).
    pub(crate) fn from_low_bytes(word: &[u8; 32]) -> Self {
        Address(word[12..].try_into().expect("20 bytes"))
    }

    /// The address an ABI word holds, or `None` if its top 12 bytes are not zero.
    pub fn from_word(word: &[u8; 32]) -> Option<Self> {
        word[..12]
            .iter()
            .all(|&b| b == 0)
            .then(|| Address(word[12..].try_into().expect("20 bytes")))
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.checksummed())
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.checksummed())
    }
}

impl FromStr for Address {
    type Err = AddressError;
    fn from_str(s: &str) -> Result<Self, AddressError> {
        Address::parse(s)
    }
}

impl serde::Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.checksummed())
    }
}

impl<'de> serde::Deserialize<'de> for Address {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Address::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_proofs::halo2curves::bn256::{Fq, Fr};

    /// EIP-55's own examples, and anvil's account 0 as ethers.js prints it.
    #[test]
    fn addresses_are_shown_with_their_eip55_checksum_and_a_wrong_one_is_refused() {
        for a in [
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
            "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        ] {
            let parsed = Address::parse(a).unwrap();
            assert_eq!(parsed.to_string(), a);
            assert_eq!(Address::parse(&a.to_lowercase()).unwrap(), parsed);
            assert_eq!(
                Address::parse(&format!("0x{}", a[2..].to_uppercase())).unwrap(),
                parsed
            );
            assert_eq!(Address::from_word(&parsed.word()), Some(parsed));
            let json = serde_json::to_string(&parsed).unwrap();
            assert_eq!(json, format!("\"{a}\""));
            assert_eq!(serde_json::from_str::<Address>(&json).unwrap(), parsed);
        }
        // One letter's case flipped: the checksum no longer holds.
        let e = Address::parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92265").unwrap_err();
        assert!(e.to_string().contains("checksum"), "{e}");
        for (bad, why) in [
            ("f39fd6e51aad88f6f4ce6ab8827279cfffb92266", "0x"),
            ("0x1234", "40 hex digits"),
            ("0xg39fd6e51aad88f6f4ce6ab8827279cfffb92266", "not hex"),
            ("0xé9fd6e51aad88f6f4ce6ab8827279cfffb9226", "hex"),
        ] {
            let e = Address::parse(bad).unwrap_err().to_string();
            assert!(e.contains(why) && e.contains(bad), "{bad}: {e}");
        }
        let mut w = [0u8; 32];
        w[0] = 1;
        assert_eq!(Address::from_word(&w), None);
    }

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
